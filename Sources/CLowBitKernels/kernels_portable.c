// Portable level: plain C that runs on any CPU. The GEMM microkernel follows the exact
// operation order of the SIMD levels (fmaf chains per K block), so it gives the same bits;
// the row operations use plain loops with double accumulators and libm (activations are
// evaluated in double, then rounded).
#include <math.h>
#include "internal.h"

enum { P_MR = 4 };

/// 4×16 tile with fmaf accumulation (see lb_ukr_fn).
static void p_ukr(size_t kc, const float *pa, const float *pb, size_t pstride, float *c,
                  size_t ldc, size_t mr, size_t nr, const float *bias, int flags, float alpha) {
    (void)pstride;
    float acc[P_MR][16] = {{0}};
    for (size_t k = 0; k < kc; ++k)
        for (size_t i = 0; i < mr; ++i) {
            const float a = pa[k * P_MR + i];
            for (size_t j = 0; j < 16; ++j) acc[i][j] = fmaf(a, pb[k * 16 + j], acc[i][j]);
        }
    for (size_t i = 0; i < mr; ++i)
        for (size_t j = 0; j < nr; ++j) {
            float base = (flags & LB_UKR_FIRST) ? (bias ? bias[j] : 0.0f) : c[i * ldc + j];
            float r = base + acc[i][j];
            if ((flags & LB_UKR_LAST) && alpha != 1.0f) r *= alpha;
            c[i * ldc + j] = r;
        }
}

static void p_softmax_rows(size_t rows, size_t n, const float *x, size_t ldx, float *y, size_t ldy,
                           float scale, const float *mask, size_t mask_ld, ptrdiff_t causal_valid0) {
    for (size_t r = 0; r < rows; ++r) {
        const float *xr = x + r * ldx, *mr = mask ? mask + r * mask_ld : NULL;
        float *yr = y + r * ldy;
        size_t valid = n;
        if (causal_valid0 >= 0) {
            ptrdiff_t v = causal_valid0 + (ptrdiff_t)r;
            valid = v < 0 ? 0 : ((size_t)v < n ? (size_t)v : n);
        }
        float m = -INFINITY;
        for (size_t j = 0; j < valid; ++j) {
            float v = xr[j] * scale;
            if (mr) v += mr[j];
            yr[j] = v;
            if (v > m) m = v;
        }
        if (valid == 0 || m == -INFINITY) {
            for (size_t j = 0; j < n; ++j) yr[j] = 0.0f;
            continue;
        }
        double s = 0.0;
        for (size_t j = 0; j < valid; ++j) { yr[j] = expf(yr[j] - m); s += yr[j]; }
        const float inv = (float)(1.0 / s);
        for (size_t j = 0; j < valid; ++j) yr[j] *= inv;
        for (size_t j = valid; j < n; ++j) yr[j] = 0.0f;
    }
}

static void p_layernorm_rows(size_t rows, size_t n, const float *x, size_t ldx, float *y, size_t ldy,
                             const float *gamma, const float *beta, float eps) {
    for (size_t r = 0; r < rows; ++r) {
        const float *xr = x + r * ldx;
        float *yr = y + r * ldy;
        double s = 0.0, q = 0.0;
        for (size_t j = 0; j < n; ++j) s += xr[j];
        const float mean = n ? (float)(s / (double)n) : 0.0f;
        for (size_t j = 0; j < n; ++j) q += ((double)xr[j] - mean) * ((double)xr[j] - mean);
        const float rs = (float)(1.0 / sqrt((n ? q / (double)n : 0.0) + eps));
        for (size_t j = 0; j < n; ++j) {
            float v = (xr[j] - mean) * rs;
            if (gamma) v *= gamma[j];
            if (beta) v += beta[j];
            yr[j] = v;
        }
    }
}

static void p_rmsnorm_rows(size_t rows, size_t n, const float *x, size_t ldx, float *y, size_t ldy,
                           const float *w, float eps) {
    for (size_t r = 0; r < rows; ++r) {
        const float *xr = x + r * ldx;
        float *yr = y + r * ldy;
        double q = 0.0;
        for (size_t j = 0; j < n; ++j) q += (double)xr[j] * xr[j];
        const float rs = (float)(1.0 / sqrt((n ? q / (double)n : 0.0) + eps));
        for (size_t j = 0; j < n; ++j) yr[j] = w ? (xr[j] * rs) * w[j] : xr[j] * rs;
    }
}

