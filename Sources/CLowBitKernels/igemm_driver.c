// INT8 GEMM (include/lb_igemm.h): weight packing, the portable reference level, A packing,
// the blocked driver shared by the SIMD levels, and dispatch.
//
// Loop nest for output columns [n_begin, n_end):
//   for mc block of rows: pack A[mc, K] as unsigned bytes (A + 128) in groups of level->mr rows
//     for micro-rows (the A group, mr·K bytes, stays in L1)
//       for micro-columns of level->nr (weight panels from L2): microkernel over the whole K
//         (int32 accumulators never leave registers)
// Micro-rows outside write C row by row, which the store prefetcher streams well: with the
// opposite order, 4096×1536×384 ran at 71% of the VNNI peak instead of 89% (Zen 4).
// Integer sums are exact, so only the epilogue order matters for bitwise equality, and it is
// the same everywhere (see lb_igemm.h).
#pragma STDC FP_CONTRACT OFF
#include <string.h>
#include "igemm_internal.h"
#include "lb_igemm.h"

static size_t kpad(size_t K) { return (K + 3) & ~(size_t)3; }
static size_t npanels(size_t N) { return (N + LB_IGEMM_PANEL - 1) / LB_IGEMM_PANEL; }

size_t lb_igemm_pack_b_size(size_t N, size_t K) {
    return npanels(N) * LB_IGEMM_PANEL * (kpad(K) + sizeof(int32_t));
}

void lb_igemm_pack_b(size_t N, size_t K, const int8_t *W, uint8_t *packed) {
    const size_t Kp = kpad(K), P = npanels(N);
    int32_t *comp = (int32_t *)(packed + P * LB_IGEMM_PANEL * Kp);
    memset(packed, 0, P * LB_IGEMM_PANEL * Kp);
    for (size_t n = 0; n < P * LB_IGEMM_PANEL; ++n) {
        uint8_t *panel = packed + (n / LB_IGEMM_PANEL) * LB_IGEMM_PANEL * Kp;
        const size_t j = n % LB_IGEMM_PANEL;
        int32_t sum = 0;
        if (n < N) {
            const int8_t *row = W + n * K;
            for (size_t k = 0; k < K; ++k) {
                panel[(k / 4) * 64 + j * 4 + k % 4] = (uint8_t)row[k];
                sum += row[k];
            }
        }
        comp[n] = (int32_t)((uint32_t)sum * 128u);
    }
}

/// The epilogue every level follows: three roundings, in this order, never fused.
static inline float epilogue(int32_t acc, float a_scale, float w_scale, const float *bias, size_t n) {
    float f = (float)acc;
    f = f * w_scale;
    f = f * a_scale;
    if (bias) f = f + bias[n];
    return f;
}

/// Portable reference: plain Σ_k A·W (wrapping uint32 arithmetic, no offset trick) read
/// straight from A and the packed panels.
static void igemm_portable(size_t M, size_t K, const int8_t *A, size_t lda, const float *a_scales,
                           const uint8_t *packedB, const float *w_scales, const float *bias, float *C,
                           size_t ldc, size_t n_begin, size_t n_end) {
    const size_t Kp = kpad(K);
    for (size_t m = 0; m < M; ++m) {
        const int8_t *a = A + m * lda;
        for (size_t n = n_begin; n < n_end; ++n) {
            const uint8_t *panel = packedB + (n / LB_IGEMM_PANEL) * LB_IGEMM_PANEL * Kp + (n % LB_IGEMM_PANEL) * 4;
            uint32_t acc = 0;
            for (size_t k = 0; k < K; ++k)
                acc += (uint32_t)((int32_t)a[k] * (int32_t)(int8_t)panel[(k / 4) * 64 + k % 4]);
            C[m * ldc + n] = epilogue((int32_t)acc, a_scales[m], w_scales[n], bias, n);
        }
    }
}

