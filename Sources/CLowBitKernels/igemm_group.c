// Group-wise INT8 / INT4-weight GEMM (include/lb_igemm_group.h): packing, the portable
// reference level, the driver shared with the VNNI microkernel (igemm_group_x86.c), dispatch.
//
// Loop nest for output columns [n_begin, n_end):
//   for blocks of LB_GROUP_MC rows: row sums of A per group (int32, scratch)
//     for micro-rows of 8 (a partial one is copied, zero-padded, to scratch)
//       for micro-columns of 32 (two panels): microkernel over all groups
#pragma STDC FP_CONTRACT OFF
#include <math.h>
#include <string.h>
#include "igemm_group_internal.h"
#include "lb_igemm_group.h"

#define LB_GROUP_MC 64

static size_t npanels(size_t N) { return (N + 15) / 16; }

static int shape_ok(size_t K, size_t group, int bits) {
    const int width = lb_group_width(bits);
    if (width != 8 && width != 4) return 0;
    if (group == 0 || K % group != 0) return 0;
    return group % (width == 4 ? 8 : 4) == 0;
}

size_t lb_igemm_group_pack_size(size_t N, size_t K, size_t group, int bits) {
    if (!shape_ok(K, group, bits)) return 0;
    const size_t P = npanels(N), G = K / group;
    return P * 16 * K * (size_t)lb_group_width(bits) / 8 + P * G * 16 * (lb_group_has_mins(bits) ? 12 : 8);
}

/// The code of weight [n, k] from the caller's layout.
static int code_at(const void *w, size_t K, int bits, size_t n, size_t k) {
    if (bits == 8) return ((const int8_t *)w)[n * K + k];
    const uint8_t byte = ((const uint8_t *)w)[n * ((K + 1) / 2) + k / 2];
    return (int)((k % 2 == 0 ? byte : byte >> 4) & 0x0F) - 8;
}

int lb_igemm_group_pack(size_t N, size_t K, size_t group, int fmt, const void *w, const float *scales,
                        const int8_t *zeros, const float *mins, uint8_t *packed) {
    if (!shape_ok(K, group, fmt) || lb_group_has_mins(fmt) != (mins != NULL)) return -1;
    const int bits = lb_group_width(fmt);
    const size_t P = npanels(N), G = K / group, wbytes = P * 16 * K * (size_t)bits / 8;
    const int U = bits == 8 ? 128 : 8;
    int32_t *cz = (int32_t *)(packed + wbytes);
    float *s = (float *)(packed + wbytes + P * G * 16 * 4);
    float *mn = (float *)(packed + wbytes + 2 * P * G * 16 * 4); // written only with mins
    memset(packed, 0, lb_igemm_group_pack_size(N, K, group, fmt));
    for (size_t n = 0; n < P * 16; ++n) {
        const size_t p = n / 16, j = n % 16;
        uint8_t *panel = packed + p * 16 * K * (size_t)bits / 8;
        for (size_t k = 0; k < K; ++k) {
            const int u = (n < N ? code_at(w, K, bits, n, k) : 0) + U;
            if (bits == 8) panel[(k / 4) * 64 + j * 4 + k % 4] = (uint8_t)u;
            else panel[(k / 8) * 64 + j * 4 + k % 4] |= (uint8_t)(u << (k % 8 < 4 ? 0 : 4));
        }
        for (size_t g = 0; g < G; ++g) {
            cz[(p * G + g) * 16 + j] = U + (n < N && zeros ? zeros[n * G + g] : 0);
            s[(p * G + g) * 16 + j] = n < N ? scales[n * G + g] : 0.0f;
            if (mins) mn[(p * G + g) * 16 + j] = n < N ? mins[n * G + g] : 0.0f;
        }
    }
    return 0;
}

/// The unsigned weight byte u of output column j of a panel at k (either layout).
static inline int u_at(const uint8_t *panel, int bits, size_t j, size_t k) {
    if (bits == 8) return panel[(k / 4) * 64 + j * 4 + k % 4];
    const uint8_t b = panel[(k / 8) * 64 + j * 4 + k % 4];
    return k % 8 < 4 ? (b & 0x0F) : (b >> 4);
}

/// Portable reference: the definition, term by term, read from the packed panels.
static void group_portable(size_t M, size_t K, size_t group, int fmt, const int8_t *A, size_t lda,
                           const float *a_scales, const uint8_t *packedB, size_t N, const float *bias,
                           float *C, size_t ldc, size_t n_begin, size_t n_end) {
    const int bits = lb_group_width(fmt);
    const size_t G = K / group, pstride = 16 * K * (size_t)bits / 8;
    const lb_group_params prm = lb_group_params_of(packedB, N, K, group, fmt);
    const int32_t *cz = prm.cz;
    const float *s = prm.s, *mn = prm.mn;
    for (size_t m = 0; m < M; ++m) {
        const int8_t *a = A + m * lda;
        for (size_t n = n_begin; n < n_end; ++n) {
            const size_t p = n / 16, j = n % 16;
            const uint8_t *panel = packedB + p * pstride;
            float F = 0.0f;
            for (size_t g = 0; g < G; ++g) {
                int32_t dot = 0, rs = 0;
                for (size_t k = g * group; k < (g + 1) * group; ++k) {
                    dot += u_at(panel, bits, j, k) * a[k];
                    rs += a[k];
                }
                const int32_t acc = dot - cz[(p * G + g) * 16 + j] * rs;
                const float sg = s[(p * G + g) * 16 + j];
                F = g == 0 ? (float)acc * sg : fmaf((float)acc, sg, F);
                if (mn) F = fmaf((float)rs, mn[(p * G + g) * 16 + j], F);
            }
            float y = F * a_scales[m];
            if (bias) y = y + bias[n];
            C[m * ldc + n] = y;
        }
    }
}

