// Vectorized exp, tanh, erf and the activations built on them, written once over the
// vocabulary of simd_avx2.h / simd_avx512.h (include one of those first).
//
// Accuracy (tested against libm in LowBitCoreTests/VectorMathTests), measured max error:
// exp 0.97 ulp, tanh 1.3 ulp, erf 2.5 ulp (relative 8e-8, 1.4e-7, 1.8e-7). Polynomial coefficients were fitted to minimize the
// maximum relative error (Lawson iteration over Chebyshev nodes, mpmath reference).

/// e^(x + lo), |lo| <= 2, lo carrying low-order bits or a small correction of the argument
/// that x alone would round away. Cody–Waite reduction x + lo = n·ln2 + r, |r| <= ln2/2 (the
/// FMA makes x - n·ln2_hi a single rounding), degree-7 polynomial, scale by 2^n in two steps
/// (so results down to the denormals are right); +inf for x above 88.7228, 0 for x below -104,
/// NaN stays NaN.
LB_TARGET static inline lb_v lb_exp_ext_v(lb_v x, lb_v lo) {
    const lb_v hi = V_SET1(88.72283935546875f), lowest = V_SET1(-104.0f);
    lb_v xc = V_MIN(V_MAX(x, lowest), hi);
    lb_v n = V_ROUND(V_MUL(V_ADD(xc, lo), V_SET1(1.44269504088896341f)));
    lb_v r = V_FNMA(n, V_SET1(0.693359375f), xc);
    r = V_ADD(V_FNMA(n, V_SET1(-2.12194440e-4f), r), lo);
    lb_v p = V_SET1(1.979035733e-04f);
    p = V_FMA(p, r, V_SET1(1.394464984e-03f));
    p = V_FMA(p, r, V_SET1(8.333496749e-03f));
    p = V_FMA(p, r, V_SET1(4.166629538e-02f));
    p = V_FMA(p, r, V_SET1(1.666666567e-01f));
    p = V_FMA(p, r, V_SET1(0.5f));
    lb_v e = V_ADD(V_FMA(p, V_MUL(r, r), r), V_SET1(1.0f));
    lb_vi ni = V_TO_I(n);
    lb_vi n1 = VI_SRAI(ni, 1);
    lb_vi n2 = VI_SUB(ni, n1);
    lb_v s1 = VI_AS_V(VI_SLLI(VI_ADD(n1, VI_SET1(127)), 23));
    lb_v s2 = VI_AS_V(VI_SLLI(VI_ADD(n2, VI_SET1(127)), 23));
    lb_v res = V_MUL(V_MUL(e, s1), s2);
    res = V_SELECT(C_GT(x, hi), res, V_SET1(__builtin_inff()));
    res = V_SELECT(C_LT(x, lowest), res, V_ZERO());
    return V_SELECT(C_NAN(x), res, x);
}

/// e^x (see lb_exp_ext_v).
LB_TARGET static inline lb_v lb_exp_v(lb_v x) { return lb_exp_ext_v(x, V_ZERO()); }

/// tanh(x): odd polynomial x + x³P(x²) for |x| < 0.625, else ±(1 - 2/(e^{2|x|} + 1)).
LB_TARGET static inline lb_v lb_tanh_v(lb_v x) {
    lb_v ax = V_ABS(x);
    lb_v s = V_MUL(x, x);
    lb_v p = V_SET1(-5.704982672e-03f);
    p = V_FMA(p, s, V_SET1(2.063908428e-02f));
    p = V_FMA(p, s, V_SET1(-5.373971537e-02f));
    p = V_FMA(p, s, V_SET1(1.333144158e-01f));
    p = V_FMA(p, s, V_SET1(-3.333328068e-01f));
    lb_v small = V_FMA(V_MUL(ax, s), p, ax);
    lb_v e = lb_exp_v(V_ADD(ax, ax));
    lb_v large = V_SUB(V_SET1(1.0f), V_DIV(V_SET1(2.0f), V_ADD(e, V_SET1(1.0f))));
    return V_XOR(V_SELECT(C_LT(ax, V_SET1(0.625f)), large, small), V_SIGN(x));
}

