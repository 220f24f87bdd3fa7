#include "CLowBitKernels.h"

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
