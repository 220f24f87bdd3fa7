// Group-wise INT8 / INT4 weights × float activations (W8A16, W4A16): the lb_igemm_group_pack
// layout, unpacked to float in registers inside an SGEMM-like loop (include/lb_igemm_group.h).
//
// Per output element, every level follows the same float operations in the same order:
//   acc_g = fma chain over k ∈ g ascending of x[m, k] · (float)(u − cz)    (u − cz = W − Z, exact)
//   F = acc_0 · S_0;  F = fma(acc_g, S_g, F);  y = F (+ bias)
// and with minimums, after each group's scale: F = fma(x_g, M_g, F), x_g the row's plain-add sum
// over the group (ascending), computed once per block of rows by `row_sums`.
// so the AVX-512 kernel equals the portable one bit for bit.
#pragma STDC FP_CONTRACT OFF
#include <math.h>
#include <string.h>
#include "igemm_group_internal.h"

/// The weight W − Z of lane j at k (the lb_igemm_group.h layout), as an int.
static inline int w_at(const uint8_t *panel, const int32_t *cz, int bits, size_t j, size_t k) {
    int u;
    if (bits == 8) u = panel[(k / 4) * 64 + j * 4 + k % 4];
    else {
        const uint8_t b = panel[(k / 8) * 64 + j * 4 + k % 4];
        u = k % 8 < 4 ? (b & 0x0F) : (b >> 4);
    }
    return u - cz[j];
}

/// x_g of `rows` rows of x (row stride ldx) into xs: [rows, G] (row stride G).
static void row_sums(size_t rows, size_t G, size_t group, const float *x, size_t ldx, float *xs) {
    for (size_t i = 0; i < rows; ++i)
        for (size_t g = 0; g < G; ++g) {
            float t = 0.0f;
            for (size_t k = g * group; k < (g + 1) * group; ++k) t = t + x[i * ldx + k];
            xs[i * G + g] = t;
        }
}

static void wgemm_portable(size_t M, size_t N, size_t K, size_t group, int fmt, const float *X, size_t ldx,
                           const uint8_t *packedB, const float *bias, float *C, size_t ldc, size_t n_begin,
                           size_t n_end) {
    const int bits = lb_group_width(fmt);
    const size_t G = K / group, pstride = 16 * K * (size_t)bits / 8;
    const lb_group_params prm = lb_group_params_of(packedB, N, K, group, fmt);
    const int32_t *cz = prm.cz;
    const float *s = prm.s, *mn = prm.mn;
    float *xs = mn ? lb_scratch(0, G + 16) : NULL;
    for (size_t m = 0; m < M; ++m) {
        const float *x = X + m * ldx;
        if (mn) row_sums(1, G, group, x, ldx, xs);
        for (size_t n = n_begin; n < n_end; ++n) {
            const size_t p = n / 16, j = n % 16;
            float F = 0.0f;
            for (size_t g = 0; g < G; ++g) {
                const int32_t *czg = cz + (p * G + g) * 16;
                float acc = 0.0f;
                for (size_t k = g * group; k < (g + 1) * group; ++k)
                    acc = fmaf(x[k], (float)w_at(packedB + p * pstride, czg, bits, j, k), acc);
                const float sg = s[(p * G + g) * 16 + j];
                F = g == 0 ? acc * sg : fmaf(acc, sg, F);
                if (mn) F = fmaf(xs[g], mn[(p * G + g) * 16 + j], F);
            }
            C[m * ldc + n] = bias ? F + bias[n] : F;
        }
    }
}

static void wgemm_driver(const lb_wgroup_level *L, size_t M, size_t N, size_t K, size_t group, int fmt,
                         const float *X, size_t ldx, const uint8_t *packedB, const float *bias, float *C,
                         size_t ldc, size_t n_begin, size_t n_end) {
    const int bits = lb_group_width(fmt);
    const size_t G = K / group, pstride = 16 * K * (size_t)bits / 8, mr = L->mr;
    const lb_group_params prm = lb_group_params_of(packedB, N, K, group, fmt);
    const int32_t *cz = prm.cz;
    const float *s = prm.s, *mn = prm.mn;
    // Scratch: one zero-padded micro-row block [mr, K], then (minimums) its row sums [mr, G].
    float *tail = lb_scratch(0, mr * K + (mn ? mr * G : 0) + 16);
    float *xs = mn ? tail + mr * K : NULL;
    for (size_t i0 = 0; i0 < M; i0 += mr) {
        const size_t rows = M - i0 < mr ? M - i0 : mr;
        const float *x = X + i0 * ldx;
        size_t lx = ldx;
        if (rows < mr && rows != 1 && rows != 2 && rows != 4) { // kernels read 1, 2, 4 or mr rows: pad the rest
            memset(tail, 0, mr * K * sizeof(float));
            for (size_t i = 0; i < rows; ++i) memcpy(tail + i * K, x + i * ldx, K * sizeof(float));
            x = tail;
            lx = K;
        }
        if (mn) { // the kernel reads as many rows of xs as of x: zeros past `rows`
            memset(xs, 0, mr * G * sizeof(float));
            row_sums(rows, G, group, x, lx, xs);
        }
        for (size_t j0 = n_begin; j0 < n_end; j0 += L->nr) {
            const size_t p = j0 / 16, cols = n_end - j0 < L->nr ? n_end - j0 : L->nr;
            L->ukr(G, group, bits, x, lx, xs, packedB + p * pstride, pstride, cz + p * G * 16, s + p * G * 16,
                   mn ? mn + p * G * 16 : NULL, bias ? bias + j0 : NULL, C + i0 * ldc + j0, ldc, rows, cols);
        }
    }
}

static const lb_wgroup_level *wgroup_level_for(int isa) {
#if defined(__x86_64__)
    if (isa >= LB_ISA_AVX512) return &lb_wgroup_avx512;
    if (isa >= LB_ISA_AVX2) return &lb_wgroup_avx2;
#else
    (void)isa;
#endif
    return NULL;
}

const char *lb_wgemm_group_kernel_name(int isa) {
    const int best = lb_isa_best();
    const lb_wgroup_level *L = wgroup_level_for(isa < best ? isa : best);
#if defined(__x86_64__)
    if (L == &lb_wgroup_avx512) return "avx512";
    if (L == &lb_wgroup_avx2) return "avx2";
#endif
    (void)L;
    return "portable";
}

int lb_wgemm_group(size_t M, size_t N, size_t K, size_t group, int bits, const float *X, size_t ldx,
                   const uint8_t *packedB, const float *bias, float *C, size_t ldc, size_t n_begin, size_t n_end) {
    if (lb_igemm_group_pack_size(N, K, group, bits) == 0 || n_begin > n_end || n_end > N || n_begin % 16 != 0 ||
        (n_end % 16 != 0 && n_end != N))
        return -1;
    if (M == 0 || n_begin == n_end) return 0;
    const lb_wgroup_level *L = wgroup_level_for(lb_isa_current());
    if (L) wgemm_driver(L, M, N, K, group, bits, X, ldx, packedB, bias, C, ldc, n_begin, n_end);
    else wgemm_portable(M, N, K, group, bits, X, ldx, packedB, bias, C, ldc, n_begin, n_end);
    return 0;
}
