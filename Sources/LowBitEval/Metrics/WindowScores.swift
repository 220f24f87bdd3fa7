import Foundation
import LowBitCore

/// The scores of one perplexity window: one entry per position that predicts a next token.
///
/// For a window `tokens: [n]` with `logits: [n, vocabulary]`, position `t` in `0..<n−1` is
/// scored against `tokens[t+1]`; row `n−1` would predict past the window and is unused, and
/// `tokens[0]` is context only.
public struct WindowScores: Sendable, Equatable {
    /// `−log softmax(logits[t])[tokens[t+1]]`: [n−1].
    public var negativeLogLikelihoods: [Double]
    /// First index of the largest logit of row t: [n−1].
    public var argmax: [Int]
    /// `log Σ exp(logits[t])`: [n−1].
    public var logSumExps: [Double]

    /// Scores `logits` against `tokens`, rows in parallel (each row's sums run in index order on
    /// one thread, so the result does not depend on the thread count).
    /// logits: [n, vocabulary]; tokens: [n], each in `0..<vocabulary`.
    public init(logits: Tensor, tokens: [Int32]) {
        precondition(logits.shape.rank == 2 && logits.shape[0] == tokens.count, "WindowScores: logits \(logits.shape) for \(tokens.count) tokens")
        let rows = max(tokens.count - 1, 0), vocabulary = logits.shape[1]
        let base = logits.pointer
        let perRow = Metrics.parallelMap(rows) { t -> (nll: Double, argmax: Int, lse: Double) in
            let row = UnsafeBufferPointer(start: base + t * vocabulary, count: vocabulary)
            let (m, i) = Metrics.maxAndArgmax(row)
            let l = Metrics.logSumExp(row, max: m)
            return (l - Double(row[Int(tokens[t + 1])]), i, l)
        }
        self.negativeLogLikelihoods = perRow.map(\.nll)
        self.argmax = perRow.map(\.argmax)
        self.logSumExps = perRow.map(\.lse)
    }
}

extension Metrics {
    /// Per-position `KL(ref ‖ model)` of a window both models scored: [n−1].
    /// reference, model: [n, vocabulary] logits with their `WindowScores`.
    public static func klDivergences(reference: Tensor, referenceScores: WindowScores,
                                     model: Tensor, modelScores: WindowScores) -> [Double] {
        precondition(reference.shape == model.shape, "klDivergences: shapes \(reference.shape) and \(model.shape)")
        let rows = referenceScores.logSumExps.count, vocabulary = model.shape[1]
        let r = reference.pointer, m = model.pointer
        return parallelMap(rows) { t in
            klDivergence(
                reference: UnsafeBufferPointer(start: r + t * vocabulary, count: vocabulary),
                referenceLogSumExp: referenceScores.logSumExps[t],
                model: UnsafeBufferPointer(start: m + t * vocabulary, count: vocabulary),
                modelLogSumExp: modelScores.logSumExps[t])
        }
    }

    /// Fraction of positions where both argmaxes agree (NaN for none). a, b: [n], same n.
    public static func topOneAgreement(_ a: [Int], _ b: [Int]) -> Double {
        precondition(a.count == b.count, "topOneAgreement: \(a.count) and \(b.count) positions")
        guard !a.isEmpty else { return .nan }
        return Double(zip(a, b).filter { $0 == $1 }.count) / Double(a.count)
    }

    /// `exp(mean negative log-likelihood)`.
    public static func perplexity(negativeLogLikelihoods nll: [Double]) -> Double {
        exp(mean(nll))
    }
}
