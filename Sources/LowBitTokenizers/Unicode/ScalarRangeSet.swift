/// A set of Unicode scalar values stored as sorted, disjoint closed ranges.
///
/// Membership is a binary search over the range bounds, with a 128-bit bitmap for ASCII in front.
/// `containsByLinearScan` is the obvious reference the tests compare it with.
struct ScalarRangeSet: Sendable {
    /// Flattened `[lo0, hi0, lo1, hi1, ...]`, ascending, `lo ≤ hi`, ranges disjoint.
    let bounds: [UInt32]
    private let asciiLow: UInt64
    private let asciiHigh: UInt64

    /// `bounds` is `[lo0, hi0, lo1, hi1, ...]`: sorted, disjoint closed ranges.
    init(_ bounds: [UInt32]) {
        precondition(bounds.count % 2 == 0, "ScalarRangeSet needs pairs of bounds")
        for k in stride(from: 0, to: bounds.count, by: 2) {
            precondition(bounds[k] <= bounds[k + 1] && (k == 0 || bounds[k - 1] < bounds[k]),
                         "ScalarRangeSet bounds must be sorted, disjoint ranges")
        }
        self.bounds = bounds
        var low: UInt64 = 0, high: UInt64 = 0
        for k in stride(from: 0, to: bounds.count, by: 2) where bounds[k] < 128 {
            for v in bounds[k]...min(bounds[k + 1], 127) {
                if v < 64 { low |= 1 << UInt64(v) } else { high |= 1 << UInt64(v - 64) }
            }
        }
        asciiLow = low
        asciiHigh = high
    }

    var rangeCount: Int { bounds.count / 2 }

    @inline(__always)
    func contains(_ s: Unicode.Scalar) -> Bool { contains(s.value) }

    func contains(_ v: UInt32) -> Bool {
        if v < 64 { return asciiLow & (1 << UInt64(v)) != 0 }
        if v < 128 { return asciiHigh & (1 << UInt64(v - 64)) != 0 }
        // Find the first range whose upper bound is ≥ v; v is inside iff that range starts ≤ v.
        var lo = 0, hi = bounds.count / 2
        while lo < hi {
            let mid = (lo + hi) / 2
            if bounds[2 * mid + 1] < v { lo = mid + 1 } else { hi = mid }
        }
        return lo < bounds.count / 2 && bounds[2 * lo] <= v
    }

    /// Reference membership test: scan every range.
    func containsByLinearScan(_ v: UInt32) -> Bool {
        for k in stride(from: 0, to: bounds.count, by: 2) where bounds[k] <= v && v <= bounds[k + 1] { return true }
        return false
    }
}
