import Foundation
import Testing
@testable import LowBitIO

@Suite struct ConfigTests {
    @Test func miniLM() throws {
        guard case .bert(let c) = try ModelConfig.load(configJSON: TestFiles.require(TestFiles.miniLM + "/config.json")) else {
            Issue.record("not BERT"); return
        }
        #expect(c.numLayers == 6 && c.hiddenSize == 384 && c.numHeads == 12 && c.intermediateSize == 1536)
        #expect(c.vocabSize == 30522 && c.maxPositions == 512 && c.typeVocabSize == 2 && c.hiddenAct == "gelu")
        #expect(c.layerNormEps == 1e-12)
    }

    @Test func gpt2Reference() throws {
        guard case .gpt2(let c) = try ModelConfig.load(configJSON: TestFiles.require(TestFiles.gpt2 + "/config.json")) else {
            Issue.record("not GPT-2"); return
        }
        #expect(c.numLayers == 6 && c.hiddenSize == 384 && c.numHeads == 6 && c.intermediateSize == 1536)
        #expect(c.vocabSize == 8192 && c.maxPositions == 512 && c.activation == "gelu_new" && c.tieWordEmbeddings)
        #expect(c.eosTokenID == 0)
    }

    @Test func llamaJSON() throws {
        let dir = TestFiles.tempDir()
        let json = #"{"model_type":"llama","vocab_size":49152,"hidden_size":576,"num_hidden_layers":30,"num_attention_heads":9,"num_key_value_heads":3,"intermediate_size":1536,"max_position_embeddings":8192,"rope_theta":100000.0,"rms_norm_eps":1e-05,"tie_word_embeddings":true,"bos_token_id":1,"eos_token_id":[2,3]}"#
        try json.write(toFile: dir + "/config.json", atomically: true, encoding: .utf8)
        guard case .llama(let c) = try ModelConfig.load(configJSON: dir + "/config.json") else { Issue.record("not Llama"); return }
        // The same config as SmolLM2's GGUF metadata gives.
        var fromGGUF = try LlamaConfig(gguf: GGUFFile(path: TestFiles.require(TestFiles.smolLM2)))
        fromGGUF.rmsNormEps = 1e-5
        #expect(c == fromGGUF)
    }

    @Test(arguments: [
        (#"{"model_type":"t5"}"#, "not supported"),
        (#"{"hidden_size":3}"#, "no model_type"),
        (#"{"model_type":"bert","hidden_size":384}"#, "missing vocab_size"),
        (#"{"model_type":"bert","vocab_size":"x"}"#, "vocab_size should be an integer"),
        (#"{"model_type":"bert","vocab_size":10,"hidden_size":10,"num_hidden_layers":1,"num_attention_heads":3,"intermediate_size":4,"max_position_embeddings":8}"#, "not a multiple"),
        ("nope", "not valid JSON"),
    ])
    func badConfigs(json: String, message: String) throws {
        let dir = TestFiles.tempDir()
        try json.write(toFile: dir + "/config.json", atomically: true, encoding: .utf8)
        let e = #expect(throws: ModelFileError.self) { try ModelConfig.load(configJSON: dir + "/config.json") }
        #expect(e?.description.contains(message) == true, "\(String(describing: e))")
    }

    @Test func modelSourceOpensBothFormats() throws {
        let gguf = try ModelSource.open(TestFiles.require(TestFiles.smolLM2))
        #expect(gguf.tensors.count == 272 && gguf.config.architecture == "llama")
        let hf = try ModelSource.open(TestFiles.require(TestFiles.miniLM))
        #expect(hf.tensors.count == 104 && hf.config.architecture == "bert")
        let gpt2 = try ModelSource.open(TestFiles.require(TestFiles.gpt2))
        #expect(gpt2.config.architecture == "gpt2" && gpt2.hasTensor("transformer.wte.weight"))
        #expect(throws: ModelFileError.self) { try ModelSource.open("/nonexistent/model") }
        #expect(throws: ModelFileError.self) { try ModelSource.open(TestFiles.root + "/Package.swift") }
    }
}
