/// How real values map to integer codes: x̂ = (q − z) · s + m with scale s > 0 (or 0 for a
/// constant group), integer zero point z and float minimum m.
///
/// | mapping | codes q (stored `Int8`) | zero point z | minimum m | scale s from range [lo, hi] |
/// |---|---|---|---|---|
/// | `.symmetric` | −(2^(b−1)−1) … 2^(b−1)−1 | 0 | 0 | max(\|lo\|, \|hi\|) / (2^(b−1)−1) |
/// | `.asymmetric` | u − 2^(b−1), u in 0 … 2^b−1 | z_u − 2^(b−1) | 0 | (hi' − lo') / (2^b−1) |
/// | `.affine` | u − 2^(b−1), u in 0 … 2^b−1 | −2^(b−1) (fixed) | lo | (hi − lo) / (2^b−1) |
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
///
/// **Affine has a float minimum instead of an integer zero point** (llama.cpp's Q4_1 / Q5_1,
/// torchao's `ZeroPointDomain.FLOAT`): x̂ = u · s + m with u in [0, 2^b−1] and m = lo, the
/// range's own lower end, not widened to 0 and not rounded to the code grid, so the group's
/// grid starts exactly at its minimum (an integer zero point shifts it by up to s/2). Codes are
/// stored shifted like asymmetric ones (q = u − 2^(b−1), nibble = u); the zero point is the
/// fixed z = −2^(b−1), so x̂ = (q − z) · s + m = u · s + m. A dequantized Q4_1 block
/// (x = u·d + m) quantizes back to its own codes, with s within float rounding of d.
public enum Mapping: String, Sendable, Hashable, Codable, CaseIterable {
    case symmetric
    case asymmetric
    case affine

    /// The stored codes for `bits` (see the table above).
    public func codeRange(_ bits: BitWidth) -> ClosedRange<Int> {
        switch self {
        case .symmetric: -(bits.half - 1)...(bits.half - 1)
        case .asymmetric, .affine: -bits.half...(bits.half - 1)
        }
    }

    /// The largest |code − zero point| span: 2^(b−1)−1 (symmetric) or 2^b−1 (asymmetric, affine).
    public func levels(_ bits: BitWidth) -> Int {
        let r = codeRange(bits)
        return self == .symmetric ? r.upperBound : r.upperBound - r.lowerBound
    }

    /// Whether groups carry a float minimum m (`.affine`).
    public var hasMinimum: Bool { self == .affine }

    /// Whether groups carry a stored zero point (`.asymmetric`, and `.affine` with its fixed one).
    public var hasZeroPoint: Bool { self != .symmetric }

    /// Scale, stored zero point and minimum for values clipped to `range` (the one definition
    /// of the formula; the C kernels' dynamic per-token path computes the symmetric case the
    /// same way). A zero-width range gives scale 0: every value then maps to the zero point
    /// and dequantizes to 0 (symmetric, asymmetric) or to m = lo (affine, exact). The scale may
    /// come out infinite (range wider than `Float.greatestFiniteMagnitude`); `GroupParams`
    /// rejects that.
    /// - Precondition: `range` is finite with lower <= upper.
    public func parameters(for range: QuantRange, bits: BitWidth) -> (scale: Float, zeroPoint: Int8, minimum: Float) {
        switch self {
        case .symmetric:
            let amax = Swift.max(abs(range.lower), abs(range.upper))
            return (amax / Float(levels(bits)), 0, 0)
        case .asymmetric:
            let lo = Swift.min(range.lower, 0), hi = Swift.max(range.upper, 0)
            let levels = levels(bits)
            let scale = (hi - lo) / Float(levels)
            guard scale > 0, scale.isFinite else { return (scale == 0 ? 0 : scale, Int8(-bits.half), 0) }
            let zu = Swift.min(Swift.max((-lo / scale).rounded(.toNearestOrEven), 0), Float(levels))
            return (scale, Int8(Int(zu) - bits.half), 0)
        case .affine:
            // + 0 turns a −0 into +0 (same value; min/max may give either sign of a zero).
            return ((range.upper - range.lower) / Float(levels(bits)) + 0, Int8(-bits.half), range.lower + 0)
        }
    }
}
