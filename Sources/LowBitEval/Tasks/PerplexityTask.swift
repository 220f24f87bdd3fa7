import Foundation
import LowBitCore
import LowBitTokenizers

/// Perplexity of a decoder over a text, with LowBit's protocol (`tools/reference/gpt2_ppl.py`):
/// blank-line-separated documents, each stripped, tokenized and followed by the end-of-text
/// token, concatenated, and scored in non-overlapping windows of `context` tokens; the first
/// token of each window is context only. With a reference model, also the per-token
/// `KL(reference ‖ model)` and top-1 agreement on the same windows (llama.cpp's definitions).
public struct PerplexityTask: Sendable {
    /// Window length in tokens (≥ 2).
    public var context: Int

    public init(context: Int) {
        self.context = context
    }

    /// The model's context length (and the reference's, if shorter), capped at 512.
    public static func defaultContext(model: any TokenScorer, reference: (any TokenScorer)? = nil) -> Int {
        min(512, model.contextLength, reference?.contextLength ?? Int.max)
    }

    /// The token stream of `text`: `Documents.split(text)`, each document's ids (no special tokens
    /// added, special-token text parsed, as Hugging Face `Tokenizer.encode` does for GPT-2 and the
    /// GGUF reference) followed by `endOfText`. Documents are tokenized in parallel; the order is kept.
    public static func tokens(of text: String, tokenizer: any Tokenizer, endOfText: Int32) -> [Int32] {
        let documents = Documents.split(text)
        let ids = Metrics.parallelMap(documents.count) { i in
            tokenizer.encode(documents[i], addSpecialTokens: false, parseSpecialTokens: true)
        }
        return ids.flatMap { $0.map { Int32($0) } + [endOfText] }
    }

    /// The windows over `count` tokens: starts `0, context, 2·context, …` below `count − 1`, each
    /// `context` long or up to the end (so the last has 2…context tokens). Window `w` scores
    /// `count(w) − 1` tokens.
    ///
    /// | count | context | windows |
    /// |---|---|---|
    /// | 10 | 4 | 0..<4, 4..<8, 8..<10 |
    /// | 9 | 4 | 0..<4, 4..<8 (token 8 is never scored: it would be a window's first token) |
    /// | 1 | 4 | none |
    public static func windows(count: Int, context: Int) -> [Range<Int>] {
        precondition(context >= 2, "windows: context \(context) < 2")
        return stride(from: 0, to: count - 1, by: context).map { $0..<min($0 + context, count) }
    }

    /// Scores `tokens` with `model` (and `reference`).
    /// - Throws: `EvalError` `.invalidInput` (too few tokens, a context the model cannot take,
    ///   vocabularies that differ, a token outside the vocabulary) or `.badModelOutput` (logits of
    ///   the wrong shape, a non-finite log-likelihood); and whatever the models throw.
    public func run(tokens: [Int32], model: any TokenScorer, reference: (any TokenScorer)? = nil,
                    progress: Bool = false) throws -> PerplexityResult {
        try validate(tokens: tokens, model: model, reference: reference)
        let started = Date()
        let windows = Self.windows(count: tokens.count, context: context)
        let bar = ProgressBar("ppl", total: windows.count, enabled: progress)
        defer { bar.finish() }
        var nll: [Double] = [], referenceNLL: [Double] = [], kl: [Double] = [], agree = 0
        for (w, range) in windows.enumerated() {
            let window = Array(tokens[range])
            let logits = try Self.logits(model, window, "model", w)
            let scores = WindowScores(logits: logits, tokens: window)
            try Self.checkFinite(scores, "model", w)
            nll += scores.negativeLogLikelihoods
            if let reference {
                let refLogits = try Self.logits(reference, window, "reference", w)
                let refScores = WindowScores(logits: refLogits, tokens: window)
                try Self.checkFinite(refScores, "reference", w)
                referenceNLL += refScores.negativeLogLikelihoods
                kl += Metrics.klDivergences(reference: refLogits, referenceScores: refScores, model: logits, modelScores: scores)
                agree += zip(scores.argmax, refScores.argmax).filter { $0 == $1 }.count
            }
            bar.advance()
        }
        let hasReference = reference != nil
        return PerplexityResult(
            ppl: Metrics.perplexity(negativeLogLikelihoods: nll), tokens: nll.count, windows: windows.count, ctx: context,
            nllMean: Metrics.mean(nll),
            referencePpl: hasReference ? Metrics.perplexity(negativeLogLikelihoods: referenceNLL) : nil,
            klMean: hasReference ? Metrics.mean(kl) : nil,
            klP99: hasReference ? Metrics.percentile(kl, 0.99) : nil,
            klMax: hasReference ? kl.max() : nil,
            top1Agreement: hasReference ? Double(agree) / Double(nll.count) : nil,
            seconds: Date().timeIntervalSince(started))
    }

    private func validate(tokens: [Int32], model: any TokenScorer, reference: (any TokenScorer)?) throws(EvalError) {
        guard context >= 2 else { throw EvalError(.invalidInput, "context \(context): a window needs at least 2 tokens") }
        guard tokens.count >= 2 else { throw EvalError(.invalidInput, "the text has \(tokens.count) token(s); perplexity needs at least 2") }
        for (name, m) in [("model", model)] + (reference.map { [("reference", $0)] } ?? []) {
            guard m.vocabularySize > 0 else { throw EvalError(.invalidInput, "the \(name) has an empty vocabulary") }
            guard context <= m.contextLength else {
                throw EvalError(.invalidInput, "context \(context) is longer than the \(name)'s \(m.contextLength) tokens")
            }
        }
        if let reference, reference.vocabularySize != model.vocabularySize {
            throw EvalError(.invalidInput, "vocabularies differ: model \(model.vocabularySize), reference \(reference.vocabularySize) (KL needs the same tokenizer)")
        }
        if let bad = tokens.first(where: { $0 < 0 || Int($0) >= model.vocabularySize }) {
            throw EvalError(.invalidInput, "token id \(bad) is outside the model's vocabulary of \(model.vocabularySize)")
        }
    }

    /// The logits of one window, checked to be [n, vocabulary].
    private static func logits(_ m: any TokenScorer, _ window: [Int32], _ name: String, _ w: Int) throws -> Tensor {
        let logits = try m.logits(tokens: window)
        guard logits.shape == Shape([window.count, m.vocabularySize]) else {
            throw EvalError(.badModelOutput, "the \(name) returned logits \(logits.shape) for window \(w) of \(window.count) tokens; expected [\(window.count), \(m.vocabularySize)]")
        }
        return logits
    }

    private static func checkFinite(_ s: WindowScores, _ name: String, _ w: Int) throws(EvalError) {
        if let t = s.negativeLogLikelihoods.firstIndex(where: { !$0.isFinite }) {
            throw EvalError(.badModelOutput, "the \(name) gave a non-finite log-likelihood (\(s.negativeLogLikelihoods[t])) in window \(w) at position \(t + 1)")
        }
    }
}
