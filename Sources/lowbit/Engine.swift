import ArgumentParser
import Foundation
import LowBitModels

/// How a quantized model directory runs: `simulated` (quantize → dequantize, FP32 GEMMs; the
/// reference the studies use) or `integer` (INT8 kernels where the site's scheme has one:
/// W8A8 per-channel / per-token symmetric; other sites stay simulated).
enum Engine: String, ExpressibleByArgument, CaseIterable, Sendable {
    case simulated, integer

    /// Applies the engine to a freshly loaded quantized model, telling stderr what ran where.
    func apply(to model: any LayeredModel, path: String) throws {
        guard self == .integer else { return }
        let switched = try model.useIntegerKernels()
        let total = model.linearSites().count
        FileHandle.standardError.write(Data("\(path): integer kernels on \(switched.count) of \(total) linear sites\n".utf8))
    }
}
