import Foundation

/// Hugging Face's `BertNormalizer`, step for step:
/// 1. clean_text: drop NUL, U+FFFD and control/format/private-use characters; whitespace → U+0020;
/// 2. handle_chinese_chars: put a space on each side of every CJK ideograph;
/// 3. strip_accents (defaults to `lowercase` when unset): NFD, then drop nonspacing marks;
/// 4. lowercase: each scalar's full lowercase mapping (no context: final sigma stays σ).
///
/// The character classes come from `HFCharacterClass` (tables probed from the reference). NFD is
/// Foundation's; on this toolchain it differs from the reference's on one scalar only, U+11938
/// (Dives Akuru, which HF leaves composed), found by an exhaustive comparison over all scalars;
/// that cannot change ids (both forms are word characters absent from BERT's vocabulary).
/// Canonical reordering of combining marks newer than the reference's tables is not checked.
public struct BertNormalizer: Sendable, Equatable {
    public var cleanText: Bool
    public var handleChineseCharacters: Bool
    /// nil: follow `lowercase` (Hugging Face's `strip_accents: null`).
    public var stripAccents: Bool?
    public var lowercase: Bool

    public init(cleanText: Bool = true, handleChineseCharacters: Bool = true, stripAccents: Bool? = nil, lowercase: Bool = true) {
        self.cleanText = cleanText
        self.handleChineseCharacters = handleChineseCharacters
        self.stripAccents = stripAccents
        self.lowercase = lowercase
    }

    /// The normalized text, as Unicode scalars.
    public func normalize(_ text: String) -> [Unicode.Scalar] {
        var s: [Unicode.Scalar] = []
        s.reserveCapacity(text.unicodeScalars.count)
        for c in text.unicodeScalars {
            if cleanText {
                if HFCharacterClass.isRemovedByCleanText(c) { continue }
                if HFCharacterClass.isSpaceForCleanText(c) { s.append(" "); continue }
            }
            if handleChineseCharacters && HFCharacterClass.isChineseCharacter(c) {
                s.append(" ")
                s.append(c)
                s.append(" ")
            } else {
                s.append(c)
            }
        }
        if stripAccents ?? lowercase {
            s = Self.canonicalDecomposition(s).filter { !HFCharacterClass.isStrippedAccent($0) }
        }
        if lowercase {
            var lowered: [Unicode.Scalar] = []
            lowered.reserveCapacity(s.count)
            for c in s {
                if c.isASCII {
                    lowered.append(c.value >= 0x41 && c.value <= 0x5A ? Unicode.Scalar(UInt8(c.value) + 32) : c)
                } else {
                    lowered.append(contentsOf: c.properties.lowercaseMapping.unicodeScalars)
                }
            }
            s = lowered
        }
        return s
    }

    /// NFD of a scalar sequence; ASCII-only input is returned as is.
    static func canonicalDecomposition(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] {
        if s.allSatisfy(\.isASCII) { return s }
        var str = String.UnicodeScalarView()
        str.append(contentsOf: s)
        return Array(String(str).decomposedStringWithCanonicalMapping.unicodeScalars)
    }
}
