import Foundation

/// The architecture and hyperparameters of a model, from `config.json` or GGUF metadata.
public enum ModelConfig: Sendable, Equatable {
    case bert(BertConfig)
    case gpt2(GPT2Config)
    case llama(LlamaConfig)

    public var architecture: String {
        switch self {
        case .bert: "bert"
        case .gpt2: "gpt2"
        case .llama: "llama"
        }
    }

    /// Parses an HF `config.json`, choosing the family from `model_type` (or `architectures`).
    public static func load(configJSON path: String) throws(ModelFileError) -> ModelConfig {
        let json = try ConfigJSON(path: path)
        var type = (json.object["model_type"] as? String)?.lowercased() ?? ""
        if type.isEmpty, let arch = (json.object["architectures"] as? [String])?.first?.lowercased() {
            type = arch.hasPrefix("bert") ? "bert" : arch.hasPrefix("gpt2") ? "gpt2" : arch.hasPrefix("llama") ? "llama" : arch
        }
        switch type {
        case "bert": return .bert(try BertConfig(json))
        case "gpt2": return .gpt2(try GPT2Config(json))
        case "llama", "mistral", "qwen2": return .llama(try LlamaConfig(json))
        case "": throw ModelFileError(.malformed, path: path, "no model_type or architectures: cannot tell the model family")
        default: throw ModelFileError(.unsupported, path: path, "model_type \(type) is not supported (bert, gpt2, llama)")
        }
    }

    /// Key-value pairs for display, in a stable order.
    public var summary: [(String, String)] {
        switch self {
        case .bert(let c):
            [("vocab_size", "\(c.vocabSize)"), ("hidden_size", "\(c.hiddenSize)"), ("layers", "\(c.numLayers)"),
             ("heads", "\(c.numHeads)"), ("intermediate_size", "\(c.intermediateSize)"), ("hidden_act", c.hiddenAct),
             ("max_positions", "\(c.maxPositions)"), ("type_vocab_size", "\(c.typeVocabSize)"), ("layer_norm_eps", "\(c.layerNormEps)")]
        case .gpt2(let c):
            [("vocab_size", "\(c.vocabSize)"), ("n_embd", "\(c.hiddenSize)"), ("n_layer", "\(c.numLayers)"), ("n_head", "\(c.numHeads)"),
             ("n_inner", "\(c.intermediateSize)"), ("activation", c.activation), ("n_positions", "\(c.maxPositions)"),
             ("layer_norm_eps", "\(c.layerNormEps)"), ("tied_head", "\(c.tieWordEmbeddings)")]
        case .llama(let c):
            [("vocab_size", "\(c.vocabSize)"), ("hidden_size", "\(c.hiddenSize)"), ("layers", "\(c.numLayers)"),
             ("heads", "\(c.numHeads)"), ("kv_heads", "\(c.numKVHeads)"), ("head_dim", "\(c.headDim)"),
             ("intermediate_size", "\(c.intermediateSize)"), ("rope_theta", "\(c.ropeTheta)"), ("rms_norm_eps", "\(c.rmsNormEps)"),
             ("context_length", "\(c.maxPositions)"), ("tied_head", "\(c.tieWordEmbeddings)")]
        }
    }
}

/// BERT encoder hyperparameters (`model_type: bert`).
public struct BertConfig: Sendable, Equatable, Codable {
    public var vocabSize, hiddenSize, numLayers, numHeads, intermediateSize, maxPositions, typeVocabSize: Int
    public var hiddenAct: String
    public var layerNormEps: Double
    public var padTokenID: Int

    init(_ j: ConfigJSON) throws(ModelFileError) {
        vocabSize = try j.int("vocab_size")
        hiddenSize = try j.int("hidden_size")
        numLayers = try j.int("num_hidden_layers")
        numHeads = try j.int("num_attention_heads")
        intermediateSize = try j.int("intermediate_size")
        maxPositions = try j.int("max_position_embeddings")
        typeVocabSize = j.optionalInt("type_vocab_size") ?? 2
        hiddenAct = try j.string("hidden_act", default: "gelu")
        layerNormEps = try j.double("layer_norm_eps", default: 1e-12)
        padTokenID = j.optionalInt("pad_token_id") ?? 0
        try validate(path: j.path, hidden: hiddenSize, heads: numHeads, kvHeads: numHeads, layers: numLayers, vocab: vocabSize)
    }
}

