#ifndef CLOWBIT_POOL_H
#define CLOWBIT_POOL_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// MARK: - Persistent worker pool

/// One chunk of a parallel job: `chunk` is in [0, chunks).
typedef void (*lb_pool_fn)(void *ctx, size_t chunk);

/// Starts the process-wide pool with `threads - 1` workers (the caller of `lb_pool_run` is the
/// other one). Idempotent: later calls return the size fixed by the first. Returns the number
/// of threads that run a job (≥ 1; 1 when no worker could be started).
int lb_pool_start(int threads);

/// Runs fn(ctx, c) once for every c in [0, chunks) on the pool, the calling thread included
/// (it takes chunk 0 first, then claims chunks like the workers do), and returns when all have
/// finished. Chunks are claimed in increasing order, one at a time, so a slow thread holds up
/// at most one chunk. Workers run the chunks at the caller's instruction-set level
/// (`lb_set_thread_isa`).
///
/// Returns 0 when the job ran. Returns -1 without calling fn when the pool cannot take it:
/// not started or one thread, already running a job (a concurrent caller), or called from a
/// worker or from inside a job (nested parallelism); the caller then runs the chunks itself.
///
/// Idle workers spin for a short while (`lb_pool_spin_us`) on a generation counter, then
/// sleep on a futex (a condition variable where there is none), so back-to-back jobs start in
/// well under a microsecond and an idle process costs no CPU.
int lb_pool_run(size_t chunks, lb_pool_fn fn, void *ctx);

/// Number of threads (workers + caller) a job runs on; 1 before `lb_pool_start`.
int lb_pool_threads(void);

/// How long idle workers spin before sleeping, in microseconds (default 200; 0: sleep at once).
/// Returns the previous value. For benchmarks.
int lb_pool_set_spin_us(int us);

// MARK: - Benchmark support

/// Reads `bytes` from p (whole 128-byte blocks with AVX2 where present, 8-byte words otherwise)
/// and returns their XOR. Time it on a buffer far larger than the last-level cache to measure
/// read bandwidth: the limit of a decode step, which streams every weight once per token.
uint64_t lb_read_probe(const uint8_t *p, size_t bytes);

#ifdef __cplusplus
}
#endif
#endif
