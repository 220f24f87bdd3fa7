// Row and element-wise operations written once over the vector vocabulary
// (simd_avx2.h / simd_avx512.h) and vmath_tmpl.h. Each instruction-set file includes this
// and lists the functions in its kernel table. Semantics are documented in CLowBitKernels.h.
//
// Reductions (max, sums) keep one vector of partial results and reduce it at the end in a
// fixed order, so a row's result depends only on the row, never on threads.

#define LB_ELEMENTWISE_1(NAME, EXPR)                                                     \
    LB_TARGET static void NAME(size_t n, const float *x, float *y) {                    \
        size_t i = 0;                                                                    \
        for (; i + LB_VL <= n; i += LB_VL) {                                             \
            lb_v v = V_LOAD(x + i);                                                      \
            V_STORE(y + i, EXPR);                                                        \
        }                                                                                \
        if (i < n) {                                                                     \
            lb_tail t = T_FIRST((int)(n - i));                                           \
            lb_v v = V_LOADT(x + i, t);                                                  \
            V_STORET(y + i, t, EXPR);                                                    \
        }                                                                                \
    }

LB_ELEMENTWISE_1(k_gelu, lb_gelu_v(v))
LB_ELEMENTWISE_1(k_gelu_tanh, lb_gelu_tanh_v(v))
LB_ELEMENTWISE_1(k_silu, lb_silu_v(v))
LB_ELEMENTWISE_1(k_vexp, lb_exp_v(v))
LB_ELEMENTWISE_1(k_verf, lb_erf_v(v))
LB_ELEMENTWISE_1(k_vtanh, lb_tanh_v(v))

LB_TARGET static void k_silu_mul(size_t n, const float *g, const float *u, float *y) {
    size_t i = 0;
    for (; i + LB_VL <= n; i += LB_VL) V_STORE(y + i, V_MUL(lb_silu_v(V_LOAD(g + i)), V_LOAD(u + i)));
    if (i < n) {
        lb_tail t = T_FIRST((int)(n - i));
        V_STORET(y + i, t, V_MUL(lb_silu_v(V_LOADT(g + i, t)), V_LOADT(u + i, t)));
    }
}

LB_TARGET static void k_add(size_t n, const float *a, const float *b, float *y) {
    size_t i = 0;
    for (; i + LB_VL <= n; i += LB_VL) V_STORE(y + i, V_ADD(V_LOAD(a + i), V_LOAD(b + i)));
    if (i < n) {
        lb_tail t = T_FIRST((int)(n - i));
        V_STORET(y + i, t, V_ADD(V_LOADT(a + i, t), V_LOADT(b + i, t)));
    }
}

