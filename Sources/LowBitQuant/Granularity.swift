/// Which elements of a weight w: [outFeatures, inFeatures] share one scale (and zero point).
///
/// | case | group shape | scales |
/// |---|---|---|
/// | `.perTensor` | [out, in] | [1, 1] |
/// | `.perChannel` | [1, in] (one output row) | [out, 1] |
/// | `.perGroup(size: g)` | [1, g], groups run along inFeatures | [out, in / g] |
/// | `.perRowGroup(rows: r)` | [r, in] (r output rows, ZeroQuant's row groups) | [out / r, 1] |
///
/// For activations x: [tokens, features] the same cases apply with tokens as rows
/// (`.perChannel` is then per token).
public enum Granularity: Sendable, Hashable, Codable, CustomStringConvertible {
    case perTensor
    case perChannel
    case perGroup(size: Int)
    case perRowGroup(rows: Int)

    public var description: String {
        switch self {
        case .perTensor: "per-tensor"
        case .perChannel: "per-channel"
        case let .perGroup(g): "per-group(\(g))"
        case let .perRowGroup(r): "per-row-group(\(r))"
        }
    }
}

/// A matrix [rows, cols] cut into a grid of [rowGroups, colGroups] groups of
/// groupRows × groupCols elements each. Scales and zero points are stored row-major over
/// the grid: group (gr, gc) is at index gr · colGroups + gc.
public struct GroupLayout: Sendable, Hashable {
    public let rows: Int
    public let cols: Int
    public let groupRows: Int
    public let groupCols: Int

    public var rowGroups: Int { rows / groupRows }
    public var colGroups: Int { cols / groupCols }
    /// Number of groups (= number of scales).
    public var count: Int { rowGroups * colGroups }

    /// The layout of `granularity` on a [rows, cols] matrix named `tensor` (for errors).
    /// Throws if cols < 1, or a group size is not positive or does not divide its dimension.
    /// rows may be 0 (an empty batch: no groups).
    public init(rows: Int, cols: Int, granularity: Granularity, tensor: String = "tensor") throws(QuantError) {
        guard rows >= 0, cols >= 1 else {
            throw QuantError.shapeMismatch(tensor: tensor, expected: "[rows >= 0, cols >= 1]", got: [rows, cols])
        }
        self.rows = rows
        self.cols = cols
        switch granularity {
        case .perTensor:
            (groupRows, groupCols) = (max(rows, 1), cols)
        case .perChannel:
            (groupRows, groupCols) = (1, cols)
        case let .perGroup(g):
            guard g > 0 else { throw QuantError.invalidGroupSize(tensor: tensor, groupSize: g) }
            guard cols % g == 0 else {
                throw QuantError.groupSizeMismatch(tensor: tensor, dimension: "inFeatures", size: cols, groupSize: g)
            }
            (groupRows, groupCols) = (1, g)
        case let .perRowGroup(r):
            guard r > 0 else { throw QuantError.invalidGroupSize(tensor: tensor, groupSize: r) }
            guard rows % r == 0 else {
                throw QuantError.groupSizeMismatch(tensor: tensor, dimension: "outFeatures", size: rows, groupSize: r)
            }
            (groupRows, groupCols) = (r, cols)
        }
    }

    /// Index of the group holding element [row, col].
    @inlinable public func group(row: Int, col: Int) -> Int {
        (row / groupRows) * colGroups + col / groupCols
    }
}
