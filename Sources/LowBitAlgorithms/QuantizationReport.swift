import Foundation

/// What quantization did to one site.
public struct SiteReport: Codable, Sendable, Equatable {
    public var name: String
    /// `LinearRole` raw value.
    public var role: String
    public var weightBits: Int
    /// The weight scheme as used (group size fitted to the layer), e.g. `4-bit symmetric per-group(64)`.
    public var scheme: String
    /// The input quantizer: `none`, `dynamic int8 per-token`, `static int8 asymmetric [lo, hi]`.
    public var activation: String
    public var method: String
    public var inFeatures: Int
    /// Width of the stored weight (> inFeatures after an OCS split).
    public var expandedIn: Int
    public var outFeatures: Int
    /// SQNR (dB) of the effective weight against the float weight; nil when exact (+inf).
    public var weightSQNR: Double?
    /// SQNR (dB) of the quantized site's output against the float site's, both on the same
    /// float calibration inputs; nil without calibration (or when exact).
    public var outputSQNR: Double?
    public var seconds: Double
}

/// The result of `quantize(model:recipe:calibration:progress:)`: one entry per quantized site.
public struct QuantizationReport: Codable, Sendable, Equatable {
    public var recipe: Recipe
    /// In model order.
    public var sites: [SiteReport]
    /// Sites left in float (head by default, `keep_float` overrides).
    public var keptFloat: [String]
    public var calibrationSequences: Int
    public var calibrationSeconds: Double
    public var seconds: Double
    /// Set when the weights were first trained by LKD (`distill`): its settings and per-layer losses.
    public var distillation: DistillationReport? = nil

    /// Sites ordered worst first: by output SQNR where measured, else by weight SQNR (nil = exact, last).
    public func worstFirst() -> [SiteReport] {
        func key(_ s: SiteReport) -> Double { s.outputSQNR ?? s.weightSQNR ?? .infinity }
        return sites.enumerated().sorted { a, b in
            key(a.element) != key(b.element) ? key(a.element) < key(b.element) : a.offset < b.offset
        }.map(\.element)
    }

    /// A text table, worst site first.
    public func table() -> String {
        func db(_ v: Double?) -> String { v.map { String(format: "%.1f", $0) } ?? "-" }
        var rows = [["site", "role", "bits", "scheme", "activations", "in", "out", "w SQNR dB", "out SQNR dB", "s"]]
        for s in worstFirst() {
            rows.append([s.name, s.role, "\(s.weightBits)", s.scheme, s.activation,
                         s.expandedIn == s.inFeatures ? "\(s.inFeatures)" : "\(s.inFeatures)→\(s.expandedIn)",
                         "\(s.outFeatures)", db(s.weightSQNR), db(s.outputSQNR), String(format: "%.2f", s.seconds)])
        }
        let widths = rows[0].indices.map { c in rows.map { $0[c].count }.max()! }
        var text = "recipe \(recipe.name ?? "custom") (method \(recipe.method.name.rawValue)): \(sites.count) sites quantized"
        if !keptFloat.isEmpty { text += ", float: \(keptFloat.joined(separator: ", "))" }
        text += String(format: "; calibration %d sequences (%.1f s); total %.1f s\n", calibrationSequences, calibrationSeconds, seconds)
        for r in rows {
            text += zip(r, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces) + "\n"
        }
        return text
    }
}
