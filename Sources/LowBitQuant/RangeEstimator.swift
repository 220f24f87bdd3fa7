import LowBitCore

/// Picks one clipping range per group of a matrix (the algorithm, kept apart from the
/// quantizer, which takes the ranges as given). Min-max is here; percentile, MSE, ACIQ and
/// others plug in through this protocol or hand `QuantizedWeight` explicit ranges.
public protocol RangeEstimator: Sendable {
    /// Ranges of x: [layout.rows, layout.cols], row-major over the group grid
    /// ([rowGroups, colGroups]). Throws on NaN/±Inf naming `name`, row and column.
    func ranges(_ x: Tensor, layout: GroupLayout, name: String) throws(QuantError) -> [QuantRange]
}

/// [min, max] of each group: no clipping.
public struct MinMaxEstimator: RangeEstimator {
    public init() {}

    public func ranges(_ x: Tensor, layout: GroupLayout, name: String) throws(QuantError) -> [QuantRange] {
        guard x.count == layout.rows * layout.cols else {
            throw QuantError.shapeMismatch(tensor: name, expected: "[\(layout.rows), \(layout.cols)]", got: x.shape.dims)
        }
        return try QuantKernels.groupRanges(x.pointer, layout: layout, tensor: name)
    }
}
