import Foundation
import LowBitCore

/// Rotary position embedding in the Hugging Face layout ("rotate half"): dimension i of a head
/// is paired with dimension i + headDim/2 and the pair is rotated by position · θ^(-2i/headDim).
///
/// GGUF Llama files store Q/K rows permuted for llama.cpp's adjacent-pair rotation; the Llama
/// loader un-permutes them (`unpermuteGGUFRows`) so this one rotation serves both sources.
/// Angles are computed as transformers does, in FP32: invFreq[i] = 1 / θ^(2i/d), angle = pos · invFreq[i].
public final class RotaryEmbedding: Sendable {
    public let headDim: Int
    public let theta: Double
    /// cos/sin: [positions, headDim/2]
    let cosTable: [Float]
    let sinTable: [Float]
    public let positions: Int

    public init(headDim: Int, theta: Double, positions: Int) {
        precondition(headDim % 2 == 0, "RotaryEmbedding: headDim must be even")
        self.headDim = headDim
        self.theta = theta
        self.positions = positions
        let half = headDim / 2
        let inv = (0..<half).map { i in 1 / powf(Float(theta), Float(2 * i) / Float(headDim)) }
        var c = [Float](repeating: 0, count: positions * half), s = c
        for p in 0..<positions {
            for i in 0..<half {
                let a = Float(p) * inv[i]
                c[p * half + i] = cosf(a)
                s[p * half + i] = sinf(a)
            }
        }
        cosTable = c
        sinTable = s
    }

    /// Rotates, in place, heads `0..<heads` of each row. x: [rows, ≥ heads·headDim] with row
    /// stride ld; positions: [rows], each < `self.positions`.
    public func apply(_ x: UnsafeMutablePointer<Float>, rows: Int, ld: Int, heads: Int, positions: [Int32]) {
        precondition(positions.count >= rows && positions.prefix(rows).allSatisfy { $0 >= 0 && Int($0) < self.positions },
                     "RotaryEmbedding: positions must lie in 0..<\(self.positions)")
        let half = headDim / 2, d = headDim
        cosTable.withUnsafeBufferPointer { cp in
            sinTable.withUnsafeBufferPointer { sp in
                let cp = cp.baseAddress!, sp = sp.baseAddress!
                positions.withUnsafeBufferPointer { pos in
                    let pos = pos.baseAddress!
                    Parallel.forRanges(rows, minChunk: 16) { r in
                        for row in r {
                            let c = cp + Int(pos[row]) * half, s = sp + Int(pos[row]) * half
                            for h in 0..<heads {
                                let v = x + row * ld + h * d
                                for i in 0..<half {
                                    let x1 = v[i], x2 = v[i + half]
                                    v[i] = x1 * c[i] - x2 * s[i]
                                    v[i + half] = x2 * c[i] + x1 * s[i]
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Reorders the rows of a GGUF Q or K weight to the Hugging Face layout.
    /// w: [heads·headDim, inFeatures]; in each head, GGUF row 2i + s becomes row s·headDim/2 + i.
    public static func unpermuteGGUFRows(_ w: Tensor, heads: Int) -> Tensor {
        let rows = w.shape[0], cols = w.shape[1], d = rows / heads, half = d / 2
        precondition(rows == heads * d && d % 2 == 0, "unpermuteGGUFRows: \(w.shape) for \(heads) heads")
        let out = Tensor(zeros: w.shape)
        for h in 0..<heads {
            for i in 0..<half {
                for s in 0..<2 {
                    (out.pointer + (h * d + s * half + i) * cols).update(from: w.pointer + (h * d + 2 * i + s) * cols, count: cols)
                }
            }
        }
        return out
    }
}
