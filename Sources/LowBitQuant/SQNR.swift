import LowBitCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Signal-to-quantization-noise ratio in dB: 10 · log10(Σ x² / Σ (x − y)²), summed in Double
/// in index order (x: reference, y: approximation, same count).
///
/// +inf when y equals x exactly (including two empty or all-zero arrays); −inf when the
/// reference is all zero but the approximation is not; NaN if either holds NaN.
/// Rough guide: each bit of a uniform quantizer is worth ~6 dB (INT8 weights: 40–50 dB).
public func sqnr(reference x: [Float], approximation y: [Float]) -> Double {
    precondition(x.count == y.count, "sqnr: \(x.count) reference vs \(y.count) approximation values")
    var signal = 0.0, noise = 0.0
    for i in x.indices {
        let a = Double(x[i]), d = a - Double(y[i])
        signal += a * a
        noise += d * d
    }
    if noise.isNaN || signal.isNaN { return .nan }
    if noise == 0 { return .infinity }
    return 10 * log10(signal / noise)
}

/// SQNR of two tensors with the same element count (see `sqnr(reference:approximation:)`).
public func sqnr(reference x: Tensor, approximation y: Tensor) -> Double {
    sqnr(reference: x.toArray(), approximation: y.toArray())
}
