import LowBitIO
import LowBitModels
import LowBitTokenizers

/// Turns a path given on the command line into a runnable model with its tokenizer. Every
/// subcommand that runs a model goes through here.
enum Loaders {
    /// A sentence encoder (BERT family; a Hugging Face or quantized model directory) as sentence-transformers runs it: mean pooling over the
    /// mask, L2-normalized, at most `maxLength` tokens (256 for all-MiniLM-L6-v2, whatever the
    /// truncation in its tokenizer.json).
    static func sentenceEmbedder(_ path: String, maxLength: Int = 256, engine: Engine = .simulated) throws -> SentenceEmbedder {
        let model: BertModel
        if QuantizedModelDirectory.isQuantized(path) {
            let loaded = try QuantizedModelDirectory.load(path)
            guard let encoder = loaded.encoder else {
                throw ModelError.unsupported("\(loaded.config.architecture) is not a sentence encoder (BERT family)", path: path)
            }
            try engine.apply(to: encoder, path: path)
            model = encoder
        } else {
            let source = try ModelSource.open(path)
            guard case .bert = source.config else {
                throw ModelError.unsupported("\(source.config.architecture) is not a sentence encoder (BERT family)", path: path)
            }
            model = try BertModel.load(source)
        }
        guard var tokenizer = try TokenizerLoader.load(modelPath: path) as? WordPieceTokenizer else {
            throw ModelError.unsupported("a BERT model needs a WordPiece tokenizer", path: path)
        }
        tokenizer.truncation = nil // SentenceEmbedder truncates to maxLength, keeping [SEP]
        let tok = tokenizer
        return SentenceEmbedder(model: model, maxLength: maxLength, tokenize: { tok.encode($0) })
    }

    /// A decoder (GPT-2, Llama) and its tokenizer: a Hugging Face directory, a .gguf file or a
    /// quantized model directory (`lowbit quantize`), run by `engine`.
    static func causalLM(_ path: String, engine: Engine = .simulated) throws -> (model: any CausalLM, tokenizer: any Tokenizer) {
        if QuantizedModelDirectory.isQuantized(path) {
            let loaded = try QuantizedModelDirectory.load(path)
            guard let decoder = loaded.decoder else {
                throw ModelError.unsupported("\(loaded.config.architecture) is an encoder, not a causal language model", path: path)
            }
            try engine.apply(to: decoder, path: path)
            return (decoder, try TokenizerLoader.load(modelPath: path))
        }
        let source = try ModelSource.open(path)
        let model = try loadCausalLM(source)
        return (model, try TokenizerLoader.load(modelPath: path))
    }
}
