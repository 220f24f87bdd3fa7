import LowBitModels

/// One layer's forward pass in Double, keeping what `LayerBackward` needs. Same dataflow as
/// `TransformerBlock.forward`:
///
///     pre-LN:  h = x + attn(N1(x));  out = h + mlp(N2(h))      (GPT-2, Llama)
///     post-LN: h = N1(x + attn(x));  out = N2(h + mlp(h))      (BERT)
///
/// x, out: [T, H]. Linears may be fake-quantized (`LayerFakeQuant`, STE in backward).
public struct LayerForward: Sendable {
    public let parameters: LayerParameters
    public let quantization: LayerFakeQuant
    public let mask: LayerOps.AttentionMask
    public let tokens: Int
    /// x: [T, H]
    public let input: [Double]
    /// [T, H]
    public let output: [Double]

    // Cached activations (names follow the dataflow above).
    let ropeCos: [Double], ropeSin: [Double]
    let qkvCache: LinearCache, attnOutCache: LinearCache, mlpInCache: LinearCache, mlpOutCache: LinearCache
    /// qkv after RoPE [T, W]; attention probabilities per (sequence, head).
    let qkvRotated: [Double], probabilities: [[[Double]]]
    /// x + attn(...) before N1 (post-LN), h (after the first residual / N1), MLP pre-activation u, x before N2 (post-LN).
    let residual1: [Double], h: [Double], mlpPreActivation: [Double], residual2: [Double]

    typealias LinearCache = LayerOps.LinearCache

    /// x: [T, H] with T = batch.tokenCount. `keyMask`: false marks padding keys no query sees.
    public init(parameters p: LayerParameters, input x: [Double], batch: TokenBatch, keyMask: [Bool]? = nil,
                quantization q: LayerFakeQuant = .none) {
        let c = p.config, tokens = batch.tokenCount, pre = c.placement == .pre
        precondition(x.count == tokens * c.hiddenSize, "LayerForward: input \(x.count) for [\(tokens), \(c.hiddenSize)]")
        precondition(keyMask == nil || keyMask!.count == tokens, "LayerForward: keyMask needs one entry per token")
        self.parameters = p
        self.quantization = q
        self.mask = LayerOps.AttentionMask(sequences: batch.sequences, causal: c.causal, keyMask: keyMask)
        self.tokens = tokens
        self.input = x

        let (qkvOut, qkvCache) = LayerOps.linear(pre ? LayerOps.norm(x, p.norm1) : x, tokens: tokens, p.qkv, q.qkv)
        let shape = c.attention
        var rotated = qkvOut, cosT: [Double] = [], sinT: [Double] = []
        if let rope = c.rope {
            (cosT, sinT) = LayerOps.ropeTables(rope, positions: batch.positions)
            rotated = LayerOps.rope(qkvOut, ld: shape.qkvWidth, heads: shape.heads + shape.kvHeads, headDim: shape.headDim,
                                    cos: cosT, sin: sinT)
        }
        let (att, probs) = LayerOps.attention(rotated, shape: shape, mask: mask)
        let (o, attnOutCache) = LayerOps.linear(att, tokens: tokens, p.attentionOutput, q.attentionOutput)
        let r1 = zip(x, o).map { $0 + $1 }
        let h = pre ? r1 : LayerOps.norm(r1, p.norm1)
        let (u, mlpInCache) = LayerOps.linear(pre ? LayerOps.norm(h, p.norm2) : h, tokens: tokens, p.mlpIn, q.mlpIn)
        let g = LayerOps.activate(u, c.activation, intermediate: c.intermediateSize)
        let (y2, mlpOutCache) = LayerOps.linear(g, tokens: tokens, p.mlpOut, q.mlpOut)
        let r2 = zip(h, y2).map { $0 + $1 }
        self.output = pre ? r2 : LayerOps.norm(r2, p.norm2)

        (ropeCos, ropeSin) = (cosT, sinT)
        (self.qkvCache, self.attnOutCache, self.mlpInCache, self.mlpOutCache) = (qkvCache, attnOutCache, mlpInCache, mlpOutCache)
        (qkvRotated, probabilities) = (rotated, probs)
        (residual1, self.h, mlpPreActivation, residual2) = (r1, h, u, r2)
    }

