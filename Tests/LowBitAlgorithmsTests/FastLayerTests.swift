import Foundation
import LowBitAlgorithms
import LowBitCore
import LowBitModels
import LowBitQuant
import Testing

/// Odd-sized layers of each family for the fast path: H = 24, 3 heads of 8 (Llama: 3 query
/// heads on 1 kv head, RoPE), I = 40 (Llama 28), 73 tokens in two sequences (more than one
/// 64-row GEMM chunk), BERT with padding keys, GPT-2 and Llama causal.
func oddLayer(_ family: Family, seed: UInt64) -> (p: LayerParameters, batch: TokenBatch, keyMask: [Bool]?) {
    var g = SplitMix(seed: seed)
    let h = 24
    func v(_ n: Int, _ s: Double, _ base: Double = 0) -> [Double] { (0..<n).map { _ in base + s * Double(g.normal()) } }
    func lin(_ out: Int, _ inp: Int, bias: Bool) -> LinearParameters {
        LinearParameters(outFeatures: out, inFeatures: inp, weight: v(out * inp, 1 / Double(inp).squareRoot()),
                         bias: bias ? v(out, 0.1) : nil)
    }
    let lengths = [40, 33]
    let seqs = lengths.map { n in (0..<n).map { Int32($0 % 7) } }
    switch family {
    case .bert, .gpt2:
        let bert = family == .bert
        let cfg = BlockConfig(hiddenSize: h, attention: AttentionShape(heads: 3, kvHeads: 3, headDim: 8), intermediateSize: 40,
                              placement: bert ? .post : .pre, activation: bert ? .gelu : .geluTanh, causal: !bert)
        let ln = { NormParameters(kind: .layerNorm, eps: 1e-5, weight: v(h, 0.1, 1), bias: v(h, 0.1)) }
        let p = LayerParameters(config: cfg, qkv: lin(72, h, bias: true), attentionOutput: lin(h, 24, bias: true),
                                mlpIn: lin(40, h, bias: true), mlpOut: lin(h, 40, bias: true), norm1: ln(), norm2: ln())
        let mask: [Bool]? = bert ? (0..<73).map { !(36..<40).contains($0) && $0 != 72 } : nil
        return (p, TokenBatch(sequences: seqs), mask)
    case .llama:
        let shape = AttentionShape(heads: 3, kvHeads: 1, headDim: 8)
        let cfg = BlockConfig(hiddenSize: h, attention: shape, intermediateSize: 28, placement: .pre, activation: .swiGLU,
                              causal: true, rope: RotaryEmbedding(headDim: 8, theta: 10_000, positions: 64))
        let rms = { NormParameters(kind: .rmsNorm, eps: 1e-6, weight: v(h, 0.1, 1), bias: nil) }
        let p = LayerParameters(config: cfg, qkv: lin(shape.qkvWidth, h, bias: false), attentionOutput: lin(h, 24, bias: false),
                                mlpIn: lin(56, h, bias: false), mlpOut: lin(h, 28, bias: false), norm1: rms(), norm2: rms())
        return (p, TokenBatch(sequences: seqs, startPosition: 3), nil)
    }
}

/// A recipe-like mix: qkv W8 per-channel + A8 sym, attn_out W4 per-group 8 + A8 asym,
/// mlp_in W4 per-group 8 (asymmetric) + A8 sym, mlp_out kept float. `activations: false`
/// leaves all inputs in float.
func mixedQuant(activations: Bool) -> LayerTrainingQuant {
    let a8: ActivationQuantizer = activations ? .dynamicPerToken(bits: .int8) : .none
    let a8asym: ActivationQuantizer = activations ? .dynamicPerTokenAsymmetric(bits: .int8) : .none
    return LayerTrainingQuant(qkv: LinearTrainingQuant(weight: QuantScheme(bits: .int8, granularity: .perChannel), input: a8),
                              attentionOutput: LinearTrainingQuant(weight: QuantScheme(bits: .int4, granularity: .perGroup(size: 8)),
                                                                   input: a8asym),
                              mlpIn: LinearTrainingQuant(weight: QuantScheme(bits: .int4, mapping: .asymmetric,
                                                                             granularity: .perGroup(size: 8)), input: a8),
                              mlpOut: .none)
}

