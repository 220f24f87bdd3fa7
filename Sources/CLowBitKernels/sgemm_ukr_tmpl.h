// GEMM microkernel written once over the vector vocabulary (simd_avx2.h / simd_avx512.h).
// Before including, define:
//   UKR_MR  rows of the full tile (also the row stride of packed A groups)
//   UKR_NV  vectors per tile row (tile width UKR_NV·LB_VL columns, spanning whole panels
//           or part of one 16-wide panel)
// Defines `k_ukr`, an lb_ukr_fn (see internal.h for its contract).
//
// Tile: UKR_MR × UKR_NV accumulators. Per k: UKR_NV vector loads of packed B, UKR_MR scalar
// broadcasts of packed A, UKR_MR·UKR_NV FMAs. The row count `mr` and the half-width tail
// (tiles of at most 16 columns when the full width spans two panels) are compile-time
// constants inside each specialization, so accumulators live in registers.

#if UKR_MR != 6 && UKR_MR != 14
#error "k_ukr instantiates row counts 1...6 or 1...14 only"
#endif
#define UKR_W (UKR_NV * LB_VL)

LB_TARGET static inline __attribute__((always_inline)) void
ukr_body(const int MRV, const int NVV, size_t kc, const float *restrict pa,
         const float *restrict pb, size_t pstride, float *restrict c, size_t ldc, size_t nr,
         const float *restrict bias, int flags, float alpha) {
    lb_v acc[UKR_MR][UKR_NV];
    const float *bp[UKR_NV];
    for (int v = 0; v < NVV; ++v) bp[v] = pb + ((size_t)(v * LB_VL) / 16) * pstride + (v * LB_VL) % 16;
    for (int i = 0; i < MRV; ++i)
        for (int v = 0; v < NVV; ++v) acc[i][v] = V_ZERO();
#pragma clang loop unroll_count(4)
    for (size_t k = 0; k < kc; ++k) {
        lb_v b[UKR_NV];
        for (int v = 0; v < NVV; ++v) b[v] = V_LOAD(bp[v] + k * 16);
        const float *ak = pa + k * UKR_MR;
        for (int i = 0; i < MRV; ++i) {
            lb_v a = V_BCAST(ak + i);
            for (int v = 0; v < NVV; ++v) acc[i][v] = V_FMA(a, b[v], acc[i][v]);
        }
    }
    const int scale = (flags & LB_UKR_LAST) && alpha != 1.0f;
    const lb_v va = V_SET1(alpha);
    if (nr == (size_t)(NVV * LB_VL)) {
        for (int i = 0; i < MRV; ++i) {
            float *ci = c + (size_t)i * ldc;
            for (int v = 0; v < NVV; ++v) {
                lb_v base = (flags & LB_UKR_FIRST) ? (bias ? V_LOAD(bias + v * LB_VL) : V_ZERO())
                                                   : V_LOAD(ci + v * LB_VL);
                lb_v r = V_ADD(base, acc[i][v]);
                if (scale) r = V_MUL(r, va);
                V_STORE(ci + v * LB_VL, r);
            }
        }
        return;
    }
    // Partial tile: columns [0, nr) only, through masked loads and stores.
    for (int v = 0; v < NVV; ++v) {
        size_t c0 = (size_t)v * LB_VL;
        if (c0 >= nr) break;
        int cnt = nr - c0 >= LB_VL ? LB_VL : (int)(nr - c0);
        lb_tail t = T_FIRST(cnt);
        lb_v vb = bias ? V_LOADT(bias + c0, t) : V_ZERO();
        for (int i = 0; i < MRV; ++i) {
            float *ci = c + (size_t)i * ldc + c0;
            lb_v base = (flags & LB_UKR_FIRST) ? vb : V_LOADT(ci, t);
            lb_v r = V_ADD(base, acc[i][v]);
            if (scale) r = V_MUL(r, va);
            V_STORET(ci, t, r);
        }
    }
}

#define UKR_CASE(M)                                                                        \
    case M:                                                                                \
        if (half) ukr_body(M, UKR_NV_HALF, kc, pa, pb, pstride, c, ldc, nr, bias, flags, alpha); \
        else ukr_body(M, UKR_NV, kc, pa, pb, pstride, c, ldc, nr, bias, flags, alpha);     \
        break;

// Tiles of at most 16 columns use only the first panel when the full width spans two.
#define UKR_NV_HALF (UKR_W > 16 ? 16 / LB_VL : UKR_NV)

LB_TARGET static void k_ukr(size_t kc, const float *pa, const float *pb, size_t pstride, float *c,
                            size_t ldc, size_t mr, size_t nr, const float *bias, int flags,
                            float alpha) {
    const int half = UKR_W > 16 && nr <= 16;
    switch (mr) {
        UKR_CASE(1) UKR_CASE(2) UKR_CASE(3) UKR_CASE(4) UKR_CASE(5) UKR_CASE(6)
#if UKR_MR > 6
        UKR_CASE(7) UKR_CASE(8) UKR_CASE(9) UKR_CASE(10) UKR_CASE(11) UKR_CASE(12)
        UKR_CASE(13) UKR_CASE(14)
#endif
    default: break;
    }
}
