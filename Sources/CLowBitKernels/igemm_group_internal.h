// Private declarations of the group-wise INT8/INT4 GEMM (igemm_group.c, igemm_group_x86.c).
#ifndef CLOWBIT_IGEMM_GROUP_INTERNAL_H
#define CLOWBIT_IGEMM_GROUP_INTERNAL_H
#include "internal.h"
#include "lb_igemm_group.h"

/// The code width (4 or 8) of a `bits` argument, and whether it has LB_GROUP_MINS.
static inline int lb_group_width(int bits) { return bits & ~LB_GROUP_MINS; }
static inline int lb_group_has_mins(int bits) { return (bits & LB_GROUP_MINS) != 0; }

/// The parameter arrays of a packed weight (lb_igemm_group.h layout), each [P][G][16]; mn is
/// NULL without minimums.
typedef struct {
    const int32_t *cz;
    const float *s, *mn;
} lb_group_params;

static inline lb_group_params lb_group_params_of(const uint8_t *packed, size_t N, size_t K, size_t group, int bits) {
    const size_t P = (N + 15) / 16, G = K / group, wbytes = P * 16 * K * (size_t)lb_group_width(bits) / 8;
    lb_group_params r;
    r.cz = (const int32_t *)(packed + wbytes);
    r.s = (const float *)(packed + wbytes + P * G * 16 * 4);
    r.mn = lb_group_has_mins(bits) ? (const float *)(packed + wbytes + 2 * P * G * 16 * 4) : NULL;
    return r;
}

/// A group microkernel computes one tile of C, rows [0, mr) × columns [0, nr), over all G groups:
///   a: rows of A (row stride lda), codes in −127…127: exactly mr rows when mr is 1, 2 or 4,
///      else `level.mr` rows, those past mr zeros;
///   rs: row sums of A per group [rows, G] (row stride G);
///   pb: the tile's first weight panel (lb_igemm_group.h layout), the next pstride bytes later;
///   cz, s, mn: the first panel's [G][16] corrections, scales and minimums (the next panel's
///     G·16 later); mn NULL: no minimums;
///   a_scales: at the first row; bias: at the first column or NULL.
/// bits is the code width (4 or 8). It computes lb_igemm_group.h's definition exactly (int32
/// wrapping sums, fma per group).
typedef void (*lb_group_ukr_fn)(size_t G, size_t group, int bits, const int8_t *a, size_t lda, const int32_t *rs,
                                const uint8_t *pb, size_t pstride, const int32_t *cz, const float *s,
                                const float *mn, const float *a_scales, const float *bias, float *c, size_t ldc,
                                size_t mr, size_t nr);

typedef struct {
    size_t mr, nr;
    lb_group_ukr_fn ukr;
} lb_group_level;

#if defined(__x86_64__)
extern const lb_group_level lb_group_vnni;
extern const lb_group_level lb_group_avx2_int4; ///< 4-bit weights only
#endif

/// A float-activation group microkernel (lb_wgemm_group): like lb_group_ukr_fn with x: float
/// rows (row stride ldx; mr rows when mr is 1, 2 or 4, else `level.mr`, zeros past mr) and, with
/// minimums (mn not NULL), xs: the rows' float sums per group [rows, G] (row stride G, zeros
/// past mr), else NULL.
typedef void (*lb_wgroup_ukr_fn)(size_t G, size_t group, int bits, const float *x, size_t ldx, const float *xs,
                                 const uint8_t *pb, size_t pstride, const int32_t *cz, const float *s,
                                 const float *mn, const float *bias, float *c, size_t ldc, size_t mr, size_t nr);

typedef struct {
    size_t mr, nr;
    lb_wgroup_ukr_fn ukr;
} lb_wgroup_level;

#if defined(__x86_64__)
extern const lb_wgroup_level lb_wgroup_avx512;
extern const lb_wgroup_level lb_wgroup_avx2;
#endif
#endif
