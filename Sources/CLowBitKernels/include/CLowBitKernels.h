#ifndef CLOWBIT_KERNELS_H
#define CLOWBIT_KERNELS_H
#include <stddef.h>
#include <stdint.h>

/// Returns a bit set describing the CPU features the kernels dispatch on
/// (bit 0: AVX2+FMA, bit 1: AVX-512F/BW/VL, bit 2: AVX-512 VNNI).
uint32_t lb_cpu_features(void);

#endif
