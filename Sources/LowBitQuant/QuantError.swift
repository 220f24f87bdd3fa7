/// What went wrong while quantizing, and where.
///
/// Bad input never produces garbage: every public entry point checks its input (non-finite
/// values, shapes, ranges) and throws one of these instead.
public enum QuantError: Error, Equatable, CustomStringConvertible {
    /// A bit width outside 2...8.
    case invalidBitWidth(Int)
    /// A NaN or ±Inf element at [row, column] of the tensor (viewed as [rows, columns]).
    case nonFinite(tensor: String, row: Int, column: Int, value: Float)
    /// A group size that is not positive.
    case invalidGroupSize(tensor: String, groupSize: Int)
    /// A group size that does not divide the dimension the groups run along.
    case groupSizeMismatch(tensor: String, dimension: String, size: Int, groupSize: Int)
    /// A tensor whose shape does not fit the operation.
    case shapeMismatch(tensor: String, expected: String, got: [Int])
    /// A count of values (codes, scales, ranges, bytes) that does not fit the shape.
    case countMismatch(tensor: String, what: String, expected: Int, got: Int)
    /// A quantization range (or a scale derived from it) that cannot be used.
    case invalidRange(tensor: String, group: Int, min: Float, max: Float, reason: String)
    /// A stored code or zero point outside what the scheme allows.
    case codeOutOfRange(tensor: String, index: Int, value: Int, allowed: ClosedRange<Int>)
    /// A mapping the operation does not support (e.g. `.affine` for activations).
    case unsupportedMapping(tensor: String, mapping: Mapping, reason: String)

    public var description: String {
        switch self {
        case let .invalidBitWidth(b):
            "invalid bit width \(b): LowBit quantizes to 2...8 bits"
        case let .nonFinite(t, r, c, v):
            "tensor '\(t)': non-finite value \(v) at row \(r), column \(c)"
        case let .invalidGroupSize(t, g):
            "tensor '\(t)': group size \(g) must be positive"
        case let .groupSizeMismatch(t, dim, size, g):
            "tensor '\(t)': group size \(g) does not divide \(dim) = \(size)"
        case let .shapeMismatch(t, expected, got):
            "tensor '\(t)': expected \(expected), got shape \(got)"
        case let .countMismatch(t, what, expected, got):
            "tensor '\(t)': \(got) \(what), expected \(expected)"
        case let .invalidRange(t, g, lo, hi, reason):
            "tensor '\(t)': unusable range [\(lo), \(hi)] for group \(g): \(reason)"
        case let .codeOutOfRange(t, i, v, allowed):
            "tensor '\(t)': code \(v) at index \(i) outside \(allowed.lowerBound)...\(allowed.upperBound)"
        case let .unsupportedMapping(t, mapping, reason):
            "tensor '\(t)': mapping \(mapping.rawValue) not supported: \(reason)"
        }
    }

    /// The error for the flat index `index` of a [rows, columns] matrix holding `value`.
    static func nonFinite(tensor: String, index: Int, columns: Int, value: Float) -> QuantError {
        let c = max(columns, 1)
        return .nonFinite(tensor: tensor, row: index / c, column: index % c, value: value)
    }
}
