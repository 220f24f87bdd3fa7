// AVX2 + FMA level: GEMM microkernel 6×16 (12 ymm accumulators), vector math, row ops.
// All code here is compiled for AVX2 through per-function target attributes and runs
// only when lb_isa_best() says the CPU has AVX2 and FMA.
#if defined(__x86_64__)
#include "internal.h"
#include "simd_avx2.h"

#define UKR_MR 6
#define UKR_NV 2
#include "sgemm_ukr_tmpl.h"
#include "vmath_tmpl.h"
#include "rowops_tmpl.h"

/// 10 independent chains of ymm FMAs (latency 4–5 cycles × 2 pipes needs >= 8–10 chains).
LB_TARGET static uint64_t k_fma_probe(uint64_t iters) {
    lb_v a0 = V_SET1(1.0f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0;
    const lb_v m = V_SET1(0.99999994f), c = V_SET1(1e-7f);
    for (uint64_t i = 0; i < iters; ++i) {
        a0 = V_FMA(a0, m, c); a1 = V_FMA(a1, m, c); a2 = V_FMA(a2, m, c); a3 = V_FMA(a3, m, c);
        a4 = V_FMA(a4, m, c); a5 = V_FMA(a5, m, c); a6 = V_FMA(a6, m, c); a7 = V_FMA(a7, m, c);
        a8 = V_FMA(a8, m, c); a9 = V_FMA(a9, m, c);
        __asm__ volatile("" : "+x"(a0), "+x"(a1), "+x"(a2), "+x"(a3), "+x"(a4), "+x"(a5), "+x"(a6),
                         "+x"(a7), "+x"(a8), "+x"(a9));
    }
    lb_v s = V_ADD(V_ADD(V_ADD(a0, a1), V_ADD(a2, a3)), V_ADD(V_ADD(a4, a5), V_ADD(V_ADD(a6, a7), V_ADD(a8, a9))));
    volatile float sink = lb_hsum(s);
    (void)sink;
    return iters * 10u * LB_VL * 2u;
}

const lb_kernel_table lb_table_avx2 = {
    .isa = LB_ISA_AVX2,
    .mr = 6, .nr = 16, .mc = 144, .nc = 768, .a_outer = 0,
    .ukr = k_ukr,
    .softmax_rows = k_softmax_rows,
    .layernorm_rows = k_layernorm_rows,
    .rmsnorm_rows = k_rmsnorm_rows,
    .gelu = k_gelu, .gelu_tanh = k_gelu_tanh, .silu = k_silu, .silu_mul = k_silu_mul, .add = k_add,
    .vexp = k_vexp, .verf = k_verf, .vtanh = k_vtanh,
    .fma_probe = k_fma_probe,
};
#endif
