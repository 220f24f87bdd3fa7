// AVX2 microkernels of the group-wise GEMMs (contracts: igemm_group_internal.h), 4 rows × 16
// columns (one panel as two ymm of 8 lanes: bytes 0–31 and 32–63 of each 64-byte block).
//
// - lb_igemm_group, 4-bit weights only: vpmaddubsw of the unpacked nibbles (u8 ≤ 15) with 4
//   bytes of A (s8 ≤ 127 in magnitude) cannot saturate (2 · 15 · 127 < 2^15), and vpmaddwd with
//   ones folds the pairs into each int32 lane: the same exact sums as vpdpbusd. (8-bit weights
//   would saturate vpmaddubsw; they run on the portable level below AVX-512.)
// - lb_wgemm_group, both widths: the AVX-512 kernel's per-lane float operations, 8 lanes wide.
// Minimums (mn not NULL) add one fma per group: row sum (int32 → float, or the float x_g) × mn.
#pragma STDC FP_CONTRACT OFF
#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>
#include "igemm_group_internal.h"

#define AVX2_TARGET __attribute__((target("avx2,fma")))
#define AMR 4

static inline int32_t ld4a(const int8_t *p) { int32_t v; memcpy(&v, p, 4); return v; }

/// Stores lanes [0, cnt) of v at c (cnt ≤ 8).
AVX2_TARGET static inline void store_n(float *c, __m256 v, size_t cnt) {
    if (cnt == 8) { _mm256_storeu_ps(c, v); return; }
    float t[8];
    _mm256_storeu_ps(t, v);
    memcpy(c, t, cnt * sizeof(float));
}

