import Foundation
import LowBitCore
import LowBitIO
import LowBitModels
import Testing

/// Checkpoint layouts and bad files: GPT-2 with and without `transformer.`, F32 and BF16;
/// Llama from HF safetensors (HF rotary layout, no un-permutation) equal to the GGUF load;
/// typed errors for missing tensors, wrong shapes and unsupported configs.
@Suite struct LoadingTests {
    /// A fresh temporary directory holding `config` as config.json.
    static func modelDirectory(_ tag: String, config: [String: Any]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lowbit-models-\(tag)-\(getpid())").path
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: dir + "/config.json"))
        return dir
    }

    static func gpt2Config() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: TestPaths.gpt2 + "/config.json"))) as! [String: Any]
    }

    /// The kjv GPT-2's tensors renamed by `rename` (nil drops one), as F32 or BF16 entries.
    static func gpt2Entries(bf16: Bool = false, _ rename: (String) -> String? = { $0 }) throws -> [SafeTensorsWriter.Entry] {
        let source = try ModelSource.open(TestPaths.gpt2)
        return try source.tensors.compactMap { t in
            guard let name = rename(t.name) else { return nil }
            let x = try source.float32(named: t.name)
            guard bf16 else { return SafeTensorsWriter.Entry(name: name, tensor: x) }
            let bits = x.toArray().map { HalfPrecision.floatToBF16($0) }
            return SafeTensorsWriter.Entry(name: name, dtype: .bf16, shape: t.shape, bytes: bits.withUnsafeBufferPointer { Data(buffer: $0) })
        }
    }

    static let tokens: [Int32] = [10, 250, 31, 7, 999, 4, 18]

    @Test func gpt2WithoutPrefixAndInBF16() throws {
        #expect(try ModelSource.open(TestPaths.gpt2).hasTensor("transformer.wte.weight"))
        let reference = try Models.gpt2.logits(tokens: Self.tokens, cache: nil)
        let plain = try Self.modelDirectory("gpt2-plain", config: Self.gpt2Config())
        defer { try? FileManager.default.removeItem(atPath: plain) }
        try SafeTensorsWriter.write(Self.gpt2Entries { String($0.dropFirst($0.hasPrefix("transformer.") ? 12 : 0)) },
                                    to: plain + "/model.safetensors")
        let unprefixed = try DecoderModel.load(ModelSource.open(plain))
        #expect(bitwiseEqual(try unprefixed.logits(tokens: Self.tokens, cache: nil).toArray(), reference.toArray()))

        let half = try Self.modelDirectory("gpt2-bf16", config: Self.gpt2Config())
        defer { try? FileManager.default.removeItem(atPath: half) }
        try SafeTensorsWriter.write(Self.gpt2Entries(bf16: true), to: half + "/model.safetensors")
        let l = try DecoderModel.load(ModelSource.open(half)).logits(tokens: Self.tokens, cache: nil)
        let scale = reference.toArray().map(abs).max()!
        #expect(maxAbsDiff(l.toArray(), reference.toArray()) < 0.05 * scale, "BF16 weights drift too far")
    }

    @Test func gpt2BadFilesGiveTypedErrors() throws {
        let dir = try Self.modelDirectory("gpt2-bad", config: Self.gpt2Config())
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try SafeTensorsWriter.write(Self.gpt2Entries { $0 == "transformer.h.3.mlp.c_fc.bias" ? nil : $0 }, to: dir + "/model.safetensors")
        #expect(throws: ModelError.missingTensor(name: "transformer.h.3.mlp.c_fc.bias", path: dir)) {
            try DecoderModel.load(ModelSource.open(dir))
        }
        var entries = try Self.gpt2Entries()
        let i = entries.firstIndex { $0.name == "transformer.h.1.attn.c_proj.weight" }!
        entries[i].shape = [192, 768]
        try SafeTensorsWriter.write(entries, to: dir + "/model.safetensors")
        #expect(throws: ModelError.wrongShape(name: "transformer.h.1.attn.c_proj.weight", expected: [384, 384], actual: [192, 768], path: dir)) {
            try DecoderModel.load(ModelSource.open(dir))
        }
        var config = try Self.gpt2Config()
        config["activation_function"] = "relu"
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: dir + "/config.json"))
        #expect(throws: ModelError.self) { try DecoderModel.load(ModelSource.open(dir)) }
        #expect(throws: ModelError.self) { try BertModel.load(ModelSource.open(TestPaths.gpt2)) }
        #expect(throws: ModelError.self) { try loadCausalLM(path: TestPaths.miniLM) }
        #expect(throws: ModelError.self) { try loadCausalLM(path: dir + "/nothing-here") }
    }

    /// SmolLM2's first two blocks written as an HF Llama checkpoint (q/k in HF layout, as
    /// transformers holds them) give the bits of the GGUF model's first two blocks.
    @Test func llamaFromHuggingFaceLayout() throws {
        let gguf = Models.smolLM
        let sites = gguf.linearSites()
        func weight(_ name: String) -> Tensor { sites.first { $0.name == name }!.floatLinear!.weight }
        let (e, hd, kvd, inner) = (576, 9 * 64, 3 * 64, 1536)
        var entries = [SafeTensorsWriter.Entry(name: "model.embed_tokens.weight", tensor: gguf.stack.embeddings.tokens)]
        if case .rmsNorm(let w, _) = gguf.stack.finalNorm! { entries.append(.init(name: "model.norm.weight", tensor: w)) }
        for l in 0..<2 {
            let p = "model.layers.\(l).", block = gguf.stack.blocks[l]
            let qkv = weight("layers.\(l).qkv"), mlp = weight("layers.\(l).mlp_in")
            entries += [
                .init(name: p + "self_attn.q_proj.weight", tensor: qkv.rows(0, hd)),
                .init(name: p + "self_attn.k_proj.weight", tensor: qkv.rows(hd, kvd)),
                .init(name: p + "self_attn.v_proj.weight", tensor: qkv.rows(hd + kvd, kvd)),
                .init(name: p + "self_attn.o_proj.weight", tensor: weight("layers.\(l).attn_out")),
                .init(name: p + "mlp.gate_proj.weight", tensor: mlp.rows(0, inner)),
                .init(name: p + "mlp.up_proj.weight", tensor: mlp.rows(inner, inner)),
                .init(name: p + "mlp.down_proj.weight", tensor: weight("layers.\(l).mlp_out")),
            ]
            if case .rmsNorm(let w, _) = block.norm1 { entries.append(.init(name: p + "input_layernorm.weight", tensor: w)) }
            if case .rmsNorm(let w, _) = block.norm2 { entries.append(.init(name: p + "post_attention_layernorm.weight", tensor: w)) }
        }
        guard case .llama(let c) = gguf.config else { Issue.record("not llama"); return }
        let dir = try Self.modelDirectory("llama-hf", config: [
            "model_type": "llama", "vocab_size": c.vocabSize, "hidden_size": e, "num_hidden_layers": 2,
            "num_attention_heads": 9, "num_key_value_heads": 3, "intermediate_size": inner, "rope_theta": c.ropeTheta,
            "rms_norm_eps": c.rmsNormEps, "tie_word_embeddings": true, "max_position_embeddings": c.maxPositions,
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try SafeTensorsWriter.write(entries, to: dir + "/model.safetensors")
        let hf = try DecoderModel.load(ModelSource.open(dir))
        #expect(hf.architecture == "llama" && hf.blockCount == 2)
        let batch = TokenBatch(tokens: Self.tokens)
        let h = gguf.runBlock(1, hidden: gguf.runBlock(0, hidden: try gguf.embed(batch), batch: batch), batch: batch)
        #expect(bitwiseEqual(try hf.logits(tokens: Self.tokens, cache: nil).toArray(), gguf.finalOutput(h).toArray()))
    }
}
