import LowBitCore
import LowBitQuant

/// Round to nearest with min-max ranges: each weight group is quantized over its exact
/// [min, max] (no clipping). Needs no calibration unless the recipe's activations are static.
public struct RTN: QuantizationMethod {
    public init() {}
    public var name: String { "rtn" }
    public var requiresCalibration: Bool { false }

    public func quantizeWeight(_ site: SiteInput) throws -> WeightResult {
        WeightResult(weight: try QuantizedWeight(quantizing: site.weight, scheme: site.scheme, name: site.name + ".weight"))
    }
}

/// Linear quantization, the PTQ baseline: min-max weights (as `RTN`) and static per-tensor
/// activations whose range the recipe's observer (min-max, percentile or MSE) picks from
/// calibration data. Always needs calibration.
public struct LinearQuantization: QuantizationMethod {
    public init() {}
    public var name: String { "lq" }
    public var requiresCalibration: Bool { true }

    public func quantizeWeight(_ site: SiteInput) throws -> WeightResult { try RTN().quantizeWeight(site) }
}
