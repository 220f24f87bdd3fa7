import LowBitCore

/// Activations x: [tokens, features] quantized dynamically per token (ZeroQuant's token-wise
/// activation quantization): each row gets its own symmetric scale
/// `s[t] = max|x[t, :]| / (2^(bits−1) − 1)` (8-bit: /127, 4-bit: /7), computed at run time.
///
/// Element [t, f] stands for `values[t·features + f] · scales[t]`.
public struct TokenQuantized: Sendable, Equatable {
    public let tokens: Int
    public let features: Int
    public let bits: BitWidth
    /// Codes [tokens, features], row-major, in −(2^(bits−1)−1) ... 2^(bits−1)−1.
    public let values: [Int8]
    /// Scales [tokens].
    public let scales: [Float]

    /// Quantizes x: [..., features] (leading dimensions are flattened into tokens) on the
    /// fast path. Throws on NaN/±Inf, naming `name`, the token (row) and the feature.
    public init(quantizing x: Tensor, bits: BitWidth = .int8, name: String = "activation") throws(QuantError) {
        let (tokens, features) = try Self.matrixShape(x, name: name)
        var values = [Int8](repeating: 0, count: x.count)
        var scales = [Float](repeating: 0, count: tokens)
        try values.withUnsafeMutableBufferPointer { (v) throws(QuantError) in
            try scales.withUnsafeMutableBufferPointer { (s) throws(QuantError) in
                guard let scalesBase = s.baseAddress else { return } // no tokens
                try QuantKernels.quantizePerToken(x.pointer, tokens: tokens, features: features, bits: bits,
                                                  scales: scalesBase, codes: v.baseAddress, dequantized: nil,
                                                  tensor: name)
            }
        }
        self.tokens = tokens
        self.features = features
        self.bits = bits
        self.values = values
        self.scales = scales
    }

    /// The values the codes stand for: [tokens, features]. Equal bit for bit to
    /// `ActivationQuantizer.dynamicPerToken(bits:).fakeQuantize(x)`.
    public func dequantized() -> Tensor {
        let layout = try! GroupLayout(rows: tokens, cols: features, granularity: .perChannel)
        let params = try! GroupParams(scales: scales, zeroPoints: nil, codeRange: Mapping.symmetric.codeRange(bits))
        return Tensor(shape: [tokens, features],
                      values: QuantReference.dequantize(codes: values, layout: layout, params: params))
    }

    /// x viewed as [tokens, features]: features is the last dimension (>= 1).
    static func matrixShape(_ x: Tensor, name: String) throws(QuantError) -> (tokens: Int, features: Int) {
        guard let features = x.shape.dims.last, features >= 1 else {
            throw QuantError.shapeMismatch(tensor: name, expected: "[..., features >= 1]", got: x.shape.dims)
        }
        return (x.count / features, features)
    }
}
