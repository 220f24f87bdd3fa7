#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Slow, obviously-correct references for `CPUKernels` and `PackedLinearWeight`: plain loops
/// over `[Float]`, accumulating in `Double`. Tests compare every fast path against these.
public enum CPUReference {
    /// y = x · Wᵀ + b. x: [m, k]; w: [n, k]; bias: [n] or nil → [m, n].
    public static func linear(m: Int, n: Int, k: Int, x: [Float], w: [Float], bias: [Float]?) -> [Float] {
        var y = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s = Double(bias?[j] ?? 0)
                for t in 0..<k { s += Double(x[i * k + t]) * Double(w[j * k + t]) }
                y[i * n + j] = Float(s)
            }
        }
        return y
    }

    /// Σ_t |x[i,t]·w[j,t]| + |bias[j]| for each output: the scale of rounding error a float
    /// evaluation of `linear` can have (error <= (k + 2)·2⁻²⁴ times this).
    public static func linearAbsSum(m: Int, n: Int, k: Int, x: [Float], w: [Float], bias: [Float]?) -> [Double] {
        var y = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s = abs(Double(bias?[j] ?? 0))
                for t in 0..<k { s += abs(Double(x[i * k + t]) * Double(w[j * k + t])) }
                y[i * n + j] = s
            }
        }
        return y
    }

    /// C = alpha · A · Bᵀ. a: [m, k]; b: [n, k] → [m, n].
    public static func matmulNT(m: Int, n: Int, k: Int, a: [Float], b: [Float], alpha: Float = 1) -> [Float] {
        linear(m: m, n: n, k: k, x: a, w: b, bias: nil).map { Float(Double($0) * Double(alpha)) }
    }

    /// C = A · B. a: [m, k]; b: [k, n] → [m, n].
    public static func matmulNN(m: Int, n: Int, k: Int, a: [Float], b: [Float]) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for t in 0..<k { s += Double(a[i * k + t]) * Double(b[t * n + j]) }
                c[i * n + j] = Float(s)
            }
        }
        return c
    }

    /// Softmax of each row of `scale·x + mask` over its valid columns (see `CPUKernels.softmax`).
    /// x: [rows, n]; mask: [n] or [rows, n] or nil.
    public static func softmax(rows: Int, n: Int, x: [Float], scale: Float = 1, mask: [Float]? = nil,
                               causalValid0: Int? = nil) -> [Float] {
        var y = [Float](repeating: 0, count: rows * n)
        for r in 0..<rows {
            let valid = causalValid0.map { min(n, max(0, $0 + r)) } ?? n
            var v = [Double](repeating: 0, count: valid)
            for j in 0..<valid {
                let m = mask.map { Double($0[$0.count == n ? j : r * n + j]) } ?? 0
                v[j] = Double(x[r * n + j]) * Double(scale) + m
            }
            guard let mx = v.max(), mx > -Double.infinity else { continue }
            let e = v.map { dexp($0 - mx) }
            let s = e.reduce(0, +)
            for j in 0..<valid { y[r * n + j] = Float(e[j] / s) }
        }
        return y
    }

    /// LayerNorm of each row. x: [rows, n]; gamma, beta: [n] or nil.
    public static func layerNorm(rows: Int, n: Int, x: [Float], gamma: [Float]?, beta: [Float]?, eps: Float) -> [Float] {
        var y = [Float](repeating: 0, count: rows * n)
        for r in 0..<rows {
            let row = (0..<n).map { Double(x[r * n + $0]) }
            let mean = row.reduce(0, +) / Double(n)
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)
            let inv = 1 / (variance + Double(eps)).squareRoot()
            for j in 0..<n {
                y[r * n + j] = Float((row[j] - mean) * inv * Double(gamma?[j] ?? 1) + Double(beta?[j] ?? 0))
            }
        }
        return y
    }

    /// RMSNorm of each row. x: [rows, n]; weight: [n] or nil.
    public static func rmsNorm(rows: Int, n: Int, x: [Float], weight: [Float]?, eps: Float) -> [Float] {
        var y = [Float](repeating: 0, count: rows * n)
        for r in 0..<rows {
            let ms = (0..<n).map { Double(x[r * n + $0]) * Double(x[r * n + $0]) }.reduce(0, +) / Double(n)
            let inv = 1 / (ms + Double(eps)).squareRoot()
            for j in 0..<n { y[r * n + j] = Float(Double(x[r * n + j]) * inv * Double(weight?[j] ?? 1)) }
        }
        return y
    }

    /// GELU exact, in Double: x/2·(1 + erf(x/√2)) = x/2·erfc(-x/√2).
    public static func gelu(_ x: Float) -> Float {
        let d = Double(x)
        return Float(0.5 * d * erfc(-d / 2.0.squareRoot()))
    }

    /// GELU tanh approximation, in Double: x/2·(1 + tanh u) written as x/(1 + e^{-2u}), which is
    /// the same function without the cancellation of 1 + tanh u for u << 0.
    public static func geluTanh(_ x: Float) -> Float {
        let d = Double(x)
        let u = (2 / Double.pi).squareRoot() * (d + 0.044715 * d * d * d)
        return Float(d / (1 + dexp(-2 * u)))
    }

    /// SiLU, in Double.
    public static func silu(_ x: Float) -> Float { Float(Double(x) / (1 + dexp(-Double(x)))) }

    @inline(__always) static func dexp(_ x: Double) -> Double { exp(x) }
}
