// Blocked SGEMM driver shared by every instruction-set level, B packing, and the public
// GEMM entry points. The level supplies the microkernel and its blocking (internal.h).
//
// Loop nest (BLIS style), for output columns [n_begin, n_end):
//   for nc block of columns          (t->nc: keeps the block of packed B in L2)
//     for kc block of K (LB_SGEMM_KC, fixed boundaries 0, KC, 2KC, ...)
//       for mc block of rows (t->mc): pack A[mc, kc] into groups of t->mr rows
//         micro-tiles t->mr × t->nr (micro-columns outer, or micro-rows outer if a_outer)
// Each output element is sum = fma-chain over its K block, added to C block after block,
// in an order fixed by K alone: no dependence on M/N tiling, thread split or level.
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

// MARK: per-thread scratch

typedef struct { float *p[2]; size_t cap[2]; } lb_scratch_t;
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static _Thread_local lb_scratch_t tl_scratch;

static void scratch_free(void *v) {
    lb_scratch_t *s = (lb_scratch_t *)v;
    for (int i = 0; i < 2; ++i) { free(s->p[i]); s->p[i] = NULL; s->cap[i] = 0; }
}
static void scratch_key_init(void) { pthread_key_create(&scratch_key, scratch_free); }

float *lb_scratch(int slot, size_t nfloats) {
    lb_scratch_t *s = &tl_scratch;
    if (s->cap[slot] >= nfloats) return s->p[slot];
    pthread_once(&scratch_once, scratch_key_init);
    pthread_setspecific(scratch_key, s);
    free(s->p[slot]);
    size_t bytes = ((nfloats * sizeof(float) + 63) / 64) * 64;
    s->p[slot] = (float *)aligned_alloc(64, bytes ? bytes : 64);
    if (!s->p[slot]) abort();
    s->cap[slot] = nfloats;
    return s->p[slot];
}

// MARK: packing

size_t lb_sgemm_pack_b_size(size_t N, size_t K) {
    return (N + LB_SGEMM_PANEL - 1) / LB_SGEMM_PANEL * LB_SGEMM_PANEL * K;
}

/// W: [N, K] row stride ldw  ->  panels (layout in CLowBitKernels.h).
static void pack_b_nk(size_t N, size_t K, const float *W, size_t ldw, float *packed) {
    for (size_t n0 = 0; n0 < N; n0 += LB_SGEMM_PANEL) {
        float *panel = packed + n0 * K;
        size_t w = N - n0 < LB_SGEMM_PANEL ? N - n0 : LB_SGEMM_PANEL;
        for (size_t j = 0; j < w; ++j) {
            const float *row = W + (n0 + j) * ldw;
            for (size_t k = 0; k < K; ++k) panel[k * LB_SGEMM_PANEL + j] = row[k];
        }
        for (size_t j = w; j < LB_SGEMM_PANEL; ++j)
            for (size_t k = 0; k < K; ++k) panel[k * LB_SGEMM_PANEL + j] = 0.0f;
    }
}

/// B: [K, N] row stride ldb  ->  the same panels (of B^T).
static void pack_b_kn(size_t N, size_t K, const float *B, size_t ldb, float *packed) {
    for (size_t n0 = 0; n0 < N; n0 += LB_SGEMM_PANEL) {
        float *panel = packed + n0 * K;
        size_t w = N - n0 < LB_SGEMM_PANEL ? N - n0 : LB_SGEMM_PANEL;
        for (size_t k = 0; k < K; ++k) {
            const float *src = B + k * ldb + n0;
            float *dst = panel + k * LB_SGEMM_PANEL;
            size_t j = 0;
            for (; j < w; ++j) dst[j] = src[j];
            for (; j < LB_SGEMM_PANEL; ++j) dst[j] = 0.0f;
        }
    }
}

void lb_sgemm_pack_b(size_t N, size_t K, const float *W, float *packed) { pack_b_nk(N, K, W, K, packed); }

/// A[mc, kc] (row stride lda) -> groups of mr rows: pa[g*mr*kc + k*mr + i] = A[g*mr + i, k];
/// rows past mc in the last group are zero.
static void pack_a(size_t mc, size_t kc, const float *A, size_t lda, size_t mr, float *pa) {
    for (size_t g = 0; g < mc; g += mr) {
        float *dst = pa + g * kc;
        size_t rows = mc - g < mr ? mc - g : mr;
        for (size_t i = 0; i < rows; ++i) {
            const float *src = A + (g + i) * lda;
            for (size_t k = 0; k < kc; ++k) dst[k * mr + i] = src[k];
        }
        for (size_t i = rows; i < mr; ++i)
            for (size_t k = 0; k < kc; ++k) dst[k * mr + i] = 0.0f;
    }
}

