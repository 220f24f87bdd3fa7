import LowBitCore
import LowBitModels
import LowBitQuant

/// A BERT encoder's weights on the host, in float, in the layout the GPU encoder uploads.
///
/// Linear weights are [out, in] row-major (in contiguous); QKV is the fused [3·hidden, hidden]
/// with rows [q; k; v]. Norm parameters are [hidden].
public struct EncoderWeights: Sendable {
    public struct Linear: Sendable {
        public var out: Int, inp: Int
        /// weight: [out, in]
        public var weight: [Float]
        /// bias: [out]
        public var bias: [Float]
        /// W8A8 weight codes from a quantized model directory (codes [out, in], scales [out]):
        /// the INT8 GEMM uploads these instead of re-quantizing `weight`.
        public var int8: Int8Weight? = nil
    }
    /// Symmetric per-output-channel INT8 weight: w ≈ codes[o, i] · scales[o].
    public struct Int8Weight: Sendable {
        public var codes: [Int8]
        public var scales: [Float]
    }
    public struct Layer: Sendable {
        public var qkv: Linear, attentionOutput: Linear, mlpIn: Linear, mlpOut: Linear
        /// After the attention residual (norm1) and after the FFN residual (norm2).
        public var norm1Gamma: [Float], norm1Beta: [Float], norm2Gamma: [Float], norm2Beta: [Float]
    }
    public var config: EncoderConfig
    /// word: [vocab, hidden], position: [maxPositions, hidden], type: [typeVocab, hidden]
    public var word: [Float], position: [Float], type: [Float]
    public var embedGamma: [Float], embedBeta: [Float]
    public var layers: [Layer]

    /// Random weights of `config` (for speed runs): linear weights uniform in ±1/√in, biases
    /// small, norms near identity. Deterministic for a seed.
    public static func random(_ config: EncoderConfig, seed: UInt64 = 1) -> EncoderWeights {
        var rng = CUDAReference.RNG(seed: seed)
        func uni(_ n: Int, _ a: Float) -> [Float] { (0..<n).map { _ in rng.uniform(-a, a) } }
        func near1(_ n: Int) -> [Float] { (0..<n).map { _ in rng.uniform(0.9, 1.1) } }
        func linear(_ out: Int, _ inp: Int) -> Linear {
            Linear(out: out, inp: inp, weight: uni(out * inp, 1 / Float(inp).squareRoot()), bias: uni(out, 0.05))
        }
        let h = config.hidden, f = config.intermediate
        let layers = (0..<config.layers).map { _ in
            Layer(qkv: linear(3 * h, h), attentionOutput: linear(h, h), mlpIn: linear(f, h), mlpOut: linear(h, f),
                  norm1Gamma: near1(h), norm1Beta: uni(h, 0.05), norm2Gamma: near1(h), norm2Beta: uni(h, 0.05))
        }
        return EncoderWeights(config: config, word: uni(config.vocab * h, 0.5), position: uni(config.maxPositions * h, 0.5),
                              type: uni(config.typeVocab * h, 0.5), embedGamma: near1(h), embedBeta: uni(h, 0.05),
                              layers: layers)
    }

