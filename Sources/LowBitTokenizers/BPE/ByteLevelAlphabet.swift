/// GPT-2's reversible byte ↔ character map (`bytes_to_unicode`): printable Latin-1 bytes
/// (`!`…`~`, `¡`…`¬`, `®`…`ÿ`) map to themselves, the other 68 bytes to U+0100, U+0101, … in
/// byte order. Byte-level BPE vocabularies are written in these characters (space is `Ġ`).
enum ByteLevelAlphabet {
    /// Character of each byte.
    static let characters: [Unicode.Scalar] = {
        var chars = [Unicode.Scalar](repeating: "\0", count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            if (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b) {
                chars[b] = Unicode.Scalar(UInt8(b))
            } else {
                chars[b] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return chars
    }()

    /// Byte of each character of the alphabet.
    static let bytes: [UInt32: UInt8] = {
        var m: [UInt32: UInt8] = [:]
        for (b, c) in characters.enumerated() { m[c.value] = UInt8(b) }
        return m
    }()

    /// The vocabulary spelling of raw bytes.
    static func encode<S: Sequence>(_ raw: S) -> String where S.Element == UInt8 {
        var s = String.UnicodeScalarView()
        for b in raw { s.append(characters[Int(b)]) }
        return String(s)
    }

    /// The bytes a token stands for, as Hugging Face's ByteLevel decoder reads it: the mapped
    /// bytes when every character is in the alphabet, otherwise the token's own UTF-8.
    static func decode(token: String) -> [UInt8] {
        var out: [UInt8] = []
        for c in token.unicodeScalars {
            guard let b = bytes[c.value] else { return Array(token.utf8) }
            out.append(b)
        }
        return out
    }
}
