#ifndef CLOWBIT_KERNELS_H
#define CLOWBIT_KERNELS_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Returns a bit set describing the CPU features the kernels dispatch on
/// (bit 0: AVX2+FMA, bit 1: AVX-512F/BW/VL, bit 2: AVX-512 VNNI).
uint32_t lb_cpu_features(void);

// MARK: - Instruction-set selection

/// Instruction-set levels of the FP32 kernels. Every kernel below exists at each level;
/// the best level the CPU supports is used unless a thread asks for a lower one.
enum {
    LB_ISA_PORTABLE = 0, ///< plain C (libm, fmaf); runs anywhere
    LB_ISA_AVX2 = 1,     ///< AVX2 + FMA, 8 lanes
    LB_ISA_AVX512 = 2,   ///< AVX-512F, 16 lanes
};

/// The best level this CPU supports.
int lb_isa_best(void);
/// The level kernels called from this thread use now.
int lb_isa_current(void);
/// Makes kernels called from *this thread* use `isa` (clamped to what the CPU supports;
/// a negative value restores the default). Returns the level in force before. Meant for
/// tests and benchmarks that compare levels; other threads are not affected.
int lb_set_thread_isa(int isa);
/// "portable", "avx2" or "avx512".
const char *lb_isa_name(int isa);

// MARK: - SGEMM with pre-packed weights (linear layers)

/// Width of a packed weight panel (output features per panel).
#define LB_SGEMM_PANEL 16
/// Depth of one cache block along K. Every level sums K in blocks of this many terms in the
/// same order, so results are identical across thread counts, tile positions and levels.
#define LB_SGEMM_KC 384

/// Number of floats (not bytes) `lb_sgemm_pack_b` writes for an [N, K] weight.
size_t lb_sgemm_pack_b_size(size_t N, size_t K);

/// Packs a weight W: [N = outFeatures, K = inFeatures] (row-major, contiguous) into panels.
///
/// Packed layout (defined here, once): ceil(N/16) panels, one after another; panel p holds
/// output features [16p, 16p+16) as K groups of 16 floats:
///   packed[p*16*K + k*16 + j] = W[16p + j, k]   (0 where 16p + j >= N).
/// Any level's kernels read this layout. Use 64-byte aligned storage for speed.
void lb_sgemm_pack_b(size_t N, size_t K, const float *W, float *packed);

/// y = x · W^T (+ bias) on output columns [n_begin, n_end) only.
///   A (x): [M, K] with row stride lda;  packedB: W [N, K] packed by lb_sgemm_pack_b;
///   bias: [N] or NULL;  C (y): [M, N] with row stride ldc (columns outside the range untouched).
/// n_begin must be a multiple of LB_SGEMM_PANEL, and n_end a multiple of it or equal to N, so
/// threads can split N at panel boundaries. Each output element is the same float whatever
/// the split. Returns 0, or -1 (nothing written) if the range is invalid.
int lb_sgemm_packed(size_t M, size_t N, size_t K, const float *A, size_t lda,
                    const float *packedB, const float *bias, float *C, size_t ldc,
                    size_t n_begin, size_t n_end);

/// C = alpha · A · B^T.  A: [M, K] (lda);  B: [N, K] (ldb);  C: [M, N] (ldc).
/// Single-threaded (call it per head/batch from several threads); packs B into a per-thread
/// scratch buffer that is reused across calls.
void lb_sgemm_nt(size_t M, size_t N, size_t K, const float *A, size_t lda,
                 const float *B, size_t ldb, float *C, size_t ldc, float alpha);

/// C = A · B.  A: [M, K] (lda);  B: [K, N] (ldb);  C: [M, N] (ldc). Single-threaded.
void lb_sgemm_nn(size_t M, size_t N, size_t K, const float *A, size_t lda,
                 const float *B, size_t ldb, float *C, size_t ldc);

// MARK: - Row operations (rows of length n; x and y may be the same memory when ldx == ldy)

