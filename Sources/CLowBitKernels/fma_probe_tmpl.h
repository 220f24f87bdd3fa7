// FMA peak probe written once over the vector vocabulary (simd_avx2.h / simd_avx512.h).
// Before including, define PROBE_REG: the asm constraint naming the level's vector registers
// ("+x" for ymm, "+v" for zmm). Defines `k_fma_probe`, the table's fma_probe entry.

/// 10 independent chains of FMAs on the widest registers (latency 4–5 cycles × 2 pipes needs
/// >= 8–10 chains). Returns the flops executed.
LB_TARGET static uint64_t k_fma_probe(uint64_t iters) {
    lb_v a0 = V_SET1(1.0f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0;
    const lb_v m = V_SET1(0.99999994f), c = V_SET1(1e-7f);
    for (uint64_t i = 0; i < iters; ++i) {
        a0 = V_FMA(a0, m, c); a1 = V_FMA(a1, m, c); a2 = V_FMA(a2, m, c); a3 = V_FMA(a3, m, c);
        a4 = V_FMA(a4, m, c); a5 = V_FMA(a5, m, c); a6 = V_FMA(a6, m, c); a7 = V_FMA(a7, m, c);
        a8 = V_FMA(a8, m, c); a9 = V_FMA(a9, m, c);
        __asm__ volatile("" : PROBE_REG(a0), PROBE_REG(a1), PROBE_REG(a2), PROBE_REG(a3), PROBE_REG(a4),
                         PROBE_REG(a5), PROBE_REG(a6), PROBE_REG(a7), PROBE_REG(a8), PROBE_REG(a9));
    }
    lb_v s = V_ADD(V_ADD(V_ADD(a0, a1), V_ADD(a2, a3)), V_ADD(V_ADD(a4, a5), V_ADD(V_ADD(a6, a7), V_ADD(a8, a9))));
    volatile float sink = lb_hsum(s);
    (void)sink;
    return iters * 10u * LB_VL * 2u;
}
