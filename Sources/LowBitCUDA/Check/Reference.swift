import LowBitCore

/// Plain CPU references for the CUDA kernels (double accumulation), and test-data helpers.
/// Slow and obviously right; every kernel is checked against one of these.
public enum CUDAReference {
    /// Deterministic generator (SplitMix64) for test data.
    public struct RNG {
        var source: SplitMix64
        public init(seed: UInt64) { source = SplitMix64(seed: seed) }
        public mutating func next() -> UInt64 { source.next() }
        /// Uniform in [lo, hi).
        public mutating func uniform(_ lo: Float, _ hi: Float) -> Float {
            lo + (hi - lo) * Float(next() >> 40) / Float(1 << 24)
        }
        public mutating func int(_ range: ClosedRange<Int>) -> Int {
            range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
        }
        /// fp16 bit patterns of uniform values in [lo, hi).
        public mutating func halves(_ count: Int, _ lo: Float, _ hi: Float) -> [UInt16] {
            (0..<count).map { _ in HalfPrecision.floatToF16(uniform(lo, hi)) }
        }
        public mutating func int8s(_ count: Int, _ lo: Int = -127, _ hi: Int = 127) -> [Int8] {
            (0..<count).map { _ in Int8(int(lo...hi)) }
        }
        /// Random FP8 e4m3 codes, NaN (0x7F, 0xFF) excluded, magnitudes up to `maxExponentField` (≤ 15).
        public mutating func e4m3s(_ count: Int, maxExponentField: Int = 10) -> [UInt8] {
            (0..<count).map { _ in
                let e = UInt8(int(0...maxExponentField)), m = UInt8(int(0...7)), s: UInt8 = next() & 1 == 0 ? 0 : 0x80
                return s | (e << 3) | m
            }
        }
    }

    public static func f16(_ h: UInt16) -> Double { Double(HalfPrecision.f16ToFloat(h)) }
    public static func bf16(_ h: UInt16) -> Double { Double(HalfPrecision.bf16ToFloat(h)) }

    /// FP8 e4m3 (OCP "fn": bias 7, no infinities, 0x7F/0xFF NaN) → value.
    public static func e4m3(_ b: UInt8) -> Double {
        let s: Double = b & 0x80 != 0 ? -1 : 1
        let e = Int((b >> 3) & 0xF), m = Double(b & 7)
        if e == 15 && b & 7 == 7 { return .nan }
        if e == 0 { return s * m / 8 * 0x1p-6 }
        return s * (1 + m / 8) * Double(sign: .plus, exponent: e - 7, significand: 1)
    }

    /// Float → FP8 e4m3 code as `cvt.rn.satfinite.e4m3x2.f32` converts it: the nearest finite
    /// code (ties to the even one), beyond ±448 saturated, the sign kept (also for zero). Not NaN.
    public static func e4m3Code(_ v: Float) -> UInt8 {
        let a = Double(abs(v))
        var best: UInt8 = 0, bestError = Double.infinity
        for c in UInt8(0)...0x7E {
            let e = abs(e4m3(c) - a)
            if e < bestError || (e == bestError && c & 1 == 0) { best = c; bestError = e }
        }
        return (v.sign == .minus ? 0x80 : 0) | best
    }

    /// v rounded to the nearest FP8 e4m3 value (ties to even), saturating to ±448, as
    /// `cvt.rn.satfinite.e4m3x2` converts it; subnormals below 2⁻⁶ in steps of 2⁻⁹.
    public static func e4m3Round(_ v: Double) -> Double {
        let a = abs(v)
        guard a.isFinite else { return v.isNaN ? v : (v < 0 ? -448 : 448) }
        let step = a < 0x1p-6 ? 0x1p-9 : Double(sign: .plus, exponent: a.exponent - 3, significand: 1)
        let r = min((a / step).rounded(.toNearestOrEven) * step, 448)
        return v < 0 ? -r : r
    }

    public static func gelu(_ x: Double) -> Double { 0.5 * x * (1 + erf(x / 2.0.squareRoot())) }

