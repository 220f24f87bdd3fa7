import LowBitCore
import LowBitQuant

/// A W8A8 / W4A8 linear layer run on integer kernels: the input is quantized per token
/// (symmetric, 8-bit, scale = max|x_t| / 127, the kernel `QuantizedLinear` simulates with
/// `.dynamicPerToken(bits: 8)`), multiplied with the weight codes in int32 and dequantized in
/// the GEMM's epilogue: `lb_igemm_dequant` for 8-bit symmetric per-channel weights
/// (`Int8LinearWeight`), `lb_igemm_group` for group-wise, asymmetric or 4-bit ones (`GroupLinearWeight`).
///
/// `/// x: [tokens, inFeatures] → codes [tokens, inFeatures] int8 + scales [tokens];
/// ///  w: [outFeatures, inFeatures] codes, scales per channel or group; y: [tokens, outFeatures]`
///
/// Same codes and the same bits as the simulated layer: both sum the integer codes exactly and
/// apply the scales in the order lb_igemm.h defines (the simulated one in `CodeDomainGemm`).
public final class IntegerLinear: LinearOp, @unchecked Sendable {
    public let weight: any IntegerLinearWeight
    public var inFeatures: Int { weight.inFeatures }
    public var outFeatures: Int { weight.outFeatures }

    public init(weight: any IntegerLinearWeight) { self.weight = weight }

    /// The integer form of a simulated layer, or nil when its scheme is not one this engine
    /// runs: the input must be `.dynamicPerToken(bits: 8)`, there must be no OCS split, and the
    /// weight 8-bit symmetric per-channel / per-tensor (`Int8LinearWeight`) or one
    /// `GroupLinearWeight` packs (8 or ≤ 4 bits, symmetric or asymmetric, column groups).
    public static func make(from q: QuantizedLinear) -> IntegerLinear? {
        guard q.input == .dynamicPerToken(bits: .int8), q.inputChannels == nil, q.inputScales == nil,
              q.inFeatures == q.weight.inFeatures else { return nil }
        if let w = Int8LinearWeight(weight: q.weight, bias: q.bias) { return IntegerLinear(weight: w) }
        if let w = GroupLinearWeight(weight: q.weight, bias: q.bias) { return IntegerLinear(weight: w) }
        return nil
    }

    /// x: [..., inFeatures] → [..., outFeatures]. A NaN/±Inf in x cannot be quantized: the
    /// output is then all NaN (as the simulated layer passes it on), for evaluation to report.
    public func forward(_ x: Tensor) -> Tensor {
        let k = inFeatures, rows = x.count / max(k, 1)
        return withInputCodes(rows: rows) { codes, scales in
            do {
                try QuantKernels.quantizePerToken(x.pointer, tokens: rows, features: k, bits: .int8, scales: scales,
                                                  codes: codes, dequantized: nil)
                return true
            } catch { return false }
        } apply: { codes, scales, valid in
            forward(codes: codes, scales: scales, valid: valid, shapedLike: x.shape)
        }
    }

    /// Runs `quantize` into scratch codes [rows, inFeatures] and scales [rows] (one allocation,
    /// freed on return), then `apply` with them and whether quantization succeeded.
    public func withInputCodes<R>(rows: Int, quantize: (UnsafeMutablePointer<Int8>, UnsafeMutablePointer<Float>) -> Bool,
                                  apply: (UnsafePointer<Int8>, UnsafePointer<Float>, Bool) -> R) -> R {
        let k = inFeatures
        let codeBytes = (rows * k + 3) & ~3
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: max(codeBytes + rows * 4, 4), alignment: 64)
        defer { scratch.deallocate() }
        let codes = scratch.bindMemory(to: Int8.self, capacity: rows * k)
        let scales = (scratch + codeBytes).bindMemory(to: Float.self, capacity: rows)
        let ok = rows == 0 || quantize(codes, scales)
        return apply(codes, scales, ok)
    }

    /// The layer on already quantized input: codes [rows, inFeatures] (symmetric per-token INT8,
    /// as `QuantKernels.quantizePerToken` makes them), scales [rows] → y shaped like `shape`
    /// with its last dimension `outFeatures`. `valid` false (the input held a NaN/±Inf) gives all NaN.
    public func forward(codes: UnsafePointer<Int8>, scales: UnsafePointer<Float>, valid: Bool, shapedLike shape: Shape) -> Tensor {
        let k = inFeatures
        var dims = shape.dims
        dims[dims.count - 1] = outFeatures
        let y = Tensor(uninitialized: Shape(dims)) // the GEMM writes every element
        let rows = y.count / max(outFeatures, 1)
        guard rows > 0 else { return y }
        guard valid else {
            y.pointer.update(repeating: .nan, count: y.count)
            return y
        }
        weight.apply(rows: rows, codes: codes, ldc: k, scales: scales, y: y.pointer, ldy: outFeatures)
        return y
    }
}

/// A weight-only quantized linear layer (W8A16, W4A16, w4/8a16) run on `lb_wgemm_group`: float
/// activations times 8- or 4-bit codes unpacked to float in registers, group scales applied
/// per group. Equals the simulated layer (dequantized weight, SGEMM) up to float summation order.
///
/// `/// x: [tokens, inFeatures] float; w: [outFeatures, inFeatures] codes, scales per channel or group;
/// ///  y: [tokens, outFeatures]`
public final class WeightOnlyLinear: LinearOp, @unchecked Sendable {
    public let weight: GroupLinearWeight
    public var inFeatures: Int { weight.inFeatures }
    public var outFeatures: Int { weight.outFeatures }

    public init(weight: GroupLinearWeight) { self.weight = weight }

    /// The packed form of a simulated weight-only layer (input `.none`, no OCS split, a weight
    /// `GroupLinearWeight` packs), or nil.
    public static func make(from q: QuantizedLinear) -> WeightOnlyLinear? {
        guard q.input == .none, q.inputChannels == nil, q.inputScales == nil, q.inFeatures == q.weight.inFeatures,
              let w = GroupLinearWeight(weight: q.weight, bias: q.bias) else { return nil }
        return WeightOnlyLinear(weight: w)
    }

    /// x: [..., inFeatures] → [..., outFeatures]
    public func forward(_ x: Tensor) -> Tensor {
        let k = inFeatures, rows = x.count / max(k, 1)
        var dims = x.shape.dims
        dims[dims.count - 1] = outFeatures
        let y = Tensor(uninitialized: Shape(dims)) // the GEMM writes every element
        weight.applyFloat(rows: rows, x: x.pointer, ldx: k, y: y.pointer, ldy: outFeatures)
        return y
    }
}

extension LayeredModel {
    /// Runs every site the integer kernels support on them: each `QuantizedLinear` that
    /// `IntegerLinear.make` accepts (8- or 4-bit weights, per-channel or group-wise, dynamic
    /// symmetric per-token INT8 inputs, no OCS) or `WeightOnlyLinear.make` accepts (the same
    /// weights with float inputs) is replaced; other sites stay as they are (simulated or
    /// float). Returns the names of the sites switched.
    @discardableResult
    public func useIntegerKernels() throws(ModelError) -> [String] {
        var switched: [String] = []
        for site in linearSites() {
            guard let q = site.op as? QuantizedLinear else { continue }
            if let op = IntegerLinear.make(from: q) {
                try replaceLinear(named: site.name, with: op)
            } else if let op = WeightOnlyLinear.make(from: q) {
                try replaceLinear(named: site.name, with: op)
            } else { continue }
            switched.append(site.name)
        }
        return switched
    }
}
