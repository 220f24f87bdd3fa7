/// A byte-level BPE tokenizer (GPT-2, SmolLM2 and other Llama-family models with a `gpt2`
/// GGUF tokenizer), id-for-id equal to Hugging Face `tokenizers`.
///
/// Encoding: split out added tokens → pre-tokenize each text segment (`ByteLevelPreTokenizer`) →
/// BPE each piece. Decoding concatenates the bytes of all tokens and reads them as UTF-8 once, so
/// characters split across tokens come back whole: `decode(encode(x)) == x` for every string.
///
/// Load with `BytePairTokenizer(tokenizerJSON:)` or `BytePairTokenizer(gguf:)`.
public struct BytePairTokenizer: Tokenizer {
    public let preTokenizer: ByteLevelPreTokenizer
    public let model: BPEModel
    public let addedTokens: [AddedToken]
    public let specialTokens: SpecialTokens
    /// Ids the model's template puts before / after a sequence when `addSpecialTokens` is set
    /// (a BOS token for models that want one; empty for GPT-2 and SmolLM2).
    public let prefixIDs: [Int]
    public let suffixIDs: [Int]

    private let splitter: AddedTokenSplitter
    private let specialIDs: Set<Int>
    private let addedByID: [Int: String]
    /// Bytes of every id, for decoding.
    private let tokenBytes: [[UInt8]]

    public init(preTokenizer: ByteLevelPreTokenizer, model: BPEModel, addedTokens: [AddedToken],
                specialTokens: SpecialTokens, prefixIDs: [Int] = [], suffixIDs: [Int] = []) {
        self.preTokenizer = preTokenizer
        self.model = model
        self.addedTokens = addedTokens
        self.specialTokens = specialTokens
        self.prefixIDs = prefixIDs
        self.suffixIDs = suffixIDs
        splitter = AddedTokenSplitter(addedTokens)
        specialIDs = Set(addedTokens.filter(\.special).map(\.id))
        let added = Dictionary(addedTokens.map { ($0.id, $0.content) }, uniquingKeysWith: { a, _ in a })
        addedByID = added
        let size = max(model.vocabulary.count, (addedTokens.map(\.id).max() ?? -1) + 1)
        var bytes = [[UInt8]](repeating: [], count: size)
        for id in 0..<size {
            let token = added[id] ?? (id < model.vocabulary.count ? model.vocabulary[id] : "")
            bytes[id] = ByteLevelAlphabet.decode(token: token)
        }
        tokenBytes = bytes
    }

    public var vocabularySize: Int { tokenBytes.count }

    public func encode(_ text: String, addSpecialTokens: Bool, parseSpecialTokens: Bool) -> [Int] {
        var ids: [Int] = addSpecialTokens ? prefixIDs : []
        for segment in splitter.split(text, parseSpecial: parseSpecialTokens) {
            switch segment {
            case .token(let id): ids.append(id)
            case .text(let t):
                for piece in preTokenizer.pieces(t) { model.encode(piece: piece, into: &ids) }
            }
        }
        if addSpecialTokens { ids += suffixIDs }
        return ids
    }

    /// The UTF-8 bytes `ids` stand for (invalid sequences possible when `ids` cut a character).
    public func decodeBytes(_ ids: [Int], skipSpecialTokens: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        for id in ids where tokenBytes.indices.contains(id) {
            if skipSpecialTokens && specialIDs.contains(id) { continue }
            out += tokenBytes[id]
        }
        return out
    }

    /// The text of `ids`; bytes that are not valid UTF-8 become U+FFFD (as HF's `from_utf8_lossy`).
    public func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String {
        String(decoding: decodeBytes(ids, skipSpecialTokens: skipSpecialTokens), as: UTF8.self)
    }

    public func token(forID id: Int) -> String? {
        if let a = addedByID[id] { return a }
        return model.vocabulary.indices.contains(id) ? model.vocabulary[id] : nil
    }

    public func id(forToken token: String) -> Int? {
        addedTokens.first { $0.content.utf8.elementsEqual(token.utf8) }?.id ?? model.id(forToken: token)
    }
}
