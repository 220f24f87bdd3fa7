// Private declarations of the group-wise INT8/INT4 GEMM (igemm_group.c, igemm_group_x86.c).
#ifndef CLOWBIT_IGEMM_GROUP_INTERNAL_H
#define CLOWBIT_IGEMM_GROUP_INTERNAL_H
#include "internal.h"

/// A group microkernel computes one tile of C, rows [0, mr) × columns [0, nr), over all G groups:
///   a: rows of A (row stride lda), codes in −127…127: exactly mr rows when mr is 1, 2 or 4,
///      else `level.mr` rows, those past mr zeros;
///   rs: row sums of A per group [rows, G] (row stride G);
///   pb: the tile's first weight panel (lb_igemm_group.h layout), the next pstride bytes later;
///   cz, s: the first panel's [G][16] corrections and scales (the next panel's G·16 later);
///   a_scales: at the first row; bias: at the first column or NULL.
/// It computes lb_igemm_group.h's definition exactly (int32 wrapping sums, fma per group).
typedef void (*lb_group_ukr_fn)(size_t G, size_t group, int bits, const int8_t *a, size_t lda, const int32_t *rs,
                                const uint8_t *pb, size_t pstride, const int32_t *cz, const float *s,
                                const float *a_scales, const float *bias, float *c, size_t ldc, size_t mr,
                                size_t nr);

typedef struct {
    size_t mr, nr;
    lb_group_ukr_fn ukr;
} lb_group_level;

#if defined(__x86_64__)
extern const lb_group_level lb_group_vnni;
extern const lb_group_level lb_group_avx2_int4; ///< 4-bit weights only
#endif

/// A float-activation group microkernel (lb_wgemm_group): like lb_group_ukr_fn with x: float
/// rows (row stride ldx; mr rows when mr is 1, 2 or 4, else `level.mr`, zeros past mr), no row sums.
typedef void (*lb_wgroup_ukr_fn)(size_t G, size_t group, int bits, const float *x, size_t ldx, const uint8_t *pb,
                                 size_t pstride, const int32_t *cz, const float *s, const float *bias, float *c,
                                 size_t ldc, size_t mr, size_t nr);

typedef struct {
    size_t mr, nr;
    lb_wgroup_ukr_fn ukr;
} lb_wgroup_level;

#if defined(__x86_64__)
extern const lb_wgroup_level lb_wgroup_avx512;
extern const lb_wgroup_level lb_wgroup_avx2;
#endif
#endif
