import Foundation
import LowBitCore
import LowBitModels

/// Forward and backward of the ops of one transformer layer, plain loops in Double: the
/// slow reference LKD trains with. T = tokens; all matrices row-major.
public enum LayerOps {
    // MARK: - Linear (with STE fake quantization of weight and input)

    /// What a linear's backward needs: the input as multiplied (x̂), its STE mask, the
    /// weight as multiplied (Ŵ) and its mask, the latent weight and its quantizer (scale gradients).
    public struct LinearCache: Sendable {
        public let tokens: Int
        public let input: [Double]
        public let inputMask: [Bool]?
        public let weight: [Double]
        public let weightMask: [Bool]?
        /// W (before fake quantization): [out, in]
        public let latentWeight: [Double]
        public let weightQuantizer: STEQuantizer?
    }

    /// y = x̂·Ŵᵀ + b. x: [T, in] → [T, out].
    public static func linear(_ x: [Double], tokens: Int, _ p: LinearParameters,
                              _ q: LinearFakeQuant = .none) -> (y: [Double], cache: LinearCache) {
        let n = p.inFeatures, m = p.outFeatures
        precondition(x.count == tokens * n, "linear: x \(x.count) for [\(tokens), \(n)]")
        var (xq, xMask) = q.input.map { $0.apply(x, cols: n) } ?? (x, nil)
        if q.tokenInput != .none, tokens > 0 {
            // The library's quantizer on the Float-rounded input; identity STE (no clipping).
            xq = try! q.tokenInput.fakeQuantize(Tensor(shape: [tokens, n], values: xq.map { Float($0) })).toArray().map(Double.init)
        }
        let (wq, wMask) = q.weight.map { $0.apply(p.weight, cols: n) } ?? (p.weight, nil)
        var y = [Double](repeating: 0, count: tokens * m)
        for t in 0..<tokens {
            for o in 0..<m {
                var s = p.bias?[o] ?? 0
                for i in 0..<n { s += xq[t * n + i] * wq[o * n + i] }
                y[t * m + o] = s
            }
        }
        return (y, LinearCache(tokens: tokens, input: xq, inputMask: xMask, weight: wq, weightMask: wMask,
                               latentWeight: p.weight, weightQuantizer: q.weight))
    }

    /// dy: [T, out] → dx: [T, in], dW: [out, in], db: [out] (nil without bias), d(weight scales)
    /// per group (nil without a weight quantizer; `STEQuantizer.scaleGradient`). STE: masked.
    public static func linearBackward(_ dy: [Double], _ c: LinearCache, _ p: LinearParameters)
        -> (dx: [Double], dWeight: [Double], dBias: [Double]?, dScales: [Double]?) {
        let n = p.inFeatures, m = p.outFeatures, tokens = c.tokens
        var dx = [Double](repeating: 0, count: tokens * n), dw = [Double](repeating: 0, count: m * n)
        var db = p.bias.map { _ in [Double](repeating: 0, count: m) }
        for t in 0..<tokens {
            for o in 0..<m {
                let g = dy[t * m + o]
                if g == 0 { continue }
                db?[o] += g
                for i in 0..<n {
                    dx[t * n + i] += g * c.weight[o * n + i]
                    dw[o * n + i] += g * c.input[t * n + i]
                }
            }
        }
        if let mask = c.inputMask { for i in dx.indices where !mask[i] { dx[i] = 0 } }
        let ds = c.weightQuantizer?.scaleGradient(c.latentWeight, cols: n, outputGradient: dw)
        if let mask = c.weightMask { for i in dw.indices where !mask[i] { dw[i] = 0 } }
        return (dx, dw, db, ds)
    }

    // MARK: - Norms

    /// x: [T, n] → LayerNorm or RMSNorm of each row.
    public static func norm(_ x: [Double], _ p: NormParameters) -> [Double] {
        let n = p.size, rows = x.count / n
        var y = [Double](repeating: 0, count: x.count)
        for r in 0..<rows {
            let (mean, inv) = stats(x, row: r, p)
            for i in 0..<n { y[r * n + i] = (x[r * n + i] - mean) * inv * p.weight[i] + (p.bias?[i] ?? 0) }
        }
        return y
    }

    /// (mean, 1/σ) of a row: LayerNorm σ² = var + eps; RMSNorm mean 0, σ² = mean(x²) + eps.
    static func stats(_ x: [Double], row r: Int, _ p: NormParameters) -> (Double, Double) {
        let n = p.size
        var mean = 0.0
        if p.kind == .layerNorm {
            for i in 0..<n { mean += x[r * n + i] }
            mean /= Double(n)
        }
        var v = 0.0
        for i in 0..<n { let d = x[r * n + i] - mean; v += d * d }
        return (mean, 1 / (v / Double(n) + p.eps).squareRoot())
    }

