import Foundation
import LowBitCore
import LowBitModels
import LowBitQuant

/// Quantizes `model` in place: every site the recipe selects (a `FloatLinear`) is replaced by a
/// `QuantizedLinear` (simulated quantization). Sites are quantized independently, each from
/// its float weight and the float model's inputs to it (`CalibrationData`, captured in one
/// float pass before anything is replaced).
///
/// - Parameters:
///   - calibration: token sequences (from a *-train text, see `CalibrationText`), needed by
///     `lq`, activation-side `ocs`, static activations and `smoothing`; optional otherwise (then the
///     report has output SQNRs).
///   - weightParams: given weight scales and zero points per site name (LKD's learned scales,
///     `DistillationReport.learnedScales`): those sites' codes are rne(w/s) + z clamped under
///     exactly these parameters (`QuantReference.quantize`) instead of the method's ranges, so
///     the stored codes and scales are the grid the weights were trained on. Only with method
///     `rtn` and no smoothing; the count must fit the site's fitted scheme.
///   - progress: called with one line per site.
/// - Throws: `RecipeError` (invalid recipe), `QuantizationError` (no calibration where
///   needed, a site that is not float, weight parameters the recipe cannot take), `QuantError`
///   (non-finite weights, parameters that do not fit…), `ModelError`.
@discardableResult
public func quantize(model: any LayeredModel, recipe: Recipe, calibration: [[Int32]]?,
                     weightParams: [String: GroupParams] = [:],
                     progress: ((String) -> Void)? = nil) throws -> QuantizationReport {
    let started = Date()
    try recipe.validate()
    let method = recipe.method.makeMethod()
    if let name = weightParams.keys.sorted().first, recipe.method.name != .rtn || recipe.smoothing != nil {
        throw QuantizationError.unsupported(site: name, reason: "given weight parameters (LKD's learned scales) need method rtn without smoothing")
    }
    var planned: [(site: LinearSite, float: FloatLinear, scheme: QuantScheme, quantizeInput: Bool)] = []
    var keptFloat: [String] = []
    for site in model.linearSites() {
        guard let plan = try recipe.plan(for: site) else { keptFloat.append(site.name); continue }
        guard let f = site.floatLinear else {
            throw QuantizationError.unsupported(site: site.name, reason: "is \(type(of: site.op)), not a float linear layer (already quantized?)")
        }
        planned.append((site, f, try fitted(plan.scheme, out: f.outFeatures, in: f.inFeatures), plan.quantizeInput))
    }
    if let stray = Set(weightParams.keys).subtracting(planned.map(\.site.name)).sorted().first {
        throw QuantizationError.unsupported(site: stray, reason: "has given weight parameters but the recipe does not quantize it")
    }
    let staticInputs = recipe.activations.mode == .staticPerTensor && planned.contains { $0.quantizeInput }
    let sequences = (calibration ?? []).filter { !$0.isEmpty }
    if sequences.isEmpty {
        if method.requiresCalibration {
            throw QuantizationError.calibrationRequired(reason: "method \(method.name)\(method.name == "ocs" ? " (activation-side split)" : "") needs calibration sequences")
        }
        if recipe.smoothing != nil {
            throw QuantizationError.calibrationRequired(reason: "smoothing (SmoothQuant) needs calibration sequences for the activation ranges")
        }
        if staticInputs {
            throw QuantizationError.calibrationRequired(reason: "static per-tensor activations need calibration sequences to observe ranges")
        }
    }
    let calStart = Date()
    let data = sequences.isEmpty ? nil : try CalibrationData.capture(
        model: model, sequences: sequences, sites: Set(planned.map(\.site.name)), includeHead: planned.contains { $0.site.role == .head })
    let calSeconds = sequences.isEmpty ? 0 : Date().timeIntervalSince(calStart)

    var reports: [SiteReport] = []
    for (i, p) in planned.enumerated() {
        let t0 = Date(), name = p.site.name
        let x = data?.inputs[name]
        if data != nil, x == nil { throw QuantizationError.noCalibrationData(site: name) }
        // SmoothQuant: the method sees W·diag(s) and x·diag(1/s); the op gets 1/s as input scales.
        var smooth: [Float]? = nil
        if let sm = recipe.smoothing, Recipe.Smoothing.roles.contains(p.site.role), let x {
            smooth = SmoothQuant.scales(x: x, weight: p.float.weight, alpha: sm.alpha)
        }
        let weight = smooth.map { SmoothQuant.scaledWeight(p.float.weight, by: $0) } ?? p.float.weight
        let xs = smooth.flatMap { s in x.map { SmoothQuant.scaledInput($0, by: s) } } ?? x
        let input = SiteInput(name: name, role: p.site.role, weight: weight, scheme: p.scheme, calibration: xs)
        var result = try weightParams[name].map { params throws in
            WeightResult(weight: try QuantizedWeight(quantizing: weight, scheme: p.scheme, params: params, name: name + ".weight"))
        } ?? method.quantizeWeight(input)
        let act = try activationQuantizer(recipe: recipe, method: method, quantizeInput: p.quantizeInput, result: result, x: xs, name: name)
        if let smooth {
            result.inputScales = SmoothQuant.inputScales(smoothing: smooth, channels: result.inputChannels, scales: result.inputScales)
        }
        let op = try QuantizedLinear(weight: result.weight, bias: p.float.bias, input: act, inFeatures: p.float.inFeatures,
                                     inputChannels: result.inputChannels, inputScales: result.inputScales, name: name)
        let wSQNR = sqnr(reference: p.float.weight, approximation: result.effectiveWeight(inFeatures: p.float.inFeatures))
        let oSQNR = x.map { sqnr(reference: p.float.forward($0), approximation: op.forward($0)) }
        try model.replaceLinear(named: name, with: op)
        let r = SiteReport(name: name, role: p.site.role.rawValue, weightBits: p.scheme.bits.value, scheme: p.scheme.description,
                           activation: describe(act) + (smooth != nil ? ", smoothed α=\(recipe.smoothing!.alpha)" : ""), method: method.name, inFeatures: p.float.inFeatures,
                           expandedIn: result.weight.inFeatures, outFeatures: p.float.outFeatures,
                           weightSQNR: finite(wSQNR), outputSQNR: oSQNR.flatMap(finite), seconds: Date().timeIntervalSince(t0))
        reports.append(r)
        progress?(String(format: "[%d/%d] %@: %@, w SQNR %@ dB%@", i + 1, planned.count, name, r.scheme,
                         r.weightSQNR.map { String(format: "%.1f", $0) } ?? "inf",
                         r.outputSQNR.map { String(format: ", out SQNR %.1f dB", $0) } ?? ""))
    }
    return QuantizationReport(recipe: recipe, sites: reports, keptFloat: keptFloat, calibrationSequences: sequences.count,
                              calibrationSeconds: calSeconds, seconds: Date().timeIntervalSince(started))
}

