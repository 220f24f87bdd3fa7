// AVX-512F vector vocabulary for the kernel templates (16 float lanes). Only AVX-512F
// instructions (plus FMA/AVX2 for 256-bit helpers) are used, so any AVX-512 CPU runs them.
#ifndef CLOWBIT_SIMD_AVX512_H
#define CLOWBIT_SIMD_AVX512_H
#include <immintrin.h>

#define LB_TARGET __attribute__((target("avx512f,avx2,fma")))
#define LB_VL 16
typedef __m512 lb_v;      // 16 floats
typedef __m512i lb_vi;    // 16 int32
typedef __mmask16 lb_cmp; // comparison result
typedef __mmask16 lb_tail;

#define V_ZERO() _mm512_setzero_ps()
#define V_SET1(x) _mm512_set1_ps(x)
#define V_LOAD(p) _mm512_loadu_ps(p)
#define V_STORE(p, v) _mm512_storeu_ps((p), (v))
#define V_BCAST(p) _mm512_set1_ps(*(p))
/// First n lanes (0 < n <= 16).
#define T_FIRST(n) ((__mmask16)(0xFFFFu >> (16 - (n))))
#define V_LOADT(p, t) _mm512_maskz_loadu_ps((t), (p))
#define V_STORET(p, t, v) _mm512_mask_storeu_ps((p), (t), (v))
#define V_FMA(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define V_FNMA(a, b, c) _mm512_fnmadd_ps((a), (b), (c))
#define V_ADD(a, b) _mm512_add_ps((a), (b))
#define V_SUB(a, b) _mm512_sub_ps((a), (b))
#define V_MUL(a, b) _mm512_mul_ps((a), (b))
#define V_DIV(a, b) _mm512_div_ps((a), (b))
#define V_MAX(a, b) _mm512_max_ps((a), (b))
#define V_MIN(a, b) _mm512_min_ps((a), (b))
#define V_ROUND(x) _mm512_roundscale_ps((x), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define V_ABS(x) _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(0x7fffffff)))
#define V_SIGN(x) _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32((int)0x80000000u)))
#define V_XOR(a, b) _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(a), _mm512_castps_si512(b)))
#define V_TO_I(x) _mm512_cvtps_epi32(x)
#define VI_SET1(x) _mm512_set1_epi32(x)
#define VI_ADD(a, b) _mm512_add_epi32((a), (b))
#define VI_SUB(a, b) _mm512_sub_epi32((a), (b))
#define VI_SRAI(a, k) _mm512_srai_epi32((a), (k))
#define VI_SLLI(a, k) _mm512_slli_epi32((a), (k))
#define VI_AS_V(a) _mm512_castsi512_ps(a)
#define C_GT(a, b) _mm512_cmp_ps_mask((a), (b), _CMP_GT_OQ)
#define C_LT(a, b) _mm512_cmp_ps_mask((a), (b), _CMP_LT_OQ)
#define C_NAN(a) _mm512_cmp_ps_mask((a), (a), _CMP_UNORD_Q)
#define V_SELECT(c, a, b) _mm512_mask_blend_ps((c), (a), (b))

LB_TARGET static inline float lb_hsum(lb_v v) {
    __m256 h = _mm256_add_ps(_mm512_castps512_ps256(v),
                             _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
LB_TARGET static inline float lb_hmax(lb_v v) {
    __m256 h = _mm256_max_ps(_mm512_castps512_ps256(v),
                             _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
#endif