/// Numerically stable softmax of each row r of v = scale·x[r] + mask[r]:
///   y[r, j] = exp(v_j - max v) / Σ exp(v_i - max v) over the row's valid columns, 0 beyond.
/// mask: additive [n] row(s) or NULL; row r uses mask + r·mask_ld (mask_ld = 0: one shared row).
/// causal_valid0 < 0: all n columns valid; else row r has min(n, max(0, causal_valid0 + r))
/// valid columns (decoder self-attention: causal_valid0 = past + 1 for the first query row).
/// A row with no valid column, or whose valid entries are all -inf, becomes all zeros.
void lb_softmax_rows(size_t rows, size_t n, const float *x, size_t ldx, float *y, size_t ldy,
                     float scale, const float *mask, size_t mask_ld, ptrdiff_t causal_valid0);

/// Scaled dot-product attention of one sequence and one head:
///   out[i, :] = Σ_j p[i, j] · v[j, :],  p[i, :] = softmax_j(scale · q[i, :] · k[j, :]) over the
///   valid keys j < valid(i) (causal_valid0 as lb_softmax_rows: valid(i) = causal_valid0 + i,
///   clamped to [0, nk]; -1: all nk keys). A row with no valid key becomes all zeros.
///   q: [nq, d] (row stride ldq); k, v: [nk, d] (row stride ldkv); out: [nq, d] (row stride ldo);
///   scratch: lb_attention_scratch_floats(nk, d) floats, private to the call.
/// Single-threaded (call it per sequence and head from several threads). The sums run in an
/// order fixed by (nq, nk, d) (see attention_tmpl.h), so results never depend on threads.
void lb_attention_head(size_t nq, size_t nk, size_t d, const float *q, size_t ldq, const float *k,
                       const float *v, size_t ldkv, float *out, size_t ldo, float scale,
                       ptrdiff_t causal_valid0, float *scratch);
/// Floats of scratch lb_attention_head needs for nk keys of width d.
size_t lb_attention_scratch_floats(size_t nk, size_t d);

/// LayerNorm of each row: y = (x - mean) / sqrt(var + eps) · gamma + beta, var biased (÷ n).
/// gamma, beta: [n] or NULL (1 and 0).
void lb_layernorm_rows(size_t rows, size_t n, const float *x, size_t ldx, float *y, size_t ldy,
                       const float *gamma, const float *beta, float eps);

/// RMSNorm of each row (Llama): y = (x / sqrt(mean(x²) + eps)) · weight. weight: [n] or NULL.
void lb_rmsnorm_rows(size_t rows, size_t n, const float *x, size_t ldx, float *y, size_t ldy,
                     const float *weight, float eps);

// MARK: - Element-wise operations on n contiguous floats (y may equal an input)

/// GELU, exact: y = x/2 · (1 + erf(x/√2)).
void lb_gelu(size_t n, const float *x, float *y);
/// GELU, tanh approximation (`gelu_new`): y = x/2 · (1 + tanh(√(2/π)(x + 0.044715x³))).
void lb_gelu_tanh(size_t n, const float *x, float *y);
/// SiLU: y = x / (1 + exp(-x)).
void lb_silu(size_t n, const float *x, float *y);
/// SwiGLU gate: y = silu(gate) · up.
void lb_silu_mul(size_t n, const float *gate, const float *up, float *y);
/// y = a + b (residual add).
void lb_add(size_t n, const float *a, const float *b, float *y);
/// The kernels' vectorized exp, erf and tanh, exposed for accuracy tests.
void lb_vexp(size_t n, const float *x, float *y);
void lb_verf(size_t n, const float *x, float *y);
void lb_vtanh(size_t n, const float *x, float *y);

// MARK: - Benchmark support

/// Runs `iters` iterations of 10 independent FMA chains on the widest registers of `isa`
/// (zmm for AVX-512, ymm for AVX2, scalar fmaf for portable) and returns the number of
/// floating-point operations done (2 per lane per FMA). Time it to measure FMA throughput.
uint64_t lb_fma_peak_probe(int isa, uint64_t iters);

#ifdef __cplusplus
}
#endif
#endif
#include "lb_quant.h"
#include "lb_igemm.h"
#include "lb_igemm_group.h"
#include "lb_fused.h"
#include "lb_pool.h"
