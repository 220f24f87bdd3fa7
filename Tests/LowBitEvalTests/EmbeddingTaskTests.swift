import Foundation
import Testing
@testable import LowBitEval

/// The embedding tasks against table embedders with known answers.
@Suite struct EmbeddingTaskTests {
    @Test func fidelity() throws {
        let model = TableEmbedder(table: ["a": [1, 0], "b": [3, 4], "c": [0, 2]])
        let reference = TableEmbedder(table: ["a": [1, 0], "b": [4, 3], "c": [0, 1]])
        let r = try EmbeddingFidelityTask(sentences: ["a", "b", "c"]).run(model: model, reference: reference)
        #expect(close(r.cosineMean, (1 + 24.0 / 25 + 1) / 3))
        #expect(close(r.cosineMin, 24.0 / 25))
        #expect(r.sentences == 3)
        let file = Paths.write("s.txt", "  a \n\nb\n   \nc")
        #expect(try EmbeddingFidelityTask(sentencesFile: file).sentences == ["a", "b", "c"])
        expectEvalError(.invalidInput, containing: "dimensions differ") {
            _ = try EmbeddingFidelityTask(sentences: ["a"]).run(model: model, reference: TableEmbedder(table: [:]))
        }
        expectEvalError(.invalidInput, containing: "no sentences") {
            _ = try EmbeddingFidelityTask(sentences: []).run(model: model, reference: model)
        }
    }

    @Test func stsPairsAndCorrelations() throws {
        // Embeddings at angles 0°, 30°, 90°: cosines (0,1) = √3/2, (0,2) = 0, (1,2) = 1/2.
        let e: [String: [Float]] = ["d0": [1, 0], "d1": [Float(Double(3).squareRoot() / 2), 0.5], "d2": [0, 1]]
        let ratings: [[Double]] = [[1, 0.9, 0.1], [0, 1, 0.3], [0, 0, 1]]
        let r = try STSLee50Task(documents: ["d0", "d1", "d2"], ratings: ratings).run(model: TableEmbedder(table: e))
        #expect(r.pairs == 3)
        #expect(close(r.spearman, 1))
        #expect(close(r.pearson, Metrics.pearson([Double(3).squareRoot() / 2, 0, 0.5], [0.9, 0.1, 0.3]), 1e-7))  // cosines of Float vectors
        let keys = Set((try JSONSerialization.jsonObject(with: JSONEncoder().encode(r)) as! [String: Any]).keys)
        #expect(keys == ["pearson", "spearman", "pairs", "seconds"])
    }

    @Test func wordSimilarityEmbedsEachWordOnce() throws {
        let counter = CountingEmbedder(inner: TableEmbedder(table: ["x": [1, 0], "y": [1, 1], "z": [0, 1]]))
        let pairs: [LabelledData.WordPair] = [.init(first: "x", second: "y", score: 5), .init(first: "x", second: "z", score: 1),
                                             .init(first: "y", second: "z", score: 6), .init(first: "y", second: "y", score: 10)]
        let task = WordSimilarityTask(pairs: pairs)
        #expect(task.words == ["x", "y", "z"])
        let r = try task.run(model: counter)
        #expect(counter.texts == ["x", "y", "z"])
        // Cosines √½, 0, √½, 1 vs ratings 5, 1, 6, 10: ranks (2.5, 1, 2.5, 4) vs (2, 1, 3, 4).
        #expect(close(r.spearman, Metrics.pearson([2.5, 1, 2.5, 4], [2, 1, 3, 4])))
        #expect(r.pairs == 4)
    }

    @Test func sentimentAccuracy() throws {
        // Positive sentences point along x, negative along y: every fold classifies perfectly.
        let items = (0..<20).map { LabelledData.LabelledText(label: $0 % 3 == 0 ? 1 : 0, text: "s\($0)") }
        var table: [String: [Float]] = [:]
        for (i, item) in items.enumerated() { table[item.text] = item.label == 1 ? [1, Float(i) * 0.01] : [Float(i) * 0.01, 1] }
        let r = try SentimentTask(items: items).run(model: TableEmbedder(table: table))
        #expect(r.accuracy == 1 && r.foldAccuracies == [1, 1, 1, 1, 1] && r.sentences == 20)
        let keys = Set((try JSONSerialization.jsonObject(with: JSONEncoder().encode(r)) as! [String: Any]).keys)
        #expect(keys == ["accuracy", "fold_accuracies", "sentences", "seconds"])
        expectEvalError(.invalidInput, containing: "same label") {
            _ = try SentimentTask(items: items.map { .init(label: 0, text: $0.text) }).run(model: TableEmbedder(table: table))
        }
        expectEvalError(.invalidInput, containing: "4 sentences for 5 folds") {
            _ = try SentimentTask(items: Array(items.prefix(4))).run(model: TableEmbedder(table: table))
        }
    }

    @Test func badEmbedderOutput() {
        struct Short: TextEmbedder { func embed(_ texts: [String]) throws -> [[Float]] { [[1]] } }
        struct Ragged: TextEmbedder { func embed(_ texts: [String]) throws -> [[Float]] { texts.map { $0 == "a" ? [1] : [1, 2] } } }
        struct NaNs: TextEmbedder { func embed(_ texts: [String]) throws -> [[Float]] { texts.map { _ in [.nan, 1] } } }
        expectEvalError(.badModelOutput, containing: "1 embeddings for 2 texts") {
            _ = try EmbeddingFidelityTask(sentences: ["a", "b"]).run(model: Short(), reference: Short())
        }
        expectEvalError(.badModelOutput, containing: "text 1 has 2 values") {
            _ = try EmbeddingFidelityTask(sentences: ["a", "b"]).run(model: Ragged(), reference: Ragged())
        }
        expectEvalError(.badModelOutput, containing: "non-finite") {
            _ = try EmbeddingFidelityTask(sentences: ["a"]).run(model: NaNs(), reference: NaNs())
        }
    }

    @Test func batchesCoverAllTexts() throws {
        let counter = CountingEmbedder(inner: TableEmbedder(table: [:]))
        let texts = (0..<(Embeddings.batchSize * 2 + 3)).map { "t\($0)" }
        let out = try Embeddings.embed(texts, with: counter, name: "model", progress: false)
        #expect(out.count == texts.count && counter.texts == texts)
        #expect(counter.calls == 3)
    }

    @Test func progressLine() {
        #expect(ProgressBar.line(label: "ppl", done: 5, total: 10, elapsed: 2, width: 10) == "ppl [#####.....] 5/10  2.50/s  ETA 0:02")
        #expect(ProgressBar.line(label: "x", done: 100, total: 100, elapsed: 4, width: 4) == "x [####] 100/100  25/s")
        #expect(ProgressBar.clock(3725) == "1:02:05")
        let silent = ProgressBar.silent(total: 3)
        silent.advance()
        silent.advance(by: 2)
        #expect(silent.completed == 3)
        silent.finish()
    }
}

/// Wraps an embedder and records the texts it was asked for.
final class CountingEmbedder: TextEmbedder, @unchecked Sendable {
    let inner: TableEmbedder
    var texts: [String] = []
    var calls = 0
    init(inner: TableEmbedder) { self.inner = inner }
    func embed(_ texts: [String]) throws -> [[Float]] {
        self.texts += texts
        calls += 1
        return try inner.embed(texts)
    }
}
