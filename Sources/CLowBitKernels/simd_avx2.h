// AVX2 + FMA vector vocabulary for the kernel templates (8 float lanes).
// Every function using these carries LB_TARGET; nothing here is compiled for the whole file.
#ifndef CLOWBIT_SIMD_AVX2_H
#define CLOWBIT_SIMD_AVX2_H
#include <immintrin.h>

#define LB_TARGET __attribute__((target("avx2,fma")))
#define LB_VL 8
typedef __m256 lb_v;      // 8 floats
typedef __m256i lb_vi;    // 8 int32
typedef __m256 lb_cmp;    // comparison result (all-ones lanes)
typedef __m256i lb_tail;  // tail mask for loads/stores

static const int32_t lb_avx2_tail_tbl[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

#define V_ZERO() _mm256_setzero_ps()
#define V_SET1(x) _mm256_set1_ps(x)
#define V_LOAD(p) _mm256_loadu_ps(p)
#define V_STORE(p, v) _mm256_storeu_ps((p), (v))
#define V_BCAST(p) _mm256_broadcast_ss(p)
/// First n lanes (0 < n <= 8).
#define T_FIRST(n) _mm256_loadu_si256((const __m256i *)(lb_avx2_tail_tbl + 8 - (n)))
#define V_LOADT(p, t) _mm256_maskload_ps((p), (t))           /* other lanes 0 */
#define V_STORET(p, t, v) _mm256_maskstore_ps((p), (t), (v))
#define V_FMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))       /* a*b + c, one rounding */
#define V_FNMA(a, b, c) _mm256_fnmadd_ps((a), (b), (c))     /* c - a*b, one rounding */
#define V_ADD(a, b) _mm256_add_ps((a), (b))
#define V_SUB(a, b) _mm256_sub_ps((a), (b))
#define V_MUL(a, b) _mm256_mul_ps((a), (b))
#define V_DIV(a, b) _mm256_div_ps((a), (b))
#define V_MAX(a, b) _mm256_max_ps((a), (b))
#define V_MIN(a, b) _mm256_min_ps((a), (b))
#define V_ROUND(x) _mm256_round_ps((x), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define V_ABS(x) _mm256_andnot_ps(_mm256_set1_ps(-0.0f), (x))
#define V_SIGN(x) _mm256_and_ps(_mm256_set1_ps(-0.0f), (x))
#define V_XOR(a, b) _mm256_xor_ps((a), (b))
#define V_TO_I(x) _mm256_cvtps_epi32(x) /* x already integral */
#define VI_SET1(x) _mm256_set1_epi32(x)
#define VI_ADD(a, b) _mm256_add_epi32((a), (b))
#define VI_SUB(a, b) _mm256_sub_epi32((a), (b))
#define VI_SRAI(a, k) _mm256_srai_epi32((a), (k))
#define VI_SLLI(a, k) _mm256_slli_epi32((a), (k))
#define VI_AS_V(a) _mm256_castsi256_ps(a)
#define C_GT(a, b) _mm256_cmp_ps((a), (b), _CMP_GT_OQ)
#define C_LT(a, b) _mm256_cmp_ps((a), (b), _CMP_LT_OQ)
#define C_NAN(a) _mm256_cmp_ps((a), (a), _CMP_UNORD_Q)
/// c ? b : a, lane by lane.
#define V_SELECT(c, a, b) _mm256_blendv_ps((a), (b), (c))

LB_TARGET static inline float lb_hsum(lb_v v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
LB_TARGET static inline float lb_hmax(lb_v v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
#endif
