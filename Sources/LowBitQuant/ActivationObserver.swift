import LowBitCore

/// Collects statistics of one activation tensor over calibration batches and picks a
/// static per-tensor clipping range from them. Results depend only on the values seen and
/// their order, never on how they were batched or on thread count.
public protocol ActivationObserver: Sendable {
    /// Adds a batch x: [..., features] (any shape). Throws on NaN/±Inf naming `name`, and the
    /// row and column of x viewed as [tokens, features]; a batch that throws is not counted.
    mutating func observe(_ x: Tensor, name: String) throws(QuantError)
    /// The chosen range, or nil before any value was seen.
    func range() -> QuantRange?
}

extension ActivationObserver {
    /// A static per-tensor activation quantizer for the observed range (nil before any value).
    public func quantizer(bits: BitWidth, mapping: Mapping, name: String = "activation") throws(QuantError) -> ActivationQuantizer? {
        guard let r = range() else { return nil }
        return try ActivationQuantizer.staticPerTensor(range: r, bits: bits, mapping: mapping, name: name)
    }
}

/// Exact [min, max] of all values seen (fast path, checks finiteness). nil for an empty x.
func observedRange(_ x: Tensor, name: String) throws(QuantError) -> QuantRange? {
    guard x.count > 0 else { return nil }
    let cols = x.shape.dims.last ?? 1
    let layout = try GroupLayout(rows: x.count / cols, cols: cols, granularity: .perTensor, tensor: name)
    return try QuantKernels.groupRanges(x.pointer, layout: layout, tensor: name).first
}

/// Range = [min, max] of everything seen (no clipping).
public struct MinMaxObserver: ActivationObserver {
    public private(set) var observed: QuantRange?

    public init() {}

    public mutating func observe(_ x: Tensor, name: String) throws(QuantError) {
        guard let r = try observedRange(x, name: name) else { return }
        observed = observed.map { $0.union(r) } ?? r
    }

    public func range() -> QuantRange? { observed }
}

/// Range = [percentile(100 − p), percentile(p)] of the values seen, e.g. p = 99.99, taken
/// from a deterministic `ActivationSample` (exact while fewer than `capacity` values were
/// seen), with linear interpolation between order statistics.
public struct PercentileObserver: ActivationObserver {
    public let percentile: Double
    public private(set) var sample: ActivationSample

    /// - Parameter percentile: in 50...100 (100 is min-max of the sample).
    public init(percentile: Double = 99.99, capacity: Int = 1 << 21) {
        precondition((50...100).contains(percentile), "PercentileObserver: percentile \(percentile) not in 50...100")
        self.percentile = percentile
        self.sample = ActivationSample(capacity: capacity)
    }

    public mutating func observe(_ x: Tensor, name: String) throws(QuantError) {
        guard try observedRange(x, name: name) != nil else { return } // validates x
        x.withUnsafeBufferPointer { sample.add($0) }
    }

    public func range() -> QuantRange? {
        guard let lo = sample.quantile(1 - percentile / 100), let hi = sample.quantile(percentile / 100) else { return nil }
        return QuantRange(lower: lo, upper: hi)
    }
}