/// A[mc, K] (row stride lda) -> groups of mr rows of unsigned bytes A + 128 (lb_igemm_ukr_fn's pa);
/// K padding and rows past mc are 0 (they meet zero weights or are never stored).
static void pack_a(size_t mc, size_t K, const int8_t *A, size_t lda, size_t mr, uint8_t *pa) {
    const size_t Kp = kpad(K), kq = K / 4;
    for (size_t g = 0; g < mc; g += mr) {
        uint8_t *dst = pa + g * Kp;
        const size_t rows = mc - g < mr ? mc - g : mr;
        if (rows < mr || kq * 4 < K) memset(dst, 0, mr * Kp);
        for (size_t i = 0; i < rows; ++i) {
            const int8_t *src = A + (g + i) * lda;
            // Whole quads as 32-bit words (XOR 0x80 per byte = +128 mod 256), then the tail.
            for (size_t q = 0; q < kq; ++q) {
                uint32_t w;
                memcpy(&w, src + 4 * q, 4);
                w ^= 0x80808080u;
                memcpy(dst + (q * mr + i) * 4, &w, 4);
            }
            for (size_t k = kq * 4; k < K; ++k) dst[(k / 4) * mr * 4 + i * 4 + k % 4] = (uint8_t)(src[k] ^ 0x80);
        }
    }
}

static void igemm_driver(const lb_igemm_level *L, size_t M, size_t N, size_t K, const int8_t *A, size_t lda,
                         const float *a_scales, const uint8_t *packedB, const float *w_scales,
                         const float *bias, float *C, size_t ldc, size_t n_begin, size_t n_end) {
    const size_t Kp = kpad(K), pstride = LB_IGEMM_PANEL * Kp;
    const int32_t *comp = (const int32_t *)(packedB + npanels(N) * pstride);
    const size_t mr = L->mr, nr = L->nr, mcmax = L->mc;
    uint8_t *pa = (uint8_t *)lb_scratch(0, (mcmax * Kp + 3) / 4);
    for (size_t m0 = 0; m0 < M; m0 += mcmax) {
        const size_t mc = M - m0 < mcmax ? M - m0 : mcmax;
        pack_a(mc, K, A + m0 * lda, lda, mr, pa);
        for (size_t i0 = 0; i0 < mc; i0 += mr)
            for (size_t j0 = n_begin; j0 < n_end; j0 += nr) {
                const size_t ncols = n_end - j0 < nr ? n_end - j0 : nr;
                L->ukr(Kp / 4, pa + i0 * Kp, packedB + (j0 / LB_IGEMM_PANEL) * pstride, pstride, comp + j0,
                       a_scales + m0 + i0, w_scales + j0, bias ? bias + j0 : NULL, C + (m0 + i0) * ldc + j0, ldc,
                       mc - i0 < mr ? mc - i0 : mr, ncols);
        }
    }
}

/// The level `lb_igemm_dequant` runs at for `isa`, or NULL for the portable reference.
static const lb_igemm_level *level_for(int isa) {
#if defined(__x86_64__)
    if (isa >= LB_ISA_AVX512 && (lb_cpu_features() & 4u)) return &lb_igemm_vnni;
    if (isa >= LB_ISA_AVX2) return &lb_igemm_avx2;
#else
    (void)isa;
#endif
    return NULL;
}

const char *lb_igemm_kernel_name(int isa) {
    int best = lb_isa_best();
    const lb_igemm_level *L = level_for(isa < best ? isa : best);
#if defined(__x86_64__)
    if (L == &lb_igemm_vnni) return "avx512vnni";
    if (L == &lb_igemm_avx2) return "avx2";
#endif
    (void)L;
    return "portable";
}

int lb_igemm_dequant(size_t M, size_t N, size_t K, const int8_t *A, size_t lda, const float *a_scales,
                     const uint8_t *packedB, const float *w_scales, const float *bias, float *C,
                     size_t ldc, size_t n_begin, size_t n_end) {
    if (n_begin > n_end || n_end > N || n_begin % LB_IGEMM_PANEL != 0 ||
        (n_end % LB_IGEMM_PANEL != 0 && n_end != N))
        return -1;
    if (M == 0 || n_begin == n_end) return 0;
    const lb_igemm_level *L = level_for(lb_isa_current());
    if (L) igemm_driver(L, M, N, K, A, lda, a_scales, packedB, w_scales, bias, C, ldc, n_begin, n_end);
    else igemm_portable(M, K, A, lda, a_scales, packedB, w_scales, bias, C, ldc, n_begin, n_end);
    return 0;
}
