/// How a real number becomes an integer code. One rule today:
///
/// | x / s | 2.4 | 2.5 | 3.5 | −2.5 | −0.5 |
/// |---|---|---|---|---|---|
/// | `.nearestEven` | 2 | 2 | 4 | −2 | 0 |
///
/// Ties go to the even integer (IEEE 754 roundTiesToEven: `rounded(.toNearestOrEven)`,
/// `nearbyintf`, `_mm256_round_ps(_MM_FROUND_TO_NEAREST_INT)`), so rounding is unbiased and
/// every level of the kernels gives the same code.
public enum Rounding: String, Sendable, Hashable, Codable {
    case nearestEven
}

/// A quantization format: bit width, mapping, granularity and rounding — a plain value, so a
/// recipe can hold it (Codable). The algorithm that picks ranges is separate (`RangeEstimator`,
/// observers, or explicit ranges from a PTQ method).
///
/// Per group, `x̂ = (q − z) · s` with q clamped to `mapping.codeRange(bits)` (see `Mapping`).
public struct QuantScheme: Sendable, Hashable, Codable, CustomStringConvertible {
    public var bits: BitWidth
    public var mapping: Mapping
    public var granularity: Granularity
    public var rounding: Rounding

    public init(bits: BitWidth, mapping: Mapping = .symmetric, granularity: Granularity,
                rounding: Rounding = .nearestEven) {
        self.bits = bits
        self.mapping = mapping
        self.granularity = granularity
        self.rounding = rounding
    }

    /// The stored codes this scheme allows.
    public var codeRange: ClosedRange<Int> { mapping.codeRange(bits) }

    /// ZeroQuant's weights: symmetric INT8 (or INT4) per group along inFeatures.
    public static func groupwise(_ bits: BitWidth, groupSize: Int) -> QuantScheme {
        QuantScheme(bits: bits, mapping: .symmetric, granularity: .perGroup(size: groupSize))
    }

    public var description: String { "\(bits) \(mapping.rawValue) \(granularity)" }
}

/// A closed clipping range [lower, upper] for one group, picked by a range estimator or an
/// algorithm (min-max, percentile, MSE, ACIQ…). Values outside it saturate to the end codes.
public struct QuantRange: Sendable, Hashable, Codable, CustomStringConvertible {
    public var lower: Float
    public var upper: Float

    public init(lower: Float, upper: Float) {
        self.lower = lower
        self.upper = upper
    }

    /// [−clip, clip], e.g. an ACIQ clipping value.
    public init(symmetricClip clip: Float) { self.init(lower: -clip, upper: clip) }

    /// The smallest range holding both.
    public func union(_ other: QuantRange) -> QuantRange {
        QuantRange(lower: min(lower, other.lower), upper: max(upper, other.upper))
    }

    /// Both ends multiplied by `ratio` (clipping search).
    public func scaled(by ratio: Float) -> QuantRange { QuantRange(lower: lower * ratio, upper: upper * ratio) }

    public var description: String { "[\(lower), \(upper)]" }
}
