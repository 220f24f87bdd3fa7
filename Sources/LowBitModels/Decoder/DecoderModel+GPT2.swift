import LowBitCore
import LowBitIO

extension DecoderModel {
    /// GPT-2 from an HF directory: tensor names with or without the `transformer.` prefix,
    /// Conv1D weights stored [in, out] (transposed here to [out, in]), F32/F16/BF16, head tied
    /// to `wte` unless the file has `lm_head.weight` and the config unties it.
    public static func loadGPT2(_ source: ModelSource, config c: GPT2Config) throws(ModelError) -> DecoderModel {
        let blockConfig = try Self.blockConfig(gpt2: c, path: source.path)
        let w = try WeightReader(source, prefixes: ["", "transformer."], probe: "wte.weight")
        let e = c.hiddenSize, inner = c.intermediateSize, eps = Float(c.layerNormEps)
        func layerNorm(_ p: String) throws(ModelError) -> Norm {
            .layerNorm(gamma: try w.tensor(p + ".weight", [e]), beta: try w.tensor(p + ".bias", [e]), eps: eps)
        }
        /// Conv1D: weight [in, out] → FloatLinear [out, in].
        func conv1D(_ p: String, _ inp: Int, _ out: Int) throws(ModelError) -> FloatLinear {
            FloatLinear(weight: WeightMath.transpose(try w.tensor(p + ".weight", [inp, out])), bias: try w.tensor(p + ".bias", [out]))
        }
        var blocks: [TransformerBlock] = []
        for l in 0..<c.numLayers {
            let p = "h.\(l)."
            blocks.append(TransformerBlock(
                config: blockConfig, norm1: try layerNorm(p + "ln_1"), norm2: try layerNorm(p + "ln_2"),
                qkv: try conv1D(p + "attn.c_attn", e, 3 * e), attentionOutput: try conv1D(p + "attn.c_proj", e, e),
                mlpIn: try conv1D(p + "mlp.c_fc", e, inner), mlpOut: try conv1D(p + "mlp.c_proj", inner, e)))
        }
        let wte = try w.tensor("wte.weight", [c.vocabSize, e])
        // lm_head sits outside the `transformer.` prefix.
        let untied = c.tieWordEmbeddings ? nil : try WeightReader(source, probe: "lm_head.weight").tensor("lm_head.weight", [c.vocabSize, e])
        let stack = TransformerStack(
            embeddings: Embeddings(tokens: wte, positions: try w.tensor("wpe.weight", [c.maxPositions, e])),
            blocks: blocks, finalNorm: try layerNorm("ln_f"), head: FloatLinear(weight: untied ?? wte))
        return DecoderModel(architecture: "gpt2", config: .gpt2(c), stack: stack, contextLength: c.maxPositions,
                            endOfTextToken: c.eosTokenID)
    }

    /// The block shape of a GPT-2 config (pre-LN, causal, learned positions). Shared by every loader.
    static func blockConfig(gpt2 c: GPT2Config, path: String) throws(ModelError) -> BlockConfig {
        let act: Activation
        switch c.activation {
        case "gelu_new", "gelu_pytorch_tanh", "gelu_fast": act = .geluTanh
        case "gelu": act = .gelu
        default: throw .unsupported("GPT-2 activation \(c.activation) is not supported (gelu_new, gelu)", path: path)
        }
        let shape = AttentionShape(heads: c.numHeads, kvHeads: c.numHeads, headDim: c.hiddenSize / c.numHeads)
        return BlockConfig(hiddenSize: c.hiddenSize, attention: shape, intermediateSize: c.intermediateSize, placement: .pre,
                           activation: act, causal: true)
    }
}
