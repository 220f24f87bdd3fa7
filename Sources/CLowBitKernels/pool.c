// Persistent worker pool (include/lb_pool.h).
//
// Why not DispatchQueue.concurrentPerform: a decode step of a 30-layer model makes ~250
// parallel calls of a few to a few tens of microseconds each, and waking GCD's workers costs
// several microseconds per call (more on a virtual machine, where a futex wake-up can take
// tens). Here idle workers spin on a generation counter for a while before sleeping, so a
// job published shortly after the last one is picked up in well under a microsecond.
//
// Protocol (one job at a time; `busy` makes concurrent and nested callers run serially):
//   caller: fn, ctx, isa, done = 0; ticket = chunks << 32 | 1 (release); ++gen; wake sleepers;
//           run chunk 0; claim and run more chunks; wait until done == chunks.
//   worker: wait for gen to change; then claim t = ticket++ until (t & 0xffffffff) >= t >> 32,
//           running chunk (t & 0xffffffff) of the job the ticket belongs to and counting done.
// A claim is valid only against the ticket of the running job (chunk count and index live in
// the same word), so a worker that wakes late can never run a chunk of a finished job, and
// fn/ctx are read only after a valid claim, while the caller is still waiting for that chunk.
// Correctness never depends on the workers: the caller alone would claim every chunk.
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdalign.h>
#include <time.h>
#include "CLowBitKernels.h"
#include "lb_pool.h"

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <limits.h>
/// Sleeps while *word == expected (spurious returns allowed).
static void wait_on(_Atomic uint32_t *word, uint32_t expected) {
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}
static void wake_all(_Atomic uint32_t *word) {
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}
#else
static pthread_mutex_t wait_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wait_cond = PTHREAD_COND_INITIALIZER;
static void wait_on(_Atomic uint32_t *word, uint32_t expected) {
    pthread_mutex_lock(&wait_mutex);
    if (atomic_load(word) == expected) pthread_cond_wait(&wait_cond, &wait_mutex);
    pthread_mutex_unlock(&wait_mutex);
}
static void wake_all(_Atomic uint32_t *word) {
    (void)word; // the waker changed *word before calling; taking the mutex orders it with a waiter's check
    pthread_mutex_lock(&wait_mutex);
    pthread_mutex_unlock(&wait_mutex);
    pthread_cond_broadcast(&wait_cond);
}
#endif

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct {
    alignas(64) _Atomic uint32_t gen;     ///< bumped once per job (workers wait on it)
    _Atomic uint32_t sleepers;            ///< workers in wait_on(gen)
    alignas(64) _Atomic uint64_t ticket;  ///< chunks << 32 | next chunk to claim
    _Atomic(lb_pool_fn) fn;
    _Atomic(void *) ctx;
    _Atomic int isa;                      ///< the caller's instruction-set level
    alignas(64) _Atomic uint32_t done;    ///< chunks finished in the running job
    _Atomic uint32_t caller_waiting;      ///< the caller sleeps in wait_on(done)
    alignas(64) atomic_flag busy;         ///< a job is running
    _Atomic int threads;
    _Atomic int spin_us;
} pool = {.busy = ATOMIC_FLAG_INIT, .threads = 1, .spin_us = 200};

static pthread_mutex_t start_mutex = PTHREAD_MUTEX_INITIALIZER;
static int started;
/// Set on workers and on a caller while its job runs: lb_pool_run from there runs serially.
static _Thread_local int tl_in_job;

/// Claims and runs chunks of the current job until none is left.
static void drain(void) {
    for (;;) {
        const uint64_t t = atomic_fetch_add(&pool.ticket, 1);
        const uint32_t idx = (uint32_t)t, chunks = (uint32_t)(t >> 32);
        if (idx >= chunks) return;
        lb_pool_fn fn = atomic_load_explicit(&pool.fn, memory_order_relaxed);
        void *ctx = atomic_load_explicit(&pool.ctx, memory_order_relaxed);
        lb_set_thread_isa(atomic_load_explicit(&pool.isa, memory_order_relaxed));
        fn(ctx, idx);
        if (atomic_fetch_add(&pool.done, 1) + 1 == chunks && atomic_load(&pool.caller_waiting))
            wake_all(&pool.done);
    }
}

