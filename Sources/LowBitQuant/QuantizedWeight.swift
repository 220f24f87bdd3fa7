import LowBitCore

/// A linear layer's weight w: [outFeatures, inFeatures] quantized group-wise (groups run
/// along inFeatures; see `Granularity`), unpacked: one `Int8` code per element for every
/// bit width. `packedInt4()` gives the packed form for widths <= 4.
///
/// Element [o, i] stands for (values[o·inFeatures + i] − z) · s + m with (s, z, m) of its group
/// (`layout.group(row: o, col: i)`); see `Mapping` for the code, zero-point and minimum convention.
public struct QuantizedWeight: Sendable, Equatable {
    public let outFeatures: Int
    public let inFeatures: Int
    public let scheme: QuantScheme
    /// Stored codes [outFeatures, inFeatures], row-major, in `scheme.codeRange`.
    public let values: [Int8]
    /// Scales, zero points and minimums, [rowGroups, colGroups] (per-group: [outFeatures, inFeatures / g]).
    public let params: GroupParams

    /// Scales [rowGroups, colGroups].
    public var scales: [Float] { params.scales }
    /// Stored zero points [rowGroups, colGroups] (asymmetric; affine: all −2^(b−1)), or nil (symmetric: all 0).
    public var zeroPoints: [Int8]? { params.zeroPoints }
    /// Float minimums [rowGroups, colGroups] (affine), or nil (all 0).
    public var mins: [Float]? { params.mins }

    /// The group grid of this weight.
    public var layout: GroupLayout {
        // Validated at init, so this cannot throw.
        try! GroupLayout(rows: outFeatures, cols: inFeatures, granularity: scheme.granularity)
    }

    /// Quantizes w: [outFeatures, inFeatures] (fast path). `ranges`: one clipping range per
    /// group (row-major over the group grid) from an algorithm, or nil for min-max.
    /// `name` is the tensor's name in errors. Throws on NaN/±Inf, a group size that does not
    /// divide inFeatures (or outFeatures for row groups), or unusable ranges.
    public init(quantizing w: Tensor, scheme: QuantScheme, ranges: [QuantRange]? = nil,
                name: String = "weight") throws(QuantError) {
        let layout = try Self.layout(of: w, scheme: scheme, name: name)
        let ranges = try Self.ranges(w, layout: layout, given: ranges, name: name)
        let params = try GroupParams(ranges: ranges, bits: scheme.bits, mapping: scheme.mapping, tensor: name)
        var values = [Int8](repeating: 0, count: w.count)
        try values.withUnsafeMutableBufferPointer { (v) throws(QuantError) in
            try QuantKernels.quantize(w.pointer, layout: layout, codeRange: scheme.codeRange, params: params,
                                      codes: v.baseAddress, dequantized: nil, tensor: name)
        }
        self.init(unchecked: layout, scheme: scheme, values: values, params: params)
    }

    /// A weight from stored parts (e.g. read from a file), validated: counts must fit the
    /// shape and granularity, codes and zero points must lie in the scheme's code range, minimums
    /// must be present (finite) exactly for the affine mapping, whose zero points are −2^(b−1).
    public init(outFeatures: Int, inFeatures: Int, scheme: QuantScheme, values: [Int8], params: GroupParams,
                name: String = "weight") throws(QuantError) {
        let layout = try GroupLayout(rows: outFeatures, cols: inFeatures, granularity: scheme.granularity, tensor: name)
        guard values.count == outFeatures * inFeatures else {
            throw QuantError.countMismatch(tensor: name, what: "codes", expected: outFeatures * inFeatures, got: values.count)
        }
        guard params.count == layout.count else {
            throw QuantError.countMismatch(tensor: name, what: "scales", expected: layout.count, got: params.count)
        }
        let mapping = scheme.mapping
        guard (params.zeroPoints != nil) == mapping.hasZeroPoint else {
            throw QuantError.countMismatch(tensor: name, what: "zero-point arrays",
                                           expected: mapping.hasZeroPoint ? 1 : 0, got: params.zeroPoints == nil ? 0 : 1)
        }
        guard (params.mins != nil) == mapping.hasMinimum else {
            throw QuantError.countMismatch(tensor: name, what: "minimum arrays",
                                           expected: mapping.hasMinimum ? 1 : 0, got: params.mins == nil ? 0 : 1)
        }
        let allowed = scheme.codeRange
        _ = try GroupParams(scales: params.scales, zeroPoints: params.zeroPoints, mins: params.mins, codeRange: allowed, tensor: name)
        if mapping == .affine, let z = params.zeroPoints, let g = z.firstIndex(where: { Int($0) != -scheme.bits.half }) {
            // Affine zero points are implied (−2^(b−1)); anything else is not an affine weight.
            throw QuantError.codeOutOfRange(tensor: name, index: g, value: Int(z[g]), allowed: -scheme.bits.half...(-scheme.bits.half))
        }
        if let i = values.firstIndex(where: { !allowed.contains(Int($0)) }) {
            throw QuantError.codeOutOfRange(tensor: name, index: i, value: Int(values[i]), allowed: allowed)
        }
        self.init(unchecked: layout, scheme: scheme, values: values, params: params)
    }

