/// Hugging Face's byte-level pre-tokenization, optionally after a `Digits` split:
///
/// 1. `digits`: split numeric characters off (one piece each, or runs), as the `Digits`
///    pre-tokenizer in a `Sequence` before `ByteLevel` does (SmolLM2, llama.cpp pre-type `smollm`);
/// 2. `addPrefixSpace`: prepend U+0020 to each piece that does not start with one;
/// 3. `useRegex`: split each piece with GPT-2's pattern (see `GPT2Pattern`).
///
/// Pieces come out as UTF-8 bytes, ready for the byte-level BPE model.
public struct ByteLevelPreTokenizer: Sendable, Equatable {
    public enum DigitSplitting: Sendable, Equatable {
        /// No `Digits` step.
        case none
        /// `Digits(individual_digits: true)`: every numeric character is a piece.
        case individual
        /// `Digits(individual_digits: false)`: every run of numeric characters is a piece.
        case contiguous
    }

    public var digits: DigitSplitting
    public var addPrefixSpace: Bool
    public var useRegex: Bool

    public init(digits: DigitSplitting = .none, addPrefixSpace: Bool = false, useRegex: Bool = true) {
        self.digits = digits
        self.addPrefixSpace = addPrefixSpace
        self.useRegex = useRegex
    }

    /// The pieces of `text` (no added tokens inside), each as UTF-8 bytes, none empty.
    public func pieces(_ text: String) -> [[UInt8]] {
        let scalars = Array(text.unicodeScalars)
        var out: [[UInt8]] = []
        for segment in digitSegments(scalars) {
            var piece = Array(scalars[segment])
            if addPrefixSpace && piece.first != " " { piece.insert(" ", at: 0) }
            if !useRegex {
                out.append(utf8(piece[...]))
                continue
            }
            var i = 0
            while i < piece.count {
                let n = GPT2Pattern.matchLength(piece, at: i)
                out.append(utf8(piece[i..<(i + n)]))
                i += n
            }
        }
        return out
    }

    /// Ranges of `s` after the `Digits` step (the whole text when there is none).
    func digitSegments(_ s: [Unicode.Scalar]) -> [Range<Int>] {
        if digits == .none { return s.isEmpty ? [] : [0..<s.count] }
        var out: [Range<Int>] = []
        var start = 0
        var i = 0
        while i < s.count {
            guard HFCharacterClass.isNumeric(s[i]) else { i += 1; continue }
            if start < i { out.append(start..<i) }
            var end = i + 1
            if digits == .contiguous { while end < s.count && HFCharacterClass.isNumeric(s[end]) { end += 1 } }
            out.append(i..<end)
            start = end
            i = end
        }
        if start < s.count { out.append(start..<s.count) }
        return out
    }

    private func utf8(_ s: ArraySlice<Unicode.Scalar>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(s.count)
        for c in s { out.append(contentsOf: UTF8.encode(c)!) }
        return out
    }
}
