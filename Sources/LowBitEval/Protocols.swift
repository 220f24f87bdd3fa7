import LowBitCore

/// A decoder that scores token windows.
///
/// Each call is a fresh context (no cache): `tokens[0]` is at position 0.
public protocol TokenScorer {
    /// Number of logits per position (the output head's rows).
    var vocabularySize: Int { get }
    /// The longest window the model accepts (its trained context).
    var contextLength: Int { get }
    /// The token appended after each document (GPT-2 `<|endoftext|>`, a Llama model's EOS).
    var endOfTextToken: Int32 { get }
    /// tokens: [n] → logits [n, vocabularySize]; row t is the distribution of the token after `tokens[t]`.
    func logits(tokens: [Int32]) throws -> Tensor
}

/// An encoder that embeds texts: one vector per text, L2-normalized or not (the metrics here
/// normalize or use cosines, so either works).
public protocol TextEmbedder {
    /// texts: [n] → n vectors of the same dimension.
    func embed(_ texts: [String]) throws -> [[Float]]
}
