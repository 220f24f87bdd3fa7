extension LlamaConfig {
    /// Reads the `llama.*` hyperparameters of a GGUF file (architecture must be `llama`).
    public init(gguf g: GGUFFile) throws(ModelFileError) {
        let arch = try g.require("general.architecture", \.stringValue, as: "a string")
        guard arch == "llama" else {
            throw ModelFileError(.unsupported, path: g.path, "GGUF architecture \(arch) is not supported (llama)")
        }
        func int(_ k: String) throws(ModelFileError) -> Int { try g.require("llama." + k, \.intValue, as: "an integer") }
        let hidden = try int("embedding_length"), heads = try int("attention.head_count")
        let vocab = g.metadata["llama.vocab_size"]?.intValue ?? g.metadata["tokenizer.ggml.tokens"]?.arrayValue?.count ?? 0
        self.init(
            vocabSize: vocab, hiddenSize: hidden, numLayers: try int("block_count"), numHeads: heads,
            numKVHeads: g.metadata["llama.attention.head_count_kv"]?.intValue ?? heads,
            headDim: g.metadata["llama.attention.key_length"]?.intValue ?? (heads > 0 ? hidden / heads : 0),
            intermediateSize: try int("feed_forward_length"), maxPositions: try int("context_length"),
            ropeTheta: g.metadata["llama.rope.freq_base"]?.doubleValue ?? 10000,
            rmsNormEps: try g.require("llama.attention.layer_norm_rms_epsilon", \.doubleValue, as: "a number"),
            tieWordEmbeddings: g.tensor(named: "output.weight") == nil,
            bosTokenID: g.metadata["tokenizer.ggml.bos_token_id"]?.intValue,
            eosTokenID: g.metadata["tokenizer.ggml.eos_token_id"]?.intValue)
        try validate(path: g.path, hidden: hidden, heads: numHeads, kvHeads: numKVHeads, layers: numLayers, vocab: vocabSize)
    }
}
