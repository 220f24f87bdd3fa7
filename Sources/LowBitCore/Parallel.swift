import CLowBitKernels

/// Static work splitting over the machine's cores, on a persistent worker pool (lb_pool.h).
///
/// Work is split into fixed contiguous chunks that depend only on `count` and `threads`, so a
/// computation whose chunks do not interact gives the same result on every run. The calling
/// thread runs chunk 0 and then claims further chunks like the pool's workers do. A call made
/// while the pool runs another job (from another thread, or nested inside a chunk) runs its
/// chunks serially on the calling thread, in order, with the same boundaries.
public enum Parallel {
    /// Number of worker threads (the `LOWBIT_THREADS` environment variable, else active cores).
    public static let threads: Int = {
        if let s = getenvString("LOWBIT_THREADS"), let n = Int(s), n > 0 { return n }
        return max(1, ProcessInfoLite.activeProcessorCount)
    }()

    /// Starts the pool once (threads − 1 workers); false when it runs on the caller alone.
    static let poolStarted: Bool = threads > 1 && lb_pool_start(Int32(clamping: threads)) > 1

    /// Calls `body(range)` for disjoint ranges covering `0..<count`, concurrently.
    public static func forRanges(_ count: Int, minChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = min(threads, max(1, count / max(minChunk, 1)))
        forChunks(chunks) { c in
            let lo = count * c / chunks, hi = count * (c + 1) / chunks
            if lo < hi { body(lo..<hi) }
        }
    }

    /// Calls `chunk(c)` once for every c in `0..<chunks`, concurrently on the pool (the caller
    /// runs chunk 0), or serially in order when the pool is busy, nested or absent.
    public static func forChunks(_ chunks: Int, _ chunk: (Int) -> Void) {
        guard chunks > 0 else { return }
        if chunks == 1 || !poolStarted { for c in 0..<chunks { chunk(c) }; return }
        withoutActuallyEscaping(chunk) { chunk in
            var job = PoolJob(run: chunk)
            let rc = withUnsafeMutablePointer(to: &job) { p in
                lb_pool_run(chunks, { ctx, c in
                    ctx!.assumingMemoryBound(to: PoolJob.self).pointee.run(Int(c))
                }, p)
            }
            if rc != 0 { for c in 0..<chunks { chunk(c) } }
        }
    }
}

/// What a pool job's C trampoline calls; lives on the caller's stack for the whole job.
private struct PoolJob {
    let run: (Int) -> Void
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func getenvString(_ name: String) -> String? {
    guard let p = getenv(name) else { return nil }
    return String(cString: p)
}

enum ProcessInfoLite {
    static var activeProcessorCount: Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
}
