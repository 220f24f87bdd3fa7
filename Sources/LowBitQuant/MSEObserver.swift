import LowBitCore

/// Range = the clipping of [min, max] that minimizes the quantization MSE of the values
/// seen: candidates are [min, max] · k / `candidates` for k = candidates, …, 1; each one is
/// scored by Σ (x − x̂)² over the deterministic `ActivationSample` (exact while fewer than
/// `capacity` values were seen), quantizing with `bits` and `mapping` per tensor. Ties go to
/// the wider range. Scores are summed in Double in sample order, so the choice is the same on
/// every run and thread count.
public struct MSEObserver: ActivationObserver {
    public let bits: BitWidth
    public let mapping: Mapping
    public let candidates: Int
    /// Exact [min, max] of everything seen.
    public private(set) var observed: QuantRange?
    public private(set) var sample: ActivationSample

    public init(bits: BitWidth, mapping: Mapping = .symmetric, candidates: Int = 100, capacity: Int = 1 << 21) {
        precondition(candidates >= 1, "MSEObserver: candidates must be >= 1")
        self.bits = bits
        self.mapping = mapping
        self.candidates = candidates
        self.sample = ActivationSample(capacity: capacity)
    }

    public mutating func observe(_ x: Tensor, name: String) throws(QuantError) {
        guard let r = try observedRange(x, name: name) else { return }
        observed = observed.map { $0.union(r) } ?? r
        x.withUnsafeBufferPointer { sample.add($0) }
    }

    public func range() -> QuantRange? {
        guard let full = observed else { return nil }
        let errors = clippingErrors(full)
        var best = 0
        for k in errors.indices where errors[k] < errors[best] { best = k }
        return full.scaled(by: ratio(best))
    }

    /// Clip ratio of candidate k (0 is the full range).
    func ratio(_ k: Int) -> Float { Float(candidates - k) / Float(candidates) }

    /// Σ (x − x̂)² over the sample for each candidate ratio (k = 0: full range), +inf for a
    /// candidate whose parameters are unusable.
    public func clippingErrors(_ full: QuantRange) -> [Double] {
        var errors = [Double](repeating: .infinity, count: candidates)
        let codeRange = mapping.codeRange(bits)
        let lo = Float(codeRange.lowerBound), hi = Float(codeRange.upperBound)
        let values = sample.values
        errors.withUnsafeMutableBufferPointer { out in
            Parallel.forRanges(candidates) { ks in
                for k in ks {
                    guard let p = try? GroupParams(ranges: [full.scaled(by: ratio(k))], bits: bits, mapping: mapping)
                    else { continue }
                    let s = p.scales[0], z = p.zero(0), m = p.minimum(0)
                    var sum = 0.0
                    for v in values {
                        let q = QuantReference.code(v, scale: s, zero: z, minimum: m, lo: lo, hi: hi)
                        let d = Double(v) - Double(QuantReference.dequantize(code: q, scale: s, zero: z, minimum: m))
                        sum += d * d
                    }
                    out[k] = sum
                }
            }
        }
        return errors
    }
}
