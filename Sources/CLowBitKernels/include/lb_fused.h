// Row passes that produce a linear layer's per-token INT8 input in the same pass as the op
// before it (ZeroQuant's fused quantization): residual add + LayerNorm/RMSNorm → INT8, and
// GELU / SwiGLU → INT8. Each row is carried through the separate kernels' exact float
// operations (lb_add, lb_layernorm_rows / lb_rmsnorm_rows, lb_gelu… and lb_quant_rows_dynamic),
// one row at a time while it sits in L1, so a fused pass gives the same bits as the unfused
// sequence; what it saves is the round trips of whole [rows, n] float tensors through memory.
#ifndef CLOWBIT_LB_FUSED_H
#define CLOWBIT_LB_FUSED_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The normalization of lb_norm_quant_rows.
typedef enum { LB_NORM_NONE = 0, LB_NORM_LAYER = 1, LB_NORM_RMS = 2 } lb_norm_kind;

/// For each row r of x: [rows, n] (stride ldx):
///   s = x[r] + res[r]   (res [rows, n], stride ldres, or NULL: s = x[r]); written to sum[r]
///                        when sum is not NULL (sum may be x);
///   t = norm(s)          LB_NORM_LAYER: gamma/beta as lb_layernorm_rows; LB_NORM_RMS: gamma
///                        as the weight of lb_rmsnorm_rows (beta ignored); LB_NORM_NONE: t = s;
///                        written to y[r] when y is not NULL (y may be x or sum), else to a
///                        private row buffer;
///   t quantized per token as lb_quant_rows_dynamic with qmax into scales[r] and q[r] (stride
///   ldq) when q is not NULL (scales then [rows]).
/// Every row's sum and t are written even when some row is bad. Returns -1, or r*n + c for the
/// first non-finite element of a row to be quantized (that row's codes and scale are then
/// unspecified), or -2 if the row buffer could not be allocated.
ptrdiff_t lb_norm_quant_rows(size_t rows, size_t n, const float *x, size_t ldx, const float *res,
                             size_t ldres, float *sum, size_t ldsum, lb_norm_kind kind,
                             const float *gamma, const float *beta, float eps, float *y,
                             size_t ldy, float qmax, float *scales, int8_t *q, size_t ldq);

/// The MLP nonlinearity of lb_act_quant_rows.
typedef enum { LB_ACT_GELU = 0, LB_ACT_GELU_TANH = 1, LB_ACT_SWIGLU = 2 } lb_act_kind;

/// For each row r of x: [rows, width] (stride ldx), t = act(x[r]) of n = width (GELU forms) or
/// width/2 (SwiGLU: silu(x[r][0, n)) · x[r][n, 2n), as lb_silu_mul) elements, written to y[r]
/// (stride ldy; may be x for the GELU forms) when y is not NULL, and quantized per token as
/// lb_quant_rows_dynamic with qmax into scales[r] and q[r] (stride ldq) when q is not NULL.
/// Returns as lb_norm_quant_rows.
ptrdiff_t lb_act_quant_rows(size_t rows, size_t width, const float *x, size_t ldx, lb_act_kind act,
                            float *y, size_t ldy, float qmax, float *scales, int8_t *q, size_t ldq);

#ifdef __cplusplus
}
#endif
#endif
