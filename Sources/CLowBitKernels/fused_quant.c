// Fused row passes (include/lb_fused.h): each row goes through the public row kernels in
// turn — the same functions, hence the same bits, as the unfused sequence — while it is in L1.
#include <stdlib.h>
#include "CLowBitKernels.h"

/// The row to write t into: y's row, or the private buffer.
static float *target_row(float *y, size_t ldy, size_t r, float *buf) { return y ? y + r * ldy : buf; }

/// A private row of n floats when `needed` (the caller has no y row to work in), else NULL;
/// *ok is 0 when the allocation failed.
static float *row_buffer(int needed, size_t n, int *ok) {
    float *b = needed ? malloc((n ? n : 1) * sizeof(float)) : NULL;
    *ok = !needed || b != NULL;
    return b;
}

/// Quantizes row r (t: n floats) into scales[r] and q's row r when q is set; keeps in *bad the
/// first non-finite index (r*n + c) seen so far.
static void quantize_row(size_t r, size_t n, const float *t, float qmax, float *scales, int8_t *q,
                         size_t ldq, ptrdiff_t *bad) {
    if (!q) return;
    ptrdiff_t b = lb_quant_rows_dynamic(1, n, t, n, qmax, scales + r, q + r * ldq, ldq, NULL, 0);
    if (b >= 0 && *bad < 0) *bad = (ptrdiff_t)(r * n) + b;
}

ptrdiff_t lb_norm_quant_rows(size_t rows, size_t n, const float *x, size_t ldx, const float *res,
                             size_t ldres, float *sum, size_t ldsum, lb_norm_kind kind,
                             const float *gamma, const float *beta, float eps, float *y,
                             size_t ldy, float qmax, float *scales, int8_t *q, size_t ldq) {
    int ok;
    float *buf = row_buffer(!y && (q || (res && !sum)), n, &ok);
    if (!ok) return -2;
    ptrdiff_t bad = -1;
    for (size_t r = 0; r < rows; ++r) {
        const float *xr = x + r * ldx;
        // s: the residual sum, in sum's row, else in the target row.
        float *t = target_row(y, ldy, r, buf);
        const float *s = xr;
        if (res) {
            float *dst = sum ? sum + r * ldsum : t;
            lb_add(n, xr, res + r * ldres, dst);
            s = dst;
        } else if (sum && sum + r * ldsum != xr) {
            for (size_t i = 0; i < n; ++i) sum[r * ldsum + i] = xr[i];
        }
        switch (kind) {
        case LB_NORM_LAYER: lb_layernorm_rows(1, n, s, n, t, n, gamma, beta, eps); break;
        case LB_NORM_RMS: lb_rmsnorm_rows(1, n, s, n, t, n, gamma, eps); break;
        case LB_NORM_NONE:
            if (t != s) for (size_t i = 0; i < n; ++i) t[i] = s[i];
            break;
        }
        quantize_row(r, n, t, qmax, scales, q, ldq, &bad);
    }
    free(buf);
    return bad;
}

ptrdiff_t lb_act_quant_rows(size_t rows, size_t width, const float *x, size_t ldx, lb_act_kind act,
                            float *y, size_t ldy, float qmax, float *scales, int8_t *q, size_t ldq) {
    const size_t n = act == LB_ACT_SWIGLU ? width / 2 : width;
    int ok;
    float *buf = row_buffer(!y, n, &ok);
    if (!ok) return -2;
    ptrdiff_t bad = -1;
    for (size_t r = 0; r < rows; ++r) {
        const float *xr = x + r * ldx;
        float *t = target_row(y, ldy, r, buf);
        switch (act) {
        case LB_ACT_GELU: lb_gelu(n, xr, t); break;
        case LB_ACT_GELU_TANH: lb_gelu_tanh(n, xr, t); break;
        case LB_ACT_SWIGLU: lb_silu_mul(n, xr, xr + n, t); break;
        }
        quantize_row(r, n, t, qmax, scales, q, ldq, &bad);
    }
    free(buf);
    return bad;
}
