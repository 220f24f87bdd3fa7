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
#include "attention_tmpl.h"
#define PROBE_REG(x) "+x"(x)
#include "fma_probe_tmpl.h"

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
    .attention_head = k_attention_head,
};
#endif
