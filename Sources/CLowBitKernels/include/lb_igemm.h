// INT8 × INT8 → INT32 GEMM with fused dequantization (W8A8 linear layers).
//
// y[m, n] = (float(acc[m, n]) · w_scale[n]) · a_scale[m] (+ bias[n]),  acc = Σ_k A[m, k] · W[n, k]
// A: int8 activations (per-token scales), W: int8 weights (per-output-channel scales).
// acc is an exact int32 sum at every instruction-set level (AVX-512 VNNI, AVX2, portable), and
// the float epilogue is the same three operations in the same order (multiply by the weight
// scale, by the token scale, add; never fused), so every level and every split of N gives the
// same bits. This is the per-group definition (lb_igemm_group.h) with one group, and what the
// simulated engine computes (LowBitModels' CodeDomainGemm).
#ifndef CLOWBIT_LB_IGEMM_H
#define CLOWBIT_LB_IGEMM_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Output features per packed weight panel (one zmm of int32 accumulators).
#define LB_IGEMM_PANEL 16

/// Bytes `lb_igemm_pack_b` writes for an [N, K] weight (a multiple of 64).
size_t lb_igemm_pack_b_size(size_t N, size_t K);

/// Packs W: [N = outFeatures, K = inFeatures] int8 (row-major, contiguous) for `lb_igemm_dequant`.
///
/// Packed layout (defined here, once), with P = ceil(N/16) panels and Kp = K rounded up to 4:
///   bytes [0, P·16·Kp): panel p holds outputs [16p, 16p+16) as Kp/4 blocks of 64 bytes; block q
///     is 16 lanes of 4 bytes (the layout `vpdpbusd` reads: 4 consecutive k per 32-bit lane):
///       packed[p·16·Kp + q·64 + j·4 + r] = W[16p + j, 4q + r]   (0 past N or K);
///   then P·16 int32 (little-endian): comp[n] = 128 · Σ_k W[n, k] (0 past N), the correction
///     for feeding A as unsigned bytes A + 128.
/// Use 64-byte aligned storage.
void lb_igemm_pack_b(size_t N, size_t K, const int8_t *W, uint8_t *packed);

/// y = dequant(A · Wᵀ) (+ bias) on output columns [n_begin, n_end):
///   A: [M, K] int8 (row stride lda); a_scales: [M]; packedB: from lb_igemm_pack_b;
///   w_scales: [N]; bias: [N] or NULL; C: [M, N] float (row stride ldc), other columns untouched.
/// n_begin must be a multiple of LB_IGEMM_PANEL and n_end a multiple of it or N.
/// acc is exact while |Σ_k A·W| < 2^31 (always for K ≤ 131072).
/// Runs on the calling thread at its level (lb_isa_current: AVX-512 uses VNNI when the CPU has
/// it, else the AVX2 kernel). Uses a per-thread scratch buffer. Returns 0, or -1 (nothing written)
/// if the column range is invalid.
int lb_igemm_dequant(size_t M, size_t N, size_t K, const int8_t *A, size_t lda, const float *a_scales,
                     const uint8_t *packedB, const float *w_scales, const float *bias, float *C,
                     size_t ldc, size_t n_begin, size_t n_end);

/// The kernel `lb_igemm_dequant` uses at `isa` on this CPU: "avx512vnni", "avx2" or "portable".
const char *lb_igemm_kernel_name(int isa);

/// Runs `iters` iterations of 12 independent chains of zmm `vpdpbusd` and returns the integer
/// operations done: 128 per instruction (16 lanes × 4 multiply-adds, each counted as 2 ops, as a
/// GEMM's 2·M·N·K counts them). 0 if the CPU lacks AVX-512 VNNI. Time it to measure the VNNI peak.
uint64_t lb_vnni_peak_probe(uint64_t iters);

#ifdef __cplusplus
}
#endif
#endif
