import LowBitCore
import LowBitModels
import LowBitQuant

// Reference (plain Swift, Double) parameters of one transformer layer, for training a layer at
// a time (LKD). Shapes in names: T = tokens, H = hidden, I = intermediate, W = qkv width
// (heads + 2·kvHeads)·headDim, A = heads·headDim. Matrices are row-major [Double].

/// Why a block cannot be turned into `LayerParameters`.
public enum LayerDistillationError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A linear op of the block is not a `FloatLinear` (already quantized, GPU...).
    case notFloat(role: LinearRole)

    public var description: String {
        switch self {
        case .notFloat(let role): "layer distillation: the \(role.rawValue) op is not a FloatLinear"
        }
    }
}

/// A linear layer y = x·Wᵀ + b. weight: [outFeatures, inFeatures]; bias: [outFeatures] or nil.
public struct LinearParameters: Sendable, Equatable {
    public let outFeatures: Int
    public let inFeatures: Int
    public var weight: [Double]
    public var bias: [Double]?

    public init(outFeatures: Int, inFeatures: Int, weight: [Double], bias: [Double]?) {
        precondition(weight.count == outFeatures * inFeatures && (bias?.count ?? outFeatures) == outFeatures,
                     "LinearParameters: weight \(weight.count) / bias \(bias?.count ?? -1) for [\(outFeatures), \(inFeatures)]")
        self.outFeatures = outFeatures
        self.inFeatures = inFeatures
        self.weight = weight
        self.bias = bias
    }

    /// The weight and bias of a float op, widened to Double.
    public init(_ op: FloatLinear) {
        self.init(outFeatures: op.outFeatures, inFeatures: op.inFeatures, weight: op.weight.toArray().map(Double.init),
                  bias: op.bias.map { $0.toArray().map(Double.init) })
    }
}

/// LayerNorm (weight γ, bias β or nil) or RMSNorm (weight only) over the last dimension.
public struct NormParameters: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case layerNorm, rmsNorm }
    public let kind: Kind
    public let eps: Double
    /// γ: [n]
    public var weight: [Double]
    /// β: [n] (LayerNorm), or nil
    public var bias: [Double]?

    public init(kind: Kind, eps: Double, weight: [Double], bias: [Double]?) {
        self.kind = kind
        self.eps = eps
        self.weight = weight
        self.bias = bias
    }

    public init(_ norm: Norm) {
        switch norm {
        case .layerNorm(let g, let b, let eps):
            self.init(kind: .layerNorm, eps: Double(eps), weight: g.toArray().map(Double.init),
                      bias: b.map { $0.toArray().map(Double.init) })
        case .rmsNorm(let w, let eps):
            self.init(kind: .rmsNorm, eps: Double(eps), weight: w.toArray().map(Double.init), bias: nil)
        }
    }

    public var size: Int { weight.count }
}

/// Every trainable tensor of one transformer layer, in Double, plus the block's config.
/// The same type holds gradients (`zeroed()` gives an accumulator of the same shapes).
public struct LayerParameters: Sendable {
    public let config: BlockConfig
    /// [W, H]: rows [q; k; v]
    public var qkv: LinearParameters
    /// [H, A]
    public var attentionOutput: LinearParameters
    /// [I or 2I, H]: for SwiGLU rows [gate; up]
    public var mlpIn: LinearParameters
    /// [H, I]
    public var mlpOut: LinearParameters
    public var norm1: NormParameters
    public var norm2: NormParameters

