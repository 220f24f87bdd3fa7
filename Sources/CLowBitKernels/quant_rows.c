// Group-wise affine quantization (include/lb_quant.h): a portable level and an AVX2 level.
// Both follow the element formula in lb_quant.h with the same float operations (subtract,
// divide, round to nearest even, add, clamp, subtract, multiply, add; FP_CONTRACT off, so no
// FMA), so they give the same bits as each other and as the Swift reference. Min/max are exact in any order. The only freedom is the sign of a zero min/max,
// which callers erase (|.| or + 0).
//
// Non-finite input is detected along the way (a lane mask OR-ed over the row); when a row has
// some, it is rescanned in order to report the first one.
#pragma STDC FP_CONTRACT OFF
#include <math.h>
#include "internal.h"

/// Index of the first NaN/±Inf in x[0, n), or -1.
static ptrdiff_t first_nonfinite(const float *x, size_t n) {
    for (size_t i = 0; i < n; ++i)
        if (!(fabsf(x[i]) < INFINITY)) return (ptrdiff_t)i;
    return -1;
}

/// One element: the code q (as a float) for x, per the formula in lb_quant.h.
static inline float quant_code(float x, float s, float z, float m, float lo, float hi) {
    const float t = s == 0.0f ? 0.0f : nearbyintf((x - m) / s);
    return fminf(fmaxf(t + z, lo), hi);
}

// MARK: - Portable level

static ptrdiff_t p_minmax_row(size_t cols, const float *x, size_t gc, float *gmin, float *gmax) {
    for (size_t g = 0, c0 = 0; c0 < cols; ++g, c0 += gc) {
        float mn = x[c0], mx = x[c0];
        for (size_t c = c0; c < c0 + gc; ++c) {
            const float v = x[c];
            if (!(fabsf(v) < INFINITY)) return (ptrdiff_t)c;
            mn = v < mn ? v : mn;
            mx = v > mx ? v : mx;
        }
        gmin[g] = mn;
        gmax[g] = mx;
    }
    return -1;
}

/// One row: cols elements in groups of gc; s, z, m: that row's group parameters (z, m may be NULL).
static ptrdiff_t p_apply_row(size_t cols, const float *x, size_t gc, const float *s, const float *z,
                             const float *m, float lo, float hi, int8_t *q, float *y) {
    for (size_t g = 0, c0 = 0; c0 < cols; ++g, c0 += gc) {
        const float sg = s[g], zg = z ? z[g] : 0.0f, mg = m ? m[g] : 0.0f;
        for (size_t c = c0; c < c0 + gc; ++c) {
            const float v = x[c];
            if (!(fabsf(v) < INFINITY)) return (ptrdiff_t)c;
            const float qq = quant_code(v, sg, zg, mg, lo, hi);
            if (q) q[c] = (int8_t)qq;
            if (y) y[c] = (qq - zg) * sg + mg;
        }
    }
    return -1;
}

// MARK: - AVX2 level

#if defined(__x86_64__)
#include "simd_avx2.h"

LB_TARGET static inline float hmin8(__m256 v) {
    __m128 s = _mm_min_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_min_ps(s, _mm_movehl_ps(s, s));
    s = _mm_min_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/// All-ones lanes where v is NaN or ±Inf.
LB_TARGET static inline __m256 nonfinite8(__m256 v) {
    return _mm256_cmp_ps(V_ABS(v), _mm256_set1_ps(INFINITY), _CMP_NLT_UQ);
}

LB_TARGET static ptrdiff_t v_minmax_row(size_t cols, const float *x, size_t gc, float *gmin,
                                        float *gmax) {
    __m256 bad = _mm256_setzero_ps();
    int bad_scalar = 0;
    for (size_t g = 0, c0 = 0; c0 < cols; ++g, c0 += gc) {
        const size_t end = c0 + gc;
        size_t c = c0;
        float mn = x[c0], mx = x[c0];
        if (gc >= 8) {
            __m256 vmn = _mm256_loadu_ps(x + c0), vmx = vmn;
            bad = _mm256_or_ps(bad, nonfinite8(vmn));
            for (c = c0 + 8; c + 8 <= end; c += 8) {
                const __m256 v = _mm256_loadu_ps(x + c);
                vmn = _mm256_min_ps(vmn, v);
                vmx = _mm256_max_ps(vmx, v);
                bad = _mm256_or_ps(bad, nonfinite8(v));
            }
            mn = hmin8(vmn);
            mx = lb_hmax(vmx);
        }
        for (; c < end; ++c) {
            const float v = x[c];
            bad_scalar |= !(fabsf(v) < INFINITY);
            mn = v < mn ? v : mn;
            mx = v > mx ? v : mx;
        }
        gmin[g] = mn;
        gmax[g] = mx;
    }
    if (bad_scalar || _mm256_movemask_ps(bad)) return first_nonfinite(x, cols);
    return -1;
}

LB_TARGET static ptrdiff_t v_apply_row(size_t cols, const float *x, size_t gc, const float *s,
                                       const float *z, const float *m, float lo, float hi, int8_t *q,
                                       float *y) {
    __m256 bad = _mm256_setzero_ps();
    int bad_scalar = 0;
    const __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
    for (size_t g = 0, c0 = 0; c0 < cols; ++g, c0 += gc) {
        const size_t end = c0 + gc;
        const float sg = s[g], zg = z ? z[g] : 0.0f, mg = m ? m[g] : 0.0f;
        const __m256 vs = _mm256_set1_ps(sg), vz = _mm256_set1_ps(zg), vm = _mm256_set1_ps(mg);
        const int zero_scale = sg == 0.0f;
        size_t c = c0;
        for (; c + 8 <= end; c += 8) {
            const __m256 v = _mm256_loadu_ps(x + c);
            bad = _mm256_or_ps(bad, nonfinite8(v));
            const __m256 t = zero_scale ? _mm256_setzero_ps() : V_ROUND(_mm256_div_ps(_mm256_sub_ps(v, vm), vs));
            const __m256 qq = _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(t, vz), vlo), vhi);
            if (y) _mm256_storeu_ps(y + c, _mm256_add_ps(_mm256_mul_ps(_mm256_sub_ps(qq, vz), vs), vm));
            if (q) {
                const __m256i qi = _mm256_cvtps_epi32(qq); // integral already: exact
                const __m128i p16 = _mm_packs_epi32(_mm256_castsi256_si128(qi),
                                                    _mm256_extracti128_si256(qi, 1));
                _mm_storel_epi64((__m128i *)(q + c), _mm_packs_epi16(p16, p16));
            }
        }
        for (; c < end; ++c) {
            const float v = x[c];
            bad_scalar |= !(fabsf(v) < INFINITY);
            const float qq = quant_code(v, sg, zg, mg, lo, hi);
            if (q) q[c] = (int8_t)qq;
            if (y) y[c] = (qq - zg) * sg + mg;
        }
    }
    if (bad_scalar || _mm256_movemask_ps(bad)) return first_nonfinite(x, cols);
    return -1;
}
#endif

