/// A deterministic, bounded subsample of every value an observer has seen.
///
/// Values are numbered 0, 1, 2, … in the order they arrive (row-major within a batch,
/// batches one after another). The sample holds exactly the values whose number is a
/// multiple of `stride`, in order. `stride` starts at 1 and doubles whenever the sample would
/// exceed `capacity` (the sample then keeps every other value, which is again exactly the
/// multiples of the new stride). So the sample depends only on the sequence of values — not
/// on how it was split into batches, nor on threads — and is the full data while fewer than
/// `capacity` values have been seen.
public struct ActivationSample: Sendable, Hashable {
    public let capacity: Int
    public private(set) var values: [Float] = []
    public private(set) var stride = 1
    /// Number of values seen so far.
    public private(set) var seen = 0

    public init(capacity: Int = 1 << 21) {
        precondition(capacity >= 2, "ActivationSample: capacity must be >= 2")
        self.capacity = capacity
    }

    /// Adds a batch of values (already checked finite by the caller).
    public mutating func add(_ x: UnsafeBufferPointer<Float>) {
        // First index in this batch whose global number is a multiple of stride.
        var i = (stride - seen % stride) % stride
        while i < x.count {
            if values.count == capacity {
                values = Swift.stride(from: 0, to: values.count, by: 2).map { values[$0] }
                stride *= 2
                // The next kept number is the next multiple of the doubled stride.
                let next = seen + i
                if next % stride != 0 { i += stride / 2; continue }
            }
            values.append(x[i])
            i += stride
        }
        seen += x.count
    }

    /// The q-quantile (0...1) of the sample with linear interpolation between order
    /// statistics (numpy's default): sorted v, h = q·(n−1), v[⌊h⌋] + (h−⌊h⌋)·(v[⌊h⌋+1] − v[⌊h⌋]).
    /// nil when empty.
    public func quantile(_ q: Double) -> Float? {
        guard !values.isEmpty else { return nil }
        let v = values.sorted()
        let h = min(max(q, 0), 1) * Double(v.count - 1)
        let lo = Int(h.rounded(.down)), hi = min(lo + 1, v.count - 1)
        return Float(Double(v[lo]) + (h - Double(lo)) * (Double(v[hi]) - Double(v[lo])))
    }
}
