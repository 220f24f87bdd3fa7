import Foundation
import Testing
@testable import LowBitIO

@Suite struct GGUFTests {
    struct Golden: Decodable {
        struct TensorSum: Decodable { let type: String; let sha256: String; let sum: Double; let count: Int }
        struct Blocks: Decodable { let hex: String; let bits: [UInt32] }
        let tensors: [String: TensorSum]
        let blocks: [String: Blocks]
    }

    static func golden() throws -> Golden { try JSONDecoder().decode(Golden.self, from: TestFiles.fixture("gguf_dequant.json")) }

    @Test func smolLM2HeaderAndTensorTable() throws {
        let g = try GGUFFile(path: TestFiles.require(TestFiles.smolLM2))
        #expect(g.version == 3)
        #expect(g.tensors.count == 272)
        #expect(g.metadataKeys.count == 33)
        #expect(g.alignment == 32)
        let byType = Dictionary(grouping: g.tensors, by: \.type).mapValues(\.count)
        #expect(byType == [.q4_1: 210, .f32: 61, .q8_0: 1])
        let emb = try #require(g.tensor(named: "token_embd.weight"))
        #expect(emb.type == .q8_0 && emb.ne == [576, 49152] && emb.shape.dims == [49152, 576])
        #expect(emb.byteCount == 49152 * 576 / 32 * 34)
        let down = try #require(g.tensor(named: "blk.0.ffn_down.weight"))
        #expect(down.type == .q4_1 && down.shape.dims == [576, 1536])
        #expect(g.metadata["tokenizer.ggml.tokens"]?.stringArray?.count == 49152)
        #expect(g.metadata["tokenizer.ggml.merges"]?.stringArray?.count == 48900)
        #expect(g.metadata["tokenizer.ggml.pre"] == .string("smollm"))
        #expect(g.metadata["llama.rope.freq_base"] == .float32(100000))
        #expect(g.metadata["tokenizer.ggml.add_bos_token"] == .bool(false))
    }

    @Test func smolLM2Config() throws {
        let g = try GGUFFile(path: TestFiles.require(TestFiles.smolLM2))
        let c = try LlamaConfig(gguf: g)
        #expect(c.numLayers == 30 && c.hiddenSize == 576 && c.numHeads == 9 && c.numKVHeads == 3)
        #expect(c.headDim == 64 && c.intermediateSize == 1536 && c.vocabSize == 49152)
        #expect(c.ropeTheta == 100000 && Float(c.rmsNormEps) == 1e-5)
        #expect(c.tieWordEmbeddings && c.bosTokenID == 1 && c.eosTokenID == 2)
    }

    /// Whole tensors dequantized bit for bit as the `gguf` Python package does.
    @Test func dequantizationMatchesGGUFPackage() throws {
        let g = try GGUFFile(path: TestFiles.require(TestFiles.smolLM2))
        let golden = try Self.golden()
        #expect(golden.tensors.count >= 5)
        #expect(Set(golden.tensors.values.map(\.type)) == ["Q8_0", "Q4_1", "F32"])
        for (name, want) in golden.tensors {
            let t = try g.dequantize(named: name)
            #expect(t.count == want.count, "\(name)")
            let sha = t.withUnsafeBufferPointer { FileDigest.sha256(UnsafeRawBufferPointer($0)) }
            #expect(sha == want.sha256, "\(name) (\(want.type)) differs from gguf-py")
        }
    }

    /// Random blocks of every supported type: fast path and reference both bit-exact vs gguf-py.
    @Test(arguments: ["Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q4_K", "Q5_K", "Q6_K", "F16", "BF16"])
    func blockDequantization(typeName: String) throws {
        let golden = try Self.golden()
        let b = try #require(golden.blocks[typeName])
        let type = try #require(GGMLType.allCases.first { $0.description == typeName })
        let bytes = stride(from: 0, to: b.hex.count, by: 2).map { i -> UInt8 in
            let s = b.hex.index(b.hex.startIndex, offsetBy: i)
            return UInt8(b.hex[s..<b.hex.index(s, offsetBy: 2)], radix: 16)!
        }
        #expect(bytes.count % type.typeSize == 0)
        let n = bytes.count / type.typeSize * type.blockSize
        #expect(n == b.bits.count)
        var fast = [Float](repeating: .nan, count: n)
        bytes.withUnsafeBytes { raw in
            fast.withUnsafeMutableBufferPointer { GGUFDequantizer.dequantize(type, raw, into: $0.baseAddress!, count: n) }
            for i in 0..<n {
                let ref = GGUFReferenceDequantizer.element(type, raw, i)
                #expect(ref.bitPattern == b.bits[i], "\(typeName) reference element \(i): \(ref) vs \(Float(bitPattern: b.bits[i]))")
                #expect(fast[i].bitPattern == b.bits[i], "\(typeName) fast element \(i)")
            }
        }
    }

    /// The fast path against the element-wise reference on real tensors (sampled elements).
    @Test func fastMatchesReferenceOnRealTensors() throws {
        let g = try GGUFFile(path: TestFiles.require(TestFiles.smolLM2))
        for name in ["token_embd.weight", "blk.3.attn_v.weight", "blk.12.ffn_gate.weight", "blk.3.attn_norm.weight"] {
            let info = try #require(g.tensor(named: name))
            let t = try g.dequantize(info)
            let raw = g.rawBytes(of: info)
            var mismatches = 0
            for i in stride(from: 0, to: info.elementCount, by: 97) where GGUFReferenceDequantizer.element(info.type, raw, i).bitPattern != t.pointer[i].bitPattern {
                mismatches += 1
            }
            #expect(mismatches == 0, "\(name)")
        }
    }

    @Test func undequantizableTypeIsAnError() throws {
        #expect(!GGMLType.iq2_xxs.canDequantize)
        #expect(GGMLType.q4_1.bitsPerWeight == 5.0 && GGMLType.q8_0.bitsPerWeight == 8.5)
    }
}
