// Private declarations of the INT8 GEMM files (igemm_driver.c, igemm_x86.c).
#ifndef CLOWBIT_IGEMM_INTERNAL_H
#define CLOWBIT_IGEMM_INTERNAL_H
#include "internal.h"

/// An INT8 microkernel computes one tile of C: rows [0, mr), columns [0, nr).
///   pa: packed A group of `mr_full` rows: for each k quad q, mr_full × 4 unsigned bytes
///       (A + 128): pa[q·mr_full·4 + i·4 + r] = A[i, 4q + r] + 128;
///   pb: the tile's first weight panel (lb_igemm.h layout); the next starts pstride bytes later;
///   comp, w_scales, bias: at the tile's first column; a_scales: at its first row.
/// acc = Σ_q (pa · pb) − comp in wrapping int32 arithmetic, then
/// c = ((float)acc · w_scale) · a_scale (+ bias), each a separate rounding.
typedef void (*lb_igemm_ukr_fn)(size_t kq, const uint8_t *pa, const uint8_t *pb, size_t pstride,
                                const int32_t *comp, const float *a_scales, const float *w_scales,
                                const float *bias, float *c, size_t ldc, size_t mr, size_t nr);

typedef struct {
    size_t mr, nr, mc;
    lb_igemm_ukr_fn ukr;
} lb_igemm_level;

#if defined(__x86_64__)
extern const lb_igemm_level lb_igemm_vnni;
extern const lb_igemm_level lb_igemm_avx2;
#endif
#endif
