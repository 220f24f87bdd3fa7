import Foundation
import LowBitCore
import LowBitModels

extension FastOps {
    /// Runs body(rowRange) over 0..<rows in parallel (row-local work only).
    static func forRows(_ rows: Int, _ body: (Range<Int>) -> Void) { Parallel.forRanges(rows, minChunk: 16, body) }

    // MARK: - Norms (row statistics in Double)

    /// (mean, 1/σ) of row x[0..<n] as `LayerOps.stats`.
    static func stats(_ x: UnsafePointer<Float>, n: Int, _ p: NormParametersOf<Float>) -> (Float, Float) {
        var mean = 0.0
        if p.kind == .layerNorm {
            for i in 0..<n { mean += Double(x[i]) }
            mean /= Double(n)
        }
        var v = 0.0
        for i in 0..<n { let d = Double(x[i]) - mean; v += d * d }
        return (Float(mean), Float(1 / (v / Double(n) + p.eps).squareRoot()))
    }

    /// x: [T, n] → LayerNorm or RMSNorm of each row.
    public static func norm(_ x: [Float], _ p: NormParametersOf<Float>) -> [Float] {
        let n = p.size, rows = x.count / n
        var y = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                let xb = xp.baseAddress!, yb = yp.baseAddress!
                p.weight.withUnsafeBufferPointer { g in
                    forRows(rows) { range in
                        for r in range {
                            let (mean, inv) = stats(xb + r * n, n: n, p)
                            for i in 0..<n { yb[r * n + i] = (xb[r * n + i] - mean) * inv * g[i] + (p.bias?[i] ?? 0) }
                        }
                    }
                }
            }
        }
        return y
    }

    /// dy: [T, n], x: the norm's input → dx, dγ, dβ (nil without β); see `LayerOps.normBackward`.
    public static func normBackward(_ dy: [Float], x: [Float], _ p: NormParametersOf<Float>)
        -> (dx: [Float], dWeight: [Float], dBias: [Float]?) {
        let n = p.size, rows = x.count / n
        var dx = [Float](repeating: 0, count: x.count), xhat = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { xp in
            dy.withUnsafeBufferPointer { gp in
                dx.withUnsafeMutableBufferPointer { dp in
                    xhat.withUnsafeMutableBufferPointer { hp in
                        let xb = xp.baseAddress!, gb = gp.baseAddress!, db = dp.baseAddress!, hb = hp.baseAddress!
                        p.weight.withUnsafeBufferPointer { w in
                            forRows(rows) { range in
                                for r in range {
                                    let (mean, inv) = stats(xb + r * n, n: n, p)
                                    var sumD = 0.0, sumDX = 0.0
                                    for i in 0..<n {
                                        let xh = (xb[r * n + i] - mean) * inv, d = gb[r * n + i] * w[i]
                                        hb[r * n + i] = xh
                                        sumD += Double(d)
                                        sumDX += Double(d * xh)
                                    }
                                    let meanD = Float(p.kind == .layerNorm ? sumD / Double(n) : 0), meanDX = Float(sumDX / Double(n))
                                    for i in 0..<n { db[r * n + i] = inv * (gb[r * n + i] * w[i] - meanD - hb[r * n + i] * meanDX) }
                                }
                            }
                        }
                    }
                }
            }
        }
        // dγ = Σ_r dy ∘ x̂, dβ = Σ_r dy: rows in order, in Double.
        var dg = [Double](repeating: 0, count: n), dbeta = [Double](repeating: 0, count: n)
        for r in 0..<rows {
            for i in 0..<n {
                dg[i] += Double(dy[r * n + i] * xhat[r * n + i])
                dbeta[i] += Double(dy[r * n + i])
            }
        }
        return (dx, convert(dg), p.bias == nil ? nil : convert(dbeta))
    }

    // MARK: - Activations (in Double per element)

    /// u: [T, mlpInWidth] → [T, I]; as `LayerOps.activate`.
    public static func activate(_ u: [Float], _ act: Activation, intermediate: Int) -> [Float] {
        let w = act == .swiGLU ? 2 * intermediate : intermediate, rows = u.count / w
        var y = [Float](repeating: 0, count: rows * intermediate)
        u.withUnsafeBufferPointer { up in
            y.withUnsafeMutableBufferPointer { yp in
                let ub = up.baseAddress!, yb = yp.baseAddress!
                forRows(rows) { range in
                    for r in range {
                        for i in 0..<intermediate {
                            let x = Double(ub[r * w + i])
                            let v: Double = switch act {
                            case .gelu: 0.5 * x * (1 + erf(x / 2.0.squareRoot()))
                            case .geluTanh: 0.5 * x * (1 + tanh(LayerOps.sqrt2OverPi * (x + 0.044715 * x * x * x)))
                            case .swiGLU: x / (1 + exp(-x)) * Double(ub[r * w + intermediate + i])
                            }
                            yb[r * intermediate + i] = Float(v)
                        }
                    }
                }
            }
        }
        return y
    }

    /// dy: [T, I], u: the activation's input → du: [T, mlpInWidth]; as `LayerOps.activateBackward`.
    public static func activateBackward(_ dy: [Float], u: [Float], _ act: Activation, intermediate: Int) -> [Float] {
        let w = act == .swiGLU ? 2 * intermediate : intermediate, rows = u.count / w
        var du = [Float](repeating: 0, count: u.count)
        u.withUnsafeBufferPointer { up in
            dy.withUnsafeBufferPointer { gp in
                du.withUnsafeMutableBufferPointer { dp in
                    let ub = up.baseAddress!, gb = gp.baseAddress!, db = dp.baseAddress!
                    forRows(rows) { range in
                        for r in range {
                            for i in 0..<intermediate {
                                let x = Double(ub[r * w + i]), g = Double(gb[r * intermediate + i])
                                switch act {
                                case .gelu:
                                    db[r * w + i] = Float(g * (0.5 * (1 + erf(x / 2.0.squareRoot()))
                                        + x * exp(-0.5 * x * x) / (2 * Double.pi).squareRoot()))
                                case .geluTanh:
                                    let t = tanh(LayerOps.sqrt2OverPi * (x + 0.044715 * x * x * x))
                                    db[r * w + i] = Float(g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * LayerOps.sqrt2OverPi
                                        * (1 + 3 * 0.044715 * x * x)))
                                case .swiGLU:
                                    let up = Double(ub[r * w + intermediate + i]), sig = 1 / (1 + exp(-x))
                                    db[r * w + i] = Float(g * up * sig * (1 + x * (1 - sig)))
                                    db[r * w + intermediate + i] = Float(g * x * sig)
                                }
                            }
                        }
                    }
                }
            }
        }
        return du
    }

    // MARK: - Rotary embedding

    /// Rotates heads 0..<heads of each row of x: [T, ld] in place; cos/sin: [T, d/2]
    /// (`LayerOps.ropeTables`, exact in Float). `inverse`: the transpose rotation (backward).
    public static func rope(_ x: inout [Float], ld: Int, heads: Int, headDim d: Int, cos: [Float], sin: [Float],
                            inverse: Bool = false) {
        let half = d / 2, rows = x.count / ld, sign: Float = inverse ? -1 : 1
        x.withUnsafeMutableBufferPointer { xp in
            let xb = xp.baseAddress!
            cos.withUnsafeBufferPointer { cp in
                sin.withUnsafeBufferPointer { sp in
                    forRows(rows) { range in
                        for r in range {
                            for h in 0..<heads {
                                let b = r * ld + h * d
                                for i in 0..<half {
                                    let c = cp[r * half + i], s = sign * sp[r * half + i]
                                    let x1 = xb[b + i], x2 = xb[b + i + half]
                                    xb[b + i] = x1 * c - x2 * s
                                    xb[b + i + half] = x2 * c + x1 * s
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
