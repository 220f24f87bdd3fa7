import Dispatch

/// Static work splitting over the machine's cores.
///
/// Work is split into fixed contiguous chunks that depend only on `count` and `threads`, so a
/// computation whose chunks do not interact gives the same result on every run.
public enum Parallel {
    /// Number of worker threads (the `LOWBIT_THREADS` environment variable, else active cores).
    public static let threads: Int = {
        if let s = getenvString("LOWBIT_THREADS"), let n = Int(s), n > 0 { return n }
        return max(1, ProcessInfoLite.activeProcessorCount)
    }()

    /// Calls `body(range)` for disjoint ranges covering `0..<count`, concurrently.
    public static func forRanges(_ count: Int, minChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = min(threads, max(1, count / max(minChunk, 1)))
        if chunks == 1 { body(0..<count); return }
        withoutActuallyEscaping(body) { body in
            // The chunks are disjoint; callers write only their own range.
            nonisolated(unsafe) let work = body
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                let lo = count * c / chunks, hi = count * (c + 1) / chunks
                if lo < hi { work(lo..<hi) }
            }
        }
    }
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
