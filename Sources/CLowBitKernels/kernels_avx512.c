// AVX-512F level: GEMM microkernel 6×32 (12 zmm accumulators, two 16-wide panels), vector math,
// row ops. On the Zen 4 CI machine 6×32 runs at ~93% of the FMA peak; 14×32 (28 accumulators)
// ran at ~43%.
// All code here is compiled for AVX-512F through per-function target attributes and runs
// only when lb_isa_best() says the CPU has AVX-512F/BW/VL.
#if defined(__x86_64__)
#include "internal.h"
#include "simd_avx512.h"

#define UKR_MR 6
#define UKR_NV 2
#include "sgemm_ukr_tmpl.h"
#include "vmath_tmpl.h"
#include "rowops_tmpl.h"

/// 10 independent chains of zmm FMAs (latency 4–5 cycles × 2 pipes needs >= 8–10 chains).
LB_TARGET static uint64_t k_fma_probe(uint64_t iters) {
    lb_v a0 = V_SET1(1.0f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0;
    const lb_v m = V_SET1(0.99999994f), c = V_SET1(1e-7f);
    for (uint64_t i = 0; i < iters; ++i) {
        a0 = V_FMA(a0, m, c); a1 = V_FMA(a1, m, c); a2 = V_FMA(a2, m, c); a3 = V_FMA(a3, m, c);
        a4 = V_FMA(a4, m, c); a5 = V_FMA(a5, m, c); a6 = V_FMA(a6, m, c); a7 = V_FMA(a7, m, c);
        a8 = V_FMA(a8, m, c); a9 = V_FMA(a9, m, c);
        __asm__ volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5), "+v"(a6),
                         "+v"(a7), "+v"(a8), "+v"(a9));
    }
    lb_v s = V_ADD(V_ADD(V_ADD(a0, a1), V_ADD(a2, a3)), V_ADD(V_ADD(a4, a5), V_ADD(V_ADD(a6, a7), V_ADD(a8, a9))));
    volatile float sink = lb_hsum(s);
    (void)sink;
    return iters * 10u * LB_VL * 2u;
}

const lb_kernel_table lb_table_avx512 = {
    .isa = LB_ISA_AVX512,
    .mr = 6, .nr = 32, .mc = 144, .nc = 384, .a_outer = 1,
    .ukr = k_ukr,
    .softmax_rows = k_softmax_rows,
    .layernorm_rows = k_layernorm_rows,
    .rmsnorm_rows = k_rmsnorm_rows,
    .gelu = k_gelu, .gelu_tanh = k_gelu_tanh, .silu = k_silu, .silu_mul = k_silu_mul, .add = k_add,
    .vexp = k_vexp, .verf = k_verf, .vtanh = k_vtanh,
    .fma_probe = k_fma_probe,
};
#endif