    /// L = mean over all T·H elements of (output − target)².
    public func loss(target: [Double]) -> Double {
        precondition(target.count == output.count, "LayerForward: target \(target.count) for \(output.count) outputs")
        var s = 0.0
        for i in output.indices { let d = output[i] - target[i]; s += d * d }
        return s / Double(output.count)
    }
}

/// Gradients of a scalar loss with respect to every tensor of `LayerParameters` (same
/// shapes, in `parameters`), the layer's input [T, H], and the weight scales of the linears
/// with a fixed quantization grid (per group, keyed by role; see `STEQuantizer.scaleGradient`).
public struct LayerGradientsOf<Scalar: LayerScalar>: Sendable {
    public var parameters: LayerParametersOf<Scalar>
    public var input: [Scalar]
    public var scales: [LinearRole: [Scalar]] = [:]
}

public typealias LayerGradients = LayerGradientsOf<Double>

/// Reverse-mode pass over a `LayerForward`. Quantized linears use the STE (`STEQuantizer`).
public enum LayerBackward {
    /// Gradients of L = MSE(output, target) (`LayerForward.loss`).
    public static func gradients(_ f: LayerForward, target: [Double]) -> LayerGradients {
        let scale = 2 / Double(f.output.count)
        return gradients(f, outputGradient: zip(f.output, target).map { scale * ($0 - $1) })
    }

    /// Gradients given dL/d(output): [T, H].
    public static func gradients(_ f: LayerForward, outputGradient dOut: [Double]) -> LayerGradients {
        let p = f.parameters, c = p.config, pre = c.placement == .pre, shape = c.attention
        var g = p.zeroed()
        func add(_ a: [Double], _ b: [Double]) -> [Double] { zip(a, b).map { $0 + $1 } }

        // out = N2(r2) | r2;  r2 = h + mlpOut(act(mlpIn(N2(h) | h)))
        var dr2 = dOut
        if !pre { (dr2, g.norm2.weight, g.norm2.bias) = LayerOps.normBackward(dOut, x: f.residual2, p.norm2) }
        var scales: [LinearRole: [Double]] = [:]
        let (dAct, dWmo, dbmo, dsmo) = LayerOps.linearBackward(dr2, f.mlpOutCache, p.mlpOut)
        (g.mlpOut.weight, g.mlpOut.bias, scales[.mlpOut]) = (dWmo, dbmo, dsmo)
        let du = LayerOps.activateBackward(dAct, u: f.mlpPreActivation, c.activation, intermediate: c.intermediateSize)
        var (dMlpInput, dWmi, dbmi, dsmi) = LayerOps.linearBackward(du, f.mlpInCache, p.mlpIn)
        (g.mlpIn.weight, g.mlpIn.bias, scales[.mlpIn]) = (dWmi, dbmi, dsmi)
        if pre { (dMlpInput, g.norm2.weight, g.norm2.bias) = LayerOps.normBackward(dMlpInput, x: f.h, p.norm2) }
        let dh = add(dr2, dMlpInput)

        // h = N1(r1) | r1;  r1 = x + attnOut(attention(rope(qkv(N1(x) | x))))
        var dr1 = dh
        if !pre { (dr1, g.norm1.weight, g.norm1.bias) = LayerOps.normBackward(dh, x: f.residual1, p.norm1) }
        let (dAtt, dWo, dbo, dso) = LayerOps.linearBackward(dr1, f.attnOutCache, p.attentionOutput)
        (g.attentionOutput.weight, g.attentionOutput.bias, scales[.attentionOutput]) = (dWo, dbo, dso)
        var dqkv = LayerOps.attentionBackward(dAtt, qkv: f.qkvRotated, probabilities: f.probabilities, shape: shape,
                                              mask: f.mask)
        if c.rope != nil {
            dqkv = LayerOps.rope(dqkv, ld: shape.qkvWidth, heads: shape.heads + shape.kvHeads, headDim: shape.headDim,
                                 cos: f.ropeCos, sin: f.ropeSin, inverse: true)
        }
        var (dAttnInput, dWqkv, dbqkv, dsqkv) = LayerOps.linearBackward(dqkv, f.qkvCache, p.qkv)
        (g.qkv.weight, g.qkv.bias, scales[.qkv]) = (dWqkv, dbqkv, dsqkv)
        if pre { (dAttnInput, g.norm1.weight, g.norm1.bias) = LayerOps.normBackward(dAttnInput, x: f.input, p.norm1) }
        return LayerGradients(parameters: g, input: add(dr1, dAttnInput), scales: scales)
    }
}
