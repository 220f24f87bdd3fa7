import LowBitModels

/// One layer's forward pass in Float on `FastOps` (SGEMM, multi-threaded), keeping what
/// `FastLayerBackward` needs. Same dataflow as `LayerForward` (the Double reference it is
/// tested against):
///
///     pre-LN:  h = x + attn(N1(x));  out = h + mlp(N2(h))      (GPT-2, Llama)
///     post-LN: h = N1(x + attn(x));  out = N2(h + mlp(h))      (BERT)
///
/// x, out: [T, H]. Linears are fake-quantized by `LayerTrainingQuant` (STE in backward).
public struct FastLayerForward: Sendable {
    public let parameters: LayerParametersOf<Float>
    public let mask: LayerOps.AttentionMask
    public let tokens: Int
    /// x: [T, H]
    public let input: [Float]
    /// [T, H]
    public let output: [Float]

    let ropeCos: [Float], ropeSin: [Float]
    let qkvCache: FastOps.LinearCache, attnOutCache: FastOps.LinearCache
    let mlpInCache: FastOps.LinearCache, mlpOutCache: FastOps.LinearCache
    let qkvRotated: [Float], probabilities: FastOps.Probabilities
    let residual1: [Float], h: [Float], mlpPreActivation: [Float], residual2: [Float]

    /// x: [T, H] with T = batch.tokenCount. `keyMask`: false marks padding keys no query sees.
    /// Throws `QuantError` (non-finite values met by a quantizer).
    public init(parameters p: LayerParametersOf<Float>, input x: [Float], batch: TokenBatch, keyMask: [Bool]? = nil,
                quantization q: LayerTrainingQuant = .none) throws {
        let c = p.config, tokens = batch.tokenCount, pre = c.placement == .pre, shape = c.attention
        precondition(x.count == tokens * c.hiddenSize, "FastLayerForward: input \(x.count) for [\(tokens), \(c.hiddenSize)]")
        precondition(keyMask == nil || keyMask!.count == tokens, "FastLayerForward: keyMask needs one entry per token")
        self.parameters = p
        self.mask = LayerOps.AttentionMask(sequences: batch.sequences, causal: c.causal, keyMask: keyMask)
        self.tokens = tokens
        self.input = x

        var (rotated, qkvCache) = try FastOps.linear(pre ? FastOps.norm(x, p.norm1) : x, tokens: tokens, p.qkv, q.qkv, name: "qkv")
        var cosT: [Float] = [], sinT: [Float] = []
        if let rope = c.rope {
            let (cd, sd) = LayerOps.ropeTables(rope, positions: batch.positions)
            (cosT, sinT) = (convert(cd), convert(sd))
            FastOps.rope(&rotated, ld: shape.qkvWidth, heads: shape.heads + shape.kvHeads, headDim: shape.headDim, cos: cosT, sin: sinT)
        }
        let (att, probs) = FastOps.attention(rotated, shape: shape, mask: mask)
        let (o, attnOutCache) = try FastOps.linear(att, tokens: tokens, p.attentionOutput, q.attentionOutput, name: "attn_out")
        let r1 = Self.add(x, o)
        let h = pre ? r1 : FastOps.norm(r1, p.norm1)
        let (u, mlpInCache) = try FastOps.linear(pre ? FastOps.norm(h, p.norm2) : h, tokens: tokens, p.mlpIn, q.mlpIn, name: "mlp_in")
        let g = FastOps.activate(u, c.activation, intermediate: c.intermediateSize)
        let (y2, mlpOutCache) = try FastOps.linear(g, tokens: tokens, p.mlpOut, q.mlpOut, name: "mlp_out")
        let r2 = Self.add(h, y2)
        self.output = pre ? r2 : FastOps.norm(r2, p.norm2)

        (ropeCos, ropeSin) = (cosT, sinT)
        (self.qkvCache, self.attnOutCache, self.mlpInCache, self.mlpOutCache) = (qkvCache, attnOutCache, mlpInCache, mlpOutCache)
        (qkvRotated, probabilities) = (rotated, probs)
        (residual1, self.h, mlpPreActivation, residual2) = (r1, h, u, r2)
    }

