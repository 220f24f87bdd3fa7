import LowBitCore

/// Sentence embeddings as sentence-transformers computes them for all-MiniLM-L6-v2: tokenize
/// (truncated to `maxLength` tokens), encode, mean-pool over the sequence, L2-normalize.
///
/// The tokenizer is passed as a function so this target needs no tokenizer dependency:
/// `SentenceEmbedder(model: bert, tokenize: { tokenizer.encode($0) })` with LowBitTokenizers'
/// WordPiece tokenizer (ids with `[CLS]` … `[SEP]`). Mind that all-MiniLM-L6-v2's
/// `tokenizer.json` truncates at 128 tokens while sentence-transformers uses 256: set the
/// tokenizer's `truncation` to `Truncation(maxLength: 256)` (or nil; `ids(_:)` truncates too).
public final class SentenceEmbedder: Sendable {
    public let model: BertModel
    /// Longest encoding kept, special tokens included (256 for all-MiniLM-L6-v2).
    public let maxLength: Int
    public let normalize: Bool
    let tokenize: @Sendable (String) -> [Int]

    public init(model: BertModel, maxLength: Int = 256, normalize: Bool = true, tokenize: @escaping @Sendable (String) -> [Int]) {
        self.model = model
        self.maxLength = min(maxLength, model.config.maxPositions)
        self.normalize = normalize
        self.tokenize = tokenize
    }

    /// Token ids of `text` as the model sees them: longer encodings keep their first
    /// `maxLength - 1` ids and their last one (`[SEP]`), as HF truncation does.
    public func ids(_ text: String) -> [Int] {
        let ids = tokenize(text)
        guard ids.count > maxLength, maxLength > 1 else { return ids }
        return Array(ids[0..<(maxLength - 1)]) + [ids[ids.count - 1]]
    }

    /// One embedding [hidden] per text, `batchSize` texts per forward pass.
    public func embed(_ texts: [String], batchSize: Int = 32) throws(ModelError) -> [[Float]] {
        try embed(ids: texts.map(ids), batchSize: batchSize)
    }

    /// One embedding [hidden] per id sequence (already truncated), `batchSize` sequences per pass.
    public func embed(ids: [[Int]], batchSize: Int = 32) throws(ModelError) -> [[Float]] {
        var out: [[Float]] = []
        out.reserveCapacity(ids.count)
        for start in stride(from: 0, to: ids.count, by: max(1, batchSize)) {
            let chunk = ids[start..<min(ids.count, start + max(1, batchSize))]
            let batch = TokenBatch(sequences: chunk.map { $0.map { Int32(clamping: $0) } })
            let h = try model.hiddenStates(batch)
            out += BertModel.meanPool(h, sequences: batch.sequences, normalize: normalize)
        }
        return out
    }
}
