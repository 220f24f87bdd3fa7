import Foundation
import LowBitCore
import LowBitModels
import LowBitQuant
import Testing
@testable import LowBitAlgorithms

struct SmoothQuantTests {
    /// s_j = max|X_j|^α / max|W_j|^(1−α); zero channels keep 1; x·diag(1/s)·(W·diag(s))ᵀ = x·Wᵀ.
    @Test(arguments: [(1, 1), (3, 17), (33, 64)])
    func migrationKeepsTheFunction(out: Int, inF: Int) throws {
        let w = randomTensor([out, inF], seed: UInt64(out * 31 + inF))
        let x = randomTensor([5, inF], seed: 9)
        x.pointer[inF - 1] = 60 // an outlier channel
        if inF > 2 { for r in 0..<5 { x.pointer[r * inF + 1] = 0 } }
        let s = SmoothQuant.scales(x: x, weight: w, alpha: 0.5)
        var xm: Float = 0, wm: Float = 0
        for r in 0..<5 { xm = max(xm, abs(x.pointer[r * inF + inF - 1])) }
        for r in 0..<out { wm = max(wm, abs(w.pointer[r * inF + inF - 1])) }
        #expect(abs(s[inF - 1] - (xm / wm).squareRoot()) <= 1e-5 * s[inF - 1])
        if inF > 2 { #expect(s[1] == 1) }
        let ref = FloatLinear(weight: w).forward(x)
        let moved = FloatLinear(weight: SmoothQuant.scaledWeight(w, by: s)).forward(SmoothQuant.scaledInput(x, by: s))
        #expect(maxAbsDiff(ref, moved) < 1e-4 * max(1, ref.toArray().map(abs).max() ?? 1))
        // Composed with an OCS gather map: column k reads x[map[k]] · scale[k] / s[map[k]].
        let composed = SmoothQuant.inputScales(smoothing: s, channels: [Int32(inF - 1), 0], scales: [0.5, 1])
        #expect(composed == [0.5 / s[inF - 1], 1 / s[0]])
    }

    /// Smoothing flattens an outlier channel, so per-token INT8 error drops.
    @Test func smoothingHelpsPerTokenInt8WithOutlierChannel() throws {
        let x = randomTensor([64, 128], seed: 4)
        for r in 0..<64 { x.pointer[r * 128 + 5] = -40 + x.pointer[r * 128 + 5] }
        let w = randomTensor([32, 128], seed: 5) { 0.05 * $0.normal() }
        let ref = FloatLinear(weight: w).forward(x)
        let scheme = QuantScheme(bits: .int8, granularity: .perChannel)
        let plain = try QuantizedLinear(weight: QuantizedWeight(quantizing: w, scheme: scheme), bias: nil, input: .dynamicPerToken(bits: .int8))
        let s = SmoothQuant.scales(x: x, weight: w, alpha: 0.5)
        let smooth = try QuantizedLinear(weight: QuantizedWeight(quantizing: SmoothQuant.scaledWeight(w, by: s), scheme: scheme), bias: nil,
                                         input: .dynamicPerToken(bits: .int8),
                                         inputScales: SmoothQuant.inputScales(smoothing: s, channels: nil, scales: nil))
        #expect(mse(ref, smooth.forward(x)) < 0.5 * mse(ref, plain.forward(x)))
    }

    @Test func asymmetricPerTokenIsExactForRowMinMaxAndBeatsSymmetricOnOneSidedRows() throws {
        // GELU-like one-sided rows.
        let x = randomTensor([9, 33], seed: 2) { max($0.normal(), -0.17) }
        let a = try ActivationQuantizer.dynamicPerTokenAsymmetric(bits: .int8).fakeQuantize(x)
        let s = try ActivationQuantizer.dynamicPerToken(bits: .int8).fakeQuantize(x)
        #expect(mse(x, a) < 0.5 * mse(x, s))
        // Same numbers as the asymmetric per-row weight quantizer (one group per row).
        let ref = try QuantizedWeight(quantizing: x, scheme: QuantScheme(bits: .int8, mapping: .asymmetric, granularity: .perChannel)).dequantized()
        #expect(a.toArray() == ref.toArray())
        // Row min and max come back within half a step.
        let empty = Tensor(zeros: [0, 4])
        #expect(try ActivationQuantizer.dynamicPerTokenAsymmetric(bits: .int8).fakeQuantize(empty).count == 0)
        let bad = Tensor(shape: [1, 2], values: [1, .nan])
        #expect(throws: QuantError.self) { try ActivationQuantizer.dynamicPerTokenAsymmetric(bits: .int8).fakeQuantize(bad) }
    }

    @Test func recipeFields() throws {
        let r = try Recipe.decode(Data(#"""
            {"weights": {"bits": 8, "granularity": "per_channel"},
             "activations": {"mode": "dynamic_per_token"}, "smoothing": {"alpha": 0.7}}
            """#.utf8))
        #expect(r.smoothing == .init(alpha: 0.7))
        #expect(r.activations.mapping == .symmetric, "dynamic per-token defaults to symmetric (ZeroQuant)")
        #expect(try Recipe.preset("w8a8").activations.mapping == .symmetric)
        #expect(try Recipe.preset("w8a8-static").activations.mapping == .asymmetric)
        let smooth = try Recipe.preset("w8a8-smooth")
        #expect(smooth.activations.mapping == .asymmetric && smooth.smoothing?.alpha == 0.5)
        #expect(try Recipe.decode(smooth.jsonData()) == smooth)
        #expect(throws: RecipeError.invalidField(field: "smoothing.alpha", value: "1.5", reason: "must be in 0…1")) {
            try Recipe.decode(Data(#"{"weights": {"bits": 8, "granularity": "per_channel"}, "smoothing": {"alpha": 1.5}}"#.utf8))
        }
    }
}
