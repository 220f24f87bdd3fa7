/// Shape of a BERT encoder as the GPU runs it (post-LN blocks, GELU(erf), learned positions).
public struct EncoderConfig: Sendable, Codable, Hashable, CustomStringConvertible {
    public var name: String
    public var hidden: Int, layers: Int, heads: Int, intermediate: Int
    public var vocab: Int, maxPositions: Int, typeVocab: Int
    public var eps: Float

    public init(name: String, hidden: Int, layers: Int, heads: Int, intermediate: Int, vocab: Int = 30522,
                maxPositions: Int = 512, typeVocab: Int = 2, eps: Float = 1e-12) {
        self.name = name
        self.hidden = hidden
        self.layers = layers
        self.heads = heads
        self.intermediate = intermediate
        self.vocab = vocab
        self.maxPositions = maxPositions
        self.typeVocab = typeVocab
        self.eps = eps
    }

    public var headDim: Int { hidden / heads }
    public var description: String { "\(name) (\(layers) layers, hidden \(hidden), \(heads) heads, FFN \(intermediate))" }

    public static let bertBase = EncoderConfig(name: "bert-base", hidden: 768, layers: 12, heads: 12, intermediate: 3072)
    public static let bertLarge = EncoderConfig(name: "bert-large", hidden: 1024, layers: 24, heads: 16, intermediate: 4096)
}

/// How one GEMM of a block runs: FP16 operands, or 8-bit activations quantized per token (fused
/// into the kernel that writes them) with per-channel weights.
public enum GemmPrecision: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// fp16 × fp16, f32 accumulation.
    case fp16
    /// INT8 activations × INT8 weights (W8A8).
    case int8
    /// FP8 e4m3 activations × FP8 e4m3 weights.
    case fp8
    /// INT8 activations × INT4 weights (`PackedInt4`, per-channel scales).
    case w4a8

    /// Weight bits: what "a higher-bit GEMM is always allowed" compares.
    public var weightBits: Int {
        switch self { case .fp16: 16; case .int8, .fp8: 8; case .w4a8: 4 }
    }
    public var description: String { rawValue }
}

/// The precision of each of a block's four GEMMs (the literature's q1…q4), same in every layer.
public struct EncoderRecipe: Sendable, Codable, Hashable, CustomStringConvertible {
    /// q1: the fused QKV projection.
    public var qkv: GemmPrecision
    /// q2: the attention output projection.
    public var attentionOutput: GemmPrecision
    /// q3: FFN up (GELU follows).
    public var mlpIn: GemmPrecision
    /// q4: FFN down.
    public var mlpOut: GemmPrecision

    public init(qkv: GemmPrecision, attentionOutput: GemmPrecision, mlpIn: GemmPrecision, mlpOut: GemmPrecision) {
        self.qkv = qkv
        self.attentionOutput = attentionOutput
        self.mlpIn = mlpIn
        self.mlpOut = mlpOut
    }

    public static func uniform(_ p: GemmPrecision) -> EncoderRecipe { EncoderRecipe(qkv: p, attentionOutput: p, mlpIn: p, mlpOut: p) }
    public static let fp16 = uniform(.fp16), w8a8 = uniform(.int8), fp8 = uniform(.fp8), w4a8 = uniform(.w4a8)

    /// The four precisions in order q1…q4.
    public var sites: [GemmPrecision] {
        get { [qkv, attentionOutput, mlpIn, mlpOut] }
        set { (qkv, attentionOutput, mlpIn, mlpOut) = (newValue[0], newValue[1], newValue[2], newValue[3]) }
    }

    /// "int8" when uniform, else "q1/q2/q3/q4", e.g. "int8/int8/fp16/int8".
    public var description: String {
        Set(sites).count == 1 ? qkv.rawValue : sites.map(\.rawValue).joined(separator: "/")
    }

    /// Parses `description`'s form ("fp16", "w4a8", "int8/fp8/int8/fp16").
    public init?(_ text: String) {
        let parts = text.split(separator: "/").map(String.init)
        let ps = parts.compactMap(GemmPrecision.init(rawValue:))
        guard ps.count == parts.count else { return nil }
        switch ps.count {
        case 1: self = .uniform(ps[0])
        case 4: self.init(qkv: ps[0], attentionOutput: ps[1], mlpIn: ps[2], mlpOut: ps[3])
        default: return nil
        }
    }

    /// Whether every GEMM has at least the weight bits of `floor`'s (higher bits are always allowed).
    public func isAllowed(under floor: EncoderRecipe) -> Bool {
        zip(sites, floor.sites).allSatisfy { $0.weightBits >= $1.weightBits }
    }
}
