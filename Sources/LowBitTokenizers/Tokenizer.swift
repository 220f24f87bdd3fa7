/// A text tokenizer: text to token ids and back.
///
/// Implementations match Hugging Face `tokenizers` id for id (see the parity fixtures in
/// `Tests/LowBitTokenizersTests/Fixtures`). They are immutable values, safe to share across threads.
public protocol Tokenizer: Sendable {
    /// Number of ids: the largest id plus one (added tokens included).
    var vocabularySize: Int { get }

    /// The ids of the named special tokens this tokenizer has.
    var specialTokens: SpecialTokens { get }

    /// Token ids of `text`.
    ///
    /// - Parameters:
    ///   - addSpecialTokens: add what the model's template adds around a sequence (`[CLS]` … `[SEP]`
    ///     for BERT, a BOS token when the model asks for one). Hugging Face's default is `true`.
    ///   - parseSpecialTokens: match the text of special tokens (`[SEP]`, `<|im_start|>`, …) inside
    ///     `text` as those tokens. When `false` they are tokenized as ordinary text, so user text
    ///     cannot inject control tokens. Hugging Face's `Tokenizer.encode` behaves like `true`
    ///     (`encode_special_tokens = True` behaves like `false`).
    func encode(_ text: String, addSpecialTokens: Bool, parseSpecialTokens: Bool) -> [Int]

    /// The text of `ids`. Ids outside the vocabulary are skipped (as Hugging Face does).
    /// - Parameter skipSpecialTokens: leave out special tokens (`[CLS]`, `<|endoftext|>`, …).
    func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String

    /// The vocabulary string of an id (byte-level BPE tokens in their `Ġ`-mapped form), or nil.
    func token(forID id: Int) -> String?

    /// The id of a vocabulary string (exact bytes), or nil.
    func id(forToken token: String) -> Int?
}

extension Tokenizer {
    /// Ids with the model's special tokens added and special-token text in `text` NOT parsed.
    public func encode(_ text: String) -> [Int] { encode(text, addSpecialTokens: true, parseSpecialTokens: false) }

    /// Text of `ids`, nothing skipped.
    public func decode(_ ids: [Int]) -> String { decode(ids, skipSpecialTokens: false) }
}

/// Ids of a tokenizer's named special tokens; nil where the tokenizer has none.
public struct SpecialTokens: Sendable, Equatable {
    public var bos: Int?
    public var eos: Int?
    public var unknown: Int?
    public var padding: Int?
    /// BERT `[CLS]`.
    public var classifier: Int?
    /// BERT `[SEP]`.
    public var separator: Int?
    /// BERT `[MASK]`.
    public var mask: Int?

    public init(bos: Int? = nil, eos: Int? = nil, unknown: Int? = nil, padding: Int? = nil,
                classifier: Int? = nil, separator: Int? = nil, mask: Int? = nil) {
        self.bos = bos
        self.eos = eos
        self.unknown = unknown
        self.padding = padding
        self.classifier = classifier
        self.separator = separator
        self.mask = mask
    }
}