static void p_gelu(size_t n, const float *x, float *y) {
    for (size_t i = 0; i < n; ++i) y[i] = (float)(0.5 * x[i] * erfc(-x[i] * 0.70710678118654752));
}
static void p_gelu_tanh(size_t n, const float *x, float *y) {
    for (size_t i = 0; i < n; ++i) {
        double v = x[i], u = 0.79788456080286536 * (v + 0.044715 * v * v * v);
        y[i] = (float)(v / (1.0 + exp(-2.0 * u)));
    }
}
static void p_silu(size_t n, const float *x, float *y) {
    for (size_t i = 0; i < n; ++i) y[i] = (float)(x[i] / (1.0 + exp(-(double)x[i])));
}
static void p_silu_mul(size_t n, const float *g, const float *u, float *y) {
    for (size_t i = 0; i < n; ++i) y[i] = (float)(g[i] / (1.0 + exp(-(double)g[i]))) * u[i];
}
static void p_add(size_t n, const float *a, const float *b, float *y) {
    for (size_t i = 0; i < n; ++i) y[i] = a[i] + b[i];
}
static void p_vexp(size_t n, const float *x, float *y) { for (size_t i = 0; i < n; ++i) y[i] = expf(x[i]); }
static void p_verf(size_t n, const float *x, float *y) { for (size_t i = 0; i < n; ++i) y[i] = erff(x[i]); }
static void p_vtanh(size_t n, const float *x, float *y) { for (size_t i = 0; i < n; ++i) y[i] = tanhf(x[i]); }

/// 10 independent scalar fmaf chains (fmaf is one instruction where the target has FMA).
static uint64_t p_fma_probe(uint64_t iters) {
    float a[10];
    for (int j = 0; j < 10; ++j) a[j] = 1.0f;
    for (uint64_t i = 0; i < iters; ++i) {
        for (int j = 0; j < 10; ++j) a[j] = fmaf(a[j], 0.99999994f, 1e-7f);
        __asm__ volatile("" : : "r"(a) : "memory");
    }
    volatile float sink = a[0] + a[9];
    (void)sink;
    return iters * 10u * 2u;
}

/// Plain loops: score = Σ_t q·k (t ascending), softmax (p_softmax_rows), out = Σ_j p·v (j ascending).
static void p_attention_head(size_t nq, size_t nk, size_t d, const float *q, size_t ldq, const float *k,
                             const float *v, size_t ldkv, float *out, size_t ldo, float scale,
                             ptrdiff_t causal_valid0, float *scratch) {
    float *s = scratch;
    for (size_t i = 0; i < nq; ++i) {
        for (size_t j = 0; j < nk; ++j) {
            float acc = 0.0f;
            for (size_t t = 0; t < d; ++t) acc += q[i * ldq + t] * k[j * ldkv + t];
            s[j] = acc;
        }
        const ptrdiff_t valid0 = causal_valid0 >= 0 ? causal_valid0 + (ptrdiff_t)i : -1;
        p_softmax_rows(1, nk, s, nk, s, nk, scale, NULL, 0, valid0);
        for (size_t c = 0; c < d; ++c) {
            float acc = 0.0f;
            for (size_t j = 0; j < nk; ++j) acc += s[j] * v[j * ldkv + c];
            out[i * ldo + c] = acc;
        }
    }
}

const lb_kernel_table lb_table_portable = {
    .isa = LB_ISA_PORTABLE,
    .mr = P_MR, .nr = 16, .mc = 128, .nc = 512, .a_outer = 0,
    .ukr = p_ukr,
    .softmax_rows = p_softmax_rows,
    .layernorm_rows = p_layernorm_rows,
    .rmsnorm_rows = p_rmsnorm_rows,
    .gelu = p_gelu, .gelu_tanh = p_gelu_tanh, .silu = p_silu, .silu_mul = p_silu_mul, .add = p_add,
    .vexp = p_vexp, .verf = p_verf, .vtanh = p_vtanh,
    .fma_probe = p_fma_probe,
    .attention_head = p_attention_head,
};