    static func add(_ a: [Float], _ b: [Float]) -> [Float] {
        var y = a
        for i in y.indices { y[i] += b[i] }
        return y
    }

    /// L = mean over all T·H elements of (output − target)², accumulated in Double.
    public func loss(target: [Float]) -> Double { Self.meanSquaredError(output, target) }

    static func meanSquaredError(_ a: [Float], _ b: [Float]) -> Double {
        precondition(a.count == b.count, "loss: \(a.count) outputs, \(b.count) targets")
        var s = 0.0
        for i in a.indices { let d = Double(a[i]) - Double(b[i]); s += d * d }
        return s / Double(max(a.count, 1))
    }
}

/// Reverse-mode pass over a `FastLayerForward` (STE through the quantizers; scale gradients
/// for the linears with a trained-scale grid).
public enum FastLayerBackward {
    /// Gradients of L = MSE(output, target) (`FastLayerForward.loss`).
    public static func gradients(_ f: FastLayerForward, target: [Float]) -> LayerGradientsOf<Float> {
        let scale = 2 / Float(f.output.count)
        var d = f.output
        for i in d.indices { d[i] = scale * (d[i] - target[i]) }
        return gradients(f, outputGradient: d)
    }

    /// Gradients given dL/d(output): [T, H].
    public static func gradients(_ f: FastLayerForward, outputGradient dOut: [Float]) -> LayerGradientsOf<Float> {
        let p = f.parameters, c = p.config, pre = c.placement == .pre, shape = c.attention
        var g = p.zeroed()

        var dr2 = dOut
        if !pre { (dr2, g.norm2.weight, g.norm2.bias) = FastOps.normBackward(dOut, x: f.residual2, p.norm2) }
        var scales: [LinearRole: [Float]] = [:]
        let (dAct, dWmo, dbmo, dsmo) = FastOps.linearBackward(dr2, f.mlpOutCache, p.mlpOut)
        (g.mlpOut.weight, g.mlpOut.bias, scales[.mlpOut]) = (dWmo, dbmo, dsmo)
        let du = FastOps.activateBackward(dAct, u: f.mlpPreActivation, c.activation, intermediate: c.intermediateSize)
        var (dMlpInput, dWmi, dbmi, dsmi) = FastOps.linearBackward(du, f.mlpInCache, p.mlpIn)
        (g.mlpIn.weight, g.mlpIn.bias, scales[.mlpIn]) = (dWmi, dbmi, dsmi)
        if pre { (dMlpInput, g.norm2.weight, g.norm2.bias) = FastOps.normBackward(dMlpInput, x: f.h, p.norm2) }
        let dh = FastLayerForward.add(dr2, dMlpInput)

        var dr1 = dh
        if !pre { (dr1, g.norm1.weight, g.norm1.bias) = FastOps.normBackward(dh, x: f.residual1, p.norm1) }
        let (dAtt, dWo, dbo, dso) = FastOps.linearBackward(dr1, f.attnOutCache, p.attentionOutput)
        (g.attentionOutput.weight, g.attentionOutput.bias, scales[.attentionOutput]) = (dWo, dbo, dso)
        var dqkv = FastOps.attentionBackward(dAtt, qkv: f.qkvRotated, probabilities: f.probabilities, shape: shape, mask: f.mask)
        if c.rope != nil {
            FastOps.rope(&dqkv, ld: shape.qkvWidth, heads: shape.heads + shape.kvHeads, headDim: shape.headDim,
                         cos: f.ropeCos, sin: f.ropeSin, inverse: true)
        }
        var (dAttnInput, dWqkv, dbqkv, dsqkv) = FastOps.linearBackward(dqkv, f.qkvCache, p.qkv)
        (g.qkv.weight, g.qkv.bias, scales[.qkv]) = (dWqkv, dbqkv, dsqkv)
        if pre { (dAttnInput, g.norm1.weight, g.norm1.bias) = FastOps.normBackward(dAttnInput, x: f.input, p.norm1) }
        return LayerGradientsOf(parameters: g, input: FastLayerForward.add(dr1, dAttnInput), scales: scales)
    }
}
