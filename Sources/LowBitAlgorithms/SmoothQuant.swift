import Foundation
import LowBitCore
import LowBitQuant

/// SmoothQuant's per-channel migration (Xiao et al. 2023, eq. 4): x·Wᵀ = (x·diag(1/s))·(W·diag(s))ᵀ
/// with s_j = max|X_j|^α / max|W_j|^(1−α), so input channels with outliers are scaled down and
/// the matching weight columns up. See `Recipe.Smoothing` for where the 1/s goes at run time.
public enum SmoothQuant {
    /// The smallest scale (as the reference implementation's `clamp(min=1e-5)`).
    public static let minScale: Float = 1e-5

    /// s: [inFeatures] for x: [rows, inFeatures] (calibration inputs) and w: [outFeatures, inFeatures].
    /// A channel that is zero in x or in w keeps s = 1.
    public static func scales(x: Tensor, weight w: Tensor, alpha: Double) -> [Float] {
        let n = w.shape[1], out = w.shape[0], rows = x.count / max(n, 1)
        precondition(x.count == rows * n, "SmoothQuant: x has \(x.count) values, not a multiple of inFeatures \(n)")
        let xm = columnAbsMax(x.pointer, rows: rows, cols: n), wm = columnAbsMax(w.pointer, rows: out, cols: n)
        return (0..<n).map { j in
            guard xm[j] > 0, wm[j] > 0 else { return 1 }
            let s = Float(pow(Double(xm[j]), alpha) / pow(Double(wm[j]), 1 - alpha))
            return s.isFinite ? max(s, minScale) : 1
        }
    }

    /// w·diag(s): [outFeatures, inFeatures].
    public static func scaledWeight(_ w: Tensor, by s: [Float]) -> Tensor {
        scaledColumns(w, by: s)
    }

    /// x·diag(1/s): [rows, inFeatures].
    public static func scaledInput(_ x: Tensor, by s: [Float]) -> Tensor {
        scaledColumns(x, by: s.map { 1 / $0 })
    }

    /// Composes 1/s with a method's gather map and input multipliers (OCS): column k of the
    /// widened layer reads x[:, map[k]] · scales[k] / s[map[k]].
    public static func inputScales(smoothing s: [Float], channels: [Int32]?, scales: [Float]?) -> [Float] {
        let width = channels?.count ?? s.count
        return (0..<width).map { k in
            let j = channels.map { Int($0[k]) } ?? k
            return (scales?[k] ?? 1) / s[j]
        }
    }

    static func columnAbsMax(_ p: UnsafePointer<Float>, rows: Int, cols: Int) -> [Float] {
        var m = [Float](repeating: 0, count: cols)
        for r in 0..<rows {
            let row = p + r * cols
            for j in 0..<cols { m[j] = max(m[j], abs(row[j])) }
        }
        return m
    }

    static func scaledColumns(_ a: Tensor, by f: [Float]) -> Tensor {
        let cols = f.count, rows = a.count / max(cols, 1)
        let out = Tensor(zeros: [rows, cols])
        let src = a.pointer, dst = out.pointer
        for r in 0..<rows {
            for j in 0..<cols { dst[r * cols + j] = src[r * cols + j] * f[j] }
        }
        return out
    }
}
