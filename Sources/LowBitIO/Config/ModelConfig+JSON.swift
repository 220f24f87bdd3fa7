import Foundation

extension ModelConfig {
    /// A Hugging Face `config.json` object for this config (what `ModelConfig.load(configJSON:)`
    /// reads back to an equal value): `BertModel`, `GPT2LMHeadModel` or `LlamaForCausalLM`.
    public var huggingFaceJSON: [String: Any] {
        func ids(_ bos: Int?, _ eos: Int?) -> [String: Any] {
            var d: [String: Any] = [:]
            if let bos { d["bos_token_id"] = bos }
            if let eos { d["eos_token_id"] = eos }
            return d
        }
        switch self {
        case .bert(let c):
            return ["architectures": ["BertModel"], "model_type": "bert", "vocab_size": c.vocabSize,
                    "hidden_size": c.hiddenSize, "num_hidden_layers": c.numLayers, "num_attention_heads": c.numHeads,
                    "intermediate_size": c.intermediateSize, "max_position_embeddings": c.maxPositions,
                    "type_vocab_size": c.typeVocabSize, "hidden_act": c.hiddenAct, "layer_norm_eps": c.layerNormEps,
                    "pad_token_id": c.padTokenID]
        case .gpt2(let c):
            return ["architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": c.vocabSize,
                    "n_embd": c.hiddenSize, "n_layer": c.numLayers, "n_head": c.numHeads, "n_inner": c.intermediateSize,
                    "n_positions": c.maxPositions, "activation_function": c.activation,
                    "layer_norm_epsilon": c.layerNormEps, "tie_word_embeddings": c.tieWordEmbeddings]
                .merging(ids(c.bosTokenID, c.eosTokenID)) { a, _ in a }
        case .llama(let c):
            return ["architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": c.vocabSize,
                    "hidden_size": c.hiddenSize, "num_hidden_layers": c.numLayers, "num_attention_heads": c.numHeads,
                    "num_key_value_heads": c.numKVHeads, "head_dim": c.headDim, "intermediate_size": c.intermediateSize,
                    "max_position_embeddings": c.maxPositions, "rope_theta": c.ropeTheta, "rms_norm_eps": c.rmsNormEps,
                    "tie_word_embeddings": c.tieWordEmbeddings, "hidden_act": "silu"]
                .merging(ids(c.bosTokenID, c.eosTokenID)) { a, _ in a }
        }
    }

    /// `huggingFaceJSON` as pretty-printed JSON with sorted keys.
    public func huggingFaceJSONData() throws -> Data {
        try JSONSerialization.data(withJSONObject: huggingFaceJSON, options: [.prettyPrinted, .sortedKeys])
    }
}
