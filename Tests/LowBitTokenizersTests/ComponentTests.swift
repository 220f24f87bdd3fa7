import Foundation
import LowBitIO
import Testing
@testable import LowBitTokenizers

/// Unit tests of the pieces: JSON parser, character tables, GPT-2 pattern, truncation lengths.
@Suite struct ComponentTests {
    func parse(_ s: String) throws -> JSONValue { try parse(Array(s.utf8)) }

    func parse(_ bytes: [UInt8]) throws -> JSONValue {
        try bytes.withUnsafeBytes { try JSONParser.parse($0, path: "test.json") }
    }

    @Test func jsonParser() throws {
        let v = try parse(#"{"a": [1, -2.5e1, true, null, "x\u00e9\ud83d\ude00\n\\"], "b": {}, "a": 3}"#)
        let o = try #require(v.objectValue)
        #expect(o.pairs.count == 3, "duplicate keys are kept in order")
        let a = try #require(o["a"]?.arrayValue)
        #expect(a[0].intValue == 1 && a[1].intValue == -25 && a[2].boolValue == true && a[3].isNull)
        #expect(a[4].stringValue == "xé😀\n\\")
        // Keys stay byte-exact: precomposed and decomposed é are different keys.
        let k = try #require(try parse("{\"caf\u{E9}\": 1, \"cafe\u{301}\": 2}").objectValue)
        #expect(k["cafe\u{301}"]?.intValue == 2 && k["caf\u{E9}"]?.intValue == 1)
        for bad in ["", "{", "[1,]", "{\"a\" 1}", "\"\\ud800\"", "\"\\x\"", "01", "nul", "[1] 2", "\"a\u{1}\""] {
            #expect(throws: ModelFileError.self, "\(bad)") { _ = try parse(bad) }
        }
        let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        #expect(throws: ModelFileError.self) { _ = try parse(deep) }
        let invalidUTF8: [UInt8] = [0x22, 0xC3, 0x28, 0x22]
        #expect(throws: ModelFileError.self) { _ = try parse(invalidUTF8) }
    }

    @Test func rangeSetBinarySearchEqualsLinearScan() {
        let tables = [HFCharacterTables.cleanTextRemoves, HFCharacterTables.cleanTextSpaces, HFCharacterTables.chineseCharacters,
                      HFCharacterTables.strippedAccents, HFCharacterTables.bertWhitespace, HFCharacterTables.bertPunctuation,
                      HFCharacterTables.regexWhitespace, HFCharacterTables.regexLetters, HFCharacterTables.regexNumbers,
                      HFCharacterTables.numeric]
        for t in tables {
            var probes: [UInt32] = Array(0..<600)
            for k in stride(from: 0, to: t.bounds.count, by: 1) { probes += [t.bounds[k] &- 1, t.bounds[k], t.bounds[k] + 1] }
            probes += stride(from: UInt32(0), to: 0x110000, by: 4099).map { $0 }
            for v in probes { #expect(t.contains(v) == t.containsByLinearScan(v), "U+\(String(v, radix: 16))") }
        }
        #expect(HFCharacterClass.isRegexLetter("é") && HFCharacterClass.isRegexNumber("٣") && HFCharacterClass.isBertPunctuation("¿"))
        #expect(HFCharacterClass.isChineseCharacter("中") && !HFCharacterClass.isChineseCharacter("の"))
    }

    func gpt2Pieces(_ s: String) -> [String] {
        ByteLevelPreTokenizer().pieces(s).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func gpt2Pattern() {
        #expect(gpt2Pieces("Hello world") == ["Hello", " world"])
        #expect(gpt2Pieces("don't I'll") == ["don", "'t", " I", "'ll"])
        #expect(gpt2Pieces("DON'T") == ["DON", "'", "T"])
        #expect(gpt2Pieces("a  b") == ["a", " ", " b"])
        #expect(gpt2Pieces("a   \n") == ["a", "   \n"])
        #expect(gpt2Pieces("x\t\ty") == ["x", "\t", "\t", "y"])
        #expect(gpt2Pieces("abc123 !!?") == ["abc", "123", " !!?"])
        #expect(gpt2Pieces("?'s") == ["?'", "s"])
        #expect(gpt2Pieces("") == [])
        let digits = ByteLevelPreTokenizer(digits: .individual)
        #expect(digits.pieces("ab 12").map { String(decoding: $0, as: UTF8.self) } == ["ab", " ", "1", "2"])
    }

    @Test func longestFirstTruncation() {
        // (first, second, budget) → kept lengths, worked out from HF's `truncate_encodings`.
        #expect(Truncation.keptLengths(first: 5, second: nil, budget: 3) == (3, nil))
        #expect(Truncation.keptLengths(first: 3, second: 4, budget: 10) == (3, 4))
        #expect(Truncation.keptLengths(first: 2, second: 20, budget: 13) == (2, 11))
        #expect(Truncation.keptLengths(first: 20, second: 2, budget: 13) == (11, 2))
        #expect(Truncation.keptLengths(first: 20, second: 30, budget: 13) == (6, 7))
        #expect(Truncation.keptLengths(first: 30, second: 20, budget: 13) == (7, 6))
        #expect(Truncation.keptLengths(first: 0, second: 0, budget: 0) == (0, 0))
    }

    @Test func normalizerSteps() {
        let n = BertNormalizer()
        #expect(String(String.UnicodeScalarView(n.normalize("Crème\u{0}\tBRÛLÉE 中文"))) == "creme brulee  中  文 ")
        let keepCase = BertNormalizer(lowercase: false)
        #expect(String(String.UnicodeScalarView(keepCase.normalize("Ångström"))) == "Ångström", "strip_accents follows lowercase")
    }
}