/// Spins until *word != value or spin_us have passed; returns 1 if it changed.
static int spin_while_equal(_Atomic uint32_t *word, uint32_t value) {
    const int us = atomic_load_explicit(&pool.spin_us, memory_order_relaxed);
    if (us <= 0) return atomic_load(word) != value;
    const uint64_t limit = (uint64_t)us * 1000u, t0 = now_ns();
    for (;;) {
        for (int i = 0; i < 64; ++i) {
            if (atomic_load_explicit(word, memory_order_acquire) != value) return 1;
            cpu_relax();
        }
        // On an oversubscribed machine, let a runnable thread (often the caller) have the core.
        sched_yield();
        if (now_ns() - t0 > limit) return 0;
    }
}

static void *worker_main(void *arg) {
    (void)arg;
    tl_in_job = 1;
    uint32_t seen = atomic_load(&pool.gen);
    for (;;) {
        if (!spin_while_equal(&pool.gen, seen)) {
            atomic_fetch_add(&pool.sleepers, 1);
            wait_on(&pool.gen, seen);
            atomic_fetch_sub(&pool.sleepers, 1);
        }
        const uint32_t g = atomic_load_explicit(&pool.gen, memory_order_acquire);
        if (g == seen) continue;
        seen = g;
        drain();
    }
    return NULL;
}

int lb_pool_start(int threads) {
    pthread_mutex_lock(&start_mutex);
    if (!started) {
        started = 1;
        int n = 1;
        for (int i = 1; i < threads; ++i) {
            pthread_t th;
            pthread_attr_t attr;
            pthread_attr_init(&attr);
            pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
            if (pthread_create(&th, &attr, worker_main, NULL) == 0) ++n;
            pthread_attr_destroy(&attr);
        }
        atomic_store(&pool.threads, n);
    }
    pthread_mutex_unlock(&start_mutex);
    return atomic_load(&pool.threads);
}

int lb_pool_threads(void) { return atomic_load(&pool.threads); }

int lb_pool_set_spin_us(int us) { return atomic_exchange(&pool.spin_us, us < 0 ? 0 : us); }

int lb_pool_run(size_t chunks, lb_pool_fn fn, void *ctx) {
    if (chunks == 0) return 0;
    if (atomic_load_explicit(&pool.threads, memory_order_relaxed) <= 1 || tl_in_job || chunks >= (1u << 31))
        return -1;
    if (atomic_flag_test_and_set_explicit(&pool.busy, memory_order_acquire)) return -1;
    tl_in_job = 1;
    atomic_store_explicit(&pool.fn, fn, memory_order_relaxed);
    atomic_store_explicit(&pool.ctx, ctx, memory_order_relaxed);
    atomic_store_explicit(&pool.isa, lb_isa_current(), memory_order_relaxed);
    atomic_store_explicit(&pool.done, 0, memory_order_relaxed);
    atomic_store_explicit(&pool.ticket, (uint64_t)chunks << 32 | 1u, memory_order_release);
    atomic_fetch_add(&pool.gen, 1);
    if (atomic_load(&pool.sleepers)) wake_all(&pool.gen);

    fn(ctx, 0);
    atomic_fetch_add(&pool.done, 1);
    drain();
    const uint32_t n = (uint32_t)chunks;
    const uint64_t limit = (uint64_t)atomic_load_explicit(&pool.spin_us, memory_order_relaxed) * 1000u, t0 = now_ns();
    for (unsigned i = 1; atomic_load_explicit(&pool.done, memory_order_acquire) != n; ++i) {
        cpu_relax();
        if (i % 64 != 0) continue;
        sched_yield(); // a worker holding the last chunk may be waiting for this core
        if (now_ns() - t0 > limit) {
            // Chunks still run on workers that were slow to start: sleep until the last ends.
            atomic_store(&pool.caller_waiting, 1);
            uint32_t d;
            while ((d = atomic_load(&pool.done)) != n) wait_on(&pool.done, d);
            atomic_store(&pool.caller_waiting, 0);
        }
    }
    tl_in_job = 0;
    atomic_flag_clear_explicit(&pool.busy, memory_order_release);
    return 0;
}
