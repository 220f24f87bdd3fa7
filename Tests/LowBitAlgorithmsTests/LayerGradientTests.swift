import Foundation
import LowBitAlgorithms
import LowBitCore
import LowBitIO
import LowBitModels
import LowBitQuant
import Testing

/// The three block families, small: H = 8, 2 heads of 4 (Llama: 2 query heads, 1 kv head).
enum Family: String, CaseIterable, CustomStringConvertible {
    case bert, gpt2, llama
    var description: String { rawValue }

    /// A random block built through the model code, its batch, and a padding mask to test.
    func make(seed: UInt64) -> (block: TransformerBlock, batch: TokenBatch, keyMask: [Bool]?) {
        var g = SplitMix(seed: seed)
        let h = 8
        func t(_ dims: [Int], _ s: Float, _ base: Float = 0) -> Tensor {
            Tensor(shape: Shape(dims), values: (0..<dims.reduce(1, *)).map { _ in base + s * g.normal() })
        }
        func lin(_ out: Int, _ inp: Int, bias: Bool) -> FloatLinear {
            FloatLinear(weight: t([out, inp], 1 / Float(inp).squareRoot()), bias: bias ? t([out], 0.1) : nil)
        }
        switch self {
        case .bert, .gpt2:
            let bert = self == .bert
            let cfg = BlockConfig(hiddenSize: h, attention: AttentionShape(heads: 2, kvHeads: 2, headDim: 4), intermediateSize: 16,
                                  placement: bert ? .post : .pre, activation: bert ? .gelu : .geluTanh, causal: !bert)
            let ln = { Norm.layerNorm(gamma: t([h], 0.1, 1), beta: t([h], 0.1), eps: 1e-5) }
            let block = TransformerBlock(config: cfg, norm1: ln(), norm2: ln(), qkv: lin(24, h, bias: true),
                                         attentionOutput: lin(h, 8, bias: true), mlpIn: lin(16, h, bias: true),
                                         mlpOut: lin(h, 16, bias: true))
            return bert ? (block, TokenBatch(sequences: [[1, 2, 3], [4, 5]]), [true, false, true, true, true])
                : (block, TokenBatch(tokens: [1, 2, 3, 4]), nil)
        case .llama:
            let shape = AttentionShape(heads: 2, kvHeads: 1, headDim: 4)
            let cfg = BlockConfig(hiddenSize: h, attention: shape, intermediateSize: 12, placement: .pre, activation: .swiGLU,
                                  causal: true, rope: RotaryEmbedding(headDim: 4, theta: 10_000, positions: 16))
            let rms = { Norm.rmsNorm(weight: t([h], 0.1, 1), eps: 1e-6) }
            let block = TransformerBlock(config: cfg, norm1: rms(), norm2: rms(), qkv: lin(shape.qkvWidth, h, bias: false),
                                         attentionOutput: lin(h, 8, bias: false), mlpIn: lin(24, h, bias: false),
                                         mlpOut: lin(h, 12, bias: false))
            return (block, TokenBatch(tokens: [1, 2, 3, 4], startPosition: 3), nil)
        }
    }
}

/// ‖a − b‖ / max(‖a‖, ‖b‖, tiny).
func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    var d = 0.0, na = 0.0, nb = 0.0
    for i in a.indices { d += (a[i] - b[i]) * (a[i] - b[i]); na += a[i] * a[i]; nb += b[i] * b[i] }
    return d.squareRoot() / max(na.squareRoot(), nb.squareRoot(), 1e-300)
}

/// Central differences of `f` at each element of `x`, step `h`.
func numericGradient(_ x: [Double], h: Double = 1e-5, _ f: ([Double]) -> Double) -> [Double] {
    var x = x
    return x.indices.map { i in
        let v = x[i]
        x[i] = v + h; let up = f(x)
        x[i] = v - h; let down = f(x)
        x[i] = v
        return (up - down) / (2 * h)
    }
}

func randomDoubles(_ n: Int, seed: UInt64, scale: Double = 1) -> [Double] {
    var g = SplitMix(seed: seed)
    return (0..<n).map { _ in scale * Double(g.normal()) }
}

@Suite struct LayerGradientTests {
    @Test(arguments: Family.allCases)
    func forwardMatchesBlock(_ family: Family) throws {
        let (block, batch, _) = family.make(seed: 11)
        let x = randomTensor([batch.tokenCount, 8], seed: 12)
        let expected = block.forward(x, batch: batch).toArray().map(Double.init)
        let f = LayerForward(parameters: try LayerParameters(block: block), input: x.toArray().map(Double.init), batch: batch)
        #expect(relativeError(f.output, expected) < 1e-5)
    }