    private init(unchecked layout: GroupLayout, scheme: QuantScheme, values: [Int8], params: GroupParams) {
        self.outFeatures = layout.rows
        self.inFeatures = layout.cols
        self.scheme = scheme
        self.values = values
        self.params = params
    }

    /// The float weight these codes stand for: [outFeatures, inFeatures]. Equal bit for bit
    /// to `fakeQuantized` of the weight that was quantized.
    public func dequantized() -> Tensor {
        Tensor(shape: [outFeatures, inFeatures],
               values: QuantReference.dequantize(codes: values, layout: layout, params: params))
    }

    // MARK: - Fake quantization (quantize, then dequantize, in float)

    /// w quantized and dequantized: a new [outFeatures, inFeatures] tensor.
    public static func fakeQuantized(_ w: Tensor, scheme: QuantScheme, ranges: [QuantRange]? = nil,
                                     name: String = "weight") throws(QuantError) -> Tensor {
        let y = Tensor(zeros: w.shape)
        try fakeQuantize(w, into: y, scheme: scheme, ranges: ranges, name: name)
        return y
    }

    /// Replaces w's elements by their quantized-dequantized values, in place. The whole
    /// tensor is checked (NaN/±Inf, shapes, ranges) before anything is written, so on error
    /// w is untouched.
    public static func fakeQuantizeInPlace(_ w: Tensor, scheme: QuantScheme, ranges: [QuantRange]? = nil,
                                           name: String = "weight") throws(QuantError) {
        try fakeQuantize(w, into: w, scheme: scheme, ranges: ranges, name: name)
    }

    private static func fakeQuantize(_ w: Tensor, into y: Tensor, scheme: QuantScheme, ranges given: [QuantRange]?,
                                      name: String) throws(QuantError) {
        let layout = try layout(of: w, scheme: scheme, name: name)
        var ranges = try QuantKernels.groupRanges(w.pointer, layout: layout, tensor: name) // also validates w
        if let given { ranges = try checked(given, layout, name) }
        let params = try GroupParams(ranges: ranges, bits: scheme.bits, mapping: scheme.mapping, tensor: name)
        try QuantKernels.quantize(w.pointer, layout: layout, codeRange: scheme.codeRange, params: params,
                                  codes: nil, dequantized: y.pointer, tensor: name)
    }

    // MARK: - Helpers

    static func layout(of w: Tensor, scheme: QuantScheme, name: String) throws(QuantError) -> GroupLayout {
        guard w.shape.rank == 2 else {
            throw QuantError.shapeMismatch(tensor: name, expected: "[outFeatures, inFeatures]", got: w.shape.dims)
        }
        return try GroupLayout(rows: w.shape[0], cols: w.shape[1], granularity: scheme.granularity, tensor: name)
    }

    static func checked(_ ranges: [QuantRange], _ layout: GroupLayout, _ name: String) throws(QuantError) -> [QuantRange] {
        guard ranges.count == layout.count else {
            throw QuantError.countMismatch(tensor: name, what: "ranges", expected: layout.count, got: ranges.count)
        }
        return ranges
    }

    /// The given ranges (checked against the layout), or min-max ranges measured by the kernels.
    static func ranges(_ w: Tensor, layout: GroupLayout, given: [QuantRange]?, name: String) throws(QuantError) -> [QuantRange] {
        if let given { return try checked(given, layout, name) }
        return try MinMaxEstimator().ranges(w, layout: layout, name: name)
    }
}
