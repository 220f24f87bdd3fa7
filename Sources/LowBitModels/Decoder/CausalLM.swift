import LowBitCore
import LowBitIO

/// A decoder-only language model, whatever its architecture or backend.
public protocol CausalLM: AnyObject, Sendable {
    var vocabularySize: Int { get }
    /// Most positions one sequence may have (cache included).
    var contextLength: Int { get }
    var endOfTextToken: Int32? { get }
    /// An empty cache for incremental decoding with this model.
    func makeCache() -> KVCache
    /// tokens: [n] → logits [n, vocab]; appends to `cache` if given (positions continue from cache.count).
    func logits(tokens: [Int32], cache: KVCache?) throws(ModelError) -> Tensor
    /// Like `logits`, but only the last row: [vocab]. Cheaper (the head runs on one row).
    func lastLogits(tokens: [Int32], cache: KVCache?) throws(ModelError) -> [Float]
}

extension CausalLM {
    public func lastLogits(tokens: [Int32], cache: KVCache?) throws(ModelError) -> [Float] {
        let l = try logits(tokens: tokens, cache: cache)
        return l.rows(l.shape[0] - 1, 1).toArray()
    }
}

/// Loads a GPT-2 or Llama-family decoder from an HF directory or a GGUF file.
public func loadCausalLM(_ source: ModelSource) throws(ModelError) -> any CausalLM {
    try DecoderModel.load(source)
}

/// Loads the model at `path` (HF directory or `.gguf`) as a decoder.
public func loadCausalLM(path: String) throws(ModelError) -> any CausalLM {
    let source: ModelSource
    do { source = try ModelSource.open(path) } catch { throw .file(error) }
    return try DecoderModel.load(source)
}
