/// A BERT WordPiece tokenizer, id-for-id equal to Hugging Face `tokenizers` with a
/// `BertNormalizer`, `BertPreTokenizer`, `WordPiece` model and the `[CLS] A [SEP] (B [SEP])`
/// template.
///
/// Load with `WordPieceTokenizer(tokenizerJSON:)` or `WordPieceTokenizer(vocabFile:configFile:)`.
public struct WordPieceTokenizer: Tokenizer {
    public let normalizer: BertNormalizer
    public let model: WordPieceModel
    /// Tokens matched whole in the raw text (BERT's `[CLS]`, `[SEP]`, `[PAD]`, `[UNK]`, `[MASK]`).
    public let addedTokens: [AddedToken]
    public let classifierID: Int
    public let separatorID: Int
    public let specialTokens: SpecialTokens
    /// Applied by every encode call; nil encodes whole inputs. Set it like HF's `enable_truncation`.
    public var truncation: Truncation?
    /// Strip `##` and glue pieces when decoding, and tidy spaces before punctuation (HF's `cleanup`).
    public var decoderCleanup = true

    private let splitter: AddedTokenSplitter
    private let specialIDs: Set<Int>
    private let addedByID: [Int: String]

    public init(normalizer: BertNormalizer, model: WordPieceModel, addedTokens: [AddedToken],
                classifierID: Int, separatorID: Int, specialTokens: SpecialTokens, truncation: Truncation?) {
        self.normalizer = normalizer
        self.model = model
        self.addedTokens = addedTokens
        self.classifierID = classifierID
        self.separatorID = separatorID
        self.specialTokens = specialTokens
        self.truncation = truncation
        splitter = AddedTokenSplitter(addedTokens)
        specialIDs = Set(addedTokens.filter(\.special).map(\.id))
        addedByID = Dictionary(addedTokens.map { ($0.id, $0.content) }, uniquingKeysWith: { a, _ in a })
    }

    public var vocabularySize: Int { max(model.vocabulary.count, (addedTokens.map(\.id).max() ?? -1) + 1) }

    /// Ids of one sequence without `[CLS]`/`[SEP]` and without truncation.
    public func sequenceIDs(_ text: String, parseSpecialTokens: Bool) -> [Int] {
        var ids: [Int] = []
        for segment in splitter.split(text, parseSpecial: parseSpecialTokens) {
            switch segment {
            case .token(let id): ids.append(id)
            case .text(let t):
                let normalized = normalizer.normalize(t)
                for w in BertPreTokenizer.words(normalized) { model.tokenize(word: normalized[w], into: &ids) }
            }
        }
        return ids
    }

    /// The encoding of `text`, or of the pair (`text`, `pair`), truncated by `truncation`.
    public func encoding(_ text: String, pair: String? = nil, addSpecialTokens: Bool = true,
                         parseSpecialTokens: Bool = false) -> Encoding {
        var a = sequenceIDs(text, parseSpecialTokens: parseSpecialTokens)
        var b = pair.map { sequenceIDs($0, parseSpecialTokens: parseSpecialTokens) }
        if let truncation {
            let added = addSpecialTokens ? (b == nil ? 2 : 3) : 0
            let (na, nb) = Truncation.keptLengths(first: a.count, second: b?.count, budget: truncation.maxLength - added)
            a.removeSubrange(na...)
            if let nb { b!.removeSubrange(nb...) }
        }
        var ids: [Int] = []
        var types: [Int] = []
        if addSpecialTokens { ids.append(classifierID) }
        ids += a
        if addSpecialTokens { ids.append(separatorID) }
        types += Array(repeating: 0, count: ids.count)
        if let b {
            ids += b
            if addSpecialTokens { ids.append(separatorID) }
            types += Array(repeating: 1, count: ids.count - types.count)
        }
        return Encoding(ids: ids, typeIDs: types, attentionMask: Array(repeating: 1, count: ids.count))
    }

    /// Encodes each text and pads the batch to its longest encoding with `[PAD]` (id 0 if absent).
    public func encodeBatch(_ texts: [String], parseSpecialTokens: Bool = false) -> EncodingBatch {
        EncodingBatch(padding: texts.map { encoding($0, parseSpecialTokens: parseSpecialTokens) }, padID: specialTokens.padding ?? 0)
    }

    public func encode(_ text: String, addSpecialTokens: Bool, parseSpecialTokens: Bool) -> [Int] {
        encoding(text, pair: nil, addSpecialTokens: addSpecialTokens, parseSpecialTokens: parseSpecialTokens).ids
    }

    /// Hugging Face's WordPiece decoder: pieces that start with `##` are glued to the previous
    /// one, others get a leading space; with `decoderCleanup`, each piece's " ." " ?" " !" " ,"
    /// and a few English contractions are tightened.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String {
        var out = ""
        var first = true
        for id in ids {
            if skipSpecialTokens && specialIDs.contains(id) { continue }
            guard var piece = token(forID: id) else { continue }
            if !first {
                // Compare scalars, not Characters: in "##ि" the second "#" and the vowel sign are one Character.
                let prefix = model.continuingSubwordPrefix.unicodeScalars
                if piece.unicodeScalars.starts(with: prefix) {
                    piece = String(piece.unicodeScalars.dropFirst(prefix.count))
                } else {
                    piece = " " + piece
                }
            }
            if decoderCleanup { piece = Self.cleanup(piece) }
            out += piece
            first = false
        }
        return out
    }

    /// Hugging Face's `wordpiece::cleanup`, applied to one decoded piece.
    static func cleanup(_ s: String) -> String {
        var s = s
        for (a, b) in [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                       (" 'm", "'m"), (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")] {
            s = s.replacingOccurrencesExactly(of: a, with: b)
        }
        return s
    }

    public func token(forID id: Int) -> String? {
        if let a = addedByID[id] { return a }
        return model.vocabulary.indices.contains(id) ? model.vocabulary[id] : nil
    }

    public func id(forToken token: String) -> Int? {
        model.id(forToken: token) ?? addedTokens.first { $0.content.utf8.elementsEqual(token.utf8) }?.id
    }
}

extension String {
    /// Replaces every non-overlapping occurrence of `target`, comparing UTF-8 bytes (no Unicode
    /// equivalence, no Foundation).
    func replacingOccurrencesExactly(of target: String, with replacement: String) -> String {
        let t = Array(target.utf8)
        let s = Array(utf8)
        guard !t.isEmpty, s.count >= t.count else { return self }
        var out: [UInt8] = []
        out.reserveCapacity(s.count)
        var i = 0
        var changed = false
        while i < s.count {
            if s.count - i >= t.count, s[i] == t[0], s[i..<(i + t.count)].elementsEqual(t) {
                out.append(contentsOf: replacement.utf8)
                i += t.count
                changed = true
            } else {
                out.append(s[i])
                i += 1
            }
        }
        return changed ? String(decoding: out, as: UTF8.self) : self
    }
}
