// Public entry points of the row and element-wise kernels: forward to the calling
// thread's instruction-set level (cpu_features.c).
#include "internal.h"

void lb_softmax_rows(size_t rows, size_t n, const float *x, size_t ldx, float *y, size_t ldy,
                     float scale, const float *mask, size_t mask_ld, ptrdiff_t causal_valid0) {
    lb_current_table()->softmax_rows(rows, n, x, ldx, y, ldy, scale, mask, mask_ld, causal_valid0);
}
void lb_layernorm_rows(size_t rows, size_t n, const float *x, size_t ldx, float *y, size_t ldy,
                       const float *gamma, const float *beta, float eps) {
    lb_current_table()->layernorm_rows(rows, n, x, ldx, y, ldy, gamma, beta, eps);
}
void lb_rmsnorm_rows(size_t rows, size_t n, const float *x, size_t ldx, float *y, size_t ldy,
                     const float *weight, float eps) {
    lb_current_table()->rmsnorm_rows(rows, n, x, ldx, y, ldy, weight, eps);
}
void lb_gelu(size_t n, const float *x, float *y) { lb_current_table()->gelu(n, x, y); }
void lb_gelu_tanh(size_t n, const float *x, float *y) { lb_current_table()->gelu_tanh(n, x, y); }
void lb_silu(size_t n, const float *x, float *y) { lb_current_table()->silu(n, x, y); }
void lb_silu_mul(size_t n, const float *g, const float *u, float *y) { lb_current_table()->silu_mul(n, g, u, y); }
void lb_add(size_t n, const float *a, const float *b, float *y) { lb_current_table()->add(n, a, b, y); }
void lb_vexp(size_t n, const float *x, float *y) { lb_current_table()->vexp(n, x, y); }
void lb_verf(size_t n, const float *x, float *y) { lb_current_table()->verf(n, x, y); }
void lb_vtanh(size_t n, const float *x, float *y) { lb_current_table()->vtanh(n, x, y); }

uint64_t lb_fma_peak_probe(int isa, uint64_t iters) {
    int before = lb_set_thread_isa(isa);
    uint64_t flops = lb_current_table()->fma_probe(iters);
    lb_set_thread_isa(before);
    return flops;
}

void lb_attention_head(size_t nq, size_t nk, size_t d, const float *q, size_t ldq, const float *k,
                       const float *v, size_t ldkv, float *out, size_t ldo, float scale,
                       ptrdiff_t causal_valid0, float *scratch) {
    lb_current_table()->attention_head(nq, nk, d, q, ldq, k, v, ldkv, out, ldo, scale, causal_valid0, scratch);
}
size_t lb_attention_scratch_floats(size_t nk, size_t d) { return (d + 4) * lb_attention_padded_keys(nk); }
