import LowBitCore
import LowBitQuant

/// A quantized linear layer, run as simulated quantization ("fake quant"): the input is
/// quantized and dequantized by `input`, the weight is its dequantized integer codes, and the
/// GEMM runs in FP32. The integer engine must reproduce these numbers.
///
/// With a symmetric per-token input (`.dynamicPerToken`) the GEMM sums the integer codes
/// first and applies the scales after, in the order the integer kernels define
/// (`CodeDomainGemm`): the same x̂ · ŵᵀ, bit for bit what `IntegerLinear` computes.
///
/// Outlier channel splitting (OCS) widens the layer: the stored weight has `expandedIn ≥
/// inFeatures` columns, and column k reads input column `inputChannels[k]`, multiplied by
/// `inputScales[k]` (1 for a weight-side split, ½ for each half of an activation-side split).
///
/// `/// x: [tokens, inFeatures] → x̂: [tokens, expandedIn] (gather·scale, then input quantizer);
/// ///  w: [outFeatures, expandedIn] codes, groups along expandedIn; y = x̂ · dq(w)ᵀ + b: [tokens, outFeatures]`
public final class QuantizedLinear: LinearOp, @unchecked Sendable {
    public let weight: QuantizedWeight
    /// bias: [outFeatures] or nil (kept in float).
    public let bias: Tensor?
    /// How the input activations are quantized (`.none` for weight-only recipes).
    public let input: ActivationQuantizer
    /// OCS gather map [expandedIn] into the layer's input columns, or nil (no split).
    public let inputChannels: [Int32]?
    /// OCS input multipliers [expandedIn], or nil (all 1).
    public let inputScales: [Float]?
    public let inFeatures: Int
    /// The dequantized weight, packed for the SGEMM kernel (inputs other than `.dynamicPerToken`).
    let packed: PackedLinearWeight?
    /// The code-domain GEMM (`.dynamicPerToken` inputs).
    let codeDomain: CodeDomainGemm?
    let biasValues: [Float]?

    public var outFeatures: Int { weight.outFeatures }

    /// - Throws: `QuantError.shapeMismatch` when the bias, gather map or scales do not fit the weight.
    /// `name` (the site, e.g. `layers.3.qkv`) labels errors.
    public init(weight: QuantizedWeight, bias: Tensor?, input: ActivationQuantizer = .none,
                inFeatures: Int? = nil, inputChannels: [Int32]? = nil, inputScales: [Float]? = nil,
                name: String = "linear") throws(QuantError) {
        let n = inFeatures ?? weight.inFeatures, width = weight.inFeatures
        if let bias, bias.count != weight.outFeatures {
            throw .shapeMismatch(tensor: name + ".bias", expected: "[\(weight.outFeatures)]", got: bias.shape.dims)
        }
        if let map = inputChannels {
            guard map.count == width else { throw .shapeMismatch(tensor: name + ".input_channels", expected: "[\(width)]", got: [map.count]) }
            guard map.allSatisfy({ $0 >= 0 && Int($0) < n }) else {
                throw .shapeMismatch(tensor: name + ".input_channels", expected: "entries in 0..<\(n)", got: [map.count])
            }
        } else if n != width {
            throw .shapeMismatch(tensor: name + ".weight", expected: "[\(weight.outFeatures), \(n)] without an OCS map", got: [weight.outFeatures, width])
        }
        if let s = inputScales, s.count != width {
            throw .shapeMismatch(tensor: name + ".input_scales", expected: "[\(width)]", got: [s.count])
        }
        self.weight = weight
        self.bias = bias
        self.input = input
        self.inputChannels = inputChannels
        self.inputScales = inputScales
        self.inFeatures = n
        if case let .dynamicPerToken(bits) = input {
            codeDomain = CodeDomainGemm(weight: weight, inputBits: bits)
            packed = nil
        } else {
            codeDomain = nil
            packed = PackedLinearWeight(weight: weight.dequantized(), bias: bias)
        }
        biasValues = bias?.toArray()
    }

    /// x: [tokens, inFeatures] → [tokens, outFeatures]
    public func forward(_ x: Tensor) -> Tensor {
        let rows = x.count / max(inFeatures, 1)
        var xin = x.reshaped([rows, inFeatures])
        if inputChannels != nil || inputScales != nil { xin = expand(xin) }
        var dims = x.shape.dims
        dims[dims.count - 1] = outFeatures
        guard let packed else { return codeDomainForward(xin).reshaped(Shape(dims)) }
        // A non-finite activation cannot be quantized; it is passed on unquantized so that the
        // NaN/Inf reaches the output, where evaluation reports it.
        if let q = try? input.fakeQuantize(xin) { xin = q }
        return packed.apply(xin).reshaped(Shape(dims))
    }

    /// x: [rows, expandedIn] → [rows, outFeatures] through `codeDomain`. A NaN/±Inf in x cannot
    /// be quantized: the output is then all NaN, for evaluation to report.
    func codeDomainForward(_ x: Tensor) -> Tensor {
        guard case let .dynamicPerToken(bits) = input, let gemm = codeDomain else { preconditionFailure() }
        let width = weight.inFeatures, rows = x.count / max(width, 1)
        let y = Tensor(zeros: [rows, outFeatures])
        guard rows > 0 else { return y }
        let codes = UnsafeMutablePointer<Int8>.allocate(capacity: rows * width)
        defer { codes.deallocate() }
        var scales = [Float](repeating: 0, count: rows)
        do {
            try QuantKernels.quantizePerToken(x.pointer, tokens: rows, features: width, bits: bits, scales: &scales,
                                              codes: codes, dequantized: nil)
        } catch {
            y.pointer.update(repeating: .nan, count: y.count)
            return y
        }
        let a = Tensor(shape: [rows, width], values: UnsafeBufferPointer(start: codes, count: rows * width).map { Float($0) })
        scales.withUnsafeBufferPointer { s in
            withOptionalBuffer(biasValues) { b in
                gemm.apply(rows: rows, codes: a.pointer, tokenScales: s.baseAddress!, bias: b, y: y.pointer)
            }
        }
        return y
    }

    /// The OCS-widened input: column k = x[:, inputChannels[k]] · inputScales[k].
    func expand(_ x: Tensor) -> Tensor {
        let rows = x.shape[0], width = weight.inFeatures
        let out = Tensor(zeros: [rows, width])
        let map = inputChannels ?? (0..<Int32(width)).map { $0 }
        let scales = inputScales ?? [Float](repeating: 1, count: width)
        let src = x.pointer, dst = out.pointer, n = inFeatures
        Parallel.forRanges(rows) { range in
            for r in range {
                for k in 0..<width { dst[r * width + k] = src[r * n + Int(map[k])] * scales[k] }
            }
        }
        return out
    }
}
