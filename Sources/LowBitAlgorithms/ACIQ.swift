import Foundation
import LowBitCore
import LowBitQuant

/// ACIQ, analytical clipping for integer quantization (Banner, Nahshan, Soudry, "Post training
/// 4-bit quantization of convolutional networks for rapid-deployment", NeurIPS 2019).
///
/// Each weight group (and, for static activations, each activation tensor) is modelled as
/// Laplace(μ, b) with b = mean|x − μ|, or Gaussian(μ, σ). The clip α minimizes the expected
/// MSE of a uniform quantizer with 2^M bins over [μ − α, μ + α] (paper, eq. 5 and its Gaussian
/// counterpart):
///
///     Laplace:  E(α) ≈ 2b²·e^(−α/b) + α² / (3·4^M)
///     Gaussian: E(α) ≈ (α² + σ²)·(1 − erf(α/(√2σ))) − √(2/π)·α·σ·e^(−α²/2σ²) + α² / (3·4^M)
///
/// α* is taken from the paper's table (`laplaceMultipliers`, `gaussianMultipliers`);
/// `optimalMultiplier(bits:distribution:)` solves the same equations numerically (a test
/// checks the table against it). The range is [μ − α, μ + α] cut to the observed [min, max].
public struct ACIQ: QuantizationMethod {
    public let distribution: Recipe.Distribution
    public init(distribution: Recipe.Distribution = .laplace) { self.distribution = distribution }
    public var name: String { "aciq" }
    public var requiresCalibration: Bool { false }

    /// α*/b for Laplace, bits 2…8 (Banner et al.).
    public static let laplaceMultipliers: [Int: Double] = [2: 2.83, 3: 3.89, 4: 5.03, 5: 6.2, 6: 7.41, 7: 8.64, 8: 9.89]
    /// α*/σ for Gaussian, bits 2…8 (Banner et al.).
    public static let gaussianMultipliers: [Int: Double] = [2: 1.71, 3: 2.15, 4: 2.55, 5: 2.94, 6: 3.29, 7: 3.61, 8: 3.92]

    /// The table's α*/scale for `bits`.
    public static func multiplier(bits: BitWidth, distribution: Recipe.Distribution) -> Double {
        (distribution == .laplace ? laplaceMultipliers : gaussianMultipliers)[bits.value]!
    }

    /// Expected MSE for unit scale (b = 1 or σ = 1) at clip `alpha` with 2^bits bins.
    public static func expectedMSE(alpha a: Double, bits: Int, distribution: Recipe.Distribution) -> Double {
        let noise = a * a / (3 * pow(4, Double(bits)))
        switch distribution {
        case .laplace: return 2 * exp(-a) + noise
        case .gaussian:
            return (a * a + 1) * (1 - erf(a / 2.0.squareRoot())) - (2 / Double.pi).squareRoot() * a * exp(-a * a / 2) + noise
        }
    }

    /// α*/scale minimizing `expectedMSE` (golden-section search on [0.1, 30]).
    public static func optimalMultiplier(bits: Int, distribution: Recipe.Distribution) -> Double {
        var lo = 0.1, hi = 30.0
        let g = (5.0.squareRoot() - 1) / 2
        for _ in 0..<200 {
            let a = hi - g * (hi - lo), b = lo + g * (hi - lo)
            if expectedMSE(alpha: a, bits: bits, distribution: distribution) < expectedMSE(alpha: b, bits: bits, distribution: distribution) {
                hi = b
            } else { lo = a }
        }
        return (lo + hi) / 2
    }

    /// The ACIQ clipping range of `values` at `bits`: [μ − α, μ + α] ∩ [min, max].
    public static func clipRange(_ values: UnsafeBufferPointer<Float>, bits: BitWidth,
                                 distribution: Recipe.Distribution) -> QuantRange {
        guard !values.isEmpty else { return QuantRange(lower: 0, upper: 0) }
        var sum = 0.0, lo = Float.infinity, hi = -Float.infinity
        for v in values { sum += Double(v); lo = min(lo, v); hi = max(hi, v) }
        let mu = sum / Double(values.count)
        var spread = 0.0
        switch distribution {
        case .laplace:
            for v in values { spread += abs(Double(v) - mu) }
            spread /= Double(values.count)
        case .gaussian:
            for v in values { let d = Double(v) - mu; spread += d * d }
            spread = (spread / Double(values.count)).squareRoot()
        }
        let alpha = multiplier(bits: bits, distribution: distribution) * spread
        return QuantRange(lower: max(lo, Float(mu - alpha)), upper: min(hi, Float(mu + alpha)))
    }

    /// One ACIQ range per group of w under `scheme`.
    public func ranges(_ w: Tensor, scheme: QuantScheme, name: String) throws(QuantError) -> [QuantRange] {
        let layout = try GroupLayout(rows: w.shape[0], cols: w.shape[1], granularity: scheme.granularity, tensor: name)
        var ranges = [QuantRange](repeating: QuantRange(lower: 0, upper: 0), count: layout.count)
        forEachGroup(w, layout) { g, values in
            ranges[g] = values.withUnsafeBufferPointer { Self.clipRange($0, bits: scheme.bits, distribution: distribution) }
        }
        return ranges
    }

    public func quantizeWeight(_ site: SiteInput) throws -> WeightResult {
        let name = site.name + ".weight"
        // Validates finiteness first (min-max pass), so a NaN is reported by name, not clipped.
        _ = try MinMaxEstimator().ranges(site.weight, layout: GroupLayout(rows: site.outFeatures, cols: site.inFeatures,
                                                                           granularity: site.scheme.granularity, tensor: name), name: name)
        let r = try ranges(site.weight, scheme: site.scheme, name: name)
        return WeightResult(weight: try QuantizedWeight(quantizing: site.weight, scheme: site.scheme, ranges: r, name: name))
    }

    public func activationRange(_ x: Tensor, bits: BitWidth, mapping: Mapping) -> QuantRange? {
        x.withUnsafeBufferPointer { Self.clipRange($0, bits: bits, distribution: distribution) }
    }
}
