import LowBitCore
import LowBitModels
import LowBitQuant

// Parameters of one transformer layer, for training a layer at a time (LKD), generic over the
// element type: Double for the reference (`LayerForward`), Float for the fast path
// (`FastLayerForward`). Shapes in names: T = tokens, H = hidden, I = intermediate, W = qkv
// width (heads + 2·kvHeads)·headDim, A = heads·headDim. Matrices are row-major.

/// The element types layer parameters come in.
public protocol LayerScalar: BinaryFloatingPoint, Sendable {}
extension Double: LayerScalar {}
extension Float: LayerScalar {}

public typealias LinearParameters = LinearParametersOf<Double>
public typealias NormParameters = NormParametersOf<Double>
public typealias LayerParameters = LayerParametersOf<Double>

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
public struct LinearParametersOf<Scalar: LayerScalar>: Sendable, Equatable {
    public let outFeatures: Int
    public let inFeatures: Int
    public var weight: [Scalar]
    public var bias: [Scalar]?

    public init(outFeatures: Int, inFeatures: Int, weight: [Scalar], bias: [Scalar]?) {
        precondition(weight.count == outFeatures * inFeatures && (bias?.count ?? outFeatures) == outFeatures,
                     "LinearParameters: weight \(weight.count) / bias \(bias?.count ?? -1) for [\(outFeatures), \(inFeatures)]")
        self.outFeatures = outFeatures
        self.inFeatures = inFeatures
        self.weight = weight
        self.bias = bias
    }

    /// The weight and bias of a float op, converted to `Scalar`.
    public init(_ op: FloatLinear) {
        self.init(outFeatures: op.outFeatures, inFeatures: op.inFeatures, weight: convert(op.weight.toArray()),
                  bias: op.bias.map { convert($0.toArray()) })
    }

    /// The same values as another element type.
    public func converted<T: LayerScalar>(to: T.Type = T.self) -> LinearParametersOf<T> {
        LinearParametersOf<T>(outFeatures: outFeatures, inFeatures: inFeatures, weight: convert(weight), bias: bias.map { convert($0) })
    }

    /// A `FloatLinear` with these weights (rounded to Float).
    public func floatLinear() -> FloatLinear {
        FloatLinear(weight: Tensor(shape: [outFeatures, inFeatures], values: convert(weight)),
                    bias: bias.map { Tensor(shape: [outFeatures], values: convert($0)) })
    }
}

public enum NormKind: Sendable, Equatable { case layerNorm, rmsNorm }

/// LayerNorm (weight γ, bias β or nil) or RMSNorm (weight only) over the last dimension.
public struct NormParametersOf<Scalar: LayerScalar>: Sendable, Equatable {
    public typealias Kind = NormKind
    public let kind: Kind
    public let eps: Double
    /// γ: [n]
    public var weight: [Scalar]
    /// β: [n] (LayerNorm), or nil
    public var bias: [Scalar]?

    public init(kind: Kind, eps: Double, weight: [Scalar], bias: [Scalar]?) {
        self.kind = kind
        self.eps = eps
        self.weight = weight
        self.bias = bias
    }

    public init(_ norm: Norm) {
        switch norm {
        case .layerNorm(let g, let b, let eps):
            self.init(kind: .layerNorm, eps: Double(eps), weight: convert(g.toArray()), bias: b.map { convert($0.toArray()) })
        case .rmsNorm(let w, let eps):
            self.init(kind: .rmsNorm, eps: Double(eps), weight: convert(w.toArray()), bias: nil)
        }
    }

    public func converted<T: LayerScalar>(to: T.Type = T.self) -> NormParametersOf<T> {
        NormParametersOf<T>(kind: kind, eps: eps, weight: convert(weight), bias: bias.map { convert($0) })
    }

    public var size: Int { weight.count }
}

/// Every trainable tensor of one transformer layer, plus the block's config.
/// The same type holds gradients (`zeroed()` gives an accumulator of the same shapes).
public struct LayerParametersOf<Scalar: LayerScalar>: Sendable {
    public let config: BlockConfig
    /// [W, H]: rows [q; k; v]
    public var qkv: LinearParametersOf<Scalar>
    /// [H, A]
    public var attentionOutput: LinearParametersOf<Scalar>
    /// [I or 2I, H]: for SwiGLU rows [gate; up]
    public var mlpIn: LinearParametersOf<Scalar>
    /// [H, I]
    public var mlpOut: LinearParametersOf<Scalar>
    public var norm1: NormParametersOf<Scalar>
    public var norm2: NormParametersOf<Scalar>

    public init(config: BlockConfig, qkv: LinearParametersOf<Scalar>, attentionOutput: LinearParametersOf<Scalar>,
                mlpIn: LinearParametersOf<Scalar>, mlpOut: LinearParametersOf<Scalar>, norm1: NormParametersOf<Scalar>,
                norm2: NormParametersOf<Scalar>) {
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
        func float(_ role: LinearRole) throws(LayerDistillationError) -> LinearParametersOf<Scalar> {
            guard let op = block[role] as? FloatLinear else { throw .notFloat(role: role) }
            return LinearParametersOf<Scalar>(op)
        }
        self.init(config: block.config, qkv: try float(.qkv), attentionOutput: try float(.attentionOutput),
                  mlpIn: try float(.mlpIn), mlpOut: try float(.mlpOut), norm1: NormParametersOf<Scalar>(block.norm1),
                  norm2: NormParametersOf<Scalar>(block.norm2))
    }

    /// The same shapes, all zeros (a gradient accumulator).
    public func zeroed() -> LayerParametersOf<Scalar> {
        var z = self
        for name in tensorNames { z[tensor: name] = [Scalar](repeating: 0, count: self[tensor: name]!.count) }
        return z
    }

    /// The same values as another element type.
    public func converted<T: LayerScalar>(to: T.Type = T.self) -> LayerParametersOf<T> {
        LayerParametersOf<T>(config: config, qkv: qkv.converted(), attentionOutput: attentionOutput.converted(),
                             mlpIn: mlpIn.converted(), mlpOut: mlpOut.converted(), norm1: norm1.converted(),
                             norm2: norm2.converted())
    }

    /// The linear of `role` (not `.head`).
    public subscript(role: LinearRole) -> LinearParametersOf<Scalar> {
        get {
            switch role {
            case .qkv: qkv
            case .attentionOutput: attentionOutput
            case .mlpIn: mlpIn
            case .mlpOut: mlpOut
            case .head: preconditionFailure("LayerParameters: a block has no head")
            }
        }
        set {
            switch role {
            case .qkv: qkv = newValue
            case .attentionOutput: attentionOutput = newValue
            case .mlpIn: mlpIn = newValue
            case .mlpOut: mlpOut = newValue
            case .head: preconditionFailure("LayerParameters: a block has no head")
            }
        }
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
    public subscript(tensor name: String) -> [Scalar]? {
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

/// Element-wise conversion between the scalar types (identity when they are the same).
func convert<A: BinaryFloatingPoint, B: BinaryFloatingPoint>(_ a: [A]) -> [B] {
    if A.self == B.self { return a as! [B] }
    return a.map { B($0) }
}
