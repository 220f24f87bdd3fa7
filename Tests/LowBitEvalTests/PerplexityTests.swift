import Foundation
import LowBitCore
import Testing
@testable import LowBitEval

/// Perplexity windowing and scoring against fake decoders with closed-form answers.
@Suite struct PerplexityTests {
    @Test func windows() {
        #expect(PerplexityTask.windows(count: 10, context: 4) == [0..<4, 4..<8, 8..<10])
        #expect(PerplexityTask.windows(count: 9, context: 4) == [0..<4, 4..<8])
        #expect(PerplexityTask.windows(count: 8, context: 4) == [0..<4, 4..<8])
        #expect(PerplexityTask.windows(count: 2, context: 4) == [0..<2])
        #expect(PerplexityTask.windows(count: 1, context: 4) == [])
        #expect(PerplexityTask.windows(count: 0, context: 2) == [])
        #expect(PerplexityTask.windows(count: 5, context: 2) == [0..<2, 2..<4])
    }

    /// Uniform logits over V: every token has probability 1/V, so ppl = V exactly.
    @Test func uniformModelHasPerplexityV() throws {
        let v = 7
        let scorer = BigramScorer(table: Array(repeating: Array(repeating: 0, count: v), count: v))
        let tokens: [Int32] = (0..<23).map { Int32($0 % v) }
        let r = try PerplexityTask(context: 5).run(tokens: tokens, model: scorer)
        #expect(close(r.ppl, Double(v)))
        #expect(close(r.nllMean, log(Double(v))))
        // Windows 0..<5, 5..<10, …, 20..<23: 4·4 + 2 scored.
        #expect(r.tokens == 18 && r.windows == 5 && r.ctx == 5)
        #expect(scorer.windows.map(\.count) == [5, 5, 5, 5, 3])
        #expect(r.klMean == nil && r.top1Agreement == nil)
    }

    /// A deterministic bigram model: after token a it puts probability p on (a+1) mod V, the rest
    /// spread evenly. On the cycle 0, 1, 2, … every scored token is the likely one, so
    /// ppl = 1/p, and a stream that jumps only at window starts keeps ppl = 1/p when the first
    /// token of each window is context only.
    @Test func firstTokenOfEachWindowIsContextOnly() throws {
        let v = 5, p = 0.8
        let big = Float(log(p * Double(v - 1) / (1 - p)))  // exp(big) / (exp(big) + V − 1) = p
        let table = (0..<v).map { a in (0..<v).map { $0 == (a + 1) % v ? big : 0 } }
        // Each window of 4 follows the cycle from its own start; the jumps between windows
        // (3 → 3, 2 → 1, …) are unlikely under the model but sit at window starts.
        var tokens: [Int32] = []
        for start in [0, 3, 1, 4, 2] { for k in 0..<4 { tokens.append(Int32((start + k) % v)) } }
        tokens.removeLast(2)  // a partial last window of 2 tokens
        let r = try PerplexityTask(context: 4).run(tokens: tokens, model: BigramScorer(table: table))
        #expect(close(r.ppl, 1 / p, 1e-6))
        #expect(r.tokens == 3 + 3 + 3 + 3 + 1 && r.windows == 5)
        // One window over the same stream scores the jumps too: ppl rises.
        let whole = try PerplexityTask(context: tokens.count).run(tokens: tokens, model: BigramScorer(table: table))
        #expect(whole.tokens == 17 && whole.ppl > 1 / p + 0.1)
    }