    /// dy: [T, n], x: the norm's input → dx, dγ, dβ (nil without β).
    public static func normBackward(_ dy: [Double], x: [Double], _ p: NormParameters)
        -> (dx: [Double], dWeight: [Double], dBias: [Double]?) {
        let n = p.size, rows = x.count / n
        var dx = [Double](repeating: 0, count: x.count), dg = [Double](repeating: 0, count: n)
        var db = p.bias.map { _ in [Double](repeating: 0, count: n) }
        for r in 0..<rows {
            let (mean, inv) = stats(x, row: r, p)
            var sumD = 0.0, sumDX = 0.0
            for i in 0..<n {
                let xh = (x[r * n + i] - mean) * inv, g = dy[r * n + i]
                dg[i] += g * xh
                db?[i] += g
                let d = g * p.weight[i]
                sumD += d
                sumDX += d * xh
            }
            // LayerNorm: dx = inv·(d − mean(d) − x̂·mean(d·x̂)); RMSNorm drops the mean(d) term.
            let meanD = p.kind == .layerNorm ? sumD / Double(n) : 0, meanDX = sumDX / Double(n)
            for i in 0..<n {
                let xh = (x[r * n + i] - mean) * inv
                dx[r * n + i] = inv * (dy[r * n + i] * p.weight[i] - meanD - xh * meanDX)
            }
        }
        return (dx, dg, db)
    }

    // MARK: - Activations

    static let sqrt2OverPi = (2 / Double.pi).squareRoot()

    /// u: [T, mlpInWidth] → [T, I]. GELU (erf), gelu_new (tanh), or silu(gate)·up over [gate | up].
    public static func activate(_ u: [Double], _ act: Activation, intermediate: Int) -> [Double] {
        switch act {
        case .gelu: return u.map { 0.5 * $0 * (1 + erf($0 / 2.0.squareRoot())) }
        case .geluTanh: return u.map { 0.5 * $0 * (1 + tanh(sqrt2OverPi * ($0 + 0.044715 * $0 * $0 * $0))) }
        case .swiGLU:
            let rows = u.count / (2 * intermediate)
            var y = [Double](repeating: 0, count: rows * intermediate)
            for r in 0..<rows {
                for i in 0..<intermediate {
                    let g = u[r * 2 * intermediate + i], up = u[r * 2 * intermediate + intermediate + i]
                    y[r * intermediate + i] = g / (1 + exp(-g)) * up
                }
            }
            return y
        }
    }

