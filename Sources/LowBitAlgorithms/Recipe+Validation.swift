import LowBitModels
import LowBitQuant

extension Recipe {
    /// Parses a granularity string: `per_tensor`, `per_channel`, `per_group:G`, `per_row_group:R`.
    /// Throws `RecipeError.invalidField` naming `field`.
    public static func parseGranularity(_ text: String, field: String) throws(RecipeError) -> Granularity {
        switch text {
        case "per_tensor": return .perTensor
        case "per_channel": return .perChannel
        default:
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            let allowed = "per_tensor, per_channel, per_group:G or per_row_group:R"
            guard parts.count == 2 else { throw .invalidField(field: field, value: text, reason: "expected \(allowed)") }
            guard let n = Int(parts[1]), n > 0 else {
                throw .invalidField(field: field, value: text, reason: "the size must be a positive integer")
            }
            switch parts[0] {
            case "per_group": return .perGroup(size: n)
            case "per_row_group": return .perRowGroup(rows: n)
            default: throw .invalidField(field: field, value: text, reason: "expected \(allowed)")
            }
        }
    }

    /// The recipe string of a granularity (inverse of `parseGranularity`).
    public static func granularityString(_ g: Granularity) -> String {
        switch g {
        case .perTensor: "per_tensor"
        case .perChannel: "per_channel"
        case let .perGroup(n): "per_group:\(n)"
        case let .perRowGroup(r): "per_row_group:\(r)"
        }
    }

    static func bitWidth(_ bits: Int, field: String) throws(RecipeError) -> BitWidth {
        do { return try BitWidth(bits) } catch {
            throw .invalidField(field: field, value: "\(bits)", reason: "bit widths are 2…8")
        }
    }

    /// Checks every field; throws `RecipeError.invalidField` naming the first bad one.
    public func validate() throws(RecipeError) {
        _ = try Self.bitWidth(weights.bits, field: "weights.bits")
        _ = try Self.parseGranularity(weights.granularity, field: "weights.granularity")
        if activations.mode != .none, activations.mapping == .affine {
            throw .invalidField(field: "activations.mapping", value: "affine",
                                reason: "activations are symmetric or asymmetric; affine (a float minimum per group) is a weight mapping")
        }
        switch activations.mode {
        case .none: break
        case .dynamicPerToken:
            guard activations.bits == 8 || activations.bits == 4 else {
                throw .invalidField(field: "activations.bits", value: "\(activations.bits)",
                                    reason: "dynamic per-token activations are 8 or 4 bits")
            }
        case .staticPerTensor:
            _ = try Self.bitWidth(activations.bits, field: "activations.bits")
            if activations.observer == .percentile, !(50...100).contains(activations.percentile) {
                throw .invalidField(field: "activations.percentile", value: "\(activations.percentile)", reason: "must be in 50…100")
            }
        }
        if let sm = smoothing, !(0...1).contains(sm.alpha) {
            throw .invalidField(field: "smoothing.alpha", value: "\(sm.alpha)", reason: "must be in 0…1")
        }
        switch method.name {
        case .lq:
            guard activations.mode != .dynamicPerToken else {
                throw .invalidField(field: "method.name", value: "lq",
                                    reason: "LQ calibrates static activations; use activations.mode static_per_tensor or none (or method rtn)")
            }
        case .ocs:
            guard method.expandRatio > 0, method.expandRatio <= 1 else {
                throw .invalidField(field: "method.expand_ratio", value: "\(method.expandRatio)", reason: "must be in (0, 1]")
            }
        case .rtn, .aciq: break
        }
        for (i, o) in overrides.enumerated() {
            let f = "overrides[\(i)]"
            guard o.pattern != nil || o.role != nil else {
                throw .invalidField(field: f, value: "{}", reason: "an override needs a pattern or a role")
            }
            if let p = o.pattern, p.isEmpty { throw .invalidField(field: f + ".pattern", value: "\"\"", reason: "empty pattern") }
            if let b = o.bits { _ = try Self.bitWidth(b, field: f + ".bits") }
            if let g = o.granularity { _ = try Self.parseGranularity(g, field: f + ".granularity") }
            guard o.keepFloat != nil || o.bits != nil || o.granularity != nil || o.mapping != nil else {
                throw .invalidField(field: f, value: o.pattern ?? o.role!.rawValue, reason: "the override changes nothing")
            }
        }
    }

    // MARK: - Per site

    /// What the recipe asks for at one site: nil to keep it float, else its weight scheme
    /// (group size not yet fitted to the layer) and activation quantization on/off.
    public func plan(for site: LinearSite) throws(RecipeError) -> (scheme: QuantScheme, quantizeInput: Bool)? {
        if site.role == .head, !quantizeHead { return nil }
        var bits = weights.bits, granularity = weights.granularity, mapping = weights.mapping
        for o in overrides where Self.matches(o, site) {
            if o.keepFloat == true { return nil }
            if o.keepFloat == false { /* explicit: quantize */ }
            bits = o.bits ?? bits
            granularity = o.granularity ?? granularity
            mapping = o.mapping ?? mapping
        }
        let scheme = QuantScheme(bits: try Self.bitWidth(bits, field: "bits for \(site.name)"), mapping: mapping,
                                 granularity: try Self.parseGranularity(granularity, field: "granularity for \(site.name)"))
        return (scheme, activations.mode != .none && activationSites[site.role])
    }

    static func matches(_ o: Override, _ site: LinearSite) -> Bool {
        if let role = o.role, role != site.role { return false }
        if let p = o.pattern, !glob(p, matches: site.name) { return false }
        return true
    }

    /// Glob match: `*` any run of characters (dots included), `?` one character, else literal.
    public static func glob(_ pattern: String, matches text: String) -> Bool {
        let p = Array(pattern), t = Array(text)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == "?" || p[pi] == t[ti] { pi += 1; ti += 1 }
            else if pi < p.count, p[pi] == "*" { star = pi; mark = ti; pi += 1 }
            else if star >= 0 { pi = star + 1; mark += 1; ti = mark }
            else { return false }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}
