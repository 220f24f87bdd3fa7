import LowBitCore
import LowBitEval
import LowBitModels
import LowBitTokenizers

// The one place `lowbit eval` turns a path into a model: adapters from LowBitModels'
// `CausalLM` / `SentenceEmbedder` to LowBitEval's protocols.

/// A decoder for perplexity and KL: a Hugging Face directory (GPT-2, Llama) or a .gguf file.
func openTokenScorer(_ path: String, engine: Engine = .simulated) throws -> any TokenScorer {
    let (model, tokenizer) = try Loaders.causalLM(path, engine: engine)
    guard let eot = model.endOfTextToken ?? tokenizer.specialTokens.eos.map(Int32.init) else {
        throw ModelError.unsupported("the model names no end-of-text token", path: path)
    }
    return CausalLMScorer(model: model, endOfTextToken: eot)
}

/// A sentence encoder for the embedding tasks (all-MiniLM-L6-v2 and its quantized versions).
func openTextEmbedder(_ path: String, engine: Engine = .simulated) throws -> any TextEmbedder {
    SentenceEmbedderAdapter(try Loaders.sentenceEmbedder(path, engine: engine))
}

/// The tokenizer that turns the perplexity text into the decoder's token ids.
func openTokenizer(_ path: String) throws -> any Tokenizer {
    try TokenizerLoader.load(modelPath: path)
}
