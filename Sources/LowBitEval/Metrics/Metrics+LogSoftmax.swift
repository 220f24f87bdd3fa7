import Foundation

/// Log-softmax pieces over one row of logits, in Double.
extension Metrics {
    /// The largest element and the first index holding it (NaNs are never the maximum unless
    /// `x[0]` is one). x: [n], n ≥ 1.
    @inline(__always)
    public static func maxAndArgmax(_ x: UnsafeBufferPointer<Float>) -> (max: Float, index: Int) {
        var best = x[0], index = 0
        for i in 1..<x.count where x[i] > best {
            best = x[i]
            index = i
        }
        return (best, index)
    }

    /// `log Σ exp(x_i)`, computed stably as `m + log Σ exp(x_i − m)` with `m = max x`, the sum
    /// accumulated in Double in index order. x: [n], n ≥ 1.
    public static func logSumExp(_ x: UnsafeBufferPointer<Float>, max m: Float) -> Double {
        let md = Double(m)
        guard md.isFinite else { return md }
        var s = 0.0
        for v in x { s += exp(Double(v) - md) }
        return md + log(s)
    }

    /// `log Σ exp(x_i)`; see `logSumExp(_:max:)`.
    public static func logSumExp(_ x: [Float]) -> Double {
        x.withUnsafeBufferPointer { logSumExp($0, max: maxAndArgmax($0).max) }
    }

    /// Log-probabilities `x_i − logSumExp(x)`. x: [n] logits.
    public static func logSoftmax(_ x: [Float]) -> [Double] {
        let lse = logSumExp(x)
        return x.map { Double($0) - lse }
    }

    /// KL divergence of one position, llama.cpp's `KL(ref ‖ model)`:
    /// `Σ_i p_i (log p_i − log q_i)` with `p = softmax(reference)`, `q = softmax(model)`, each
    /// log-probability formed as `logit − logSumExp`. Terms with `p_i = 0` are 0.
    /// reference, model: [vocabulary]; the log-sum-exps are those of the same rows.
    public static func klDivergence(reference r: UnsafeBufferPointer<Float>, referenceLogSumExp lseR: Double,
                                    model m: UnsafeBufferPointer<Float>, modelLogSumExp lseM: Double) -> Double {
        precondition(r.count == m.count, "klDivergence: \(r.count) and \(m.count) logits")
        var s = 0.0
        for i in 0..<r.count {
            let logP = Double(r[i]) - lseR
            let p = exp(logP)
            if p > 0 { s += p * (logP - (Double(m[i]) - lseM)) }
        }
        return s
    }

    /// `KL(softmax(reference) ‖ softmax(model))` of two logit rows; see the pointer version.
    public static func klDivergence(referenceLogits: [Float], modelLogits: [Float]) -> Double {
        let lseR = logSumExp(referenceLogits), lseM = logSumExp(modelLogits)
        return referenceLogits.withUnsafeBufferPointer { r in
            modelLogits.withUnsafeBufferPointer { m in
                klDivergence(reference: r, referenceLogSumExp: lseR, model: m, modelLogSumExp: lseM)
            }
        }
    }
}