    /// The weights of a loaded BERT (`BertModel.load`), whose linear ops must still be float.
    public init(model: BertModel) throws(CUDAError) {
        let c = model.config, s = model.stack
        config = EncoderConfig(name: "bert", hidden: c.hiddenSize, layers: c.numLayers, heads: c.numHeads,
                               intermediate: c.intermediateSize, vocab: c.vocabSize, maxPositions: c.maxPositions,
                               typeVocab: c.typeVocabSize, eps: Float(c.layerNormEps))
        guard c.hiddenAct == "gelu" else { throw .invalidArgument("GPU encoder: activation \(c.hiddenAct) (only gelu)") }
        func norm(_ n: Norm?) throws(CUDAError) -> ([Float], [Float]) {
            guard case .layerNorm(let g, let b, _)? = n else { throw .invalidArgument("GPU encoder: expected a LayerNorm") }
            return (g.toArray(), b?.toArray() ?? [Float](repeating: 0, count: g.count))
        }
        func linear(_ op: any LinearOp, _ site: String) throws(CUDAError) -> Linear {
            if let f = op as? FloatLinear {
                return Linear(out: f.outFeatures, inp: f.inFeatures, weight: f.weight.toArray(),
                              bias: f.bias?.toArray() ?? [Float](repeating: 0, count: f.outFeatures))
            }
            if let q = op as? QuantizedLinear { return try Self.linear(q, site: site) }
            throw .invalidArgument("GPU encoder: \(site) is a \(Swift.type(of: op)); only float and W8A8 linears run on the GPU")
        }
        let e = s.embeddings
        guard let pos = e.positions, let types = e.types else { throw .invalidArgument("GPU encoder: BERT needs position and type tables") }
        word = e.tokens.toArray()
        position = pos.toArray()
        type = types.toArray()
        (embedGamma, embedBeta) = try norm(e.norm)
        var ls: [Layer] = []
        for (i, b) in s.blocks.enumerated() {
            let (g1, b1) = try norm(b.norm1), (g2, b2) = try norm(b.norm2)
            let p = "layer \(i) "
            ls.append(Layer(qkv: try linear(b.qkv, p + "qkv"), attentionOutput: try linear(b.attentionOutput, p + "attention output"),
                            mlpIn: try linear(b.mlpIn, p + "FFN up"), mlpOut: try linear(b.mlpOut, p + "FFN down"),
                            norm1Gamma: g1, norm1Beta: b1, norm2Gamma: g2, norm2Beta: b2))
        }
        layers = ls
    }

    /// A W8A8 site of a quantized directory: INT8 symmetric per-channel (or per-tensor) weights
    /// and dynamic symmetric per-token INT8 inputs without OCS — the scheme the GPU's INT8 GEMM
    /// runs (and the CPU's `IntegerLinear`). `weight` becomes the dequantized codes (for FP16 runs).
    static func linear(_ q: QuantizedLinear, site: String) throws(CUDAError) -> Linear {
        let w = q.weight, n = w.outFeatures, k = w.inFeatures
        guard q.input == .dynamicPerToken(bits: .int8), q.inputChannels == nil, q.inputScales == nil, q.inFeatures == k,
              w.scheme.bits.value == 8, w.scheme.mapping == .symmetric, w.params.zeroPoints == nil else {
            throw .invalidArgument("GPU encoder: \(site) is quantized as \(w.scheme) with input \(q.input); the GPU runs W8A8 "
                                   + "(INT8 symmetric per-channel weights, dynamic per-token INT8 inputs, no OCS) or float")
        }
        let scales: [Float]
        switch w.scheme.granularity {
        case .perChannel: scales = w.scales
        case .perTensor: scales = [Float](repeating: w.scales[0], count: n)
        default: throw .invalidArgument("GPU encoder: \(site) has \(w.scheme.granularity) weight scales (GPU: per channel)")
        }
        guard scales.count == n, w.values.count == n * k else { throw .invalidArgument("GPU encoder: \(site) has malformed codes") }
        var deq = [Float](repeating: 0, count: n * k)
        for o in 0..<n { for i in 0..<k { deq[o * k + i] = Float(w.values[o * k + i]) * scales[o] } }
        return Linear(out: n, inp: k, weight: deq, bias: q.bias?.toArray() ?? [Float](repeating: 0, count: n),
                      int8: Int8Weight(codes: w.values, scales: scales))
    }

    /// The recipe a quantized directory asks for: INT8 where every layer's site holds W8A8
    /// codes, FP16 where none does; nil when no site is quantized. Throws when a site is
    /// quantized in some layers only (the GPU recipe is the same in every layer).
    public func quantizedRecipe() throws(CUDAError) -> EncoderRecipe? {
        var sites: [GemmPrecision] = []
        for (s, name) in ["qkv", "attention output", "FFN up", "FFN down"].enumerated() {
            let q = layers.map { [$0.qkv, $0.attentionOutput, $0.mlpIn, $0.mlpOut][s].int8 != nil }
            if q.allSatisfy({ $0 }) { sites.append(.int8) } else if !q.contains(true) { sites.append(.fp16) } else {
                throw .invalidArgument("GPU encoder: the \(name) GEMM is W8A8 in some layers only; the GPU recipe is per GEMM type")
            }
        }
        guard sites.contains(.int8) else { return nil }
        return EncoderRecipe(qkv: sites[0], attentionOutput: sites[1], mlpIn: sites[2], mlpOut: sites[3])
    }

