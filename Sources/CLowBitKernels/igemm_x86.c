// INT8 GEMM microkernels for x86: AVX-512 VNNI (vpdpbusd) and AVX2 (vpmaddwd on widened
// bytes), plus the VNNI peak probe. Contract and A/B layouts: igemm_internal.h, lb_igemm.h.
// Compiled through per-function target attributes; run only when the CPU has the features.
#pragma STDC FP_CONTRACT OFF
#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>
#include "igemm_internal.h"
#include "lb_igemm.h"

#define VNNI_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))
#define AVX2_TARGET __attribute__((target("avx2")))

static inline int32_t load4(const uint8_t *p) { int32_t v; memcpy(&v, p, 4); return v; }

// MARK: - AVX-512 VNNI: 8 rows × 32 columns (16 zmm accumulators, two panels)
//
// Per k quad: 2 panel loads, 8 dword broadcasts of A, 16 vpdpbusd (u8 A+128 · s8 W, 4 products
// summed into each int32 lane, wrapping). 16 independent chains cover vpdpbusd latency.

#define VNNI_MR 8

VNNI_TARGET static inline __attribute__((always_inline)) void
vnni_body(const int NV, size_t kq, const uint8_t *restrict pa, const uint8_t *restrict pb, size_t pstride,
          const int32_t *comp, const float *a_scales, const float *w_scales, const float *bias,
          float *restrict c, size_t ldc, size_t mr, size_t nr) {
    __m512i acc[VNNI_MR][2];
    for (int i = 0; i < VNNI_MR; ++i)
        for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_setzero_si512();
    for (size_t q = 0; q < kq; ++q) {
        __m512i b[2];
        for (int v = 0; v < NV; ++v) b[v] = _mm512_loadu_si512((const void *)(pb + v * pstride + q * 64));
        const uint8_t *aq = pa + q * VNNI_MR * 4;
        for (int i = 0; i < VNNI_MR; ++i) {
            const __m512i a = _mm512_set1_epi32(load4(aq + i * 4));
            for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_dpbusd_epi32(acc[i][v], a, b[v]);
        }
    }
    for (int v = 0; v < NV; ++v) {
        const size_t c0 = (size_t)v * 16;
        if (c0 >= nr) break;
        const __mmask16 m = (__mmask16)(0xFFFFu >> (16 - (nr - c0 >= 16 ? 16 : nr - c0)));
        const __m512i vc = _mm512_loadu_si512((const void *)(comp + c0));
        const __m512 ws = _mm512_maskz_loadu_ps(m, w_scales + c0);
        const __m512 bv = bias ? _mm512_maskz_loadu_ps(m, bias + c0) : _mm512_setzero_ps();
        for (size_t i = 0; i < mr; ++i) {
            __m512 f = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc[i][v], vc));
            f = _mm512_mul_ps(f, ws);
            f = _mm512_mul_ps(f, _mm512_set1_ps(a_scales[i]));
            if (bias) f = _mm512_add_ps(f, bv);
            _mm512_mask_storeu_ps(c + i * ldc + c0, m, f);
        }
    }
}

VNNI_TARGET static void vnni_ukr(size_t kq, const uint8_t *pa, const uint8_t *pb, size_t pstride,
                                 const int32_t *comp, const float *a_scales, const float *w_scales,
                                 const float *bias, float *c, size_t ldc, size_t mr, size_t nr) {
    // A tile of at most 16 columns reads one panel only (a second may not exist).
    if (nr > 16) vnni_body(2, kq, pa, pb, pstride, comp, a_scales, w_scales, bias, c, ldc, mr, nr);
    else vnni_body(1, kq, pa, pb, pstride, comp, a_scales, w_scales, bias, c, ldc, mr, nr);
}

const lb_igemm_level lb_igemm_vnni = {.mr = VNNI_MR, .nr = 32, .mc = 128, .ukr = vnni_ukr};

