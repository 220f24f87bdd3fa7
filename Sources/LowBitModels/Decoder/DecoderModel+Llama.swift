import LowBitCore
import LowBitIO

extension DecoderModel {
    /// Llama family (RMSNorm, RoPE, SwiGLU, GQA) from an HF directory (`model.layers.N.…`) or a
    /// GGUF file (`blk.N.…`, dequantized to FP32; Q/K rows un-permuted to the HF rotary layout).
    /// Q/K/V biases are read where present (Qwen2). The head is `lm_head.weight` / `output.weight`,
    /// or the embedding matrix when tied.
    public static func loadLlama(_ source: ModelSource, config c: LlamaConfig) throws(ModelError) -> DecoderModel {
        let gguf: Bool
        if case .gguf = source { gguf = true } else { gguf = false }
        let names = gguf ? LlamaNames.gguf : LlamaNames.huggingFace
        let w = try WeightReader(source, probe: names.embedding)
        let e = c.hiddenSize, d = c.headDim, h = c.numHeads, kv = c.numKVHeads, inner = c.intermediateSize
        let eps = Float(c.rmsNormEps)
        func rms(_ name: String) throws(ModelError) -> Norm { .rmsNorm(weight: try w.tensor(name, [e]), eps: eps) }
        let (blockConfig, contextLength) = Self.blockConfig(llama: c)
        var blocks: [TransformerBlock] = []
        for l in 0..<c.numLayers {
            let n = names.block(l)
            var q = try w.tensor(n.q, [h * d, e]), k = try w.tensor(n.k, [kv * d, e])
            if gguf {
                q = RotaryEmbedding.unpermuteGGUFRows(q, heads: h)
                k = RotaryEmbedding.unpermuteGGUFRows(k, heads: kv)
            }
            let v = try w.tensor(n.v, [kv * d, e])
            var qkvBias: Tensor?
            if var qb = try w.optional(n.qBias, [h * d]) {
                var kb = try w.tensor(n.kBias, [kv * d])
                if gguf {
                    qb = RotaryEmbedding.unpermuteGGUFRows(qb.reshaped([h * d, 1]), heads: h).reshaped([h * d])
                    kb = RotaryEmbedding.unpermuteGGUFRows(kb.reshaped([kv * d, 1]), heads: kv).reshaped([kv * d])
                }
                qkvBias = WeightMath.concatRows([qb, kb, try w.tensor(n.vBias, [kv * d])])
            }
            blocks.append(TransformerBlock(
                config: blockConfig, norm1: try rms(n.attentionNorm), norm2: try rms(n.mlpNorm),
                qkv: FloatLinear(weight: WeightMath.concatRows([q, k, v]), bias: qkvBias),
                attentionOutput: FloatLinear(weight: try w.tensor(n.o, [e, h * d])),
                mlpIn: FloatLinear(weight: WeightMath.concatRows([try w.tensor(n.gate, [inner, e]), try w.tensor(n.up, [inner, e])])),
                mlpOut: FloatLinear(weight: try w.tensor(n.down, [e, inner]))))
        }
        let embedding = try w.tensor(names.embedding, [c.vocabSize, e])
        let head = c.tieWordEmbeddings ? nil : try w.optional(names.head, [c.vocabSize, e])
        if !c.tieWordEmbeddings && head == nil && !gguf { throw .missingTensor(name: names.head, path: source.path) }
        let stack = TransformerStack(embeddings: Embeddings(tokens: embedding), blocks: blocks,
                                     finalNorm: try rms(names.finalNorm), head: FloatLinear(weight: head ?? embedding))
        return DecoderModel(architecture: "llama", config: .llama(c), stack: stack, contextLength: contextLength,
                            endOfTextToken: c.eosTokenID)
    }
}

extension DecoderModel {
    /// The block shape and context length of a Llama config (pre-RMSNorm, SwiGLU, RoPE, GQA).
    /// Shared by every loader.
    static func blockConfig(llama c: LlamaConfig) -> (BlockConfig, contextLength: Int) {
        let contextLength = max(1, c.maxPositions)
        let shape = AttentionShape(heads: c.numHeads, kvHeads: c.numKVHeads, headDim: c.headDim)
        let config = BlockConfig(hiddenSize: c.hiddenSize, attention: shape, intermediateSize: c.intermediateSize,
                                 placement: .pre, activation: .swiGLU, causal: true,
                                 rope: RotaryEmbedding(headDim: c.headDim, theta: c.ropeTheta, positions: contextLength))
        return (config, contextLength)
    }
}

/// Tensor names of a Llama checkpoint, HF or GGUF.
struct LlamaNames: Sendable {
    struct Block: Sendable { var q, k, v, o, qBias, kBias, vBias, gate, up, down, attentionNorm, mlpNorm: String }
    let embedding, finalNorm, head: String
    let block: @Sendable (Int) -> Block

    static let huggingFace = LlamaNames(embedding: "model.embed_tokens.weight", finalNorm: "model.norm.weight", head: "lm_head.weight") { l in
        let p = "model.layers.\(l)."
        return Block(q: p + "self_attn.q_proj.weight", k: p + "self_attn.k_proj.weight", v: p + "self_attn.v_proj.weight",
                     o: p + "self_attn.o_proj.weight", qBias: p + "self_attn.q_proj.bias", kBias: p + "self_attn.k_proj.bias",
                     vBias: p + "self_attn.v_proj.bias", gate: p + "mlp.gate_proj.weight", up: p + "mlp.up_proj.weight",
                     down: p + "mlp.down_proj.weight", attentionNorm: p + "input_layernorm.weight",
                     mlpNorm: p + "post_attention_layernorm.weight")
    }

    static let gguf = LlamaNames(embedding: "token_embd.weight", finalNorm: "output_norm.weight", head: "output.weight") { l in
        let p = "blk.\(l)."
        return Block(q: p + "attn_q.weight", k: p + "attn_k.weight", v: p + "attn_v.weight", o: p + "attn_output.weight",
                     qBias: p + "attn_q.bias", kBias: p + "attn_k.bias", vBias: p + "attn_v.bias", gate: p + "ffn_gate.weight",
                     up: p + "ffn_up.weight", down: p + "ffn_down.weight", attentionNorm: p + "attn_norm.weight",
                     mlpNorm: p + "ffn_norm.weight")
    }
}
