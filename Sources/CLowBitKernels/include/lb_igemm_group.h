// Group-wise INT8 / INT4 weights × INT8 per-token activations → float (W8A8 with weight
// groups, W4A8), and × float activations (W8A16, W4A16, lb_wgemm_group), the 4-bit weights
// unpacked in registers inside the GEMM.
//
// Definition (every level computes exactly this; the simulated engine too, LowBitModels'
// CodeDomainGemm), for ŵ[n, k] = (W[n, k] − Z[n, g]) · S[n, g] + M[n, g]:
//   acc_g[m, n] = Σ_{k ∈ group g} A[m, k] · (W[n, k] − Z[n, g])        exact int32
//   r_g[m]      = Σ_{k ∈ group g} A[m, k]                              exact int32 (minimums only)
//   F = (float)acc_0 · S[n, 0];  F = fma((float)acc_g, S[n, g], F) for g = 1, 2, … in order,
//     each followed by F = fma((float)r_g, M[n, g], F) when the weight has minimums
//   y[m, n] = F · a_scale[m]  (+ bias[n])                              (separate roundings)
// With one group and no minimums this is lb_igemm.h's per-channel epilogue. Codes W are int8
// (bits 8) or in −8…7 (bits 4, PackedInt4's code convention); Z is the stored zero point (0 if
// symmetric); M is the float minimum of LowBitQuant's affine mapping (llama.cpp's Q4_1 m), whose
// zero point is Z = −U so that W − Z = u, the unsigned code.
//
// How: the packed weight holds unsigned bytes u = W + U (U = 128 for bits 8, 8 for bits 4, a
// PackedInt4 nibble) and `vpdpbusd` multiplies u (unsigned) by A (signed) directly, so
//   acc_g = Σ u·A − (U + Z[n, g]) · Σ_{k ∈ g} A[m, k];
// the row sums of A per group are computed once per block of rows (and serve the minimums too).
//
// Weights with minimums: pass `bits | LB_GROUP_MINS` to every function (pack size, pack, GEMMs).
#ifndef CLOWBIT_LB_IGEMM_GROUP_H
#define CLOWBIT_LB_IGEMM_GROUP_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Or-ed into `bits`: the weight has a float minimum M[n, g] per group (the affine mapping).
#define LB_GROUP_MINS 0x100

/// Bytes `lb_igemm_group_pack` writes (a multiple of 64), or 0 if the shape is not supported:
/// group ≥ 1 must divide K and be a multiple of 4 (bits 8) or 8 (bits 4); bits is 8 or 4, either
/// or-ed with LB_GROUP_MINS.
size_t lb_igemm_group_pack_size(size_t N, size_t K, size_t group, int bits);

/// Packs a group-wise weight for `lb_igemm_group`.
///   w: bits 8: codes [N, K] int8, row-major; bits 4: PackedInt4 bytes, N rows of (K + 1) / 2
///      bytes, column 2b in the low nibble of byte b, nibble = code + 8;
///   scales: [N, K / group] row-major; zeros: [N, K / group] stored zero points or NULL (all 0);
///   mins: [N, K / group] float minimums, given exactly when bits has LB_GROUP_MINS, else NULL.
/// Packed layout (defined here, once), P = ceil(N/16) panels of 16 outputs, G = K / group:
///   weights: bits 8: panel p is K/4 blocks of 64 bytes, block q: byte j·4 + r = W[16p+j, 4q+r] + 128;
///            bits 4: panel p is K/8 blocks of 64 bytes, block o: byte j·4 + r =
///              nib(W[16p+j, 8o+r]) | nib(W[16p+j, 8o+4+r]) << 4   (low nibbles: k quad 2o, high: 2o+1);
///   then int32 cz[p][g][j] = U + Z[16p+j, g]; then float s[p][g][j] = S[16p+j, g]; with
///   LB_GROUP_MINS then float mn[p][g][j] = M[16p+j, g]   (all 0 past N).
/// Returns 0, or -1 (nothing written) for an unsupported shape or mins not matching the flag.
int lb_igemm_group_pack(size_t N, size_t K, size_t group, int bits, const void *w, const float *scales,
                        const int8_t *zeros, const float *mins, uint8_t *packed);

/// y = the definition above on output columns [n_begin, n_end):
///   A: [M, K] int8 (row stride lda), codes in −127…127; a_scales: [M]; packedB from
///   lb_igemm_group_pack with the same N, K, group, bits; bias: [N] or NULL;
///   C: [M, N] float (row stride ldc), other columns untouched.
/// n_begin must be a multiple of 16 and n_end a multiple of 16 or N. acc is exact while
/// |Σ| < 2^31 (group ≤ 32768). Runs on the calling thread at its level (AVX-512 VNNI; AVX2 for
/// 4-bit weights; else portable) with a per-thread scratch buffer. Returns 0, or -1 (nothing written) for a bad range or shape.
int lb_igemm_group(size_t M, size_t N, size_t K, size_t group, int bits, const int8_t *A, size_t lda,
                   const float *a_scales, const uint8_t *packedB, const float *bias, float *C, size_t ldc,
                   size_t n_begin, size_t n_end);

/// The kernel `lb_igemm_group` uses at `isa` on this CPU for `bits` (the width; LB_GROUP_MINS
/// changes nothing): "avx512vnni", "avx2"
/// (4-bit weights only: vpmaddubsw cannot saturate on nibbles) or "portable".
const char *lb_igemm_group_kernel_name(int isa, int bits);

/// W8A16 / W4A16: y = x · ŵᵀ (+ bias), ŵ[n, k] = (W[n, k] − Z[n, g]) · S[n, g] + M[n, g], from
/// the same packed weight (lb_igemm_group_pack), unpacked to float in registers:
///   acc_g = fma chain over k ∈ g ascending of X[m, k] · (float)(W − Z)
///   x_g = X[m, k0] + X[m, k0 + 1] + … over k ∈ g ascending (plain adds; minimums only)
///   F = acc_0 · S[n, 0];  F = fma(acc_g, S[n, g], F) in order, each followed by
///     F = fma(x_g, M[n, g], F) when the weight has minimums;  y = F (+ bias[n])
/// (every level computes exactly this; the simulated layer sums x̂ · ŵ in another order).
///   X: [M, K] float (row stride ldx); C, bias, ranges and return value as lb_igemm_group.
int lb_wgemm_group(size_t M, size_t N, size_t K, size_t group, int bits, const float *X, size_t ldx,
                   const uint8_t *packedB, const float *bias, float *C, size_t ldc, size_t n_begin, size_t n_end);

/// The kernel `lb_wgemm_group` uses at `isa` on this CPU: "avx512", "avx2" or "portable".
const char *lb_wgemm_group_kernel_name(int isa);

#ifdef __cplusplus
}
#endif
#endif
