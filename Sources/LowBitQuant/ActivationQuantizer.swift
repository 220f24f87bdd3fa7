import LowBitCore

/// How a layer's input activations x: [..., features] are quantized when simulating a
/// quantized model ("fake quant": quantize, then dequantize, in float).
public enum ActivationQuantizer: Sendable, Hashable, Codable {
    /// Activations stay in float.
    case none
    /// Symmetric, one scale per token computed at run time (`TokenQuantized`).
    case dynamicPerToken(bits: BitWidth)
    /// Asymmetric, one scale and zero point per token computed at run time from the token's
    /// [min, max] (ZeroQuant's token-wise quantization, asymmetric form): the `Mapping.asymmetric`
    /// formula with one group per row. For one-sided inputs (GELU outputs ≥ −0.17, LayerNorm
    /// outputs with a one-signed outlier channel) it has about twice the resolution of
    /// `dynamicPerToken`. Integer engines run it as unsigned codes u = q + 2^(bits−1) times
    /// signed weights (VNNI's u8·s8 form) and subtract z_u · Σ_k w_q[o, k] per token and output.
    case dynamicPerTokenAsymmetric(bits: BitWidth)
    /// One scale and stored zero point for the whole tensor, fixed by calibration
    /// (see the observers); codes follow `Mapping` (symmetric or asymmetric: activations have
    /// no `.affine` form, whose float minimum the integer kernels cannot take per token).
    case staticPerTensor(bits: BitWidth, mapping: Mapping, scale: Float, zeroPoint: Int8)

    /// A static quantizer for a calibrated range.
    public static func staticPerTensor(range: QuantRange, bits: BitWidth, mapping: Mapping,
                                       name: String = "activation") throws(QuantError) -> ActivationQuantizer {
        guard mapping != .affine else {
            throw QuantError.unsupportedMapping(tensor: name, mapping: mapping, reason: "activations are symmetric or asymmetric")
        }
        let p = try GroupParams(ranges: [range], bits: bits, mapping: mapping, tensor: name)
        return .staticPerTensor(bits: bits, mapping: mapping, scale: p.scales[0], zeroPoint: p.zeroPoints?[0] ?? 0)
    }

    /// x quantized and dequantized: a new tensor of x's shape (`.none` returns x itself).
    /// Throws on NaN/±Inf in x (naming `name`, token and feature) or invalid static parameters.
    public func fakeQuantize(_ x: Tensor, name: String = "activation") throws(QuantError) -> Tensor {
        switch self {
        case .none:
            return x
        case let .dynamicPerToken(bits):
            let (tokens, features) = try TokenQuantized.matrixShape(x, name: name)
            let y = Tensor(zeros: x.shape)
            var scales = [Float](repeating: 0, count: tokens)
            try scales.withUnsafeMutableBufferPointer { (s) throws(QuantError) in
                guard let scalesBase = s.baseAddress else { return } // no tokens
                try QuantKernels.quantizePerToken(x.pointer, tokens: tokens, features: features, bits: bits,
                                                  scales: scalesBase, codes: nil, dequantized: y.pointer,
                                                  tensor: name)
            }
            return y
        case let .dynamicPerTokenAsymmetric(bits):
            let (tokens, features) = try TokenQuantized.matrixShape(x, name: name)
            let y = Tensor(zeros: x.shape)
            guard tokens > 0 else { return y }
            let layout = try GroupLayout(rows: tokens, cols: features, granularity: .perChannel, tensor: name)
            let ranges = try QuantKernels.groupRanges(x.pointer, layout: layout, tensor: name)
            let params = try GroupParams(ranges: ranges, bits: bits, mapping: .asymmetric, tensor: name)
            try QuantKernels.quantize(x.pointer, layout: layout, codeRange: Mapping.asymmetric.codeRange(bits), params: params,
                                      codes: nil, dequantized: y.pointer, tensor: name)
            return y
        case let .staticPerTensor(bits, mapping, scale, zeroPoint):
            let (tokens, features) = try TokenQuantized.matrixShape(x, name: name)
            guard mapping != .affine else {
                throw QuantError.unsupportedMapping(tensor: name, mapping: mapping, reason: "activations are symmetric or asymmetric")
            }
            let codeRange = mapping.codeRange(bits)
            let params = try GroupParams(scales: [scale], zeroPoints: mapping == .asymmetric ? [zeroPoint] : nil,
                                         codeRange: codeRange, tensor: name)
            guard mapping == .asymmetric || zeroPoint == 0 else {
                throw QuantError.codeOutOfRange(tensor: name, index: 0, value: Int(zeroPoint), allowed: 0...0)
            }
            let layout = try GroupLayout(rows: tokens, cols: features, granularity: .perTensor, tensor: name)
            let y = Tensor(zeros: x.shape)
            try QuantKernels.quantize(x.pointer, layout: layout, codeRange: codeRange, params: params,
                                      codes: nil, dequantized: y.pointer, tensor: name)
            return y
        }
    }
}