    @Test(arguments: Family.allCases)
    func gradientsMatchFiniteDifferences(_ family: Family) throws {
        let (block, batch, keyMask) = family.make(seed: 21)
        let p = try LayerParameters(block: block)
        let n = batch.tokenCount * 8
        let x = randomDoubles(n, seed: 22), target = randomDoubles(n, seed: 23)
        func loss(_ p: LayerParameters, _ x: [Double]) -> Double {
            LayerForward(parameters: p, input: x, batch: batch, keyMask: keyMask).loss(target: target)
        }
        let g = LayerBackward.gradients(LayerForward(parameters: p, input: x, batch: batch, keyMask: keyMask), target: target)
        #expect(p.tensorNames.count == (family == .llama ? 6 : 12))
        for name in p.tensorNames {
            let numeric = numericGradient(p[tensor: name]!) { v in
                var q = p
                q[tensor: name] = v
                return loss(q, x)
            }
            let err = relativeError(g.parameters[tensor: name]!, numeric)
            #expect(numeric.map { $0 * $0 }.reduce(0, +) > 1e-12, "\(family) \(name): gradient is zero")
            #expect(err < 1e-5, "\(family) \(name): relative error \(err)")
        }
        let errX = relativeError(g.input, numericGradient(x) { loss(p, $0) })
        #expect(errX < 1e-5, "\(family) input: relative error \(errX)")
    }