/// erfc(|z|) for |z| >= 0.75 (Numerical-Recipes form, refitted): with t = 2/(2 + |z|),
/// erfc = t·exp(-z² + G(t)), G a degree-8 polynomial (relative error of the fit 1e-8).
/// z² = z2h + z2l exactly (callers form it with an FMA), so the exponent, which reaches -50
/// and beyond, carries no rounding error of z².
LB_TARGET static inline lb_v lb_erfc_large_v(lb_v az, lb_v z2h, lb_v z2l) {
    lb_v t = V_DIV(V_SET1(2.0f), V_ADD(V_SET1(2.0f), az));
    lb_v g = V_SET1(-1.727656722e-01f);
    g = V_FMA(g, t, V_SET1(4.190742671e-01f));
    g = V_FMA(g, t, V_SET1(-1.304683238e-01f));
    g = V_FMA(g, t, V_SET1(-3.176371753e-01f));
    g = V_FMA(g, t, V_SET1(4.728436098e-02f));
    g = V_FMA(g, t, V_SET1(3.614836186e-02f));
    g = V_FMA(g, t, V_SET1(3.841579258e-01f));
    g = V_FMA(g, t, V_SET1(9.990611076e-01f));
    g = V_FMA(g, t, V_SET1(-1.265472412e+00f));
    return V_MUL(t, lb_exp_ext_v(V_SUB(V_ZERO(), z2h), V_SUB(g, z2l)));
}

/// z·P(z²) ≈ erf(z) for |z| < 0.75 (degree-5 P, relative error of the fit 1.4e-9).
LB_TARGET static inline lb_v lb_erf_small_v(lb_v z) {
    lb_v s = V_MUL(z, z);
    lb_v p = V_SET1(-6.749610184e-04f);
    p = V_FMA(p, s, V_SET1(5.114360712e-03f));
    p = V_FMA(p, s, V_SET1(-2.683463320e-02f));
    p = V_FMA(p, s, V_SET1(1.128337681e-01f));
    p = V_FMA(p, s, V_SET1(-3.761262000e-01f));
    p = V_FMA(p, s, V_SET1(1.128379107e+00f));
    return V_MUL(z, p);
}

/// erf(z).
LB_TARGET static inline lb_v lb_erf_v(lb_v z) {
    lb_v az = V_ABS(z);
    lb_v z2h = V_MUL(z, z), z2l = V_FMA(z, z, V_SUB(V_ZERO(), z2h));
    lb_v large = V_XOR(V_SUB(V_SET1(1.0f), lb_erfc_large_v(az, z2h, z2l)), V_SIGN(z));
    return V_SELECT(C_LT(az, V_SET1(0.75f)), large, lb_erf_small_v(z));
}

/// GELU exact: x/2·(1 + erf(x/√2)). For x/√2 <= -0.75, 1 + erf = erfc(|z|) is computed
/// directly, and z² = x²/2 exactly, so the result keeps its relative accuracy far into the
/// negative tail.
LB_TARGET static inline lb_v lb_gelu_v(lb_v x) {
    lb_v z = V_MUL(x, V_SET1(0.70710678118654752f));
    lb_v az = V_ABS(z);
    lb_v x2h = V_MUL(x, x), x2l = V_FMA(x, x, V_SUB(V_ZERO(), x2h));
    lb_v ec = lb_erfc_large_v(az, V_MUL(V_SET1(0.5f), x2h), V_MUL(V_SET1(0.5f), x2l));
    lb_v one_plus_large = V_SELECT(C_LT(z, V_ZERO()), V_SUB(V_SET1(2.0f), ec), ec);
    lb_v one_plus_small = V_ADD(V_SET1(1.0f), lb_erf_small_v(z));
    lb_v one_plus = V_SELECT(C_LT(az, V_SET1(0.75f)), one_plus_large, one_plus_small);
    return V_MUL(V_MUL(V_SET1(0.5f), x), one_plus);
}

/// GELU tanh approximation, as x/(1 + e^{-2u}) = x/2·(1 + tanh u), u = √(2/π)(x + 0.044715x³).
LB_TARGET static inline lb_v lb_gelu_tanh_v(lb_v x) {
    lb_v x2 = V_MUL(x, x);
    lb_v u = V_MUL(V_MUL(V_SET1(0.79788456080286536f), x), V_FMA(V_SET1(0.044715f), x2, V_SET1(1.0f)));
    lb_v e = lb_exp_v(V_MUL(V_SET1(-2.0f), u));
    return V_DIV(x, V_ADD(V_SET1(1.0f), e));
}

/// SiLU: x/(1 + e^{-x}).
LB_TARGET static inline lb_v lb_silu_v(lb_v x) {
    lb_v e = lb_exp_v(V_SUB(V_ZERO(), x));
    return V_DIV(x, V_ADD(V_SET1(1.0f), e));
}
