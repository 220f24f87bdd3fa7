import LowBitCore
import LowBitIO

/// A BERT encoder (post-LN blocks, learned positions, token-type embeddings), e.g. all-MiniLM-L6-v2.
///
/// Sequences run packed without padding (`TokenBatch`); each sequence attends only to itself.
public final class BertModel: LayeredModel, @unchecked Sendable {
    public let config: BertConfig
    public let stack: TransformerStack

    public init(config: BertConfig, stack: TransformerStack) {
        self.config = config
        self.stack = stack
    }

    /// Loads an HF BERT checkpoint (names with or without the `bert.` prefix).
    public static func load(_ source: ModelSource) throws(ModelError) -> BertModel {
        guard case .bert(let c) = source.config else {
            throw .unsupported("architecture \(source.config.architecture) is not BERT", path: source.path)
        }
        let blockConfig = try Self.blockConfig(c, path: source.path)
        let w = try WeightReader(source, prefixes: ["", "bert."], probe: "embeddings.word_embeddings.weight")
        let e = c.hiddenSize, eps = Float(c.layerNormEps)
        func layerNorm(_ p: String) throws(ModelError) -> Norm {
            .layerNorm(gamma: try w.tensor(p + ".weight", [e]), beta: try w.tensor(p + ".bias", [e]), eps: eps)
        }
        func linear(_ p: String, _ out: Int, _ inp: Int) throws(ModelError) -> (Tensor, Tensor) {
            (try w.tensor(p + ".weight", [out, inp]), try w.tensor(p + ".bias", [out]))
        }
        var blocks: [TransformerBlock] = []
        for l in 0..<c.numLayers {
            let p = "encoder.layer.\(l)."
            let q = try linear(p + "attention.self.query", e, e), k = try linear(p + "attention.self.key", e, e)
            let v = try linear(p + "attention.self.value", e, e), o = try linear(p + "attention.output.dense", e, e)
            let i = try linear(p + "intermediate.dense", c.intermediateSize, e)
            let d = try linear(p + "output.dense", e, c.intermediateSize)
            blocks.append(TransformerBlock(
                config: blockConfig, norm1: try layerNorm(p + "attention.output.LayerNorm"),
                norm2: try layerNorm(p + "output.LayerNorm"),
                qkv: FloatLinear(weight: WeightMath.concatRows([q.0, k.0, v.0]), bias: WeightMath.concatRows([q.1, k.1, v.1])),
                attentionOutput: FloatLinear(weight: o.0, bias: o.1), mlpIn: FloatLinear(weight: i.0, bias: i.1),
                mlpOut: FloatLinear(weight: d.0, bias: d.1)))
        }
        let embeddings = Embeddings(
            tokens: try w.tensor("embeddings.word_embeddings.weight", [c.vocabSize, e]),
            positions: try w.tensor("embeddings.position_embeddings.weight", [c.maxPositions, e]),
            types: try w.tensor("embeddings.token_type_embeddings.weight", [c.typeVocabSize, e]),
            norm: try layerNorm("embeddings.LayerNorm"))
        return BertModel(config: c, stack: TransformerStack(embeddings: embeddings, blocks: blocks, finalNorm: nil, head: nil))
    }

    /// The block shape of a BERT config (post-LN, bidirectional). Shared by every loader.
    static func blockConfig(_ c: BertConfig, path: String) throws(ModelError) -> BlockConfig {
        let act: Activation
        switch c.hiddenAct {
        case "gelu": act = .gelu
        case "gelu_new", "gelu_pytorch_tanh": act = .geluTanh
        default: throw .unsupported("BERT activation \(c.hiddenAct) is not supported (gelu, gelu_new)", path: path)
        }
        let shape = AttentionShape(heads: c.numHeads, kvHeads: c.numHeads, headDim: c.hiddenSize / c.numHeads)
        return BlockConfig(hiddenSize: c.hiddenSize, attention: shape, intermediateSize: c.intermediateSize,
                           placement: .post, activation: act, causal: false)
    }

    /// Loads the HF BERT directory at `path`.
    public static func load(path: String) throws(ModelError) -> BertModel {
        let source: ModelSource
        do { source = try ModelSource.open(path) } catch { throw .file(error) }
        return try load(source)
    }

    /// Last-layer hidden states of a packed batch: [tokens, hidden].
    public func hiddenStates(_ batch: TokenBatch) throws(ModelError) -> Tensor {
        try stack.hiddenStates(batch)
    }

    /// Last-layer hidden states of a padded batch, as transformers' `BertModel(input_ids,
    /// token_type_ids, attention_mask)` gives them for the tokens the mask keeps.
    ///
    /// ids, typeIDs, mask: [batch][seq] (typeIDs nil: zeros; mask nil: all ones) → [batch, seq, hidden].
    /// Tokens with mask 0 are not computed and their rows are zero; kept tokens keep their
    /// column as position id, so left and right padding both give transformers' numbers.
    public func hiddenStates(ids: [[Int]], typeIDs: [[Int]]? = nil, mask: [[Int]]? = nil) throws(ModelError) -> Tensor {
        let seq = ids.map(\.count).max() ?? 0
        guard ids.allSatisfy({ $0.count == seq }), typeIDs.map({ $0.map(\.count) == ids.map(\.count) }) ?? true,
              mask.map({ $0.map(\.count) == ids.map(\.count) }) ?? true else {
            throw .invalidInput("ids, typeIDs and mask must all be [batch][\(seq)]")
        }
        var kept: [(Int, Int)] = [], packedIDs: [Int32] = [], types: [Int32] = [], positions: [Int32] = []
        var ranges: [Range<Int>] = []
        for b in ids.indices {
            let start = packedIDs.count
            for t in 0..<seq where (mask?[b][t] ?? 1) != 0 {
                kept.append((b, t))
                packedIDs.append(Int32(clamping: ids[b][t]))
                types.append(Int32(clamping: typeIDs?[b][t] ?? 0))
                positions.append(Int32(t))
            }
            ranges.append(start..<packedIDs.count)
        }
        let batch = TokenBatch(ids: packedIDs, typeIDs: types, positions: positions, sequences: ranges)
        let h = try hiddenStates(batch)
        let e = config.hiddenSize
        let out = Tensor(zeros: [ids.count, seq, e])
        for (row, (b, t)) in kept.enumerated() {
            (out.pointer + (b * seq + t) * e).update(from: h.pointer + row * e, count: e)
        }
        return out
    }

    /// Mean of each sequence's rows, optionally L2-normalized (sentence-transformers pooling).
    /// hidden: [tokens, hidden] → [sequences][hidden]. Sums run in Double, in row order.
    public static func meanPool(_ hidden: Tensor, sequences: [Range<Int>], normalize: Bool) -> [[Float]] {
        let e = hidden.shape.dims.last ?? 0
        return sequences.map { rows in
            var sum = [Double](repeating: 0, count: e)
            for r in rows {
                let p = hidden.pointer + r * e
                for j in 0..<e { sum[j] += Double(p[j]) }
            }
            let n = Double(max(rows.count, 1))
            var mean = sum.map { $0 / n }
            if normalize {
                let norm = max(mean.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
                mean = mean.map { $0 / norm }
            }
            return mean.map { Float($0) }
        }
    }
}
