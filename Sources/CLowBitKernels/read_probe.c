// Memory read-bandwidth probe for lowbit-bench (declared in lb_pool.h's benchmark section).
// Streams `bytes` with the widest loads the CPU has and folds them with XOR, so the loop is
// bound by loads alone; the result only keeps the compiler from dropping the reads.
#include <string.h>
#include "CLowBitKernels.h"
#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx2"))) static uint64_t read_avx2(const uint8_t *p, size_t bytes) {
    __m256i a = _mm256_setzero_si256(), b = a, c = a, d = a;
    size_t i = 0;
    for (; i + 128 <= bytes; i += 128) {
        a = _mm256_xor_si256(a, _mm256_loadu_si256((const __m256i *)(p + i)));
        b = _mm256_xor_si256(b, _mm256_loadu_si256((const __m256i *)(p + i + 32)));
        c = _mm256_xor_si256(c, _mm256_loadu_si256((const __m256i *)(p + i + 64)));
        d = _mm256_xor_si256(d, _mm256_loadu_si256((const __m256i *)(p + i + 96)));
    }
    a = _mm256_xor_si256(_mm256_xor_si256(a, b), _mm256_xor_si256(c, d));
    uint64_t out[4];
    _mm256_storeu_si256((__m256i *)out, a);
    return out[0] ^ out[1] ^ out[2] ^ out[3];
}
#endif

uint64_t lb_read_probe(const uint8_t *p, size_t bytes) {
#if defined(__x86_64__)
    if (lb_cpu_features() & 1u) return read_avx2(p, bytes);
#endif
    uint64_t acc = 0;
    for (size_t i = 0; i + 8 <= bytes; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        acc ^= w;
    }
    return acc;
}
