// Group-wise INT8/INT4-weight microkernel for AVX-512 VNNI (contract: igemm_group_internal.h).
//
// 8 rows × 32 columns (two panels): per k quad, 2 weight loads (bits 8) or, per k octet, 2
// loads split into low and high nibbles (vpandd, vpsrlw + vpandd: the 4-bit weights are
// unpacked in registers, never in memory), 8 dword broadcasts of A and 16 vpdpbusd (u8 weight
// byte · s8 activation). At the end of each group the 16 int32 accumulators get the zero-point
// correction (U + Z) · rowsum, convert to float and fma into the float tile with the group scales
// (then, with minimums, the row sum times the group minimums: a second fma).
#pragma STDC FP_CONTRACT OFF
#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>
#include "igemm_group_internal.h"

#define VNNI_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))
#define GMR 8

static inline int32_t ld4(const int8_t *p) { int32_t v; memcpy(&v, p, 4); return v; }

VNNI_TARGET static inline __attribute__((always_inline)) void
group_body(const int NV, const int BITS, const int MRT, size_t G, size_t group, const int8_t *restrict a, size_t lda,
           const int32_t *rs, const uint8_t *restrict pb, size_t pstride, const int32_t *cz, const float *s,
           const float *mn, const float *a_scales, const float *bias, float *restrict c, size_t ldc, size_t mr,
           size_t nr) {
    __m512 F[GMR][2]; // rows [0, MRT) used
    const __m512i lo4 = _mm512_set1_epi8(0x0F);
    for (size_t g = 0; g < G; ++g) {
        __m512i acc[GMR][2]; // rows [0, MRT) used
        for (int i = 0; i < MRT; ++i)
            for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_setzero_si512();
        const size_t k0 = g * group;
        if (BITS == 8) {
            for (size_t k = k0; k < k0 + group; k += 4) {
                __m512i b[2];
                for (int v = 0; v < NV; ++v) b[v] = _mm512_loadu_si512((const void *)(pb + v * pstride + k * 16));
                for (int i = 0; i < MRT; ++i) {
                    const __m512i x = _mm512_set1_epi32(ld4(a + i * lda + k));
                    for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_dpbusd_epi32(acc[i][v], b[v], x);
                }
            }
        } else {
            for (size_t k = k0; k < k0 + group; k += 8) {
                __m512i bl[2], bh[2];
                for (int v = 0; v < NV; ++v) {
                    const __m512i raw = _mm512_loadu_si512((const void *)(pb + v * pstride + k * 8));
                    bl[v] = _mm512_and_si512(raw, lo4);
                    bh[v] = _mm512_and_si512(_mm512_srli_epi16(raw, 4), lo4);
                }
                for (int i = 0; i < MRT; ++i) {
                    const __m512i xl = _mm512_set1_epi32(ld4(a + i * lda + k));
                    const __m512i xh = _mm512_set1_epi32(ld4(a + i * lda + k + 4));
                    for (int v = 0; v < NV; ++v) {
                        acc[i][v] = _mm512_dpbusd_epi32(acc[i][v], bl[v], xl);
                        acc[i][v] = _mm512_dpbusd_epi32(acc[i][v], bh[v], xh);
                    }
                }
            }
        }
        for (int v = 0; v < NV; ++v) {
            const __m512i vz = _mm512_loadu_si512((const void *)(cz + (v * G + g) * 16));
            const __m512 vs = _mm512_loadu_ps(s + (v * G + g) * 16);
            for (int i = 0; i < MRT; ++i) {
                const __m512i t = _mm512_sub_epi32(acc[i][v], _mm512_mullo_epi32(vz, _mm512_set1_epi32(rs[(size_t)i * G + g])));
                const __m512 f = _mm512_cvtepi32_ps(t);
                F[i][v] = g == 0 ? _mm512_mul_ps(f, vs) : _mm512_fmadd_ps(f, vs, F[i][v]);
            }
            if (mn) {
                const __m512 vm = _mm512_loadu_ps(mn + (v * G + g) * 16);
                for (int i = 0; i < MRT; ++i)
                    F[i][v] = _mm512_fmadd_ps(_mm512_set1_ps((float)rs[(size_t)i * G + g]), vm, F[i][v]);
            }
        }
    }
    for (int v = 0; v < NV; ++v) {
        const size_t c0 = (size_t)v * 16;
        if (c0 >= nr) break;
        const __mmask16 m = (__mmask16)(0xFFFFu >> (16 - (nr - c0 >= 16 ? 16 : nr - c0)));
        const __m512 bv = bias ? _mm512_maskz_loadu_ps(m, bias + c0) : _mm512_setzero_ps();
        for (size_t i = 0; i < mr; ++i) {
            __m512 y = G ? _mm512_mul_ps(F[i][v], _mm512_set1_ps(a_scales[i])) : _mm512_setzero_ps();
            if (bias) y = _mm512_add_ps(y, bv);
            _mm512_mask_storeu_ps(c + i * ldc + c0, m, y);
        }
    }
}

VNNI_TARGET static void group_ukr(size_t G, size_t group, int bits, const int8_t *a, size_t lda, const int32_t *rs,
                                  const uint8_t *pb, size_t pstride, const int32_t *cz, const float *s,
                                  const float *mn, const float *a_scales, const float *bias, float *c, size_t ldc,
                                  size_t mr, size_t nr) {
    // Rows past mr (up to the kernel's 4 or 8) are the zeros of the driver's padded copy; their
    // row sums are scratch entries inside the block's LB_GROUP_MC rows. Computed, never stored.
    // Few rows (decoding: 1) run a kernel of that many rows: 1, 2, 4 or 8 (the driver pads 3, 5–7).
#define GB(NV, BITS, MRT) group_body(NV, BITS, MRT, G, group, a, lda, rs, pb, pstride, cz, s, mn, a_scales, bias, c, ldc, mr, nr)
#define GB_MR(NV, BITS) do { if (mr == 1) GB(NV, BITS, 1); else if (mr == 2) GB(NV, BITS, 2); \
                             else if (mr <= 4) GB(NV, BITS, 4); else GB(NV, BITS, 8); } while (0)
    if (bits == 8) {
        if (nr > 16) GB_MR(2, 8);
        else GB_MR(1, 8);
    } else {
        if (nr > 16) GB_MR(2, 4);
        else GB_MR(1, 4);
    }
#undef GB_MR
#undef GB
}

const lb_group_level lb_group_vnni = {.mr = GMR, .nr = 32, .ukr = group_ukr};
#endif