    public init(config: BlockConfig, qkv: LinearParameters, attentionOutput: LinearParameters, mlpIn: LinearParameters,
                mlpOut: LinearParameters, norm1: NormParameters, norm2: NormParameters) {
        let c = config
        precondition(qkv.inFeatures == c.hiddenSize && qkv.outFeatures == c.attention.qkvWidth
                     && attentionOutput.inFeatures == c.attention.outputWidth && attentionOutput.outFeatures == c.hiddenSize
                     && mlpIn.inFeatures == c.hiddenSize && mlpIn.outFeatures == c.mlpInWidth
                     && mlpOut.inFeatures == c.intermediateSize && mlpOut.outFeatures == c.hiddenSize
                     && norm1.size == c.hiddenSize && norm2.size == c.hiddenSize, "LayerParameters: shapes do not fit the config")
        self.config = config
        self.qkv = qkv
        self.attentionOutput = attentionOutput
        self.mlpIn = mlpIn
        self.mlpOut = mlpOut
        self.norm1 = norm1
        self.norm2 = norm2
    }

    /// The weights of `block`, whose four linear ops must be `FloatLinear`.
    public init(block: TransformerBlock) throws(LayerDistillationError) {
        func float(_ role: LinearRole) throws(LayerDistillationError) -> LinearParameters {
            guard let op = block[role] as? FloatLinear else { throw .notFloat(role: role) }
            return LinearParameters(op)
        }
        self.init(config: block.config, qkv: try float(.qkv), attentionOutput: try float(.attentionOutput),
                  mlpIn: try float(.mlpIn), mlpOut: try float(.mlpOut), norm1: NormParameters(block.norm1),
                  norm2: NormParameters(block.norm2))
    }

    /// The same shapes, all zeros (a gradient accumulator).
    public func zeroed() -> LayerParameters {
        var z = self
        for name in tensorNames { z[tensor: name] = [Double](repeating: 0, count: self[tensor: name]!.count) }
        return z
    }

    /// Names of the tensors present: `qkv.weight`, `qkv.bias`, `attn_out.*`, `mlp_in.*`,
    /// `mlp_out.*`, `norm1.weight`, `norm1.bias`, `norm2.*` (biases only where they exist).
    public var tensorNames: [String] {
        var names: [String] = []
        for (n, l) in [("qkv", qkv), ("attn_out", attentionOutput), ("mlp_in", mlpIn), ("mlp_out", mlpOut)] {
            names.append(n + ".weight")
            if l.bias != nil { names.append(n + ".bias") }
        }
        for (n, p) in [("norm1", norm1), ("norm2", norm2)] {
            names.append(n + ".weight")
            if p.bias != nil { names.append(n + ".bias") }
        }
        return names
    }

    /// The tensor called `name` (see `tensorNames`), or nil. Setting needs the same count.
    public subscript(tensor name: String) -> [Double]? {
        get {
            switch name {
            case "qkv.weight": qkv.weight
            case "qkv.bias": qkv.bias
            case "attn_out.weight": attentionOutput.weight
            case "attn_out.bias": attentionOutput.bias
            case "mlp_in.weight": mlpIn.weight
            case "mlp_in.bias": mlpIn.bias
            case "mlp_out.weight": mlpOut.weight
            case "mlp_out.bias": mlpOut.bias
            case "norm1.weight": norm1.weight
            case "norm1.bias": norm1.bias
            case "norm2.weight": norm2.weight
            case "norm2.bias": norm2.bias
            default: nil
            }
        }
        set {
            precondition(newValue?.count == self[tensor: name]?.count, "LayerParameters: \(name) cannot change its size")
            switch name {
            case "qkv.weight": qkv.weight = newValue!
            case "qkv.bias": qkv.bias = newValue
            case "attn_out.weight": attentionOutput.weight = newValue!
            case "attn_out.bias": attentionOutput.bias = newValue
            case "mlp_in.weight": mlpIn.weight = newValue!
            case "mlp_in.bias": mlpIn.bias = newValue
            case "mlp_out.weight": mlpOut.weight = newValue!
            case "mlp_out.bias": mlpOut.bias = newValue
            case "norm1.weight": norm1.weight = newValue!
            case "norm1.bias": norm1.bias = newValue
            case "norm2.weight": norm2.weight = newValue!
            case "norm2.bias": norm2.bias = newValue
            default: preconditionFailure("LayerParameters: no tensor \(name)")
            }
        }
    }
}
