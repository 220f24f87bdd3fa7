import LowBitIO

/// The WordPiece vocabulary and Hugging Face's greedy longest-match-first segmentation.
///
/// A word longer than `maxInputCharactersPerWord` scalars, or one with any part that no
/// vocabulary entry matches, becomes the single unknown token.
public struct WordPieceModel: Sendable {
    /// Vocabulary strings by id.
    public let vocabulary: [String]
    public let unknownTokenID: Int
    /// Prefix of non-initial pieces, `##` for BERT.
    public let continuingSubwordPrefix: String
    public let maxInputCharactersPerWord: Int
    private let ids: [ExactString: Int]

    /// A string listed twice maps to its last id (as Hugging Face reads `vocab.txt`).
    /// - Throws: `ModelFileError(.malformed)` naming `source` when the unknown token is missing.
    init(vocabulary: [String], unknownToken: String, continuingSubwordPrefix: String,
         maxInputCharactersPerWord: Int, source: String) throws(ModelFileError) {
        var ids: [ExactString: Int] = [:]
        ids.reserveCapacity(vocabulary.count)
        for (i, t) in vocabulary.enumerated() { ids[ExactString(t)] = i }
        guard let unk = ids[ExactString(unknownToken)] else {
            throw ModelFileError(.malformed, path: source, "the unknown token \"\(unknownToken)\" is not in the vocabulary")
        }
        guard maxInputCharactersPerWord > 0 else {
            throw ModelFileError(.malformed, path: source, "max_input_chars_per_word must be positive, got \(maxInputCharactersPerWord)")
        }
        self.vocabulary = vocabulary
        self.ids = ids
        self.unknownTokenID = unk
        self.continuingSubwordPrefix = continuingSubwordPrefix
        self.maxInputCharactersPerWord = maxInputCharactersPerWord
    }

    public func id(forToken token: String) -> Int? { ids[ExactString(token)] }

    /// Appends the ids of one word (no whitespace inside) to `out`.
    public func tokenize<C: Collection>(word: C, into out: inout [Int]) where C.Element == Unicode.Scalar {
        let chars = Array(word)
        if chars.isEmpty { return }
        if chars.count > maxInputCharactersPerWord {
            out.append(unknownTokenID)
            return
        }
        let mark = out.count
        var start = 0
        while start < chars.count {
            var end = chars.count
            var found: Int?
            while start < end {
                var piece = start > 0 ? continuingSubwordPrefix : ""
                piece.unicodeScalars.append(contentsOf: chars[start..<end])
                if let id = ids[ExactString(piece)] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let id = found else {
                out.removeSubrange(mark...)
                out.append(unknownTokenID)
                return
            }
            out.append(id)
            start = end
        }
    }
}