static void group_driver(const lb_group_level *L, size_t M, size_t N, size_t K, size_t group, int fmt,
                         const int8_t *A, size_t lda, const float *a_scales, const uint8_t *packedB,
                         const float *bias, float *C, size_t ldc, size_t n_begin, size_t n_end) {
    const int bits = lb_group_width(fmt);
    const size_t G = K / group, pstride = 16 * K * (size_t)bits / 8;
    const lb_group_params prm = lb_group_params_of(packedB, N, K, group, fmt);
    const int32_t *cz = prm.cz;
    const float *s = prm.s, *mn = prm.mn;
    // Scratch: row sums [LB_GROUP_MC, G] int32, then one zero-padded micro-row block [mr, K].
    const size_t mr = L->mr;
    int32_t *rs = (int32_t *)lb_scratch(0, LB_GROUP_MC * G + (mr * K + 3) / 4 + 16);
    int8_t *tail = (int8_t *)(rs + LB_GROUP_MC * G);
    for (size_t m0 = 0; m0 < M; m0 += LB_GROUP_MC) {
        const size_t mc = M - m0 < LB_GROUP_MC ? M - m0 : LB_GROUP_MC;
        for (size_t i = 0; i < mc; ++i)
            for (size_t g = 0; g < G; ++g) {
                int32_t t = 0;
                const int8_t *a = A + (m0 + i) * lda + g * group;
                for (size_t k = 0; k < group; ++k) t += a[k];
                rs[i * G + g] = t;
            }
        for (size_t i0 = 0; i0 < mc; i0 += mr) {
            const size_t rows = mc - i0 < mr ? mc - i0 : mr;
            const int8_t *a = A + (m0 + i0) * lda;
            size_t la = lda;
            if (rows < mr && rows != 1 && rows != 2 && rows != 4) { // kernels exist for 1, 2, 4 and mr rows
                memset(tail, 0, mr * K);
                for (size_t i = 0; i < rows; ++i) memcpy(tail + i * K, a + i * lda, K);
                a = tail;
                la = K;
            }
            for (size_t j0 = n_begin; j0 < n_end; j0 += L->nr) {
                const size_t p = j0 / 16, cols = n_end - j0 < L->nr ? n_end - j0 : L->nr;
                L->ukr(G, group, bits, a, la, rs + i0 * G, packedB + p * pstride, pstride, cz + p * G * 16,
                       s + p * G * 16, mn ? mn + p * G * 16 : NULL, a_scales + m0 + i0, bias ? bias + j0 : NULL,
                       C + (m0 + i0) * ldc + j0, ldc, rows, cols);
            }
        }
    }
}

static const lb_group_level *group_level_for(int isa, int bits) {
#if defined(__x86_64__)
    if (isa >= LB_ISA_AVX512 && (lb_cpu_features() & 4u)) return &lb_group_vnni;
    if (isa >= LB_ISA_AVX2 && bits == 4) return &lb_group_avx2_int4;
#else
    (void)isa;
    (void)bits;
#endif
    return NULL;
}

const char *lb_igemm_group_kernel_name(int isa, int bits) {
    const int best = lb_isa_best();
    const lb_group_level *L = group_level_for(isa < best ? isa : best, lb_group_width(bits));
#if defined(__x86_64__)
    if (L == &lb_group_vnni) return "avx512vnni";
    if (L == &lb_group_avx2_int4) return "avx2";
#endif
    (void)L;
    return "portable";
}

int lb_igemm_group(size_t M, size_t N, size_t K, size_t group, int bits, const int8_t *A, size_t lda,
                   const float *a_scales, const uint8_t *packedB, const float *bias, float *C, size_t ldc,
                   size_t n_begin, size_t n_end) {
    if (!shape_ok(K, group, bits) || n_begin > n_end || n_end > N || n_begin % 16 != 0 ||
        (n_end % 16 != 0 && n_end != N))
        return -1;
    if (M == 0 || n_begin == n_end) return 0;
    const lb_group_level *L = group_level_for(lb_isa_current(), lb_group_width(bits));
    if (L) group_driver(L, M, N, K, group, bits, A, lda, a_scales, packedB, bias, C, ldc, n_begin, n_end);
    else group_portable(M, K, group, bits, A, lda, a_scales, packedB, N, bias, C, ldc, n_begin, n_end);
    return 0;
}