// MARK: driver

void lb_sgemm_driver(const lb_kernel_table *t, size_t M, size_t N, size_t K, const float *A,
                     size_t lda, const float *packedB, const float *bias, float *C, size_t ldc,
                     size_t n_begin, size_t n_end, float alpha) {
    if (M == 0 || n_begin >= n_end) return;
    if (K == 0) {
        for (size_t i = 0; i < M; ++i)
            for (size_t j = n_begin; j < n_end; ++j) C[i * ldc + j] = (bias ? bias[j] : 0.0f) * alpha;
        return;
    }
    (void)N;
    const size_t KC = LB_SGEMM_KC, pstride = LB_SGEMM_PANEL * K;
    const size_t mr = t->mr, nr = t->nr, mcmax = t->mc, ncmax = t->nc;
    float *pa = lb_scratch(0, ((mcmax + mr - 1) / mr) * mr * KC);
    for (size_t nc0 = n_begin; nc0 < n_end; nc0 += ncmax) {
        const size_t nc1 = n_end - nc0 < ncmax ? n_end : nc0 + ncmax;
        for (size_t k0 = 0; k0 < K; k0 += KC) {
            const size_t kc = K - k0 < KC ? K - k0 : KC;
            const int flags = (k0 == 0 ? LB_UKR_FIRST : 0) | (k0 + kc == K ? LB_UKR_LAST : 0);
            for (size_t m0 = 0; m0 < M; m0 += mcmax) {
                const size_t mc = M - m0 < mcmax ? M - m0 : mcmax;
                pack_a(mc, kc, A + m0 * lda + k0, lda, mr, pa);
                float *cb = C + m0 * ldc;
                if (t->a_outer) {
                    for (size_t i0 = 0; i0 < mc; i0 += mr)
                        for (size_t j0 = nc0; j0 < nc1; j0 += nr)
                            t->ukr(kc, pa + i0 * kc, packedB + (j0 / LB_SGEMM_PANEL) * pstride + k0 * LB_SGEMM_PANEL,
                                   pstride, cb + i0 * ldc + j0, ldc, mc - i0 < mr ? mc - i0 : mr,
                                   nc1 - j0 < nr ? nc1 - j0 : nr, bias ? bias + j0 : NULL, flags, alpha);
                } else {
                    for (size_t j0 = nc0; j0 < nc1; j0 += nr)
                        for (size_t i0 = 0; i0 < mc; i0 += mr)
                            t->ukr(kc, pa + i0 * kc, packedB + (j0 / LB_SGEMM_PANEL) * pstride + k0 * LB_SGEMM_PANEL,
                                   pstride, cb + i0 * ldc + j0, ldc, mc - i0 < mr ? mc - i0 : mr,
                                   nc1 - j0 < nr ? nc1 - j0 : nr, bias ? bias + j0 : NULL, flags, alpha);
                }
            }
        }
    }
}

// MARK: public entry points

int lb_sgemm_packed(size_t M, size_t N, size_t K, const float *A, size_t lda, const float *packedB,
                    const float *bias, float *C, size_t ldc, size_t n_begin, size_t n_end) {
    if (n_begin > n_end || n_end > N || n_begin % LB_SGEMM_PANEL != 0 ||
        (n_end % LB_SGEMM_PANEL != 0 && n_end != N))
        return -1;
    lb_sgemm_driver(lb_current_table(), M, N, K, A, lda, packedB, bias, C, ldc, n_begin, n_end, 1.0f);
    return 0;
}

void lb_sgemm_nt(size_t M, size_t N, size_t K, const float *A, size_t lda, const float *B,
                 size_t ldb, float *C, size_t ldc, float alpha) {
    if (M == 0 || N == 0) return;
    float *pb = lb_scratch(1, lb_sgemm_pack_b_size(N, K));
    pack_b_nk(N, K, B, ldb, pb);
    lb_sgemm_driver(lb_current_table(), M, N, K, A, lda, pb, NULL, C, ldc, 0, N, alpha);
}

void lb_sgemm_nn(size_t M, size_t N, size_t K, const float *A, size_t lda, const float *B,
                 size_t ldb, float *C, size_t ldc) {
    if (M == 0 || N == 0) return;
    float *pb = lb_scratch(1, lb_sgemm_pack_b_size(N, K));
    pack_b_kn(N, K, B, ldb, pb);
    lb_sgemm_driver(lb_current_table(), M, N, K, A, lda, pb, NULL, C, ldc, 0, N, 1.0f);
}
