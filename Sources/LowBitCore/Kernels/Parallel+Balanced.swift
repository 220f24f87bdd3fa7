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
        forChunks(chunks) { c in
            let lo = count * c / chunks, hi = count * (c + 1) / chunks
            if lo < hi { body(lo..<hi) }
        }
    }
}

extension Parallel {
    /// The smallest chunk, in units of `unitColumns` output features, worth handing to a thread
    /// in y[rows, n] = x[rows, k] · wᵀ split along n.
    ///
    /// A unit costs its arithmetic, 2·rows·k·unitColumns ops, plus streaming its weights,
    /// k·unitColumns·bytesPerWeight bytes at `opsPerByte` ops' worth of time per byte (the
    /// ratio of the kernel's compute peak to memory read bandwidth). Counting only arithmetic,
    /// as before, a decode step (rows = 1) looked 20–40× cheaper than it is and ran every
    /// SmolLM2 projection on one thread although it is bound by the weight stream, which two
    /// cores read faster than one. Chunks get at least `minOps` of that cost (a few µs), so
    /// the pool's dispatch (< 1 µs) stays small next to them.
    public static func gemmMinChunk(rows: Int, inFeatures k: Int, unitColumns: Int, bytesPerWeight: Double,
                                    opsPerByte: Double, minOps: Double) -> Int {
        let perUnit = Double(unitColumns) * Double(k) * (2 * Double(rows) + bytesPerWeight * opsPerByte)
        return max(1, Int(minOps / max(perUnit, 1)))
    }
}
