import Foundation
import LowBitCore
import Testing
@testable import LowBitCUDA

/// CPU-side pieces of the GPU encoder: the weights pack round trip, the recipe a quantized
/// model asks for, and cuBLASLt's typed load error (no GPU needed for any of these).
@Suite struct EncoderPackTests {
    static let tiny = EncoderConfig(name: "tiny", hidden: 64, layers: 2, heads: 2, intermediate: 128, vocab: 50, maxPositions: 16)

    @Test func packRoundTripKeepsShapesAndInt8Codes() throws {
        var w = EncoderWeights.random(Self.tiny, seed: 3)
        let (codes, scales) = WeightQuantizer.int8(w.layers[1].mlpIn.weight, out: 128, inp: 64)
        w.layers[1].mlpIn.int8 = .init(codes: codes, scales: scales)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lowbit-pack-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try w.writePack(to: dir, vocabRows: 20)
        #expect(EncoderWeights.isPack(dir))
        let r = try EncoderWeights.readPack(dir)
        #expect(r.config.vocab == 20 && r.config.hidden == 64 && r.layers.count == 2)
        #expect(r.word.count == 20 * 64)
        // Tables and weights travel as F16: equal after one fp16 rounding; norms and biases as F32: exact.
        func f16(_ v: [Float]) -> [Float] { v.map { HalfPrecision.f16ToFloat(HalfPrecision.floatToF16($0)) } }
        let word = f16(Array(w.word.prefix(20 * 64))), qkv = f16(w.layers[0].qkv.weight)
        #expect(r.word == word)
        #expect(r.layers[0].qkv.weight == qkv)
        #expect(r.layers[0].qkv.bias == w.layers[0].qkv.bias)
        #expect(r.layers[1].norm2Gamma == w.layers[1].norm2Gamma)
        #expect(r.layers[1].mlpIn.int8?.codes == codes && r.layers[1].mlpIn.int8?.scales == scales)
        #expect(r.layers[0].mlpIn.int8 == nil)
    }

    @Test func quantizedRecipeFollowsTheSites() throws {
        var w = EncoderWeights.random(Self.tiny, seed: 4)
        #expect(try w.quantizedRecipe() == nil)
        for l in 0..<2 {
            let (c, s) = WeightQuantizer.int8(w.layers[l].qkv.weight, out: 192, inp: 64)
            w.layers[l].qkv.int8 = .init(codes: c, scales: s)
        }
        #expect(try w.quantizedRecipe() == EncoderRecipe(qkv: .int8, attentionOutput: .fp16, mlpIn: .fp16, mlpOut: .fp16))
        w.layers[1].qkv.int8 = nil   // quantized in one layer only: no per-GEMM-type recipe says that
        #expect(throws: CUDAError.self) { try w.quantizedRecipe() }
    }

    @Test func missingCuBLASLtIsATypedError() {
        #expect {
            try CUDALibraries.loadCuBLASLt(path: "/nonexistent/libcublasLt.so.13")
        } throws: { error in
            guard case .notAvailable(let reason) = error as? CUDAError else { return false }
            return reason.contains("cuBLASLt") && reason.contains("/nonexistent/libcublasLt.so.13")
        }
        let e = CUDAError.cublas(call: "cublasLtMatmul(int8 M1 N2 K16)", code: 15, name: "CUBLAS_STATUS_NOT_SUPPORTED", message: "x")
        #expect("\(e)" == "cublasLtMatmul(int8 M1 N2 K16) failed: CUBLAS_STATUS_NOT_SUPPORTED (15): x")
    }
}
