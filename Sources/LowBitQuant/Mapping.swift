/// How real values map to integer codes: x̂ = (q − z) · s with scale s > 0 (or 0 for an
/// all-zero group) and integer zero point z.
///
/// | mapping | codes q (stored `Int8`) | zero point z | scale s from range [lo, hi] |
/// |---|---|---|---|
/// | `.symmetric` | −(2^(b−1)−1) … 2^(b−1)−1 | 0 | max(\|lo\|, \|hi\|) / (2^(b−1)−1) |
/// | `.asymmetric` | u − 2^(b−1), u in 0 … 2^b−1 | z_u − 2^(b−1) | (hi' − lo') / (2^b−1) |
///
/// **Symmetric uses the restricted range** (no −2^(b−1)): the code grid is symmetric about
/// 0, so −x quantizes to −q, as in ZeroQuant and TensorRT (8-bit: ±127, 4-bit: ±7).
///
/// **Asymmetric codes are stored shifted.** Mathematically an asymmetric code is u in
/// [0, 2^b−1] with zero point z_u = rne(−lo'/s) in [0, 2^b−1], where [lo', hi'] is the range
/// widened to include 0 (lo' = min(lo, 0), hi' = max(hi, 0)), so 0.0 is exactly
/// representable (it maps to u = z_u). So that every width, 8 included, fits `Int8`, the
/// stored code is q = u − 2^(b−1) and the stored zero point z = z_u − 2^(b−1); the
/// difference q − z = u − z_u is unchanged, so x̂ = (q − z) · s holds for both mappings.
/// (Packed int4 nibbles are q + 8, i.e. u itself; see `PackedInt4`.)
public enum Mapping: String, Sendable, Hashable, Codable, CaseIterable {
    case symmetric
    case asymmetric

    /// The stored codes for `bits` (see the table above).
    public func codeRange(_ bits: BitWidth) -> ClosedRange<Int> {
        switch self {
        case .symmetric: -(bits.half - 1)...(bits.half - 1)
        case .asymmetric: -bits.half...(bits.half - 1)
        }
    }

    /// The largest |code − zero point| span: 2^(b−1)−1 (symmetric) or 2^b−1 (asymmetric).
    public func levels(_ bits: BitWidth) -> Int {
        let r = codeRange(bits)
        return self == .symmetric ? r.upperBound : r.upperBound - r.lowerBound
    }

    /// Scale and stored zero point for values clipped to `range` (the one definition of
    /// the formula; the C kernels' dynamic per-token path computes the symmetric case the
    /// same way). A zero-width range gives scale 0: every value then maps to the zero point
    /// and dequantizes to 0. The scale may come out infinite (asymmetric range wider than
    /// `Float.greatestFiniteMagnitude`); `GroupParams` rejects that.
    /// - Precondition: `range` is finite with lower <= upper.
    public func parameters(for range: QuantRange, bits: BitWidth) -> (scale: Float, zeroPoint: Int8) {
        switch self {
        case .symmetric:
            let amax = Swift.max(abs(range.lower), abs(range.upper))
            return (amax / Float(levels(bits)), 0)
        case .asymmetric:
            let lo = Swift.min(range.lower, 0), hi = Swift.max(range.upper, 0)
            let levels = levels(bits)
            let scale = (hi - lo) / Float(levels)
            guard scale > 0, scale.isFinite else { return (scale == 0 ? 0 : scale, Int8(-bits.half)) }
            let zu = Swift.min(Swift.max((-lo / scale).rounded(.toNearestOrEven), 0), Float(levels))
            return (scale, Int8(Int(zu) - bits.half))
        }
    }
}
