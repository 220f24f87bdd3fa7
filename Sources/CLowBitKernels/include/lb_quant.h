// Group-wise affine quantization kernels (LowBitQuant's fast path).
//
// A matrix x: [rows, cols] is cut into groups of group_rows × group_cols elements; group
// (gr, gc) has a scale s, an integer zero point z (held as a float) and a float minimum m
// (the affine mapping's; 0 for the others). Every element goes through exactly these float
// operations, at every instruction-set level:
//
//   t = (s == 0) ? 0 : rne((x - m) / s)    rne: round to nearest, ties to even
//   q = min(max(t + z, lo), hi)            the stored code, in [lo, hi]
//   y = (q - z) * s + m                    the dequantized ("fake-quant") value
//
// (m = 0 changes no bit: x - 0 = x, and (q - z) * s is never -0.)
// so the levels agree with each other and with the Swift reference (QuantReference) bit for
// bit. The codes' meaning (lo, hi, zero-point shift) is defined by LowBitQuant's `Mapping`.
// Kernels run on the calling thread at its instruction-set level (lb_isa_current). Sizes are
// validated by the Swift layer; group sizes that are 0 or do not divide cols make a call do nothing.
#ifndef CLOWBIT_LB_QUANT_H
#define CLOWBIT_LB_QUANT_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Min and max of each run of `group_cols` consecutive columns in each row.
///   x: [rows, cols] (row stride ldx); cols must be a multiple of group_cols (>= 1);
///   gmin, gmax: [rows, cols / group_cols] (contiguous).
/// Returns -1, or r*cols + c for the first (row-major) NaN or ±Inf element x[r, c] — the
/// outputs are then unspecified.
ptrdiff_t lb_quant_minmax_rows(size_t rows, size_t cols, const float *x, size_t ldx,
                               size_t group_cols, float *gmin, float *gmax);

/// Quantizes rows [row0, row0 + rows) of a matrix with given group parameters.
///   x: those rows, [rows, cols] (row stride ldx);
///   scale, zero, minimum: [rowGroups, cols / group_cols] (contiguous, for the whole matrix);
///     element (r, c) uses group ((row0 + r) / group_rows, c / group_cols); zero or minimum
///     NULL means all 0;
///   lo, hi: the code range (integers held as floats);
///   q: codes [rows, cols] as int8 (row stride ldq) or NULL;
///   y: dequantized values [rows, cols] (row stride ldy) or NULL; y may be x when ldy == ldx.
/// Returns -1, or r*cols + c for the first NaN or ±Inf element — outputs are then unspecified.
ptrdiff_t lb_quant_apply_rows(size_t rows, size_t cols, const float *x, size_t ldx, size_t row0,
                              size_t group_rows, size_t group_cols, const float *scale,
                              const float *zero, const float *minimum, float lo, float hi, int8_t *q,
                              size_t ldq, float *y, size_t ldy);

/// Dynamic symmetric per-row ("per-token") quantization of x: [rows, cols] (row stride ldx):
///   scales[r] = max(|min x[r]|, |max x[r]|) / qmax, then lb_quant_apply_rows with zero and minimum 0 and
///   [lo, hi] = [-qmax, qmax] (qmax = 2^(bits-1) - 1, e.g. 127 or 7).
///   scales: [rows]; q (ldq) and y (ldy) as in lb_quant_apply_rows, each may be NULL.
/// Returns -1, or r*cols + c for the first NaN or ±Inf element.
ptrdiff_t lb_quant_rows_dynamic(size_t rows, size_t cols, const float *x, size_t ldx, float qmax,
                                float *scales, int8_t *q, size_t ldq, float *y, size_t ldy);

#ifdef __cplusplus
}
#endif
#endif
