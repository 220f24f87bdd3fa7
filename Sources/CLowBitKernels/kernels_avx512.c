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
#include "attention_tmpl.h"
#define PROBE_REG(x) "+v"(x)
#include "fma_probe_tmpl.h"

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
    .attention_head = k_attention_head,
};
#endif
