import LowBitCore
import Foundation
import LowBitIO
import Testing
@testable import LowBitTokenizers

/// Byte-level BPE against Hugging Face: GPT-2 (tokenizer.json) and SmolLM2 (GGUF metadata).
@Suite struct BytePairParityTests {
    static func gpt2() throws -> BytePairTokenizer {
        try BytePairTokenizer(tokenizerJSON: Paths.require(Paths.gpt2 + "/tokenizer.json"))
    }

    static func smolLM2() throws -> BytePairTokenizer {
        try BytePairTokenizer(gguf: GGUFFile(path: Paths.require(Paths.smolLM2)))
    }

    /// ids with and without special-token parsing, and decode, for every fixture text.
    func check(_ tokenizer: BytePairTokenizer, _ fixtureName: String) throws {
        let fixture = try Paths.fixture(fixtureName, as: BPEFixture.self)
        #expect(fixture.cases.count > 300)
        for c in fixture.cases {
            let ids = tokenizer.encode(c.text, addSpecialTokens: true, parseSpecialTokens: true)
            #expect(ids == c.ids, "\(fixtureName): text \(show(c.text))")
            let plain = tokenizer.encode(c.text, addSpecialTokens: true, parseSpecialTokens: false)
            #expect(plain == (c.idsNoSpecial ?? c.ids), "\(fixtureName), specials not parsed: text \(show(c.text))")
            for x in [ids, plain] {
                let back = tokenizer.decode(x)
                // Where HF does not round-trip (a byte missing from the vocabulary), match HF's text.
                let expected = c.decoded ?? c.text
                #expect(sameBytes(back, expected), "\(fixtureName): decode gave \(show(back)) for \(show(c.text))")
            }
        }
    }

    @Test func gpt2MatchesHuggingFace() throws {
        try check(Self.gpt2(), "gpt2_kjvwiki.json")
    }

    @Test func smolLM2MatchesHuggingFace() throws {
        try check(Self.smolLM2(), "smollm2.json")
    }

    @Test func gpt2RoundTripsAnyText() throws {
        let t = try Self.gpt2()
        var rng = SplitMix64(seed: 7)
        for _ in 0..<300 {
            var s = String.UnicodeScalarView()
            for _ in 0..<Int(rng.next() % 40) {
                let pick = rng.next() % 4
                let v: UInt32 = pick == 0 ? UInt32(rng.next() % 128) : pick == 1 ? UInt32(rng.next() % 0x800) : UInt32(rng.next() % 0x110000)
                if let u = Unicode.Scalar(v) { s.append(u) }
            }
            let text = String(s)
            let ids = t.encode(text, addSpecialTokens: false, parseSpecialTokens: false)
            #expect(sameBytes(t.decode(ids), text), "text \(show(text))")
            // Bytes of tokens decoded one at a time concatenate to the text's UTF-8.
            #expect(ids.flatMap { t.decodeBytes([$0]) } == Array(text.utf8))
        }
    }

    @Test func specialTokensAndIDs() throws {
        let smol = try Self.smolLM2()
        #expect(smol.vocabularySize == 49152)
        #expect(smol.specialTokens == SpecialTokens(bos: 1, eos: 2, unknown: 0, padding: 2))
        #expect(smol.prefixIDs.isEmpty && smol.suffixIDs.isEmpty, "add_bos_token is false")
        #expect(smol.encode("<|im_start|>user", addSpecialTokens: true, parseSpecialTokens: true).first == 1)
        #expect(smol.encode("<|im_start|>user").first != 1, "special text is not parsed by default")
        #expect(smol.decode([1, 2], skipSpecialTokens: true) == "")
        #expect(smol.decode([1, 2]) == "<|im_start|><|im_end|>")
        #expect(smol.token(forID: 1) == "<|im_start|>" && smol.id(forToken: "<|im_end|>") == 2)
        #expect(smol.decode([-1, 1_000_000]) == "", "ids outside the vocabulary are skipped")

        let gpt2 = try Self.gpt2()
        #expect(gpt2.vocabularySize == 8192)
        #expect(gpt2.specialTokens.bos == 0 && gpt2.specialTokens.eos == 0, "from config.json")
        #expect(gpt2.token(forID: 0) == "<|endoftext|>")
    }

    @Test func loaderPicksBytePair() throws {
        let a = try TokenizerLoader.load(modelPath: Paths.require(Paths.smolLM2))
        let b = try TokenizerLoader.load(modelPath: Paths.require(Paths.gpt2))
        #expect(a is BytePairTokenizer && b is BytePairTokenizer)
        #expect(a.encode("Hello world 123") == [19556, 905, 216, 33, 34, 35])
    }

    /// The priority-queue merge loop equals the obvious scan on every piece of the fixture texts.
    @Test func queueMergeEqualsScanningReference() throws {
        for (tokenizer, name) in [(try Self.gpt2(), "gpt2_kjvwiki.json"), (try Self.smolLM2(), "smollm2.json")] {
            let fixture = try Paths.fixture(name, as: BPEFixture.self)
            var checked = 0
            for c in fixture.cases {
                for piece in tokenizer.preTokenizer.pieces(c.text) {
                    let symbols = tokenizer.model.initialSymbols(piece)
                    #expect(tokenizer.model.mergeWithQueue(symbols) == tokenizer.model.mergeByScanning(symbols), "piece \(piece)")
                    checked += 1
                }
            }
            #expect(checked > 5_000)
        }
    }
}
