/// GPT-2's pre-tokenization regex, as Hugging Face's `ByteLevel` uses it (Oniguruma, leftmost
/// alternative wins), written as a matcher over Unicode scalars:
///
///     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
///
/// Every position starts a match of at least one scalar, so the matches tile the text.
/// The classes `\s`, `\p{L}`, `\p{N}` are Oniguruma's, from `HFCharacterClass`.
enum GPT2Pattern {
    enum Class: Equatable { case letter, number, whitespace, other }

    static func classify(_ c: Unicode.Scalar) -> Class {
        if c.isASCII {
            switch c.value {
            case 0x41...0x5A, 0x61...0x7A: return .letter
            case 0x30...0x39: return .number
            case 0x09...0x0D, 0x20: return .whitespace
            default: return .other
            }
        }
        if HFCharacterClass.isRegexLetter(c) { return .letter }
        if HFCharacterClass.isRegexNumber(c) { return .number }
        if HFCharacterClass.isRegexWhitespace(c) { return .whitespace }
        return .other
    }

    /// Length (in scalars, ≥ 1) of the match that starts at `i < s.count`.
    static func matchLength(_ s: [Unicode.Scalar], at i: Int) -> Int {
        let end = s.count
        let c = s[i]
        // 's 't 're 've 'm 'll 'd (lowercase only)
        if c == "'" && i + 1 < end {
            switch s[i + 1] {
            case "s", "t", "m", "d": return 2
            case "r", "v": if i + 2 < end && s[i + 2] == "e" { return 3 }
            case "l": if i + 2 < end && s[i + 2] == "l" { return 3 }
            default: break
            }
        }
        // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: a space followed by a non-space starts
        // the run of that non-space's class; otherwise the run of c's own class.
        var start = i
        var cls = classify(c)
        if c == " " && i + 1 < end {
            let next = classify(s[i + 1])
            if next != .whitespace {
                start = i + 1
                cls = next
            }
        }
        var j = start + 1
        while j < end && classify(s[j]) == cls { j += 1 }
        if cls != .whitespace { return j - i }
        // `\s+(?!\S)`: the whitespace run, less its last scalar when a non-space follows;
        // `\s+`: a single whitespace scalar before a non-space.
        let run = j - i
        return (j == end || run == 1) ? run : run - 1
    }
}
