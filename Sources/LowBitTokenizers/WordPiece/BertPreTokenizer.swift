/// Hugging Face's `BertPreTokenizer`: split on whitespace (dropped), then isolate every
/// punctuation character (ASCII punctuation and Unicode P*) as a word of its own.
enum BertPreTokenizer {
    /// The words of `text`, as ranges into it, in order; none is empty.
    static func words(_ text: [Unicode.Scalar]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var start = 0
        for (i, c) in text.enumerated() {
            if HFCharacterClass.isBertWhitespace(c) {
                if start < i { out.append(start..<i) }
                start = i + 1
            } else if HFCharacterClass.isBertPunctuation(c) {
                if start < i { out.append(start..<i) }
                out.append(i..<(i + 1))
                start = i + 1
            }
        }
        if start < text.count { out.append(start..<text.count) }
        return out
    }
}
