// Private declarations shared by the kernel files (not part of the module's public header).
#ifndef CLOWBIT_INTERNAL_H
#define CLOWBIT_INTERNAL_H
#include "CLowBitKernels.h"

/// Flags passed to a GEMM microkernel for the current K block.
enum {
    LB_UKR_FIRST = 1, ///< first K block: C = (bias or 0) + acc, else C = C + acc
    LB_UKR_LAST = 2,  ///< last K block: multiply the stored result by alpha (if alpha != 1)
};

/// A GEMM microkernel computes one tile of C: rows [0, mr), columns [0, nr).
///   pa: packed A micro-panel, kc groups of `mrs` floats (row i of group k at pa[k*mrs + i]);
///   pb: first packed B panel of the tile at the current k offset (16 floats per k);
///       the next panel starts pstride floats later;
///   c: tile origin in C (row stride ldc); bias: bias + tile column or NULL.
/// Per element it computes acc = fma(a_k, b_k, acc) for k = 0..kc-1 from acc = 0, then
/// stores base + acc (base = bias/0 on the first K block, C otherwise), times alpha on the
/// last block. Every level follows exactly this order, so results match bit for bit.
typedef void (*lb_ukr_fn)(size_t kc, const float *pa, const float *pb, size_t pstride,
                          float *c, size_t ldc, size_t mr, size_t nr, const float *bias,
                          int flags, float alpha);

/// Everything one instruction-set level provides.
typedef struct lb_kernel_table {
    int isa;
    // GEMM: microkernel shape and cache blocking (KC is LB_SGEMM_KC for all levels).
    size_t mr, nr, mc, nc;
    int a_outer; ///< 1: loop micro-rows outside micro-columns (A micro-panel stays in L1)
    lb_ukr_fn ukr;
    void (*softmax_rows)(size_t, size_t, const float *, size_t, float *, size_t, float,
                         const float *, size_t, ptrdiff_t);
    void (*layernorm_rows)(size_t, size_t, const float *, size_t, float *, size_t,
                           const float *, const float *, float);
    void (*rmsnorm_rows)(size_t, size_t, const float *, size_t, float *, size_t, const float *,
                         float);
    void (*gelu)(size_t, const float *, float *);
    void (*gelu_tanh)(size_t, const float *, float *);
    void (*silu)(size_t, const float *, float *);
    void (*silu_mul)(size_t, const float *, const float *, float *);
    void (*add)(size_t, const float *, const float *, float *);
    void (*vexp)(size_t, const float *, float *);
    void (*verf)(size_t, const float *, float *);
    void (*vtanh)(size_t, const float *, float *);
    uint64_t (*fma_probe)(uint64_t);
    void (*attention_head)(size_t, size_t, size_t, const float *, size_t, const float *,
                           const float *, size_t, float *, size_t, float, ptrdiff_t, float *);
} lb_kernel_table;

/// Keys rounded up to a multiple of 32 (two 16-lane vectors): the row length of
/// lb_attention_head's transposed keys and score rows at every level.
static inline size_t lb_attention_padded_keys(size_t nk) { return (nk + 31) / 32 * 32; }

extern const lb_kernel_table lb_table_portable;
#if defined(__x86_64__)
extern const lb_kernel_table lb_table_avx2;
extern const lb_kernel_table lb_table_avx512;
#endif

/// The table for the calling thread's current level.
const lb_kernel_table *lb_current_table(void);

/// A per-thread, 64-byte aligned scratch buffer of at least `nfloats` floats (grow-only,
/// reused across calls, freed when the thread exits). slot: 0 = packed A, 1 = packed B.
float *lb_scratch(int slot, size_t nfloats);

/// Blocked GEMM driver shared by all levels (see sgemm_driver.c).
void lb_sgemm_driver(const lb_kernel_table *t, size_t M, size_t N, size_t K, const float *A,
                     size_t lda, const float *packedB, const float *bias, float *C, size_t ldc,
                     size_t n_begin, size_t n_end, float alpha);

#endif
