/// Scales, zero points and minimums of every group of a matrix, row-major over the group grid
/// [rowGroups, colGroups] of a `GroupLayout` (for weights: [outFeatures, groups]).
///
/// Group g dequantizes code q to (q − zero(g)) · scales[g] + minimum(g) (see `Mapping`).
public struct GroupParams: Sendable, Hashable, Codable {
    /// Scale s of each group (>= 0, finite).
    public let scales: [Float]
    /// Stored zero point z of each group (see `Mapping`): nil for symmetric (all 0); for affine
    /// every entry is the fixed −2^(b−1).
    public let zeroPoints: [Int8]?
    /// Float minimum m of each group (finite), affine only; nil otherwise (all 0).
    public let mins: [Float]?

    /// Parameters for clipping ranges, one per group, under `bits` and `mapping`.
    /// Throws if a range is not finite, has lower > upper, or gives an infinite scale.
    public init(ranges: [QuantRange], bits: BitWidth, mapping: Mapping, tensor: String = "tensor") throws(QuantError) {
        var scales = [Float](repeating: 0, count: ranges.count)
        var zeros = [Int8](repeating: 0, count: ranges.count)
        var mins = [Float](repeating: 0, count: ranges.count)
        for (g, r) in ranges.enumerated() {
            guard r.lower.isFinite, r.upper.isFinite, r.lower <= r.upper else {
                throw QuantError.invalidRange(tensor: tensor, group: g, min: r.lower, max: r.upper,
                                              reason: "bounds must be finite with lower <= upper")
            }
            let (s, z, m) = mapping.parameters(for: r, bits: bits)
            guard s.isFinite else {
                throw QuantError.invalidRange(tensor: tensor, group: g, min: r.lower, max: r.upper,
                                              reason: "width overflows Float")
            }
            scales[g] = s
            zeros[g] = z
            mins[g] = m
        }
        self.scales = scales
        self.zeroPoints = mapping.hasZeroPoint ? zeros : nil
        self.mins = mapping.hasMinimum ? mins : nil
    }

    /// Parameters given directly (e.g. read from a file). Throws if a scale is negative or
    /// not finite, a zero point lies outside `codeRange`, or a minimum is not finite.
    public init(scales: [Float], zeroPoints: [Int8]?, mins: [Float]? = nil, codeRange: ClosedRange<Int>,
                tensor: String = "tensor") throws(QuantError) {
        for (g, s) in scales.enumerated() where !(s >= 0 && s.isFinite) {
            throw QuantError.invalidRange(tensor: tensor, group: g, min: s, max: s, reason: "scale must be finite and >= 0")
        }
        if let zeroPoints {
            guard zeroPoints.count == scales.count else {
                throw QuantError.countMismatch(tensor: tensor, what: "zero points", expected: scales.count, got: zeroPoints.count)
            }
            for (g, z) in zeroPoints.enumerated() where !codeRange.contains(Int(z)) {
                throw QuantError.codeOutOfRange(tensor: tensor, index: g, value: Int(z), allowed: codeRange)
            }
        }
        if let mins {
            guard mins.count == scales.count else {
                throw QuantError.countMismatch(tensor: tensor, what: "minimums", expected: scales.count, got: mins.count)
            }
            for (g, m) in mins.enumerated() where !m.isFinite {
                throw QuantError.invalidRange(tensor: tensor, group: g, min: m, max: m, reason: "minimum must be finite")
            }
        }
        self.scales = scales
        self.zeroPoints = zeroPoints
        self.mins = mins
    }

    /// Affine parameters given directly: scales and minimums, the zero points implied
    /// (−2^(b−1), see `Mapping.affine`). Validated as `init(scales:zeroPoints:mins:codeRange:tensor:)`.
    public init(affineScales scales: [Float], mins: [Float], bits: BitWidth, tensor: String = "tensor") throws(QuantError) {
        try self.init(scales: scales, zeroPoints: [Int8](repeating: Int8(-bits.half), count: scales.count), mins: mins,
                      codeRange: Mapping.affine.codeRange(bits), tensor: tensor)
    }

    public var count: Int { scales.count }

    /// The zero point of group g as a float (0 when symmetric).
    @inlinable public func zero(_ g: Int) -> Float { zeroPoints.map { Float($0[g]) } ?? 0 }

    /// The minimum of group g (0 unless affine).
    @inlinable public func minimum(_ g: Int) -> Float { mins?[g] ?? 0 }

    /// Zero points as floats for the kernels, or nil (symmetric).
    var zeroFloats: [Float]? { zeroPoints?.map { Float($0) } }
}