    /// y[r, i] = (v − mean)/sqrt(var + eps)·γ + β over rows of v: [rows, n].
    public static func layerNorm(_ v: [Double], rows: Int, n: Int, gamma: [Double], beta: [Double], eps: Double) -> [Double] {
        var y = [Double](repeating: 0, count: rows * n)
        for r in 0..<rows {
            let row = v[(r * n)..<(r * n + n)]
            let mean = row.reduce(0, +) / Double(n)
            let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
            let rstd = 1 / (variance + eps).squareRoot()
            for i in 0..<n { y[r * n + i] = (v[r * n + i] - mean) * rstd * gamma[i] + beta[i] }
        }
        return y
    }

    /// Per-row absmax / qmax (127 for INT8, 448 for FP8 e4m3).
    public static func rowScales(_ v: [Double], rows: Int, n: Int, qmax: Double) -> [Double] {
        (0..<rows).map { r in v[(r * n)..<(r * n + n)].reduce(0) { max($0, abs($1)) } / qmax }
    }

    /// acc[m, n] = Σ_k a[m, k]·b[n, k] (exact integers); a: [M, K], b: [N, K].
    public static func gemmInt(_ a: [Int8], _ b: [Int8], m: Int, n: Int, k: Int) -> [Int64] {
        var out = [Int64](repeating: 0, count: m * n)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                for i in 0..<m {
                    for j in 0..<n {
                        var s: Int32 = 0
                        for t in 0..<k { s &+= Int32(pa[i * k + t]) * Int32(pb[j * k + t]) }
                        out[i * n + j] = Int64(s)
                    }
                }
            }
        }
        return out
    }

    /// Σ_k a·b and Σ_k |a·b| in double; a: [M, K], b: [N, K].
    public static func gemmDouble(_ a: [Double], _ b: [Double], m: Int, n: Int, k: Int) -> (sum: [Double], abs: [Double]) {
        var s = [Double](repeating: 0, count: m * n), t = s
        for i in 0..<m {
            for j in 0..<n {
                var acc = 0.0, accAbs = 0.0
                for x in 0..<k { let p = a[i * k + x] * b[j * k + x]; acc += p; accAbs += abs(p) }
                s[i * n + j] = acc
                t[i * n + j] = accAbs
            }
        }
        return (s, t)
    }

    /// INT4 codes [rows, cols] (−8…7) → `PackedInt4` bytes (column 2j low nibble, nibble = code + 8).
    public static func packInt4(_ codes: [Int8], rows: Int, cols: Int) -> [UInt8] {
        let bpr = (cols + 1) / 2
        var out = [UInt8](repeating: 0x88, count: rows * bpr)
        for r in 0..<rows {
            for c in 0..<cols {
                let nib = UInt8(Int(codes[r * cols + c]) + 8)
                let i = r * bpr + c / 2
                out[i] = c % 2 == 0 ? (out[i] & 0xF0) | nib : (out[i] & 0x0F) | (nib << 4)
            }
        }
        return out
    }

    /// Attention for one (b, h): q [sq, d], k, v [skv, d] → o [sq, d]; keys ≥ len masked, causal j > i masked.
    public static func attention(q: [Double], k: [Double], v: [Double], seq: Int, d: Int, len: Int,
                                 causal: Bool, scale: Double) -> [Double] {
        var o = [Double](repeating: 0, count: seq * d)
        var s = [Double](repeating: 0, count: seq)
        for i in 0..<seq {
            let last = min(len, causal ? i + 1 : seq)
            if last <= 0 { continue }
            var mx = -Double.infinity
            for j in 0..<last {
                var dot = 0.0
                for x in 0..<d { dot += q[i * d + x] * k[j * d + x] }
                s[j] = dot * scale
                mx = max(mx, s[j])
            }
            var sum = 0.0
            for j in 0..<last { s[j] = exp(s[j] - mx); sum += s[j] }
            for j in 0..<last {
                let p = s[j] / sum
                for x in 0..<d { o[i * d + x] += p * v[j * d + x] }
            }
        }
        return o
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
