import Foundation
import LowBitCore
import Testing
@testable import LowBitEval

/// Paths of the shared data the tests use, and the fixture.
enum Paths {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let shared = root + "/../shared"
    static let labelled = shared + "/data/labelled"
    static let gpt2 = shared + "/models/gpt2-kjvwiki-6l"

    /// Fails the test (rather than skipping it) when a shared file is missing.
    static func require(_ path: String) throws -> String {
        guard FileManager.default.fileExists(atPath: path) else {
            Issue.record("missing \(path): keep ../shared beside the repository")
            throw CancellationError()
        }
        return path
    }

    static func tempDir() -> String {
        let d = NSTemporaryDirectory() + "lowbit-eval-test-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    /// Writes `text` to a new file in a fresh temporary directory and returns its path.
    static func write(_ name: String, _ text: String, in dir: String = tempDir()) -> String {
        let p = dir + "/" + name
        try! text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }
}

/// `metrics.json`, written by scripts/make_eval_fixtures.py.
struct MetricsFixture: Decodable {
    struct Correlation: Decodable { let x, y: [Double]; let pearson, spearman: Double; let ranks_x: [Double] }
    struct Percentile: Decodable { let values: [Double]; let q, expected: [Double] }
    struct Softmax: Decodable {
        let reference, model: [Float]
        let lse_model: Double
        let log_softmax_model: [Double]
        let argmax_model: Int
        let kl: Double
    }
    struct Cosine: Decodable { let a, b: [Float]; let cosine: Double }
    struct Centroid: Decodable { let vectors: [[Float]]; let labels: [Int]; let fold_accuracies: [Double]; let accuracy: Double }
    struct Perplexity: Decodable {
        let vocabulary, ctx: Int
        let tokens: [Int32]
        let model, reference: [[Float]]
        let ppl: Double
        let scored: Int
        let kl_mean, kl_p99, top1_agreement: Double
    }
    struct KJV: Decodable {
        let documents, count, sum: Int
        let first, last: [Int32]
        let end_of_text: Int32
        let scored_ctx512, windows_ctx512: Int
    }
    let correlation: [Correlation]
    let percentile: [Percentile]
    let softmax: [Softmax]
    let cosine: [Cosine]
    let centroid: Centroid
    let perplexity: Perplexity
    let kjv_gpt2: KJV

    static func load() throws -> MetricsFixture {
        guard let url = Bundle.module.url(forResource: "Fixtures/metrics", withExtension: "json") else {
            Issue.record("fixture metrics.json not found in the test bundle (regenerate: python3 scripts/make_eval_fixtures.py)")
            throw CancellationError()
        }
        return try JSONDecoder().decode(MetricsFixture.self, from: Data(contentsOf: url))
    }
}

/// |a − b| ≤ tol·max(1, |b|).
func close(_ a: Double, _ b: Double, _ tol: Double = 1e-12) -> Bool {
    if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
    return abs(a - b) <= tol * max(1, abs(b))
}

/// Runs `body`, expecting an `EvalError` of `kind` whose description contains `fragment`.
func expectEvalError(_ kind: EvalError.Kind, containing fragment: String,
                     sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected a \(kind) error mentioning \"\(fragment)\", got none", sourceLocation: sourceLocation)
    } catch let error as EvalError {
        #expect(error.kind == kind, "error: \(error)", sourceLocation: sourceLocation)
        #expect(error.description.contains(fragment), "error: \(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected an EvalError, got \(error)", sourceLocation: sourceLocation)
    }
}

/// A decoder whose logits row t depends only on `tokens[t]`: `table[tokens[t]]` (a bigram model).
/// Records the windows it was asked to score.
final class BigramScorer: TokenScorer, @unchecked Sendable {
    let table: [[Float]]
    let contextLength: Int
    let endOfTextToken: Int32 = 0
    var windows: [[Int32]] = []
    var vocabularySize: Int { table.count }

    init(table: [[Float]], contextLength: Int = 1024) {
        self.table = table
        self.contextLength = contextLength
    }

    func logits(tokens: [Int32]) throws -> Tensor {
        windows.append(tokens)
        return Tensor(shape: [tokens.count, table.count], values: tokens.flatMap { table[Int($0)] })
    }
}

/// An embedder that looks texts up in a table (unknown texts embed as `fallback`).
struct TableEmbedder: TextEmbedder {
    let table: [String: [Float]]
    var fallback: [Float] = [1, 0, 0]
    func embed(_ texts: [String]) throws -> [[Float]] { texts.map { table[$0] ?? fallback } }
}