    /// Against numpy (scripts/make_eval_fixtures.py): a bigram model and reference over a random
    /// stream with a partial last window.
    @Test func matchesNumpyReference() throws {
        let f = try MetricsFixture.load().perplexity
        let model = BigramScorer(table: f.model), reference = BigramScorer(table: f.reference)
        let r = try PerplexityTask(context: f.ctx).run(tokens: f.tokens, model: model, reference: reference)
        #expect(close(r.ppl, f.ppl))
        #expect(r.tokens == f.scored)
        #expect(close(r.klMean!, f.kl_mean))
        #expect(close(r.klP99!, f.kl_p99))
        #expect(close(r.top1Agreement!, f.top1_agreement))
        #expect(reference.windows == model.windows)
        #expect(r.klMax! >= r.klP99!)
        // The model against itself: KL 0, agreement 1, same ppl.
        let same = try PerplexityTask(context: f.ctx).run(tokens: f.tokens, model: model, reference: model)
        #expect(same.klMean == 0 && same.klP99 == 0 && same.top1Agreement == 1 && same.referencePpl == same.ppl)
    }

    @Test func jsonKeys() throws {
        let f = try MetricsFixture.load().perplexity
        let model = BigramScorer(table: f.model)
        let plain = try PerplexityTask(context: f.ctx).run(tokens: f.tokens, model: model)
        let withRef = try PerplexityTask(context: f.ctx).run(tokens: f.tokens, model: model, reference: BigramScorer(table: f.reference))
        func keys(_ r: PerplexityResult) throws -> Set<String> {
            Set((try JSONSerialization.jsonObject(with: JSONEncoder().encode(r)) as! [String: Any]).keys)
        }
        #expect(try keys(plain) == ["ppl", "tokens", "windows", "ctx", "nll_mean", "seconds"])
        #expect(try keys(withRef) == ["ppl", "tokens", "windows", "ctx", "nll_mean", "seconds",
                                      "reference_ppl", "kl_mean", "kl_p99", "kl_max", "top1_agreement"])
        let decoded = try JSONDecoder().decode(PerplexityResult.self, from: JSONEncoder().encode(withRef))
        #expect(decoded == withRef)
    }

    @Test func invalidInputs() {
        let scorer = BigramScorer(table: [[0, 0], [0, 0]], contextLength: 8)
        expectEvalError(.invalidInput, containing: "at least 2") { _ = try PerplexityTask(context: 4).run(tokens: [1], model: scorer) }
        expectEvalError(.invalidInput, containing: "at least 2 tokens") { _ = try PerplexityTask(context: 1).run(tokens: [1, 0], model: scorer) }
        expectEvalError(.invalidInput, containing: "longer than the model's 8") { _ = try PerplexityTask(context: 9).run(tokens: [1, 0], model: scorer) }
        expectEvalError(.invalidInput, containing: "token id 2") { _ = try PerplexityTask(context: 4).run(tokens: [1, 2], model: scorer) }
        let other = BigramScorer(table: [[0, 0, 0], [0, 0, 0], [0, 0, 0]])
        expectEvalError(.invalidInput, containing: "vocabularies differ") {
            _ = try PerplexityTask(context: 4).run(tokens: [1, 0], model: scorer, reference: other)
        }
        let nan = BigramScorer(table: [[.nan, 0], [0, 0]])
        expectEvalError(.badModelOutput, containing: "non-finite") { _ = try PerplexityTask(context: 4).run(tokens: [0, 1, 1], model: nan) }
        expectEvalError(.badModelOutput, containing: "returned logits [2, 3]") {
            _ = try PerplexityTask(context: 4).run(tokens: [0, 1], model: WrongShape())
        }
        #expect(PerplexityTask.defaultContext(model: BigramScorer(table: [[0]], contextLength: 1024)) == 512)
        #expect(PerplexityTask.defaultContext(model: BigramScorer(table: [[0]], contextLength: 256)) == 256)
        #expect(PerplexityTask.defaultContext(model: scorer, reference: BigramScorer(table: [[0]], contextLength: 4)) == 4)
    }

    struct WrongShape: TokenScorer {
        var vocabularySize: Int { 2 }
        var contextLength: Int { 8 }
        var endOfTextToken: Int32 { 0 }
        func logits(tokens: [Int32]) throws -> Tensor { Tensor(zeros: [tokens.count, 3]) }
    }
}