AVX2_TARGET static inline __attribute__((always_inline)) void
group4_body(const int MRT, size_t G, size_t group, const int8_t *restrict a, size_t lda, const int32_t *rs,
            const uint8_t *restrict pb, const int32_t *cz, const float *s, const float *mn, const float *a_scales,
            const float *bias, float *restrict c, size_t ldc, size_t mr, size_t nr) {
    __m256 F[AMR][2];
    const __m256i lo4 = _mm256_set1_epi8(0x0F), ones = _mm256_set1_epi16(1);
    for (size_t g = 0; g < G; ++g) {
        __m256i acc[AMR][2];
        for (int i = 0; i < MRT; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_si256();
        for (size_t k = g * group; k < (g + 1) * group; k += 8) {
            __m256i bl[2], bh[2];
            for (int h = 0; h < 2; ++h) {
                const __m256i raw = _mm256_loadu_si256((const __m256i *)(pb + k * 8 + (size_t)h * 32));
                bl[h] = _mm256_and_si256(raw, lo4);
                bh[h] = _mm256_and_si256(_mm256_srli_epi16(raw, 4), lo4);
            }
            for (int i = 0; i < MRT; ++i) {
                const __m256i xl = _mm256_set1_epi32(ld4a(a + i * lda + k)), xh = _mm256_set1_epi32(ld4a(a + i * lda + k + 4));
                for (int h = 0; h < 2; ++h) {
                    acc[i][h] = _mm256_add_epi32(acc[i][h], _mm256_madd_epi16(_mm256_maddubs_epi16(bl[h], xl), ones));
                    acc[i][h] = _mm256_add_epi32(acc[i][h], _mm256_madd_epi16(_mm256_maddubs_epi16(bh[h], xh), ones));
                }
            }
        }
        for (int h = 0; h < 2; ++h) {
            const __m256i vz = _mm256_loadu_si256((const __m256i *)(cz + g * 16 + (size_t)h * 8));
            const __m256 vs = _mm256_loadu_ps(s + g * 16 + (size_t)h * 8);
            for (int i = 0; i < MRT; ++i) {
                const __m256i t = _mm256_sub_epi32(acc[i][h], _mm256_mullo_epi32(vz, _mm256_set1_epi32(rs[(size_t)i * G + g])));
                const __m256 f = _mm256_cvtepi32_ps(t);
                F[i][h] = g == 0 ? _mm256_mul_ps(f, vs) : _mm256_fmadd_ps(f, vs, F[i][h]);
            }
            if (mn) {
                const __m256 vm = _mm256_loadu_ps(mn + g * 16 + (size_t)h * 8);
                for (int i = 0; i < MRT; ++i)
                    F[i][h] = _mm256_fmadd_ps(_mm256_set1_ps((float)rs[(size_t)i * G + g]), vm, F[i][h]);
            }
        }
    }
    for (int h = 0; h < 2; ++h) {
        const size_t c0 = (size_t)h * 8;
        if (c0 >= nr) break;
        const size_t cnt = nr - c0 >= 8 ? 8 : nr - c0;
        float bv[8] = {0};
        if (bias) memcpy(bv, bias + c0, cnt * sizeof(float));
        for (size_t i = 0; i < mr; ++i) {
            __m256 y = G ? _mm256_mul_ps(F[i][h], _mm256_set1_ps(a_scales[i])) : _mm256_setzero_ps();
            if (bias) y = _mm256_add_ps(y, _mm256_loadu_ps(bv));
            store_n(c + i * ldc + c0, y, cnt);
        }
    }
}

AVX2_TARGET static void group4_ukr(size_t G, size_t group, int bits, const int8_t *a, size_t lda, const int32_t *rs,
                                   const uint8_t *pb, size_t pstride, const int32_t *cz, const float *s,
                                   const float *mn, const float *a_scales, const float *bias, float *c, size_t ldc,
                                   size_t mr, size_t nr) {
    (void)bits; (void)pstride; // 4-bit only; one panel per tile
    if (mr == 1) group4_body(1, G, group, a, lda, rs, pb, cz, s, mn, a_scales, bias, c, ldc, mr, nr);
    else if (mr == 2) group4_body(2, G, group, a, lda, rs, pb, cz, s, mn, a_scales, bias, c, ldc, mr, nr);
    else group4_body(4, G, group, a, lda, rs, pb, cz, s, mn, a_scales, bias, c, ldc, mr, nr);
}

const lb_group_level lb_group_avx2_int4 = {.mr = AMR, .nr = 16, .ukr = group4_ukr};

AVX2_TARGET static inline __attribute__((always_inline)) void
wgroup2_body(const int BITS, const int MRT, size_t G, size_t group, const float *restrict x, size_t ldx,
             const float *xs, const uint8_t *restrict pb, const int32_t *cz, const float *s, const float *mn,
             const float *bias, float *restrict c, size_t ldc, size_t mr, size_t nr) {
    __m256 F[AMR][2];
    const int KB = BITS == 4 ? 8 : 4;
    const __m256i mask = _mm256_set1_epi32(BITS == 4 ? 0x0F : 0xFF);
    for (size_t g = 0; g < G; ++g) {
        __m256 acc[AMR][2];
        __m256i vz[2];
        for (int h = 0; h < 2; ++h) vz[h] = _mm256_loadu_si256((const __m256i *)(cz + g * 16 + (size_t)h * 8));
        for (int i = 0; i < MRT; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
        for (size_t k = g * group; k < (g + 1) * group; k += KB) {
            __m256i raw[2];
            for (int h = 0; h < 2; ++h) raw[h] = _mm256_loadu_si256((const __m256i *)(pb + k * 64 / KB + (size_t)h * 32));
            for (int r = 0; r < KB; ++r) {
                const int shift = BITS == 8 ? 8 * r : (r < 4 ? 8 * r : 8 * (r - 4) + 4);
                __m256 w[2];
                for (int h = 0; h < 2; ++h)
                    w[h] = _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_and_si256(_mm256_srli_epi32(raw[h], shift), mask), vz[h]));
                for (int i = 0; i < MRT; ++i) {
                    const __m256 xv = _mm256_set1_ps(x[i * ldx + k + (size_t)r]);
                    for (int h = 0; h < 2; ++h) acc[i][h] = _mm256_fmadd_ps(xv, w[h], acc[i][h]);
                }
            }
        }
        for (int h = 0; h < 2; ++h) {
            const __m256 vs = _mm256_loadu_ps(s + g * 16 + (size_t)h * 8);
            for (int i = 0; i < MRT; ++i)
                F[i][h] = g == 0 ? _mm256_mul_ps(acc[i][h], vs) : _mm256_fmadd_ps(acc[i][h], vs, F[i][h]);
            if (mn) {
                const __m256 vm = _mm256_loadu_ps(mn + g * 16 + (size_t)h * 8);
                for (int i = 0; i < MRT; ++i) F[i][h] = _mm256_fmadd_ps(_mm256_set1_ps(xs[(size_t)i * G + g]), vm, F[i][h]);
            }
        }
    }
    for (int h = 0; h < 2; ++h) {
        const size_t c0 = (size_t)h * 8;
        if (c0 >= nr) break;
        const size_t cnt = nr - c0 >= 8 ? 8 : nr - c0;
        float bv[8] = {0};
        if (bias) memcpy(bv, bias + c0, cnt * sizeof(float));
        for (size_t i = 0; i < mr; ++i) {
            __m256 y = G ? F[i][h] : _mm256_setzero_ps();
            if (bias) y = _mm256_add_ps(y, _mm256_loadu_ps(bv));
            store_n(c + i * ldc + c0, y, cnt);
        }
    }
}

AVX2_TARGET static void wgroup2_ukr(size_t G, size_t group, int bits, const float *x, size_t ldx, const float *xs,
                                    const uint8_t *pb, size_t pstride, const int32_t *cz, const float *s,
                                    const float *mn, const float *bias, float *c, size_t ldc, size_t mr, size_t nr) {
    (void)pstride;
#define W2(B, M) wgroup2_body(B, M, G, group, x, ldx, xs, pb, cz, s, mn, bias, c, ldc, mr, nr)
    if (bits == 8) { if (mr == 1) W2(8, 1); else if (mr == 2) W2(8, 2); else W2(8, 4); }
    else { if (mr == 1) W2(4, 1); else if (mr == 2) W2(4, 2); else W2(4, 4); }
#undef W2
}

const lb_wgroup_level lb_wgroup_avx2 = {.mr = AMR, .nr = 16, .ukr = wgroup2_ukr};
#endif
