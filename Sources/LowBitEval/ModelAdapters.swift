import LowBitCore
import LowBitModels

/// A LowBitModels decoder as a `TokenScorer`: each window is a fresh context (no cache).
public struct CausalLMScorer: TokenScorer {
    public let model: any CausalLM
    public let endOfTextToken: Int32
    public init(model: any CausalLM, endOfTextToken: Int32) {
        self.model = model
        self.endOfTextToken = endOfTextToken
    }
    public var vocabularySize: Int { model.vocabularySize }
    public var contextLength: Int { model.contextLength }
    public func logits(tokens: [Int32]) throws -> Tensor { try model.logits(tokens: tokens, cache: nil) }
}

/// A `SentenceEmbedder` (mean-pooled, L2-normalized) as a `TextEmbedder`.
public struct SentenceEmbedderAdapter: TextEmbedder {
    public let embedder: SentenceEmbedder
    public let batchSize: Int
    public init(_ embedder: SentenceEmbedder, batchSize: Int = 32) {
        self.embedder = embedder
        self.batchSize = batchSize
    }
    public func embed(_ texts: [String]) throws -> [[Float]] { try embedder.embed(texts, batchSize: batchSize) }
}
