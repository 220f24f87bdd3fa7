/// A recipe that cannot be used: which field was wrong and why, or which preset or file.
public enum RecipeError: Error, Equatable, CustomStringConvertible, Sendable {
    /// `field` (a JSON path such as `weights.bits` or `overrides[1].pattern`) holds `value`,
    /// which is not allowed: `reason`.
    case invalidField(field: String, value: String, reason: String)
    /// No preset has this name.
    case unknownPreset(name: String, known: [String])
    /// The file could not be read or is not a recipe.
    case unreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidField(field, value, reason): "recipe field \(field) = \(value): \(reason)"
        case let .unknownPreset(name, known): "no recipe preset named \(name) (presets: \(known.joined(separator: ", ")))"
        case let .unreadable(path, reason): "\(path): not a usable recipe: \(reason)"
        }
    }
}

/// An error of `quantize(model:recipe:calibration:progress:)`: what went wrong and at which site.
public enum QuantizationError: Error, CustomStringConvertible, Sendable {
    /// The recipe's method or static activations need calibration sequences and none were given.
    case calibrationRequired(reason: String)
    /// Calibration ran but a selected site saw no input (empty sequences).
    case noCalibrationData(site: String)
    /// The recipe does not fit a site (e.g. a group size that cannot divide inFeatures).
    case unsupported(site: String, reason: String)
    /// Quantizing a site failed (non-finite weights, bad ranges…).
    case site(String, underlying: String)

    public var description: String {
        switch self {
        case let .calibrationRequired(reason): "calibration data required: \(reason)"
        case let .noCalibrationData(site): "\(site): calibration produced no input rows"
        case let .unsupported(site, reason): "\(site): \(reason)"
        case let .site(site, underlying): "\(site): \(underlying)"
        }
    }
}
