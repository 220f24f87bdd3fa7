// Float-activation group microkernel for AVX-512 (lb_wgemm_group; contract:
// igemm_group_internal.h). 8 rows × 32 columns (two panels). The weights stay in the packed
// 4- or 8-bit layout in memory: one 64-byte load holds 16 lanes × 8 k (4-bit) or × 4 k (8-bit),
// and each k's 16 weights are unpacked in registers (vpsrld, vpandd, vpsubd of U + Z, vcvtdq2ps)
// before 8 broadcast FMAs; minimums add one fma per group (row sum × minimum). Float operations
// and their order: wgemm_group.c.
#pragma STDC FP_CONTRACT OFF
#if defined(__x86_64__)
#include <immintrin.h>
#include "igemm_group_internal.h"

#define AVX512_TARGET __attribute__((target("avx512f,avx512bw,avx512vl")))
#define WMR 8

AVX512_TARGET static inline __attribute__((always_inline)) void
wgroup_body(const int NV, const int BITS, const int MRT, size_t G, size_t group, const float *restrict x, size_t ldx,
            const float *xs, const uint8_t *restrict pb, size_t pstride, const int32_t *cz, const float *s,
            const float *mn, const float *bias, float *restrict c, size_t ldc, size_t mr, size_t nr) {
    __m512 F[WMR][2];
    const int KB = BITS == 4 ? 8 : 4; // k per 64-byte block
    const __m512i mask = _mm512_set1_epi32(BITS == 4 ? 0x0F : 0xFF);
    for (size_t g = 0; g < G; ++g) {
        __m512 acc[WMR][2];
        __m512i vz[2];
        for (int v = 0; v < NV; ++v) vz[v] = _mm512_loadu_si512((const void *)(cz + (v * G + g) * 16));
        for (int i = 0; i < MRT; ++i)
            for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_setzero_ps();
        for (size_t k = g * group; k < (g + 1) * group; k += KB) {
            __m512i raw[2];
            for (int v = 0; v < NV; ++v) raw[v] = _mm512_loadu_si512((const void *)(pb + v * pstride + k * 64 / KB));
            for (int r = 0; r < KB; ++r) {
                const int shift = BITS == 8 ? 8 * r : (r < 4 ? 8 * r : 8 * (r - 4) + 4);
                __m512 w[2];
                for (int v = 0; v < NV; ++v)
                    w[v] = _mm512_cvtepi32_ps(_mm512_sub_epi32(
                        _mm512_and_si512(_mm512_srli_epi32(raw[v], (unsigned)shift), mask), vz[v]));
                for (int i = 0; i < MRT; ++i) {
                    const __m512 xv = _mm512_set1_ps(x[i * ldx + k + (size_t)r]);
                    for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_fmadd_ps(xv, w[v], acc[i][v]);
                }
            }
        }
        for (int v = 0; v < NV; ++v) {
            const __m512 vs = _mm512_loadu_ps(s + (v * G + g) * 16);
            for (int i = 0; i < MRT; ++i)
                F[i][v] = g == 0 ? _mm512_mul_ps(acc[i][v], vs) : _mm512_fmadd_ps(acc[i][v], vs, F[i][v]);
            if (mn) {
                const __m512 vm = _mm512_loadu_ps(mn + (v * G + g) * 16);
                for (int i = 0; i < MRT; ++i) F[i][v] = _mm512_fmadd_ps(_mm512_set1_ps(xs[(size_t)i * G + g]), vm, F[i][v]);
            }
        }
    }
    for (int v = 0; v < NV; ++v) {
        const size_t c0 = (size_t)v * 16;
        if (c0 >= nr) break;
        const __mmask16 m = (__mmask16)(0xFFFFu >> (16 - (nr - c0 >= 16 ? 16 : nr - c0)));
        const __m512 bv = bias ? _mm512_maskz_loadu_ps(m, bias + c0) : _mm512_setzero_ps();
        for (size_t i = 0; i < mr; ++i) {
            __m512 y = G ? F[i][v] : _mm512_setzero_ps();
            if (bias) y = _mm512_add_ps(y, bv);
            _mm512_mask_storeu_ps(c + i * ldc + c0, m, y);
        }
    }
}

AVX512_TARGET static void wgroup_ukr(size_t G, size_t group, int bits, const float *x, size_t ldx, const float *xs,
                                     const uint8_t *pb, size_t pstride, const int32_t *cz, const float *s,
                                     const float *mn, const float *bias, float *c, size_t ldc, size_t mr, size_t nr) {
    // Few rows (decoding: 1) run a kernel of that many rows: 1, 2, 4 or 8 (the driver pads 3, 5–7).
#define WB(NV, BITS, MRT) wgroup_body(NV, BITS, MRT, G, group, x, ldx, xs, pb, pstride, cz, s, mn, bias, c, ldc, mr, nr)
#define WB_MR(NV, BITS) do { if (mr == 1) WB(NV, BITS, 1); else if (mr == 2) WB(NV, BITS, 2); \
                             else if (mr <= 4) WB(NV, BITS, 4); else WB(NV, BITS, 8); } while (0)
    if (bits == 8) {
        if (nr > 16) WB_MR(2, 8);
        else WB_MR(1, 8);
    } else {
        if (nr > 16) WB_MR(2, 4);
        else WB_MR(1, 4);
    }
#undef WB_MR
#undef WB
}

const lb_wgroup_level lb_wgroup_avx512 = {.mr = WMR, .nr = 32, .ukr = wgroup_ukr};
#endif