    /// One linear, weight and input fake-quantized with clipping: forward = the library's
    /// fake quantization; gradients = mask ⊙ (finite-difference gradient w.r.t. x̂ and Ŵ).
    @Test func linearSTE() throws {
        let tokens = 4, n = 8, m = 6
        let w = randomDoubles(m * n, seed: 31, scale: 0.5), x = randomDoubles(tokens * n, seed: 32)
        let r = randomDoubles(tokens * m, seed: 33), b = randomDoubles(m, seed: 34, scale: 0.1)
        let p = LinearParameters(outFeatures: m, inFeatures: n, weight: w, bias: b)
        let scheme = QuantScheme(bits: .int4, granularity: .perChannel)
        let wf = w.map { Float($0) }
        let ranges = try QuantReference.groupRanges(wf, layout: GroupLayout(rows: m, cols: n, granularity: .perChannel))
            .map { $0.scaled(by: 0.7) }
        let wq = try STEQuantizer(weight: w, rows: m, cols: n, scheme: scheme, ranges: ranges)
        let xq = try STEQuantizer(activationRange: QuantRange(lower: -1.2, upper: 1.5), bits: .int8, mapping: .asymmetric)
        let q = LinearFakeQuant(weight: wq, input: xq)

        let (_, cache) = LayerOps.linear(x, tokens: tokens, p, q)
        let library = try QuantizedWeight.fakeQuantized(Tensor(shape: [m, n], values: wf), scheme: scheme, ranges: ranges)
        #expect(relativeError(cache.weight, library.toArray().map(Double.init)) < 1e-6)
        let actLibrary = try ActivationQuantizer.staticPerTensor(range: QuantRange(lower: -1.2, upper: 1.5), bits: .int8,
                                                                 mapping: .asymmetric)
            .fakeQuantize(Tensor(shape: [tokens, n], values: x.map { Float($0) }))
        #expect(relativeError(cache.input, actLibrary.toArray().map(Double.init)) < 1e-6)
        // No value at a rounding boundary, and both sides of each clip range are exercised.
        let steps = w.indices.map { w[$0] / wq.scales[$0 / n] } + x.map { $0 / xq.scales[0] }
        #expect(steps.allSatisfy { abs(abs($0 - $0.rounded(.down)) - 0.5) > 1e-3 })
        #expect(cache.weightMask!.contains(false) && cache.weightMask!.contains(true))
        #expect(cache.inputMask!.contains(false) && cache.inputMask!.contains(true))

        // L = Σ y ∘ r
        func loss(_ xh: [Double], _ wh: [Double]) -> Double {
            let (y, _) = LayerOps.linear(xh, tokens: tokens, LinearParameters(outFeatures: m, inFeatures: n, weight: wh, bias: b))
            return zip(y, r).reduce(0) { $0 + $1.0 * $1.1 }
        }
        let (dx, dw, db, _) = LayerOps.linearBackward(r, cache, p)
        let numW = numericGradient(cache.weight) { loss(cache.input, $0) }
        let numX = numericGradient(cache.input) { loss($0, cache.weight) }
        #expect(relativeError(dw, zip(numW, cache.weightMask!).map { $1 ? $0 : 0 }) < 1e-8)
        #expect(relativeError(dx, zip(numX, cache.inputMask!).map { $1 ? $0 : 0 }) < 1e-8)
        #expect(relativeError(db!, numericGradient(b) { bb in
            zip(LayerOps.linear(cache.input, tokens: tokens, LinearParameters(outFeatures: m, inFeatures: n, weight: cache.weight,
                                                                               bias: bb)).y, r).reduce(0) { $0 + $1.0 * $1.1 }
        }) < 1e-8)
    }

    /// Whole layer with INT4 weights: its gradients are mask ⊙ the float layer's gradients
    /// at the dequantized weights (the float path being checked above).
    @Test(arguments: Family.allCases)
    func layerSTE(_ family: Family) throws {
        let (block, batch, keyMask) = family.make(seed: 41)
        let p = try LayerParameters(block: block)
        let q = try LayerFakeQuant.weights(of: p, scheme: QuantScheme(bits: .int4, granularity: .perGroup(size: 4)))
        let n = batch.tokenCount * 8
        let x = randomDoubles(n, seed: 42), target = randomDoubles(n, seed: 43)
        let fq = LayerForward(parameters: p, input: x, batch: batch, keyMask: keyMask, quantization: q)
        var dequantized = p
        let pairs: [(String, LinearFakeQuant, Int)] = [("qkv", q.qkv, p.qkv.inFeatures), ("attn_out", q.attentionOutput, p.attentionOutput.inFeatures),
                                                       ("mlp_in", q.mlpIn, p.mlpIn.inFeatures), ("mlp_out", q.mlpOut, p.mlpOut.inFeatures)]
        var masks: [String: [Bool]] = [:]
        for (name, lq, cols) in pairs {
            let (v, mask) = lq.weight!.apply(p[tensor: name + ".weight"]!, cols: cols)
            dequantized[tensor: name + ".weight"] = v
            masks[name + ".weight"] = mask
        }
        let ff = LayerForward(parameters: dequantized, input: x, batch: batch, keyMask: keyMask)
        #expect(fq.output == ff.output)
        let gq = LayerBackward.gradients(fq, target: target), gf = LayerBackward.gradients(ff, target: target)
        for name in p.tensorNames {
            var expected = gf.parameters[tensor: name]!
            if let mask = masks[name] { for i in expected.indices where !mask[i] { expected[i] = 0 } }
            #expect(gq.parameters[tensor: name]! == expected, "\(family) \(name)")
        }
        #expect(gq.input == gf.input)
    }

    /// Trained weight scales (LSQ) through a whole layer, INT4 per-group 4 grids at 0.8× the
    /// min-max scale (so weights clip at both ends), symmetric, asymmetric and affine. Finite differences
    /// of the real forward give ∂L/∂s_true (codes are locally constant, so it is Σ dŴ·(q − z));
    /// the STE gradient is that minus Σ over unclipped elements of (∂L/∂ŵ)·(w − m)/s, with ∂L/∂ŵ also
    /// from finite differences (the float layer at Ŵ). The weight gradient is mask ⊙ ∂L/∂ŵ.
    @Test(arguments: Family.allCases, [Mapping.symmetric, .asymmetric, .affine])
    func scaleGradientsMatchFiniteDifferences(_ family: Family, mapping: Mapping) throws {
        let (block, batch, keyMask) = family.make(seed: 71)
        let p = try LayerParameters(block: block)
        let scheme = QuantScheme(bits: .int4, mapping: mapping, granularity: .perGroup(size: 4))
        let roles: [(LinearRole, String)] = [(.qkv, "qkv"), (.attentionOutput, "attn_out"), (.mlpIn, "mlp_in"), (.mlpOut, "mlp_out")]
        func grid(_ l: LinearParameters) throws -> STEQuantizer {
            let layout = try GroupLayout(rows: l.outFeatures, cols: l.inFeatures, granularity: scheme.granularity)
            let ranges = try QuantReference.groupRanges(l.weight.map { Float($0) }, layout: layout).map { $0.scaled(by: 0.8) }
            return try STEQuantizer(weight: l.weight, rows: l.outFeatures, cols: l.inFeatures, scheme: scheme, ranges: ranges)
        }
        let q = LayerFakeQuant(qkv: LinearFakeQuant(weight: try grid(p.qkv)), attentionOutput: LinearFakeQuant(weight: try grid(p.attentionOutput)),
                               mlpIn: LinearFakeQuant(weight: try grid(p.mlpIn)), mlpOut: LinearFakeQuant(weight: try grid(p.mlpOut)))
        func get(_ q: LayerFakeQuant, _ r: LinearRole) -> STEQuantizer {
            switch r { case .qkv: q.qkv.weight!; case .attentionOutput: q.attentionOutput.weight!; case .mlpIn: q.mlpIn.weight!; default: q.mlpOut.weight! }
        }
        func set(_ q: inout LayerFakeQuant, _ r: LinearRole, _ s: [Double]) {
            switch r { case .qkv: q.qkv.weight!.scales = s; case .attentionOutput: q.attentionOutput.weight!.scales = s
            case .mlpIn: q.mlpIn.weight!.scales = s; default: q.mlpOut.weight!.scales = s }
        }
        let n = batch.tokenCount * 8
        let x = randomDoubles(n, seed: 72), target = randomDoubles(n, seed: 73)
        let g = LayerBackward.gradients(LayerForward(parameters: p, input: x, batch: batch, keyMask: keyMask, quantization: q), target: target)
        var dequantized = p, masks: [LinearRole: [Bool]] = [:]
        for (role, name) in roles {
            let (v, mask) = get(q, role).apply(p[role].weight, cols: p[role].inFeatures)
            dequantized[tensor: name + ".weight"] = v
            masks[role] = mask
        }
        let allMasks = masks.values.flatMap { $0 }
        #expect(allMasks.contains(false) && allMasks.contains(true))
        for (role, name) in roles {
            let l = p[role], quant = get(q, role), cols = l.inFeatures
            // No element within 10× the finite-difference step (scale step h moves w/s by (w/s)·h/s)
            // of a rounding (or clipping) boundary.
            let h = 1e-7
            let near = l.weight.indices.map { i -> (Double, Double) in
                let g = quant.layout!.group(row: i / cols, col: i % cols), s = quant.scales[g]
                return ((l.weight[i] - quant.mins[g]) / s, s)
            }.filter { u, s in abs(abs(u - u.rounded(.down)) - 0.5) <= 10 * abs(u) * h / s }
            #expect(near.isEmpty, "\(family) \(mapping) \(name): w/s near a rounding boundary: \(near)")
            let dWhat = numericGradient(dequantized[tensor: name + ".weight"]!) { v in
                var d = dequantized
                d[tensor: name + ".weight"] = v
                return LayerForward(parameters: d, input: x, batch: batch, keyMask: keyMask).loss(target: target)
            }
            let dsTrue = numericGradient(quant.scales, h: h) { s in
                var qq = q
                set(&qq, role, s)
                return LayerForward(parameters: p, input: x, batch: batch, keyMask: keyMask, quantization: qq).loss(target: target)
            }
            var expected = dsTrue
            for i in l.weight.indices where masks[role]![i] {
                let gi = quant.layout!.group(row: i / cols, col: i % cols)
                expected[gi] -= dWhat[i] * (l.weight[i] - quant.mins[gi]) / quant.scales[gi]
            }
            let ds = try #require(g.scales[role])
            #expect(expected.map { $0 * $0 }.reduce(0, +) > 1e-12, "\(family) \(name): scale gradient is zero")
            let err = relativeError(ds, expected)
            #expect(err < 1e-5, "\(family) \(mapping) \(name) scales: relative error \(err)")
            let errW = relativeError(g.parameters[tensor: name + ".weight"]!, zip(dWhat, masks[role]!).map { $1 ? $0 : 0 })
            #expect(errW < 1e-5, "\(family) \(mapping) \(name) weight: relative error \(errW)")
        }
    }

    /// Block 0 of the shared GPT-2 on 4 tokens: the Double layer reproduces `runBlock`.
    @Test func realGPT2Block() throws {
        let model = try DecoderModel.load(ModelSource.open(Paths.require(Paths.gpt2)))
        let batch = TokenBatch(tokens: [464, 3290, 318, 257])
        let hidden = try model.embed(batch)
        let expected = model.runBlock(0, hidden: hidden, batch: batch).toArray().map(Double.init)
        let f = LayerForward(parameters: try LayerParameters(block: model.stack.blocks[0]),
                             input: hidden.toArray().map(Double.init), batch: batch)
        #expect(relativeError(f.output, expected) < 1e-4)
    }
}
