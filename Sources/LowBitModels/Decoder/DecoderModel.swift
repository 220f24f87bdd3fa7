import LowBitCore
import LowBitIO

/// A decoder-only transformer (GPT-2 or Llama family): embeddings, causal pre-LN blocks,
/// final norm, LM head. Loaders: `DecoderModel.load(_:)` (by config), `loadGPT2`, `loadLlama`.
public final class DecoderModel: CausalLM, LayeredModel, @unchecked Sendable {
    /// `gpt2` or `llama`.
    public let architecture: String
    public let config: ModelConfig
    public let stack: TransformerStack
    public let contextLength: Int
    public let endOfTextToken: Int32?
    let attention: AttentionShape

    init(architecture: String, config: ModelConfig, stack: TransformerStack, contextLength: Int, endOfTextToken: Int?) {
        self.architecture = architecture
        self.config = config
        self.stack = stack
        self.contextLength = contextLength
        self.endOfTextToken = endOfTextToken.map { Int32(clamping: $0) }
        self.attention = stack.blocks[0].config.attention
    }

    /// Loads by the source's config: GPT-2 (HF) or Llama (HF or GGUF).
    public static func load(_ source: ModelSource) throws(ModelError) -> DecoderModel {
        switch source.config {
        case .gpt2(let c): return try loadGPT2(source, config: c)
        case .llama(let c): return try loadLlama(source, config: c)
        case .bert: throw .unsupported("BERT is an encoder, not a causal language model", path: source.path)
        }
    }

    public var vocabularySize: Int { stack.head?.outFeatures ?? stack.embeddings.vocabularySize }

    public func makeCache() -> KVCache {
        KVCache(layers: stack.blocks.count, width: attention.kvHeads * attention.headDim, capacity: contextLength)
    }

    /// tokens: [n] → logits [n, vocab]; appends to `cache` if given.
    public func logits(tokens: [Int32], cache: KVCache?) throws(ModelError) -> Tensor {
        stack.finalOutput(try hidden(tokens: tokens, cache: cache))
    }

    /// tokens: [n] → logits of the last token [vocab]; appends to `cache` if given.
    public func lastLogits(tokens: [Int32], cache: KVCache?) throws(ModelError) -> [Float] {
        let h = try hidden(tokens: tokens, cache: cache)
        return stack.finalOutput(h.rows(h.shape[0] - 1, 1)).toArray()
    }

    /// Several independent sequences at once (no cache): logits [tokens, vocab], rows per `batch.sequences`.
    public func logits(_ batch: TokenBatch) throws(ModelError) -> Tensor {
        try checkPositions(batch)
        return stack.finalOutput(try stack.hiddenStates(batch))
    }

    /// Hidden states after the last block (before the final norm): [n, hidden].
    func hidden(tokens: [Int32], cache: KVCache?) throws(ModelError) -> Tensor {
        guard !tokens.isEmpty else { throw .invalidInput("no tokens") }
        if let cache {
            guard cache.layers.count == stack.blocks.count, cache.layers.first?.width == attention.kvHeads * attention.headDim else {
                throw .invalidInput("the KV cache was made for another model")
            }
            guard cache.layers.allSatisfy({ $0.count == cache.count }) else {
                throw .invalidInput("the KV cache is inconsistent (a block-by-block run left it partly filled)")
            }
        }
        let batch = TokenBatch(tokens: tokens, startPosition: cache?.count ?? 0)
        try checkPositions(batch)
        return try stack.hiddenStates(batch, cache: cache)
    }

    func checkPositions(_ batch: TokenBatch) throws(ModelError) {
        if let last = batch.positions.max(), Int(last) >= contextLength {
            throw .invalidInput("\(Int(last) + 1) positions exceed the context length \(contextLength)")
        }
    }
}
