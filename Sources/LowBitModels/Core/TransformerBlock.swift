import LowBitCore

/// What distinguishes the blocks of BERT, GPT-2 and Llama.
public struct BlockConfig: Sendable {
    public enum NormPlacement: String, Sendable, Codable {
        /// h = LN(h + attn(h)); h = LN(h + mlp(h))  (BERT)
        case post
        /// h = h + attn(LN(h)); h = h + mlp(LN(h))  (GPT-2, Llama)
        case pre
    }

    public var hiddenSize: Int
    public var attention: AttentionShape
    public var intermediateSize: Int
    public var placement: NormPlacement
    public var activation: Activation
    public var causal: Bool
    /// Rotary embedding applied to q and k (Llama), or nil (learned positions).
    public var rope: RotaryEmbedding?

    public init(hiddenSize: Int, attention: AttentionShape, intermediateSize: Int, placement: NormPlacement,
                activation: Activation, causal: Bool, rope: RotaryEmbedding? = nil) {
        self.hiddenSize = hiddenSize
        self.attention = attention
        self.intermediateSize = intermediateSize
        self.placement = placement
        self.activation = activation
        self.causal = causal
        self.rope = rope
    }

    /// Width of `mlpIn`'s output: intermediate, doubled for SwiGLU's `[gate; up]`.
    public var mlpInWidth: Int { activation == .swiGLU ? 2 * intermediateSize : intermediateSize }
}

/// One transformer block, the same code for every architecture: attention with a fused qkv
/// projection, then the MLP, each with a residual and a norm placed per `config.placement`.
///
/// The four linear ops can be replaced (quantization); replacing is a set-up step, not to be
/// done while a forward pass runs.
public final class TransformerBlock: @unchecked Sendable {
    public let config: BlockConfig
    /// Before attention (pre-LN) or after the attention residual (post-LN).
    public let norm1: Norm
    /// Before the MLP (pre-LN) or after the MLP residual (post-LN).
    public let norm2: Norm
    /// [hidden] → [(heads + 2·kvHeads)·headDim]
    public internal(set) var qkv: any LinearOp
    /// [heads·headDim] → [hidden]
    public internal(set) var attentionOutput: any LinearOp
    /// [hidden] → [mlpInWidth]
    public internal(set) var mlpIn: any LinearOp
    /// [intermediate] → [hidden]
    public internal(set) var mlpOut: any LinearOp

    public init(config: BlockConfig, norm1: Norm, norm2: Norm, qkv: any LinearOp, attentionOutput: any LinearOp,
                mlpIn: any LinearOp, mlpOut: any LinearOp) {
        self.config = config
        self.norm1 = norm1
        self.norm2 = norm2
        self.qkv = qkv
        self.attentionOutput = attentionOutput
        self.mlpIn = mlpIn
        self.mlpOut = mlpOut
    }

    /// The op of `role` (not `.head`).
    public subscript(role: LinearRole) -> any LinearOp {
        switch role {
        case .qkv: qkv
        case .attentionOutput: attentionOutput
        case .mlpIn: mlpIn
        case .mlpOut: mlpOut
        case .head: preconditionFailure("a block has no head")
        }
    }

    /// Replaces the op of `role` (shapes checked by the caller).
    func set(_ role: LinearRole, _ op: any LinearOp) {
        switch role {
        case .qkv: qkv = op
        case .attentionOutput: attentionOutput = op
        case .mlpIn: mlpIn = op
        case .mlpOut: mlpOut = op
        case .head: preconditionFailure("a block has no head")
        }
    }

    /// The expected (inFeatures, outFeatures) of `role`.
    func features(_ role: LinearRole) -> (Int, Int) {
        let c = config
        switch role {
        case .qkv: return (c.hiddenSize, c.attention.qkvWidth)
        case .attentionOutput: return (c.attention.outputWidth, c.hiddenSize)
        case .mlpIn: return (c.hiddenSize, c.mlpInWidth)
        case .mlpOut: return (c.intermediateSize, c.hiddenSize)
        case .head: preconditionFailure("a block has no head")
        }
    }

    /// hidden: [tokens, hidden] → [tokens, hidden] (a new tensor; `hidden` is not modified).
    /// With `cache`, this block's keys and values are appended to it.
    ///
    /// The residual adds, norms and the MLP activation go through `Ops`' fused row passes, which
    /// also quantize the next linear layer's input when it runs on integer kernels.
    public func forward(_ hidden: Tensor, batch: TokenBatch, cache: KVCache.Layer? = nil) -> Tensor {
        let pre = config.placement == .pre
        let qkvOut = pre ? Ops.normalizedLinear(hidden, norm1, qkv) : qkv.forward(hidden)
        let a = attend(qkvOut: qkvOut, batch: batch, cache: cache)
        let h = attentionOutput.forward(a)
        // pre: h ← h + hidden, m = mlpIn(norm2(h)); post: h ← norm1(h + hidden), m = mlpIn(h).
        let m = pre ? Ops.normalizedLinear(h, adding: hidden, norm2, mlpIn)
                    : Ops.normalizedLinear(h, adding: hidden, norm1, normInPlace: true, mlpIn)
        let out = Ops.activatedLinear(m, config.activation, mlpOut)
        if pre { Ops.addInPlace(out, h) } else { Ops.addNormalizeInPlace(out, h, norm2) }
        return out
    }

    /// qkvOut: [tokens, qkvWidth] (the qkv projection of the block input) → attention output
    /// [tokens, heads·headDim]; RoPE is applied to q and k in place first.
    func attend(qkvOut: Tensor, batch: TokenBatch, cache: KVCache.Layer?) -> Tensor {
        let shape = config.attention
        if let rope = config.rope {
            rope.apply(qkvOut.pointer, rows: batch.tokenCount, ld: shape.qkvWidth, heads: shape.heads + shape.kvHeads,
                       positions: batch.positions)
        }
        return Ops.attention(qkv: qkvOut, shape: shape, batch: batch, causal: config.causal, cache: cache)
    }
}