/// The reference quantization of `q` for parameters p.
func referenceQuant(_ q: LayerTrainingQuant, _ p: LayerParameters) throws -> LayerFakeQuant {
    func r(_ role: LinearRole) throws -> LinearFakeQuant {
        let l = p[role]
        return try LinearFakeQuant(q[role], weight: l.weight, out: l.outFeatures, in: l.inFeatures)
    }
    return LayerFakeQuant(qkv: try r(.qkv), attentionOutput: try r(.attentionOutput), mlpIn: try r(.mlpIn), mlpOut: try r(.mlpOut))
}

@Suite struct FastLayerTests {
    /// Fast (Float, SGEMM, threads) against the Double reference: output, loss, every parameter
    /// gradient and the input gradient. Float keeps 24 bits (6e-8); through sums of ≤ 73 terms,
    /// the norms and the softmax the measured worst relative error is 4.2e-7 (qkv.weight
    /// gradient, Llama); the bound, 4e-6, leaves 10× for other ISAs' summation blocking.
    /// Quantized weights land on identical grids (same Float weights, min-max ranges); the
    /// dynamic activation quantizer sees Float vs Double-rounded inputs, which could differ by a
    /// code only for an input within ~1e-5 of a rounding boundary (not the case for these seeds).
    @Test(arguments: Family.allCases, [false, true])
    func fastMatchesReference(_ family: Family, activations: Bool) throws {
        let (p, batch, keyMask) = oddLayer(family, seed: 51)
        let q = mixedQuant(activations: activations)
        let n = batch.tokenCount * 24
        let x = randomDoubles(n, seed: 52), target = randomDoubles(n, seed: 53)
        let ref = LayerForward(parameters: p, input: x, batch: batch, keyMask: keyMask, quantization: try referenceQuant(q, p))
        let refGrad = LayerBackward.gradients(ref, target: target)
        let fast = try FastLayerForward(parameters: p.converted(to: Float.self), input: convert(x), batch: batch,
                                        keyMask: keyMask, quantization: q)
        let fastGrad = FastLayerBackward.gradients(fast, target: convert(target))
        #expect(relativeError(convert(fast.output), ref.output) < 4e-6, "\(family) output")
        #expect(abs(fast.loss(target: convert(target)) - ref.loss(target: target)) < 4e-6 * ref.loss(target: target))
        for name in p.tensorNames {
            let err = relativeError(convert(fastGrad.parameters[tensor: name]!), refGrad.parameters[tensor: name]!)
            #expect(err < 4e-6, "\(family) \(name): \(err)")
        }
        #expect(relativeError(convert(fastGrad.input), refGrad.input) < 4e-6, "\(family) input")
    }