/// The scheme with its group size fitted to a [out, in] layer: a per-group size that does not
/// divide inFeatures becomes gcd(size, inFeatures); likewise row groups and outFeatures.
public func fitted(_ scheme: QuantScheme, out: Int, in inFeatures: Int) throws -> QuantScheme {
    func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
    var s = scheme
    switch scheme.granularity {
    case let .perGroup(g) where inFeatures % g != 0: s.granularity = .perGroup(size: gcd(g, inFeatures))
    case let .perRowGroup(r) where out % r != 0: s.granularity = .perRowGroup(rows: gcd(r, out))
    default: break
    }
    return s
}

/// The input quantizer of a site: none, dynamic per-token, or static per-tensor over the
/// (widened) calibration input, its range from the method (ACIQ) or the recipe's observer.
func activationQuantizer(recipe: Recipe, method: any QuantizationMethod, quantizeInput: Bool, result: WeightResult,
                         x: Tensor?, name: String) throws -> ActivationQuantizer {
    guard quantizeInput else { return .none }
    let a = recipe.activations
    switch a.mode {
    case .none: return .none
    case .dynamicPerToken:
        let bits = try BitWidth(a.bits)
        return a.mapping == .asymmetric ? .dynamicPerTokenAsymmetric(bits: bits) : .dynamicPerToken(bits: bits)
    case .staticPerTensor:
        guard let x else { throw QuantizationError.noCalibrationData(site: name) }
        let bits = try BitWidth(a.bits)
        let wide = result.inputChannels.map { OCS.expandInput(x, channels: $0, scales: result.inputScales) } ?? x
        var range = method.activationRange(wide, bits: bits, mapping: a.mapping)
        if range == nil {
            var observer: any ActivationObserver
            switch a.observer {
            case .minmax: observer = MinMaxObserver()
            case .percentile: observer = PercentileObserver(percentile: a.percentile)
            case .mse: observer = MSEObserver(bits: bits, mapping: a.mapping)
            }
            try observer.observe(wide, name: name + ".input")
            range = observer.range()
        }
        guard let range else { throw QuantizationError.noCalibrationData(site: name) }
        return try ActivationQuantizer.staticPerTensor(range: range, bits: bits, mapping: a.mapping, name: name + ".input")
    }
}

func describe(_ a: ActivationQuantizer) -> String {
    switch a {
    case .none: "none"
    case let .dynamicPerToken(bits): "dynamic int\(bits.value) per-token"
    case let .dynamicPerTokenAsymmetric(bits): "dynamic int\(bits.value) per-token asym"
    case let .staticPerTensor(bits, mapping, scale, zero): "static int\(bits.value) \(mapping.rawValue) s=\(scale) z=\(zero)"
    }
}

func finite(_ v: Double) -> Double? { v.isFinite ? v : nil }

extension QuantizedWeight {
    /// w: [out, in] quantized under given parameters (e.g. trained scales): codes from
    /// `QuantReference.quantize`, the same formula the fast kernels and the fake quantization of
    /// training use, so `dequantized()` equals the fake-quantized weight bit for bit.
    init(quantizing w: Tensor, scheme: QuantScheme, params: GroupParams, name: String) throws(QuantError) {
        let layout = try GroupLayout(rows: w.shape[0], cols: w.shape[1], granularity: scheme.granularity, tensor: name)
        let (codes, _) = try QuantReference.quantize(w.toArray(), layout: layout, codeRange: scheme.codeRange, params: params,
                                                     tensor: name)
        try self.init(outFeatures: layout.rows, inFeatures: layout.cols, scheme: scheme, values: codes, params: params, name: name)
    }
}