// MARK: - Dispatch

static int use_avx2(void) {
#if defined(__x86_64__)
    return lb_isa_current() >= LB_ISA_AVX2;
#else
    return 0;
#endif
}

static ptrdiff_t minmax_row(int avx2, size_t cols, const float *x, size_t gc, float *gmin,
                            float *gmax) {
#if defined(__x86_64__)
    if (avx2) return v_minmax_row(cols, x, gc, gmin, gmax);
#endif
    (void)avx2;
    return p_minmax_row(cols, x, gc, gmin, gmax);
}

static ptrdiff_t apply_row(int avx2, size_t cols, const float *x, size_t gc, const float *s,
                           const float *z, const float *m, float lo, float hi, int8_t *q, float *y) {
#if defined(__x86_64__)
    if (avx2) return v_apply_row(cols, x, gc, s, z, m, lo, hi, q, y);
#endif
    (void)avx2;
    return p_apply_row(cols, x, gc, s, z, m, lo, hi, q, y);
}

ptrdiff_t lb_quant_minmax_rows(size_t rows, size_t cols, const float *x, size_t ldx,
                               size_t group_cols, float *gmin, float *gmax) {
    if (group_cols == 0 || cols % group_cols != 0) return -1;
    const int avx2 = use_avx2();
    const size_t ng = cols / group_cols;
    for (size_t r = 0; r < rows; ++r) {
        ptrdiff_t b = minmax_row(avx2, cols, x + r * ldx, group_cols, gmin + r * ng, gmax + r * ng);
        if (b >= 0) return (ptrdiff_t)(r * cols) + b;
    }
    return -1;
}

ptrdiff_t lb_quant_apply_rows(size_t rows, size_t cols, const float *x, size_t ldx, size_t row0,
                              size_t group_rows, size_t group_cols, const float *scale,
                              const float *zero, const float *minimum, float lo, float hi, int8_t *q,
                              size_t ldq, float *y, size_t ldy) {
    if (group_cols == 0 || group_rows == 0 || cols % group_cols != 0) return -1;
    const int avx2 = use_avx2();
    const size_t ng = cols / group_cols;
    for (size_t r = 0; r < rows; ++r) {
        const size_t g0 = ((row0 + r) / group_rows) * ng;
        ptrdiff_t b = apply_row(avx2, cols, x + r * ldx, group_cols, scale + g0,
                                zero ? zero + g0 : NULL, minimum ? minimum + g0 : NULL, lo, hi,
                                q ? q + r * ldq : NULL,
                                y ? y + r * ldy : NULL);
        if (b >= 0) return (ptrdiff_t)(r * cols) + b;
    }
    return -1;
}

ptrdiff_t lb_quant_rows_dynamic(size_t rows, size_t cols, const float *x, size_t ldx, float qmax,
                                float *scales, int8_t *q, size_t ldq, float *y, size_t ldy) {
    const int avx2 = use_avx2();
    for (size_t r = 0; r < rows; ++r) {
        const float *xr = x + r * ldx;
        float mn = 0.0f, mx = 0.0f;
        ptrdiff_t b = cols ? minmax_row(avx2, cols, xr, cols, &mn, &mx) : -1;
        if (b >= 0) return (ptrdiff_t)(r * cols) + b;
        const float s = fmaxf(fabsf(mn), fabsf(mx)) / qmax;
        scales[r] = s;
        if (cols) apply_row(avx2, cols, xr, cols, &s, NULL, NULL, -qmax, qmax, q ? q + r * ldq : NULL,
                            y ? y + r * ldy : NULL);
    }
    return -1;
}
