import Foundation
import LowBitIO
import Testing
@testable import LowBitTokenizers

/// Bad tokenizer files give a thrown `ModelFileError` that says what and where.
@Suite struct LoadingErrorTests {
    let dir = Paths.tempDir()

    func write(_ name: String, _ text: String) -> String {
        let p = dir + "/" + name
        try! text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    @Test func missingFiles() {
        expectModelFileError(.notFound, containing: "no such file") { _ = try WordPieceTokenizer(tokenizerJSON: dir + "/nope.json") }
        expectModelFileError(.notFound, containing: "no such file") { _ = try WordPieceTokenizer(vocabFile: dir + "/vocab.txt") }
        expectModelFileError(.notFound, containing: "no such file") { _ = try BytePairTokenizer(tokenizerJSON: dir + "/t.json") }
        expectModelFileError(.notFound, containing: "no such file") { _ = try TokenizerLoader.load(modelPath: dir + "/model.gguf") }
        expectModelFileError(.notFound, containing: "no tokenizer.json, vocab.txt or tokenizer.gguf") { _ = try TokenizerLoader.load(modelPath: dir) }
    }

    @Test func malformedJSON() {
        let p = write("tokenizer.json", "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"a\": 0,}}}")
        expectModelFileError(.malformed, containing: "invalid JSON") { _ = try TokenizerLoader.load(modelPath: p) }
        do {
            _ = try TokenizerLoader.load(modelPath: p)
        } catch {
            #expect(error.offset == 49, "offset of the stray '}': \(error)")
            #expect(error.path == p)
        }
        let q = write("t2.json", "[1, 2]")
        expectModelFileError(.malformed, containing: "should be a JSON object") { _ = try TokenizerLoader.load(modelPath: q) }
        let r = write("t3.json", "{\"a\": \"unterminated}")
        expectModelFileError(.malformed, containing: "unterminated string") { _ = try TokenizerLoader.load(modelPath: r) }
    }

    @Test func missingOrBadVocabulary() {
        let noVocab = write("a.json", """
            {"model": {"type": "WordPiece", "unk_token": "[UNK]"}, "pre_tokenizer": {"type": "BertPreTokenizer"}}
            """)
        expectModelFileError(.malformed, containing: "missing model.vocab") { _ = try WordPieceTokenizer(tokenizerJSON: noVocab) }
        let noModel = write("b.json", "{\"normalizer\": null}")
        expectModelFileError(.malformed, containing: "missing model") { _ = try TokenizerLoader.load(modelPath: noModel) }
        let badID = write("c.json", "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"[UNK]\": 0, \"a\": 5}}}")
        expectModelFileError(.malformed, containing: "model.vocab[\"a\"]") { _ = try WordPieceTokenizer(tokenizerJSON: badID) }
        let noUnk = write("d.json", """
            {"model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"a": 0}}, "pre_tokenizer": {"type": "BertPreTokenizer"}}
            """)
        expectModelFileError(.malformed, containing: "unknown token \"[UNK]\"") { _ = try WordPieceTokenizer(tokenizerJSON: noUnk) }
        let badMerge = write("e.json", """
            {"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a b"]},
             "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false}, "decoder": {"type": "ByteLevel"}}
            """)
        expectModelFileError(.malformed, containing: "makes \"ab\"") { _ = try BytePairTokenizer(tokenizerJSON: badMerge) }
        let unigram = write("f.json", "{\"model\": {\"type\": \"Unigram\", \"vocab\": []}}")
        expectModelFileError(.unsupported, containing: "Unigram") { _ = try TokenizerLoader.load(modelPath: unigram) }
        let emptyVocab = write("vocab.txt", "")
        expectModelFileError(.malformed, containing: "empty") { _ = try WordPieceTokenizer(vocabFile: emptyVocab) }
        let noCLS = write("vocab2.txt", "[UNK]\na\n")
        expectModelFileError(.malformed, containing: "[CLS]") { _ = try WordPieceTokenizer(vocabFile: noCLS, configFile: nil) }
    }

    @Test func wrongModelForTheType() throws {
        expectModelFileError(.unsupported, containing: "is not BPE") {
            _ = try BytePairTokenizer(tokenizerJSON: (try? Paths.require(Paths.miniLM + "/tokenizer.json")) ?? "")
        }
        expectModelFileError(.unsupported, containing: "is not WordPiece") {
            _ = try WordPieceTokenizer(tokenizerJSON: (try? Paths.require(Paths.gpt2 + "/tokenizer.json")) ?? "")
        }
    }

    @Test func ggufWithoutTokenizer() throws {
        // A valid GGUF v3 file with one metadata entry and no tokenizer keys.
        var bytes: [UInt8] = Array("GGUF".utf8)
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        func str(_ s: String) { u64(UInt64(s.utf8.count)); bytes += Array(s.utf8) }
        u32(3); u64(0); u64(1)
        str("general.architecture"); u32(8); str("llama")
        bytes += Array(repeating: 0, count: (32 - bytes.count % 32) % 32)  // data section alignment
        let p = dir + "/empty.gguf"
        #expect(FileManager.default.createFile(atPath: p, contents: Data(bytes)))
        expectModelFileError(.malformed, containing: "missing metadata tokenizer.ggml.model") { _ = try TokenizerLoader.load(modelPath: p) }
        let notGGUF = write("x.gguf", "not a gguf file at all")
        expectModelFileError(.malformed, containing: "not a GGUF file") { _ = try TokenizerLoader.load(modelPath: notGGUF) }
    }
}