    /// dy: [T, I], u: the activation's input → du: [T, mlpInWidth].
    public static func activateBackward(_ dy: [Double], u: [Double], _ act: Activation, intermediate: Int) -> [Double] {
        switch act {
        case .gelu:
            return zip(dy, u).map { g, x in
                g * (0.5 * (1 + erf(x / 2.0.squareRoot())) + x * exp(-0.5 * x * x) / (2 * Double.pi).squareRoot())
            }
        case .geluTanh:
            return zip(dy, u).map { g, x in
                let t = tanh(sqrt2OverPi * (x + 0.044715 * x * x * x))
                return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * sqrt2OverPi * (1 + 3 * 0.044715 * x * x))
            }
        case .swiGLU:
            let w = 2 * intermediate, rows = u.count / w
            var du = [Double](repeating: 0, count: u.count)
            for r in 0..<rows {
                for i in 0..<intermediate {
                    let g = u[r * w + i], up = u[r * w + intermediate + i], d = dy[r * intermediate + i]
                    let sig = 1 / (1 + exp(-g))
                    du[r * w + i] = d * up * sig * (1 + g * (1 - sig))
                    du[r * w + intermediate + i] = d * g * sig
                }
            }
            return du
        }
    }

    // MARK: - Rotary embedding (rotate-half layout, as `RotaryEmbedding`)

    /// cos/sin [T, headDim/2] for `positions`, computed in Float as `RotaryEmbedding` does.
    public static func ropeTables(_ rope: RotaryEmbedding, positions: [Int32]) -> (cos: [Double], sin: [Double]) {
        let half = rope.headDim / 2
        let inv = (0..<half).map { i in 1 / powf(Float(rope.theta), Float(2 * i) / Float(rope.headDim)) }
        var c: [Double] = [], s: [Double] = []
        for p in positions {
            for i in 0..<half {
                let a = Float(p) * inv[i]
                c.append(Double(cosf(a)))
                s.append(Double(sinf(a)))
            }
        }
        return (c, s)
    }

    /// Rotates heads 0..<heads of each row of x: [T, ld] (q and k heads of a qkv row).
    /// `inverse` applies the transpose rotation (the backward pass).
    public static func rope(_ x: [Double], ld: Int, heads: Int, headDim d: Int, cos: [Double], sin: [Double],
                            inverse: Bool = false) -> [Double] {
        var y = x
        let half = d / 2, rows = x.count / ld, sign: Double = inverse ? -1 : 1
        for r in 0..<rows {
            for h in 0..<heads {
                let b = r * ld + h * d
                for i in 0..<half {
                    let c = cos[r * half + i], s = sign * sin[r * half + i]
                    let x1 = x[b + i], x2 = x[b + i + half]
                    y[b + i] = x1 * c - x2 * s
                    y[b + i + half] = x2 * c + x1 * s
                }
            }
        }
        return y
    }

    // MARK: - Attention

    /// Which keys a query sees: same sequence, key ≤ query if causal, key not padding.
    public struct AttentionMask: Sendable {
        public let sequences: [Range<Int>]
        public let causal: Bool
        /// keyMask[t] = false: token t is padding and no query attends to it. nil: none.
        public let keyMask: [Bool]?

        public init(sequences: [Range<Int>], causal: Bool, keyMask: [Bool]? = nil) {
            self.sequences = sequences
            self.causal = causal
            self.keyMask = keyMask
        }

        /// Query i sees key j (both local to a sequence starting at row `start`).
        func allows(query i: Int, key j: Int, start: Int) -> Bool { (!causal || j <= i) && keyMask?[start + j] != false }
    }

    /// qkv: [T, W] rows [q heads | k heads | v heads] → (out [T, heads·d], probabilities per
    /// (sequence, head): [n, n] each). A query with no visible key outputs 0.
    public static func attention(_ qkv: [Double], shape: AttentionShape, mask: AttentionMask)
        -> (out: [Double], probabilities: [[[Double]]]) {
        let h = shape.heads, kvh = shape.kvHeads, d = shape.headDim, ld = shape.qkvWidth, ldo = shape.outputWidth
        let tokens = qkv.count / ld, scale = 1 / Double(d).squareRoot(), group = h / kvh
        var out = [Double](repeating: 0, count: tokens * ldo), probs: [[[Double]]] = []
        for rows in mask.sequences {
            let n = rows.count, s0 = rows.lowerBound
            var perHead: [[Double]] = []
            for head in 0..<h {
                let qo = head * d, ko = (h + head / group) * d, vo = (h + kvh + head / group) * d
                var p = [Double](repeating: 0, count: n * n)
                for a in 0..<n {
                    var mx = -Double.infinity
                    for b in 0..<n where mask.allows(query: a, key: b, start: s0) {
                        var s = 0.0
                        for k in 0..<d { s += qkv[(s0 + a) * ld + qo + k] * qkv[(s0 + b) * ld + ko + k] }
                        p[a * n + b] = s * scale
                        mx = max(mx, s * scale)
                    }
                    var sum = 0.0
                    for b in 0..<n where mask.allows(query: a, key: b, start: s0) {
                        p[a * n + b] = exp(p[a * n + b] - mx)
                        sum += p[a * n + b]
                    }
                    for b in 0..<n { p[a * n + b] = sum > 0 && mask.allows(query: a, key: b, start: s0) ? p[a * n + b] / sum : 0 }
                    for b in 0..<n where p[a * n + b] != 0 {
                        for k in 0..<d { out[(s0 + a) * ldo + head * d + k] += p[a * n + b] * qkv[(s0 + b) * ld + vo + k] }
                    }
                }
                perHead.append(p)
            }
            probs.append(perHead)
        }
        return (out, probs)
    }

    /// dOut: [T, heads·d] → dqkv: [T, W] (k and v gradients summed over the query heads sharing them).
    public static func attentionBackward(_ dOut: [Double], qkv: [Double], probabilities: [[[Double]]],
                                         shape: AttentionShape, mask: AttentionMask) -> [Double] {
        let h = shape.heads, kvh = shape.kvHeads, d = shape.headDim, ld = shape.qkvWidth, ldo = shape.outputWidth
        let scale = 1 / Double(d).squareRoot(), group = h / kvh
        var dqkv = [Double](repeating: 0, count: qkv.count)
        for (si, rows) in mask.sequences.enumerated() {
            let n = rows.count, s0 = rows.lowerBound
            for head in 0..<h {
                let qo = head * d, ko = (h + head / group) * d, vo = (h + kvh + head / group) * d
                let p = probabilities[si][head]
                for a in 0..<n {
                    // dP[a,b] = dO[a]·v[b]; dS = P ∘ (dP − Σ_b P·dP)
                    var dp = [Double](repeating: 0, count: n), dot = 0.0
                    for b in 0..<n where p[a * n + b] != 0 {
                        var s = 0.0
                        for k in 0..<d {
                            let g = dOut[(s0 + a) * ldo + head * d + k]
                            s += g * qkv[(s0 + b) * ld + vo + k]
                            dqkv[(s0 + b) * ld + vo + k] += p[a * n + b] * g
                        }
                        dp[b] = s
                        dot += p[a * n + b] * s
                    }
                    for b in 0..<n where p[a * n + b] != 0 {
                        let ds = p[a * n + b] * (dp[b] - dot) * scale
                        for k in 0..<d {
                            dqkv[(s0 + a) * ld + qo + k] += ds * qkv[(s0 + b) * ld + ko + k]
                            dqkv[(s0 + b) * ld + ko + k] += ds * qkv[(s0 + a) * ld + qo + k]
                        }
                    }
                }
            }
        }
        return dqkv
    }
}
