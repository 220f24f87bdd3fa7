/// A token matched as a whole in the raw text before any normalization or pre-tokenization
/// (Hugging Face's "added tokens": `[CLS]`, `<|endoftext|>`, `<|im_start|>`, …).
public struct AddedToken: Sendable, Equatable {
    public let content: String
    public let id: Int
    /// Special tokens are the ones `parseSpecialTokens: false` leaves as text and
    /// `skipSpecialTokens` drops when decoding.
    public let special: Bool

    public init(content: String, id: Int, special: Bool) {
        self.content = content
        self.id = id
        self.special = special
    }
}

/// A piece of input text: ordinary text for the model, or an added token already resolved.
enum TextSegment: Equatable {
    case text(String)
    case token(Int)
}

/// Splits text on added tokens the way Hugging Face's `AddedVocabulary` does: leftmost-longest,
/// non-overlapping matches over the raw text (Aho-Corasick `LeftmostLongest`). When special
/// tokens are not parsed, their matches are found all the same and then left as text, exactly as
/// `encode_special_tokens = True` does.
struct AddedTokenSplitter: Sendable {
    let tokens: [AddedToken]
    /// Token indices by first UTF-8 byte, longest content first.
    private let byFirstByte: [UInt8: [Int]]
    private let contents: [[UInt8]]

    init(_ tokens: [AddedToken]) {
        self.tokens = tokens
        let contents = tokens.map { Array($0.content.utf8) }
        self.contents = contents
        var index: [UInt8: [Int]] = [:]
        for (k, c) in contents.enumerated() where !c.isEmpty { index[c[0], default: []].append(k) }
        for key in index.keys { index[key]!.sort { contents[$0].count > contents[$1].count || (contents[$0].count == contents[$1].count && $0 < $1) } }
        byFirstByte = index
    }

    var isEmpty: Bool { tokens.isEmpty }

    /// Segments of `text`; with `parseSpecial` false, special-token matches stay text.
    func split(_ text: String, parseSpecial: Bool) -> [TextSegment] {
        if tokens.isEmpty || text.isEmpty { return text.isEmpty ? [] : [.text(text)] }
        let bytes = Array(text.utf8)
        var out: [TextSegment] = []
        var textStart = 0
        var p = 0
        while p < bytes.count {
            guard let k = longestMatch(in: bytes, at: p) else { p += 1; continue }
            let end = p + contents[k].count
            if tokens[k].special && !parseSpecial { p = end; continue }
            if textStart < p { out.append(.text(String(decoding: bytes[textStart..<p], as: UTF8.self))) }
            out.append(.token(tokens[k].id))
            p = end
            textStart = end
        }
        if textStart < bytes.count { out.append(.text(String(decoding: bytes[textStart...], as: UTF8.self))) }
        return out
    }

    private func longestMatch(in bytes: [UInt8], at p: Int) -> Int? {
        guard let candidates = byFirstByte[bytes[p]] else { return nil }
        for k in candidates {
            let c = contents[k]
            if bytes.count - p >= c.count, bytes[p..<(p + c.count)].elementsEqual(c) { return k }
        }
        return nil
    }
}
