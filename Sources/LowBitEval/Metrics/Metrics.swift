import Foundation
import LowBitCore

/// Pure metric functions. All accumulate in `Double` in a fixed order, so results do not depend
/// on the thread count; the ones that take many rows split work by rows only.
public enum Metrics {}

extension Metrics {
    /// Arithmetic mean (NaN for no values).
    public static func mean(_ x: [Double]) -> Double {
        x.isEmpty ? .nan : x.reduce(0, +) / Double(x.count)
    }

    /// The `q`-quantile (`q` in 0…1) of `values` with linear interpolation between closest ranks.
    ///
    /// With `v` sorted ascending, `h = q·(n − 1)`, `i = ⌊h⌋`: `v[i] + (h − i)·(v[i+1] − v[i])`.
    /// This is numpy's default (`method="linear"`) and what llama.cpp's perplexity tool prints as
    /// "99.0% KLD" (`(1 − f)·v[i] + f·v[i+1]`), up to rounding. q ≤ 0 gives the minimum, q ≥ 1
    /// the maximum, no values NaN.
    ///
    /// | values | q | result |
    /// |---|---|---|
    /// | 1, 2, 3, 4 | 0.5 | 2.5 |
    /// | 0 … 100 (101 values) | 0.99 | 99 |
    /// | 1, 2 | 0.99 | 1.99 |
    public static func percentile(_ values: [Double], _ q: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let v = values.sorted()
        if q <= 0 { return v[0] }
        if q >= 1 { return v[v.count - 1] }
        let h = q * Double(v.count - 1)
        let i = min(Int(h.rounded(.down)), v.count - 1)
        let f = h - Double(i)
        return i + 1 < v.count ? v[i] + f * (v[i + 1] - v[i]) : v[i]
    }

    /// Cosine similarity `a·b / (‖a‖‖b‖)` in Double; 0 when either vector is all zeros.
    /// a, b: [dim], same dim.
    public static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        precondition(a.count == b.count, "cosine: dimensions \(a.count) and \(b.count) differ")
        var dot = 0.0, na = 0.0, nb = 0.0
        for i in 0..<a.count {
            let x = Double(a[i]), y = Double(b[i])
            dot += x * y
            na += x * x
            nb += y * y
        }
        return na == 0 || nb == 0 ? 0 : dot / (na.squareRoot() * nb.squareRoot())
    }

    /// `v / ‖v‖` in Double (all zeros stays all zeros).
    public static func normalized(_ v: [Float]) -> [Double] {
        let d = v.map(Double.init)
        let n = d.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return n == 0 ? d : d.map { $0 / n }
    }
}

extension Metrics {
    /// `(0..<count).map(body)` with the indices split over threads; `body(i)` must depend only
    /// on `i`, so the result is the same for any thread count.
    static func parallelMap<T>(_ count: Int, _ body: (Int) -> T) -> [T] {
        guard count > 0 else { return [] }
        return [T](unsafeUninitializedCapacity: count) { out, initialized in
            let base = out.baseAddress!
            Parallel.forRanges(count) { range in
                for i in range { (base + i).initialize(to: body(i)) }
            }
            initialized = count
        }
    }
}
