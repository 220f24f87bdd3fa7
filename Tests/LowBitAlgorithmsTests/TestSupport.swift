import Foundation
import LowBitCore
import LowBitModels
import LowBitTokenizers
import Testing

/// Paths of the shared models and data.
enum Paths {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let shared = root + "/../shared"
    static let minilm = root + "/.models/all-MiniLM-L6-v2"
    static let gpt2 = shared + "/models/gpt2-kjvwiki-6l"
    static let text = shared + "/data/text"
    static let lee50 = shared + "/data/labelled/lee50-docs.txt"

    /// Fails the test (rather than skipping it) when a file is missing.
    static func require(_ path: String) throws -> String {
        guard FileManager.default.fileExists(atPath: path) else {
            Issue.record("missing \(path)")
            throw CancellationError()
        }
        return path
    }
}

/// A deterministic generator (SplitMix64).
struct SplitMix: RandomNumberGenerator {
    var source: SplitMix64
    init(seed: UInt64) { source = SplitMix64(seed: seed) }
    mutating func next() -> UInt64 { source.next() }
    mutating func uniform() -> Float { Float(next() >> 40) / Float(1 << 24) }
    mutating func normal() -> Float {
        let u = max(uniform(), 1e-7), v = uniform()
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }
    /// Laplace(0, b).
    mutating func laplace(_ b: Float) -> Float {
        let u = uniform() - 0.5
        return -b * (u < 0 ? -1 : 1) * log(max(1 - 2 * abs(u), 1e-7))
    }
}

func randomTensor(_ shape: Shape, seed: UInt64, _ f: (inout SplitMix) -> Float = { $0.normal() }) -> Tensor {
    var g = SplitMix(seed: seed)
    return Tensor(shape: shape, values: (0..<shape.count).map { _ in f(&g) })
}

/// Mean squared difference.
func mse(_ a: Tensor, _ b: Tensor) -> Double {
    let x = a.toArray(), y = b.toArray()
    var s = 0.0
    for i in x.indices { let d = Double(x[i]) - Double(y[i]); s += d * d }
    return s / Double(x.count)
}

func maxAbsDiff(_ a: Tensor, _ b: Tensor) -> Float {
    zip(a.toArray(), b.toArray()).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// MiniLM as a sentence embedder (truncation as sentence-transformers: 256 tokens, keep [SEP]).
func miniLM() throws -> (SentenceEmbedder, WordPieceTokenizer) {
    guard var tok = try TokenizerLoader.load(modelPath: Paths.require(Paths.minilm)) as? WordPieceTokenizer else {
        Issue.record("MiniLM tokenizer is not WordPiece")
        throw CancellationError()
    }
    tok.truncation = nil
    let t = tok
    return (SentenceEmbedder(model: try BertModel.load(path: Paths.minilm), tokenize: { t.encode($0) }), t)
}
