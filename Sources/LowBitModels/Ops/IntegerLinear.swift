import LowBitCore
import LowBitQuant

/// A W8A8 linear layer run on integer kernels: the input is quantized per token (symmetric,
/// 8-bit, scale = max|x_t| / 127, the kernel `QuantizedLinear` simulates with
/// `.dynamicPerToken(bits: 8)`), multiplied with the 8-bit weight codes in int32
/// (`lb_igemm_dequant`), and dequantized in the GEMM's epilogue.
///
/// `/// x: [tokens, inFeatures] → codes [tokens, inFeatures] int8 + scales [tokens];
/// ///  w: [outFeatures, inFeatures] int8, per-channel scales; y: [tokens, outFeatures]`
///
/// Same codes as the simulated layer; outputs equal it up to float summation order (the
/// simulated GEMM sums dequantized floats, this one sums integers exactly).
public final class IntegerLinear: LinearOp, @unchecked Sendable {
    public let weight: Int8LinearWeight
    public var inFeatures: Int { weight.inFeatures }
    public var outFeatures: Int { weight.outFeatures }

    public init(weight: Int8LinearWeight) { self.weight = weight }

    /// The integer form of a simulated layer, or nil when its scheme is not one this engine
    /// runs: the weight must be 8-bit symmetric per-channel (or per-tensor), the input
    /// `.dynamicPerToken(bits: 8)`, and there must be no OCS split.
    public static func make(from q: QuantizedLinear) -> IntegerLinear? {
        guard q.input == .dynamicPerToken(bits: .int8), q.inputChannels == nil, q.inputScales == nil,
              q.inFeatures == q.weight.inFeatures,
              let w = Int8LinearWeight(weight: q.weight, bias: q.bias) else { return nil }
        return IntegerLinear(weight: w)
    }

    /// x: [..., inFeatures] → [..., outFeatures]. A NaN/±Inf in x cannot be quantized: the
    /// output is then all NaN (as the simulated layer passes it on), for evaluation to report.
    public func forward(_ x: Tensor) -> Tensor {
        let k = inFeatures, rows = x.count / max(k, 1)
        var dims = x.shape.dims
        dims[dims.count - 1] = outFeatures
        let y = Tensor(zeros: Shape(dims))
        guard rows > 0 else { return y }
        // One scratch buffer: codes [rows, k] then scales [rows] (4-byte aligned).
        let codeBytes = (rows * k + 3) & ~3
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: codeBytes + rows * 4, alignment: 64)
        defer { scratch.deallocate() }
        let codes = scratch.bindMemory(to: Int8.self, capacity: rows * k)
        let scales = (scratch + codeBytes).bindMemory(to: Float.self, capacity: rows)
        do {
            try QuantKernels.quantizePerToken(x.pointer, tokens: rows, features: k, bits: .int8, scales: scales,
                                              codes: codes, dequantized: nil)
        } catch {
            y.pointer.update(repeating: .nan, count: y.count)
            return y
        }
        weight.apply(rows: rows, codes: codes, ldc: k, scales: scales, y: y.pointer, ldy: outFeatures)
        return y
    }
}

extension LayeredModel {
    /// Runs every site the integer kernels support on them: each `QuantizedLinear` that
    /// `IntegerLinear.make` accepts (8-bit symmetric per-channel weights, dynamic symmetric
    /// per-token INT8 inputs, no OCS) is replaced by its `IntegerLinear`; other sites stay as
    /// they are (simulated or float). Returns the names of the sites switched.
    @discardableResult
    public func useIntegerKernels() throws(ModelError) -> [String] {
        var switched: [String] = []
        for site in linearSites() {
            guard let q = site.op as? QuantizedLinear, let op = IntegerLinear.make(from: q) else { continue }
            try replaceLinear(named: site.name, with: op)
            switched.append(site.name)
        }
        return switched
    }
}
