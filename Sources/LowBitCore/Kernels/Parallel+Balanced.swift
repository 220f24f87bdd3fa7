import Dispatch

extension Parallel {
    /// Like `forRanges`, but cuts `0..<count` into up to `threads × oversplit` contiguous chunks
    /// (each at least `minChunk` long) that idle threads take in turn. On a machine shared with
    /// other work, a thread that starts late or runs slowly then holds up less of the call.
    /// Chunk boundaries depend only on `count`, `minChunk`, `threads` and `oversplit`; callers
    /// whose per-element results do not depend on the boundaries (every kernel here) get the
    /// same bits for any split.
    public static func forBalancedRanges(_ count: Int, minChunk: Int = 1, oversplit: Int = 4,
                                         _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = min(threads * max(oversplit, 1), max(1, count / max(minChunk, 1)))
        if chunks == 1 || threads == 1 { body(0..<count); return }
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
