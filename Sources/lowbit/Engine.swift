import ArgumentParser
import Foundation
import LowBitModels

/// How a quantized model directory runs: `simulated` (quantize → dequantize, FP32 GEMMs; the
/// reference the studies use) or `integer` (integer kernels where the site's scheme has one:
/// 8- or 4-bit weights, per-channel or group-wise, with symmetric per-token INT8 inputs —
/// w8a8, w4a8, w4/8a8; other sites stay simulated and agree with them bit for bit anyway).
enum Engine: String, ExpressibleByArgument, CaseIterable, Sendable {
    case simulated, integer

    /// Applies the engine to a freshly loaded quantized model, telling stderr what ran where.
    func apply(to model: any LayeredModel, path: String) throws {
        guard self == .integer else { return }
        let quantized = model.linearSites().filter { $0.op is QuantizedLinear }.count
        let switched = try model.useIntegerKernels()
        FileHandle.standardError.write(Data("\(path): integer engine: \(switched.count)/\(quantized) quantized sites\n".utf8))
    }
}
