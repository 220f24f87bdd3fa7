import CLowBitKernels
import LowBitCore
import LowBitQuant

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
    /// Mostly small values with rare large outliers, some exact zeros, some repeats: the
    /// shapes real weights and activations have.
    mutating func activationLike(_ n: Int) -> [Float] {
        (0..<n).map { _ in
            switch next() % 100 {
            case 0: uniform(-40, 40)
            case 1...4: 0
            case 5...7: 0.25
            default: uniform(-1, 1) * uniform(0, 1)
            }
        }
    }
}

/// Runs `body` with this thread's kernels forced to `isa` (restored afterwards).
func withISA<R>(_ isa: Int32, _ body: () throws -> R) rethrows -> R {
    let before = lb_set_thread_isa(isa)
    defer { lb_set_thread_isa(before) }
    return try body()
}

/// The levels this CPU can run, best first (the portable level always included).
var supportedISAs: [Int32] { (0...lb_isa_best()).reversed().map { Int32($0) } }

/// Whether two float arrays are identical bit for bit.
func bitwiseEqual(_ a: [Float], _ b: [Float]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
}

/// First index where two float arrays differ bit for bit, with both values (for messages).
func firstDifference(_ a: [Float], _ b: [Float]) -> String {
    guard a.count == b.count else { return "counts \(a.count) vs \(b.count)" }
    guard let i = a.indices.first(where: { a[$0].bitPattern != b[$0].bitPattern }) else { return "none" }
    return "index \(i): \(a[i]) vs \(b[i])"
}

/// Odd sizes the house rules ask every fast path to be tested on.
let oddSizes = [1, 3, 17, 33, 1023]

/// Group sizes in `candidates` that divide n.
func divisors(of n: Int, among candidates: [Int] = [1, 3, 11, 17, 31, 33, 1023]) -> [Int] {
    candidates.filter { $0 <= n && n % $0 == 0 }
}

/// Fast-path quantization of x: [rows, cols] (min-max or given ranges) as plain arrays.
func fastQuantize(_ x: [Float], layout: GroupLayout, scheme: QuantScheme, ranges given: [QuantRange]? = nil)
    throws -> (ranges: [QuantRange], params: GroupParams, codes: [Int8], dq: [Float]) {
    let t = Tensor(shape: [layout.rows, layout.cols], values: x)
    let ranges = try given ?? QuantKernels.groupRanges(t.pointer, layout: layout)
    let params = try GroupParams(ranges: ranges, bits: scheme.bits, mapping: scheme.mapping)
    var codes = [Int8](repeating: 0, count: x.count)
    var dq = [Float](repeating: .nan, count: x.count)
    try codes.withUnsafeMutableBufferPointer { c in
        try dq.withUnsafeMutableBufferPointer { d in
            try QuantKernels.quantize(t.pointer, layout: layout, codeRange: scheme.codeRange, params: params,
                                      codes: c.baseAddress, dequantized: d.baseAddress)
        }
    }
    return (ranges, params, codes, dq)
}

/// Reference quantization of the same.
func referenceQuantize(_ x: [Float], layout: GroupLayout, scheme: QuantScheme, ranges given: [QuantRange]? = nil)
    throws -> (ranges: [QuantRange], params: GroupParams, codes: [Int8], dq: [Float]) {
    let ranges = try given ?? QuantReference.groupRanges(x, layout: layout)
    let params = try GroupParams(ranges: ranges, bits: scheme.bits, mapping: scheme.mapping)
    let (codes, dq) = try QuantReference.quantize(x, layout: layout, codeRange: scheme.codeRange, params: params)
    return (ranges, params, codes, dq)
}