    init(config: EncoderConfig, word: [Float], position: [Float], type: [Float], embedGamma: [Float], embedBeta: [Float],
         layers: [Layer]) {
        self.config = config
        self.word = word
        self.position = position
        self.type = type
        self.embedGamma = embedGamma
        self.embedBeta = embedBeta
        self.layers = layers
    }
}

/// Host-side weight quantization for the GPU GEMMs: symmetric, one scale per output channel
/// (row of [out, in]), round to nearest even. The dequantized weight is code · scale.
public enum WeightQuantizer {
    /// INT8: scale = absmax/127, codes in ±127. Returns (codes [out·in], scales [out]).
    public static func int8(_ w: [Float], out: Int, inp: Int) -> ([Int8], [Float]) {
        var codes = [Int8](repeating: 0, count: out * inp), scales = [Float](repeating: 0, count: out)
        for r in 0..<out {
            let row = w[(r * inp)..<((r + 1) * inp)]
            let amax = row.reduce(Float(0)) { max($0, abs($1)) }
            let s = amax / 127
            scales[r] = s
            let inv: Float = amax > 0 ? 127 / amax : 0
            for (j, v) in row.enumerated() { codes[r * inp + j] = Int8(max(-127, min(127, (v * inv).rounded(.toNearestOrEven)))) }
        }
        return (codes, scales)
    }

    /// INT4: scale = absmax/7, codes in ±7, packed in the `PackedInt4` layout ([out, in/2] bytes,
    /// column 2j in the low nibble of byte j, nibble = code + 8). `inp` must be even.
    public static func int4(_ w: [Float], out: Int, inp: Int) -> ([UInt8], [Float]) {
        var codes = [Int8](repeating: 0, count: out * inp), scales = [Float](repeating: 0, count: out)
        for r in 0..<out {
            let row = w[(r * inp)..<((r + 1) * inp)]
            let amax = row.reduce(Float(0)) { max($0, abs($1)) }
            scales[r] = amax / 7
            let inv: Float = amax > 0 ? 7 / amax : 0
            for (j, v) in row.enumerated() { codes[r * inp + j] = Int8(max(-7, min(7, (v * inv).rounded(.toNearestOrEven)))) }
        }
        return (CUDAReference.packInt4(codes, rows: out, cols: inp), scales)
    }

    /// FP8 e4m3: scale = absmax/448, code = e4m3(v/scale). Returns (codes, scales).
    public static func fp8(_ w: [Float], out: Int, inp: Int) -> ([UInt8], [Float]) {
        var codes = [UInt8](repeating: 0, count: out * inp), scales = [Float](repeating: 0, count: out)
        for r in 0..<out {
            let row = w[(r * inp)..<((r + 1) * inp)]
            let amax = row.reduce(Float(0)) { max($0, abs($1)) }
            scales[r] = amax / 448
            let inv: Float = amax > 0 ? 448 / amax : 0
            for (j, v) in row.enumerated() { codes[r * inp + j] = e4m3(v * inv) }
        }
        return (codes, scales)
    }

    /// Float → FP8 e4m3 (bias 7, 3 mantissa bits, no infinities): round to nearest even,
    /// saturating at ±448, as PTX `cvt.rn.satfinite.e4m3x2.f32`. NaN → 0x7F.
    public static func e4m3(_ x: Float) -> UInt8 {
        if x.isNaN { return 0x7F }
        let sign: UInt8 = x.sign == .minus ? 0x80 : 0
        let a = abs(x)
        if a >= 448 { return sign | 0x7E }
        if a < 0x1p-6 {                                         // subnormal: steps of 2^-9
            return sign | UInt8((a * 0x1p9).rounded(.toNearestOrEven))   // 8 → 0x08, the smallest normal
        }
        var e = Int(a.exponent)                                 // a = 1.m · 2^e, e ≥ −6
        var m = Int(((a.significand - 1) * 8).rounded(.toNearestOrEven))
        if m == 8 { m = 0; e += 1 }
        let code = (e + 7) << 3 | m
        return sign | UInt8(min(code, 0x7E))
    }
}
