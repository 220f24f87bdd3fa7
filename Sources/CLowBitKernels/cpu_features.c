// CPU feature detection and the choice of instruction-set level for each call.
#include "internal.h"

uint32_t lb_cpu_features(void) {
    uint32_t f = 0;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) f |= 1u;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")) f |= 2u;
    if (__builtin_cpu_supports("avx512vnni")) f |= 4u;
#endif
    return f;
}

int lb_isa_best(void) {
    static int best = -1; // benign race: every thread computes the same value
    int b = __atomic_load_n(&best, __ATOMIC_RELAXED);
    if (b < 0) {
        uint32_t f = lb_cpu_features();
        // AVX-512 kernels also use FMA/AVX2 instructions; require both bits.
        b = (f & 2u) && (f & 1u) ? LB_ISA_AVX512 : (f & 1u) ? LB_ISA_AVX2 : LB_ISA_PORTABLE;
#if !defined(__x86_64__)
        b = LB_ISA_PORTABLE;
#endif
        __atomic_store_n(&best, b, __ATOMIC_RELAXED);
    }
    return b;
}

static _Thread_local int tl_isa = -1;

int lb_isa_current(void) {
    int best = lb_isa_best();
    return tl_isa >= 0 && tl_isa < best ? tl_isa : best;
}

int lb_set_thread_isa(int isa) {
    int before = lb_isa_current();
    tl_isa = isa < 0 ? -1 : isa;
    return before;
}

const char *lb_isa_name(int isa) {
    switch (isa) {
    case LB_ISA_AVX512: return "avx512";
    case LB_ISA_AVX2: return "avx2";
    default: return "portable";
    }
}

const lb_kernel_table *lb_current_table(void) {
    switch (lb_isa_current()) {
#if defined(__x86_64__)
    case LB_ISA_AVX512: return &lb_table_avx512;
    case LB_ISA_AVX2: return &lb_table_avx2;
#endif
    default: return &lb_table_portable;
    }
}