    /// Trained-scale grids (`WeightGrid`) on the mixed quantization: RTN's scales times
    /// multipliers in [0.7, 1.1] (weights clip), sym and asym, INT8 and INT4. Fast output,
    /// parameter, input and scale gradients against the Double reference on the same grids.
    @Test(arguments: Family.allCases)
    func fastScaleGradientsMatchReference(_ family: Family) throws {
        let (p, batch, keyMask) = oddLayer(family, seed: 81)
        var q = mixedQuant(activations: true)
        let pf = p.converted(to: Float.self)
        var g = SplitMix(seed: 82)
        for role in [LinearRole.qkv, .attentionOutput, .mlpIn] {
            let l = pf[role]
            let rtn = try WeightGrid(minMaxOf: l.weight, out: l.outFeatures, in: l.inFeatures, scheme: q[role].weight!)
            var grid = rtn
            grid.scales = rtn.scales.map { $0 * (0.7 + 0.4 * Float(g.next() % 1000) / 1000) }
            q[role].grid = grid
        }
        let n = batch.tokenCount * 24
        let x = randomDoubles(n, seed: 83), target = randomDoubles(n, seed: 84)
        let ref = LayerForward(parameters: p, input: x, batch: batch, keyMask: keyMask, quantization: try referenceQuant(q, p))
        let refGrad = LayerBackward.gradients(ref, target: target)
        let fast = try FastLayerForward(parameters: pf, input: convert(x), batch: batch, keyMask: keyMask, quantization: q)
        let fastGrad = FastLayerBackward.gradients(fast, target: convert(target))
        #expect(relativeError(convert(fast.output), ref.output) < 4e-6, "\(family) output")
        for name in p.tensorNames {
            let err = relativeError(convert(fastGrad.parameters[tensor: name]!), refGrad.parameters[tensor: name]!)
            #expect(err < 4e-6, "\(family) \(name): \(err)")
        }
        #expect(relativeError(convert(fastGrad.input), refGrad.input) < 4e-6, "\(family) input")
        var clipped = 0
        for role in [LinearRole.qkv, .attentionOutput, .mlpIn] {
            let err = relativeError(convert(try #require(fastGrad.scales[role])), try #require(refGrad.scales[role]))
            #expect(err < 4e-6, "\(family) \(role) scales: \(err)")
            clipped += fastGrad.parameters[role].weight.filter { $0 == 0 }.count
        }
        #expect(fastGrad.scales[.mlpOut] == nil && refGrad.scales[.mlpOut] == nil)
        #expect(clipped > 0)
    }

    /// RTN's grid as a `WeightGrid` fake-quantizes exactly as `QuantizedWeight.fakeQuantized`
    /// (so training starts from the recipe's quantization), and any grid exactly as the
    /// `QuantizedWeight` that `quantize(weightParams:)` stores dequantizes (same codes, same scales).
    @Test(arguments: [QuantScheme(bits: .int4, granularity: .perGroup(size: 12)),
                      QuantScheme(bits: .int4, mapping: .asymmetric, granularity: .perGroup(size: 12)),
                      QuantScheme(bits: .int4, mapping: .affine, granularity: .perGroup(size: 12)),
                      QuantScheme(bits: .int8, granularity: .perChannel)])
    func gridIsTheStoredQuantization(_ scheme: QuantScheme) throws {
        let m = 20, n = 36
        let w: [Float] = convert(randomDoubles(m * n, seed: 91, scale: 0.3))
        var grid = try WeightGrid(minMaxOf: w, out: m, in: n, scheme: scheme)
        let library = try QuantizedWeight.fakeQuantized(Tensor(shape: [m, n], values: w), scheme: scheme).toArray()
        #expect(try grid.fakeQuantize(w) == library)
        grid.scales = grid.scales.enumerated().map { $1 * ($0 % 2 == 0 ? 0.8 : 1.05) }
        let params = try grid.params()
        let (codes, dequantized) = try QuantReference.quantize(w, layout: grid.layout, codeRange: scheme.codeRange, params: params)
        #expect(try grid.fakeQuantize(w) == dequantized)
        let stored = try QuantizedWeight(outFeatures: m, inFeatures: n, scheme: scheme, values: codes, params: params)
        #expect(stored.dequantized().toArray() == dequantized)
        #expect(try grid.fakeQuantize(w) != library)
    }

    /// One linear with dynamic per-token activations (sym and asym, 8 and 4 bits) and INT4
    /// weights: both paths quantize the same Float input, so they agree to Float rounding, and
    /// the quantized input is the library's `ActivationQuantizer.fakeQuantize` exactly.
    @Test(arguments: [ActivationQuantizer.dynamicPerToken(bits: .int8), .dynamicPerTokenAsymmetric(bits: .int8),
                      .dynamicPerToken(bits: .int4)])
    func linearDynamicActivations(_ a: ActivationQuantizer) throws {
        let tokens = 70, n = 36, m = 20
        let w = randomDoubles(m * n, seed: 61, scale: 0.3).map { Double(Float($0)) }
        let x = randomDoubles(tokens * n, seed: 62).map { Double(Float($0)) }
        let dy = randomDoubles(tokens * m, seed: 63)
        let p = LinearParameters(outFeatures: m, inFeatures: n, weight: w, bias: randomDoubles(m, seed: 64))
        let tq = LinearTrainingQuant(weight: QuantScheme(bits: .int4, granularity: .perGroup(size: 12)), input: a)
        let (yr, cr) = LayerOps.linear(x, tokens: tokens, p, try LinearFakeQuant(tq, weight: w, out: m, in: n))
        let (yf, cf) = try FastOps.linear(convert(x), tokens: tokens, p.converted(), tq)
        let library = try a.fakeQuantize(Tensor(shape: [tokens, n], values: convert(x))).toArray()
        #expect(cf.input == library)
        #expect(relativeError(convert(cf.input), cr.input) == 0)
        #expect(relativeError(convert(yf), yr) < 1e-6)
        let (dxr, dwr, dbr, _) = LayerOps.linearBackward(dy, cr, p)
        let (dxf, dwf, dbf, dsf) = FastOps.linearBackward(convert(dy), cf, p.converted())
        #expect(relativeError(convert(dxf), dxr) < 1e-6)
        #expect(relativeError(convert(dwf), dwr) < 1e-6)
        #expect(relativeError(convert(dbf!), dbr!) < 1e-6)
        #expect(dsf == nil)
    }
}

func convert<A: BinaryFloatingPoint, B: BinaryFloatingPoint>(_ a: [A]) -> [B] { a.map { B($0) } }