/// 12 independent vpdpbusd chains. On Zen 4 zmm vpdpbusd issues at ~1 per cycle and 4 chains
/// already reach that; 12 leave margin for other cores' latency × pipes.
VNNI_TARGET static uint64_t vnni_probe(uint64_t iters) {
    __m512i a0 = _mm512_set1_epi32(1), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0,
            a8 = a0, a9 = a0, a10 = a0, a11 = a0;
    const __m512i u = _mm512_set1_epi32(0x01010101), s = _mm512_set1_epi32(0x01FF01FF);
    for (uint64_t i = 0; i < iters; ++i) {
        a0 = _mm512_dpbusd_epi32(a0, u, s); a1 = _mm512_dpbusd_epi32(a1, u, s);
        a2 = _mm512_dpbusd_epi32(a2, u, s); a3 = _mm512_dpbusd_epi32(a3, u, s);
        a4 = _mm512_dpbusd_epi32(a4, u, s); a5 = _mm512_dpbusd_epi32(a5, u, s);
        a6 = _mm512_dpbusd_epi32(a6, u, s); a7 = _mm512_dpbusd_epi32(a7, u, s);
        a8 = _mm512_dpbusd_epi32(a8, u, s); a9 = _mm512_dpbusd_epi32(a9, u, s);
        a10 = _mm512_dpbusd_epi32(a10, u, s); a11 = _mm512_dpbusd_epi32(a11, u, s);
        __asm__ volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5), "+v"(a6),
                         "+v"(a7), "+v"(a8), "+v"(a9), "+v"(a10), "+v"(a11));
    }
    __m512i t = _mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(a0, a1), _mm512_add_epi32(a2, a3)),
                                 _mm512_add_epi32(_mm512_add_epi32(a4, a5), _mm512_add_epi32(a6, a7)));
    t = _mm512_add_epi32(t, _mm512_add_epi32(_mm512_add_epi32(a8, a9), _mm512_add_epi32(a10, a11)));
    volatile int sink = _mm512_reduce_add_epi32(t);
    (void)sink;
    return iters * 12u * 128u; // 16 lanes × 4 multiply-adds × 2 ops
}

uint64_t lb_vnni_peak_probe(uint64_t iters) {
    if (lb_isa_best() < LB_ISA_AVX512 || !(lb_cpu_features() & 4u)) return 0;
    return vnni_probe(iters);
}

// MARK: - AVX2: 2 rows × 16 columns, exact 16-bit products
//
// vpmaddubsw would saturate (255·127·2 > 32767), so bytes are widened first: 16 weight bytes
// (4 columns × 4 k) sign-extend to 16 int16, the 4 A bytes zero-extend and repeat, and vpmaddwd
// sums pairs into int32 (≤ 2·255·128, exact). Each column gets two int32 lanes (k 0–1, k 2–3),
// folded by a horizontal add at the end; integer sums are exact in any order.

#define AVX2_MR 2

AVX2_TARGET static void avx2_ukr(size_t kq, const uint8_t *pa, const uint8_t *pb, size_t pstride,
                                 const int32_t *comp, const float *a_scales, const float *w_scales,
                                 const float *bias, float *c, size_t ldc, size_t mr, size_t nr) {
    (void)pstride;
    __m256i acc[AVX2_MR][4];
    for (int i = 0; i < AVX2_MR; ++i)
        for (int g = 0; g < 4; ++g) acc[i][g] = _mm256_setzero_si256();
    for (size_t q = 0; q < kq; ++q) {
        __m256i b[4];
        for (int g = 0; g < 4; ++g) b[g] = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(pb + q * 64 + g * 16)));
        const uint8_t *aq = pa + q * AVX2_MR * 4;
        for (int i = 0; i < AVX2_MR; ++i) {
            const __m256i a = _mm256_broadcastq_epi64(_mm_cvtepu8_epi16(_mm_cvtsi32_si128(load4(aq + i * 4))));
            for (int g = 0; g < 4; ++g) acc[i][g] = _mm256_add_epi32(acc[i][g], _mm256_madd_epi16(a, b[g]));
        }
    }
    for (int h = 0; h < 2; ++h) { // columns [8h, 8h + 8)
        const size_t c0 = (size_t)h * 8;
        if (c0 >= nr) break;
        const size_t cnt = nr - c0 >= 8 ? 8 : nr - c0;
        float ws[8] = {0}, bv[8] = {0};
        memcpy(ws, w_scales + c0, cnt * sizeof(float));
        if (bias) memcpy(bv, bias + c0, cnt * sizeof(float));
        const __m256i vc = _mm256_loadu_si256((const __m256i *)(comp + c0));
        const __m256 vws = _mm256_loadu_ps(ws), vbv = _mm256_loadu_ps(bv);
        for (size_t i = 0; i < mr; ++i) {
            const __m256i s = _mm256_permute4x64_epi64(_mm256_hadd_epi32(acc[i][2 * h], acc[i][2 * h + 1]), 0xD8);
            __m256 f = _mm256_cvtepi32_ps(_mm256_sub_epi32(s, vc));
            f = _mm256_mul_ps(f, vws);
            f = _mm256_mul_ps(f, _mm256_set1_ps(a_scales[i]));
            if (bias) f = _mm256_add_ps(f, vbv);
            if (cnt == 8) _mm256_storeu_ps(c + i * ldc + c0, f);
            else {
                float tmp[8];
                _mm256_storeu_ps(tmp, f);
                memcpy(c + i * ldc + c0, tmp, cnt * sizeof(float));
            }
        }
    }
}

const lb_igemm_level lb_igemm_avx2 = {.mr = AVX2_MR, .nr = 16, .mc = 128, .ukr = avx2_ukr};

#else
#include "lb_igemm.h"
uint64_t lb_vnni_peak_probe(uint64_t iters) { (void)iters; return 0; }
#endif
