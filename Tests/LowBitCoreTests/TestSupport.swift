import CLowBitKernels
import LowBitCore

/// Deterministic pseudo-random numbers (SplitMix64), so failures reproduce.
struct TestRNG {
    var source: SplitMix64
    init(seed: UInt64) { source = SplitMix64(seed: seed) }
    mutating func next() -> UInt64 { source.next() }
    /// Uniform in [lo, hi).
    mutating func uniform(_ lo: Float = -1, _ hi: Float = 1) -> Float {
        lo + (hi - lo) * Float(next() >> 40) / Float(1 << 24)
    }
    mutating func floats(_ n: Int, _ lo: Float = -1, _ hi: Float = 1) -> [Float] {
        (0..<n).map { _ in uniform(lo, hi) }
    }
}

/// Runs `body` with this thread's kernels forced to `isa` (restored afterwards).
func withISA<R>(_ isa: Int32, _ body: () throws -> R) rethrows -> R {
    let before = lb_set_thread_isa(isa)
    defer { lb_set_thread_isa(before) }
    return try body()
}

/// The levels this CPU can run, best first (the portable level always included).
var supportedISAs: [Int32] {
    let best = lb_isa_best()
    return (0...best).reversed().map { Int32($0) }
}

/// Largest |a - b| / (abs + rel·|b|) over two arrays; <= 1 means within tolerance.
func worstRatio(_ a: [Float], _ b: [Float], abs absTol: Double, rel: Double) -> (ratio: Double, index: Int) {
    precondition(a.count == b.count)
    var worst = 0.0, at = -1
    for i in a.indices {
        let d = abs(Double(a[i]) - Double(b[i]))
        let tol = absTol + rel * abs(Double(b[i]))
        let r = d.isNaN ? Double.infinity : d / tol
        if r > worst { worst = r; at = i }
    }
    return (worst, at)
}

/// Whether two float arrays are identical bit for bit.
func bitwiseEqual(_ a: [Float], _ b: [Float]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
}
