import Foundation
import LowBitIO
import Testing
@testable import LowBitTokenizers

@Suite struct WordPieceParityTests {
    let fixture: BertFixture
    let tokenizer: WordPieceTokenizer

    init() throws {
        fixture = try Paths.fixture("bert_minilm.json", as: BertFixture.self)
        var t = try WordPieceTokenizer(tokenizerJSON: Paths.require(Paths.miniLM + "/tokenizer.json"))
        #expect(t.truncation == Truncation(maxLength: 128), "tokenizer.json sets truncation to 128")
        t.truncation = nil
        tokenizer = t
    }

    @Test func singleSequencesMatchHuggingFace() {
        #expect(fixture.cases.count > 300)
        for c in fixture.cases {
            #expect(tokenizer.encoding(c.text, parseSpecialTokens: true).ids == c.ids, "text \(show(c.text))")
            if let expected = c.idsNoSpecial {
                #expect(tokenizer.encode(c.text, addSpecialTokens: true, parseSpecialTokens: false) == expected, "text \(show(c.text))")
            }
        }
    }

    @Test func truncationMatchesHuggingFace() {
        for (limit, pick) in [(16, { (c: BertFixture.Case) in c.ids16 }), (128, { (c: BertFixture.Case) in c.ids128 ?? c.ids })] {
            var t = tokenizer
            t.truncation = Truncation(maxLength: limit)
            for c in fixture.cases {
                let e = t.encoding(c.text, parseSpecialTokens: true)
                #expect(e.ids == pick(c), "max \(limit), text \(show(c.text))")
                #expect(e.typeIDs == Array(repeating: 0, count: e.count) && e.attentionMask == Array(repeating: 1, count: e.count))
            }
        }
    }

    @Test func pairsMatchHuggingFace() {
        #expect(fixture.pairs.count >= 40)
        for p in fixture.pairs {
            for (limit, ids, types) in [(nil, p.ids, p.typeIDs), (16, p.ids16, p.typeIDs16), (128, p.ids128, p.typeIDs128)] as [(Int?, [Int], [Int])] {
                var t = tokenizer
                t.truncation = limit.map { Truncation(maxLength: $0) }
                let e = t.encoding(p.a, pair: p.b, parseSpecialTokens: true)
                #expect(e.ids == ids, "max \(limit.map(String.init) ?? "none"), pair \(show(p.a)) / \(show(p.b))")
                #expect(e.typeIDs == types, "type ids, max \(limit.map(String.init) ?? "none"), pair \(show(p.a)) / \(show(p.b))")
            }
        }
    }

    @Test func decodeMatchesHuggingFace() {
        for c in fixture.cases {
            let d = tokenizer.decode(c.ids, skipSpecialTokens: true)
            #expect(sameBytes(d, c.decoded), "decode of \(show(c.text)): \(show(d)) vs HF \(show(c.decoded))")
        }
    }

    @Test func paddedBatchMatchesHuggingFace() {
        let batch = tokenizer.encodeBatch(fixture.batch.map(\.text), parseSpecialTokens: true)
        #expect(batch.ids == fixture.batch.map(\.ids))
        #expect(batch.attentionMask == fixture.batch.map(\.attentionMask))
        #expect(batch.typeIDs == fixture.batch.map(\.typeIDs))
    }

    @Test func vocabTxtEqualsTokenizerJSON() throws {
        var fromVocab = try WordPieceTokenizer(vocabFile: Paths.require(Paths.miniLM + "/vocab.txt"))
        #expect(fromVocab.truncation == nil)
        #expect(fromVocab.vocabularySize == tokenizer.vocabularySize)
        #expect(fromVocab.specialTokens == tokenizer.specialTokens)
        #expect(fromVocab.normalizer == tokenizer.normalizer)
        var fromJSON = tokenizer
        for limit in [nil, 16] as [Int?] {
            fromVocab.truncation = limit.map { Truncation(maxLength: $0) }
            fromJSON.truncation = fromVocab.truncation
            for c in fixture.cases {
                for parse in [true, false] {
                    #expect(fromVocab.encoding(c.text, parseSpecialTokens: parse) == fromJSON.encoding(c.text, parseSpecialTokens: parse),
                            "text \(show(c.text))")
                }
            }
            for p in fixture.pairs {
                #expect(fromVocab.encoding(p.a, pair: p.b) == fromJSON.encoding(p.a, pair: p.b))
            }
        }
    }

    @Test func loaderPicksWordPiece() throws {
        let t = try TokenizerLoader.load(modelPath: Paths.require(Paths.miniLM))
        #expect(t is WordPieceTokenizer)
        #expect(t.vocabularySize == 30522)
        #expect(t.specialTokens == SpecialTokens(unknown: 100, padding: 0, classifier: 101, separator: 102, mask: 103))
        #expect(t.encode("Hello, world!") == [101, 7592, 1010, 2088, 999, 102])
        #expect(t.encode("Hello, world!", addSpecialTokens: false, parseSpecialTokens: false) == [7592, 1010, 2088, 999])
        #expect(t.decode([101, 7592, 1010, 2088, 999, 102]) == "[CLS] hello, world! [SEP]")
    }
}