/// GPT-2 decoder hyperparameters (`model_type: gpt2`).
public struct GPT2Config: Sendable, Equatable, Codable {
    public var vocabSize, hiddenSize, numLayers, numHeads, intermediateSize, maxPositions: Int
    public var activation: String
    public var layerNormEps: Double
    public var bosTokenID, eosTokenID: Int?
    public var tieWordEmbeddings: Bool

    init(_ j: ConfigJSON) throws(ModelFileError) {
        vocabSize = try j.int("vocab_size")
        hiddenSize = try j.int("n_embd")
        numLayers = try j.int("n_layer")
        numHeads = try j.int("n_head")
        intermediateSize = j.optionalInt("n_inner") ?? 4 * hiddenSize
        maxPositions = try j.int("n_positions")
        activation = try j.string("activation_function", default: "gelu_new")
        layerNormEps = try j.double("layer_norm_epsilon", default: 1e-5)
        bosTokenID = j.optionalTokenID("bos_token_id")
        eosTokenID = j.optionalTokenID("eos_token_id")
        tieWordEmbeddings = j.bool("tie_word_embeddings", default: true)
        try validate(path: j.path, hidden: hiddenSize, heads: numHeads, kvHeads: numHeads, layers: numLayers, vocab: vocabSize)
    }
}

/// Llama-family decoder hyperparameters (`model_type: llama`, or GGUF `llama.*`).
public struct LlamaConfig: Sendable, Equatable, Codable {
    public var vocabSize, hiddenSize, numLayers, numHeads, numKVHeads, headDim, intermediateSize, maxPositions: Int
    public var ropeTheta, rmsNormEps: Double
    public var tieWordEmbeddings: Bool
    public var bosTokenID, eosTokenID: Int?

    public init(vocabSize: Int, hiddenSize: Int, numLayers: Int, numHeads: Int, numKVHeads: Int, headDim: Int,
                intermediateSize: Int, maxPositions: Int, ropeTheta: Double, rmsNormEps: Double,
                tieWordEmbeddings: Bool, bosTokenID: Int?, eosTokenID: Int?) {
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.numLayers = numLayers
        self.numHeads = numHeads
        self.numKVHeads = numKVHeads
        self.headDim = headDim
        self.intermediateSize = intermediateSize
        self.maxPositions = maxPositions
        self.ropeTheta = ropeTheta
        self.rmsNormEps = rmsNormEps
        self.tieWordEmbeddings = tieWordEmbeddings
        self.bosTokenID = bosTokenID
        self.eosTokenID = eosTokenID
    }

    init(_ j: ConfigJSON) throws(ModelFileError) {
        let hidden = try j.int("hidden_size"), heads = try j.int("num_attention_heads")
        self.init(
            vocabSize: try j.int("vocab_size"), hiddenSize: hidden, numLayers: try j.int("num_hidden_layers"),
            numHeads: heads, numKVHeads: j.optionalInt("num_key_value_heads") ?? heads,
            headDim: j.optionalInt("head_dim") ?? (heads > 0 ? hidden / heads : 0),
            intermediateSize: try j.int("intermediate_size"), maxPositions: j.optionalInt("max_position_embeddings") ?? 2048,
            ropeTheta: try j.double("rope_theta", default: 10000), rmsNormEps: try j.double("rms_norm_eps", default: 1e-6),
            tieWordEmbeddings: j.bool("tie_word_embeddings", default: false),
            bosTokenID: j.optionalTokenID("bos_token_id"), eosTokenID: j.optionalTokenID("eos_token_id"))
        try validate(path: j.path, hidden: hiddenSize, heads: numHeads, kvHeads: numKVHeads, layers: numLayers, vocab: vocabSize)
    }
}

/// Checks the relations every transformer config must satisfy.
func validate(path: String, hidden: Int, heads: Int, kvHeads: Int, layers: Int, vocab: Int) throws(ModelFileError) {
    guard hidden > 0, heads > 0, kvHeads > 0, layers > 0, vocab > 0 else {
        throw ModelFileError(.malformed, path: path, "hidden size, heads, layers and vocabulary must be positive")
    }
    guard hidden % heads == 0 || kvHeads != heads else {
        throw ModelFileError(.malformed, path: path, "hidden size \(hidden) is not a multiple of the \(heads) heads")
    }
    guard heads % kvHeads == 0 else {
        throw ModelFileError(.malformed, path: path, "\(heads) attention heads are not a multiple of the \(kvHeads) key-value heads")
    }
}