static const float lb_iota_tbl[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

/// Lanes [0, rem) of a vector.
LB_TARGET static inline lb_cmp lb_lanes_below(size_t rem) {
    return C_LT(V_LOAD(lb_iota_tbl), V_SET1((float)rem));
}

/// Softmax of one row over its first `valid` columns; columns [valid, n) become 0.
LB_TARGET static void k_softmax_row(size_t n, size_t valid, const float *x, float *y, float scale,
                                    const float *mask) {
    const lb_v vs = V_SET1(scale), ninf = V_SET1(-__builtin_inff());
    const size_t rem = valid % LB_VL, body = valid - rem;
    const lb_tail t = T_FIRST(rem ? (int)rem : 1);
    const lb_cmp lanes = lb_lanes_below(rem);
    // Pass 1: v = scale·x (+ mask) into y, running max.
    lb_v vmax = ninf;
    for (size_t i = 0; i < body; i += LB_VL) {
        lb_v v = V_MUL(V_LOAD(x + i), vs);
        if (mask) v = V_ADD(v, V_LOAD(mask + i));
        V_STORE(y + i, v);
        vmax = V_MAX(vmax, v);
    }
    if (rem) {
        lb_v v = V_MUL(V_LOADT(x + body, t), vs);
        if (mask) v = V_ADD(v, V_LOADT(mask + body, t));
        V_STORET(y + body, t, v);
        vmax = V_MAX(vmax, V_SELECT(lanes, ninf, v));
    }
    const float m = lb_hmax(vmax);
    if (valid == 0 || m == -__builtin_inff()) {
        for (size_t j = 0; j < n; ++j) y[j] = 0.0f;
        return;
    }
    // Pass 2: e = exp(v - max) into y, running sum.
    const lb_v vm = V_SET1(m);
    lb_v vsum = V_ZERO();
    for (size_t i = 0; i < body; i += LB_VL) {
        lb_v e = lb_exp_v(V_SUB(V_LOAD(y + i), vm));
        V_STORE(y + i, e);
        vsum = V_ADD(vsum, e);
    }
    if (rem) {
        lb_v e = V_SELECT(lanes, V_ZERO(), lb_exp_v(V_SUB(V_LOADT(y + body, t), vm)));
        V_STORET(y + body, t, e);
        vsum = V_ADD(vsum, e);
    }
    // Pass 3: normalize; zero the columns past `valid`.
    const lb_v inv = V_SET1(1.0f / lb_hsum(vsum));
    for (size_t i = 0; i < body; i += LB_VL) V_STORE(y + i, V_MUL(V_LOAD(y + i), inv));
    if (rem) V_STORET(y + body, t, V_MUL(V_LOADT(y + body, t), inv));
    for (size_t j = valid; j < n; ++j) y[j] = 0.0f;
}

LB_TARGET static void k_softmax_rows(size_t rows, size_t n, const float *x, size_t ldx, float *y,
                                     size_t ldy, float scale, const float *mask, size_t mask_ld,
                                     ptrdiff_t causal_valid0) {
    for (size_t r = 0; r < rows; ++r) {
        size_t valid = n;
        if (causal_valid0 >= 0) {
            ptrdiff_t v = causal_valid0 + (ptrdiff_t)r;
            valid = v < 0 ? 0 : ((size_t)v < n ? (size_t)v : n);
        }
        k_softmax_row(n, valid, x + r * ldx, y + r * ldy, scale, mask ? mask + r * mask_ld : NULL);
    }
}

/// Σ x[i] (and Σ (x[i] - c)² when sq) over one row, vector partial sums in a fixed order.
LB_TARGET static float k_row_sum(size_t n, const float *x, float c, int sq) {
    lb_v a0 = V_ZERO(), a1 = V_ZERO();
    const lb_v vc = V_SET1(c);
    size_t i = 0;
    for (; i + 2 * LB_VL <= n; i += 2 * LB_VL) {
        lb_v u0 = V_SUB(V_LOAD(x + i), vc), u1 = V_SUB(V_LOAD(x + i + LB_VL), vc);
        if (sq) { a0 = V_FMA(u0, u0, a0); a1 = V_FMA(u1, u1, a1); }
        else { a0 = V_ADD(a0, u0); a1 = V_ADD(a1, u1); }
    }
    for (; i < n; i += LB_VL) {
        size_t rem = n - i < LB_VL ? n - i : LB_VL;
        lb_v u = V_SELECT(lb_lanes_below(rem), V_ZERO(), V_SUB(V_LOADT(x + i, T_FIRST((int)rem)), vc));
        a0 = sq ? V_FMA(u, u, a0) : V_ADD(a0, u);
    }
    return lb_hsum(V_ADD(a0, a1));
}

LB_TARGET static void k_layernorm_rows(size_t rows, size_t n, const float *x, size_t ldx, float *y,
                                       size_t ldy, const float *gamma, const float *beta, float eps) {
    for (size_t r = 0; r < rows; ++r) {
        const float *xr = x + r * ldx;
        float *yr = y + r * ldy;
        float mean = n ? k_row_sum(n, xr, 0.0f, 0) / (float)n : 0.0f;
        float var = n ? k_row_sum(n, xr, mean, 1) / (float)n : 0.0f;
        const lb_v vr = V_SET1(1.0f / __builtin_sqrtf(var + eps)), vm = V_SET1(mean);
        size_t i = 0;
        for (; i < n; i += LB_VL) {
            size_t rem = n - i < LB_VL ? n - i : LB_VL;
            lb_tail t = T_FIRST((int)rem);
            lb_v v = V_MUL(V_SUB(V_LOADT(xr + i, t), vm), vr);
            if (gamma) v = V_MUL(v, V_LOADT(gamma + i, t));
            if (beta) v = V_ADD(v, V_LOADT(beta + i, t));
            if (rem == LB_VL) V_STORE(yr + i, v); else V_STORET(yr + i, t, v);
        }
    }
}

LB_TARGET static void k_rmsnorm_rows(size_t rows, size_t n, const float *x, size_t ldx, float *y,
                                     size_t ldy, const float *w, float eps) {
    for (size_t r = 0; r < rows; ++r) {
        const float *xr = x + r * ldx;
        float *yr = y + r * ldy;
        float ms = n ? k_row_sum(n, xr, 0.0f, 1) / (float)n : 0.0f;
        const lb_v vr = V_SET1(1.0f / __builtin_sqrtf(ms + eps));
        for (size_t i = 0; i < n; i += LB_VL) {
            size_t rem = n - i < LB_VL ? n - i : LB_VL;
            lb_tail t = T_FIRST((int)rem);
            lb_v v = V_MUL(V_LOADT(xr + i, t), vr);
            if (w) v = V_MUL(v, V_LOADT(w + i, t));
            if (rem == LB_VL) V_STORE(yr + i, v); else V_STORET(yr + i, t, v);
        }
    }
}
