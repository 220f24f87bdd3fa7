import LowBitCore

/// The role of a linear layer in a block, as the quantization literature names them (q1..q4 + head).
///
/// - `qkv`: the fused query/key/value projection (rows `[q; k; v]`), input = normed hidden state.
/// - `attentionOutput`: the attention output projection, input = concatenated head outputs.
/// - `mlpIn`: the MLP up projection (for SwiGLU the fused `[gate; up]` rows), input = normed hidden state.
/// - `mlpOut`: the MLP down projection, input = activation output.
/// - `head`: the language-model head (for tied models a linear over the embedding matrix).
public enum LinearRole: String, Codable, Sendable, CaseIterable {
    case qkv, attentionOutput, mlpIn, mlpOut, head
}

/// A linear layer `y = x · Wᵀ + b`, the one op quantization replaces.
///
/// Implementations: `FloatLinear` (FP32 reference), simulated quantization and integer kernels
/// (LowBitQuant / LowBitAlgorithms), GPU. Implementations must be safe to call from several
/// threads at once and give the same bits for any `LOWBIT_THREADS`.
public protocol LinearOp: AnyObject, Sendable {
    var inFeatures: Int { get }
    var outFeatures: Int { get }
    /// x: [tokens, inFeatures] → [tokens, outFeatures]
    func forward(_ x: Tensor) -> Tensor
}

/// A float linear layer over a pre-packed SGEMM weight.
///
/// `weight`: [outFeatures, inFeatures]; `bias`: [outFeatures] or nil. Both stay readable for
/// quantization; the packed copy is what `forward` uses.
public final class FloatLinear: LinearOp, @unchecked Sendable {
    public let weight: Tensor
    public let bias: Tensor?
    public let packed: PackedLinearWeight

    /// weight: [outFeatures, inFeatures]; bias: [outFeatures] or nil.
    public init(weight: Tensor, bias: Tensor? = nil) {
        precondition(weight.shape.rank == 2, "FloatLinear: weight must be [out, in], got \(weight.shape)")
        self.weight = weight
        self.bias = bias
        self.packed = PackedLinearWeight(weight: weight, bias: bias)
    }

    public var inFeatures: Int { packed.inFeatures }
    public var outFeatures: Int { packed.outFeatures }

    /// x: [tokens, inFeatures] → [tokens, outFeatures]
    public func forward(_ x: Tensor) -> Tensor { packed.apply(x) }
}

/// One linear layer of a model, as quantization code sees it.
public struct LinearSite: Sendable {
    /// Stable name: `layers.{i}.qkv`, `layers.{i}.attn_out`, `layers.{i}.mlp_in`, `layers.{i}.mlp_out`, `head`.
    public let name: String
    /// Block index, or nil for the head.
    public let layer: Int?
    public let role: LinearRole
    /// The op now in place.
    public let op: any LinearOp

    public init(name: String, layer: Int?, role: LinearRole, op: any LinearOp) {
        self.name = name
        self.layer = layer
        self.role = role
        self.op = op
    }

    /// The float weight [outFeatures, inFeatures] and bias, when the op is a `FloatLinear`.
    public var floatLinear: FloatLinear? { op as? FloatLinear }

    /// The site name of a block's linear layer.
    public static func name(layer: Int, role: LinearRole) -> String {
        switch role {
        case .qkv: "layers.\(layer).qkv"
        case .attentionOutput: "layers.\(layer).attn_out"
        case .mlpIn: "layers.\(layer).mlp_in"
        case .mlpOut: "layers.\(layer).mlp_out"
        case .head: "head"
        }
    }
}
