import Foundation
import LowBitModels
import LowBitQuant

/// What to quantize and how: a plain `Codable` value, read from JSON (snake_case keys) or
/// taken from a preset (`Recipe.preset("w8a8")`). See README.md for the JSON format.
///
/// Fields that a JSON file leaves out take the defaults below; `validate()` checks every
/// field and throws `RecipeError.invalidField` naming the first bad one.
public struct Recipe: Codable, Sendable, Equatable {
    /// The weight format: bits, mapping, granularity.
    public struct Weights: Codable, Sendable, Equatable {
        public var bits: Int
        public var mapping: Mapping
        /// `per_tensor`, `per_channel` (one scale per output row), `per_group:G` (G columns
        /// along inFeatures) or `per_row_group:R` (R output rows, ZeroQuant's row groups).
        public var granularity: String
        public init(bits: Int, mapping: Mapping = .symmetric, granularity: String) {
            self.bits = bits
            self.mapping = mapping
            self.granularity = granularity
        }
        enum CodingKeys: String, CodingKey { case bits, mapping, granularity }
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.init(bits: try c.decode(Int.self, forKey: .bits),
                      mapping: try c.decodeIfPresent(Mapping.self, forKey: .mapping) ?? .symmetric,
                      granularity: try c.decode(String.self, forKey: .granularity))
        }
    }

    public enum ActivationMode: String, Codable, Sendable, CaseIterable {
        case none
        case dynamicPerToken = "dynamic_per_token"
        case staticPerTensor = "static_per_tensor"
    }

    public enum ObserverKind: String, Codable, Sendable, CaseIterable {
        case minmax, percentile, mse
    }

    /// How the inputs of the linear layers are quantized.
    public struct Activations: Codable, Sendable, Equatable {
        public var mode: ActivationMode
        /// 8 or 4 for dynamic per-token; 2…8 for static.
        public var bits: Int
        /// Static only: the range observer.
        public var observer: ObserverKind
        /// Static per-tensor: default asymmetric. Dynamic per-token: default symmetric (ZeroQuant's
        /// s = max|x|/127 per token); asymmetric gives each token its own [min, max] range.
        public var mapping: Mapping
        /// Percentile observer: the upper percentile (e.g. 99.99).
        public var percentile: Double
        /// `mapping` nil takes the mode's default (symmetric for dynamic per-token, else asymmetric).
        public init(mode: ActivationMode, bits: Int = 8, observer: ObserverKind = .minmax,
                    mapping: Mapping? = nil, percentile: Double = 99.99) {
            self.mode = mode
            self.bits = bits
            self.observer = observer
            self.mapping = mapping ?? (mode == .dynamicPerToken ? .symmetric : .asymmetric)
            self.percentile = percentile
        }
        enum CodingKeys: String, CodingKey { case mode, bits, observer, mapping, percentile }
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.init(mode: try c.decode(ActivationMode.self, forKey: .mode),
                      bits: try c.decodeIfPresent(Int.self, forKey: .bits) ?? 8,
                      observer: try c.decodeIfPresent(ObserverKind.self, forKey: .observer) ?? .minmax,
                      mapping: try c.decodeIfPresent(Mapping.self, forKey: .mapping),
                      percentile: try c.decodeIfPresent(Double.self, forKey: .percentile) ?? 99.99)
        }
    }

    public enum MethodName: String, Codable, Sendable, CaseIterable {
        /// Round to nearest with min-max ranges.
        case rtn
        /// Linear quantization with static activation calibration (the PTQ baseline).
        case lq
        /// Analytical clipping (Banner et al.).
        case aciq
        /// Outlier channel splitting (Zhao et al.).
        case ocs
    }

    public enum Distribution: String, Codable, Sendable, CaseIterable { case laplace, gaussian }
    public enum SplitSide: String, Codable, Sendable, CaseIterable { case weight, activation }

    /// The algorithm that picks ranges (and, for OCS, reshapes the layer).
    public struct Method: Codable, Sendable, Equatable {
        public var name: MethodName
        /// OCS: extra input columns as a fraction of inFeatures (0 < r ≤ 1).
        public var expandRatio: Double
        /// OCS: split weight outliers (default) or activation outliers.
        public var split: SplitSide
        /// ACIQ: the distribution fitted to weights and activations.
        public var distribution: Distribution
        public init(_ name: MethodName, expandRatio: Double = 0.05, split: SplitSide = .weight,
                    distribution: Distribution = .laplace) {
            self.name = name
            self.expandRatio = expandRatio
            self.split = split
            self.distribution = distribution
        }
        enum CodingKeys: String, CodingKey {
            case name, expandRatio = "expand_ratio", split, distribution
        }
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.init(try c.decode(MethodName.self, forKey: .name),
                      expandRatio: try c.decodeIfPresent(Double.self, forKey: .expandRatio) ?? 0.05,
                      split: try c.decodeIfPresent(SplitSide.self, forKey: .split) ?? .weight,
                      distribution: try c.decodeIfPresent(Distribution.self, forKey: .distribution) ?? .laplace)
        }
    }

    /// Which GEMM inputs get the activation quantizer (the INT4 study's q1…q4, and the head).
    public struct ActivationSites: Codable, Sendable, Equatable {
        public var qkv = true, attnOut = true, mlpIn = true, mlpOut = true, head = true
        public init() {}
        enum CodingKeys: String, CodingKey { case qkv, attnOut = "attn_out", mlpIn = "mlp_in", mlpOut = "mlp_out", head }
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            qkv = try c.decodeIfPresent(Bool.self, forKey: .qkv) ?? true
            attnOut = try c.decodeIfPresent(Bool.self, forKey: .attnOut) ?? true
            mlpIn = try c.decodeIfPresent(Bool.self, forKey: .mlpIn) ?? true
            mlpOut = try c.decodeIfPresent(Bool.self, forKey: .mlpOut) ?? true
            head = try c.decodeIfPresent(Bool.self, forKey: .head) ?? true
        }
        public subscript(role: LinearRole) -> Bool {
            switch role {
            case .qkv: qkv
            case .attentionOutput: attnOut
            case .mlpIn: mlpIn
            case .mlpOut: mlpOut
            case .head: head
            }
        }
    }

    /// SmoothQuant (Xiao et al. 2023): per input channel j of a site whose input is a norm
    /// output (`qkv`, `mlp_in`), s_j = max|X_j|^α / max|W_j|^(1−α) from calibration inputs X and
    /// the float weight W; the site then quantizes W·diag(s) and sees x·diag(1/s), which moves
    /// the activation outliers into the weights. Needs calibration.
    ///
    /// Simulated mode applies 1/s as `QuantizedLinear.inputScales`. An integer engine folds it
    /// into the norm in front: gamma/s and beta/s for a pre-norm block (GPT-2, Llama) where the
    /// norm output only feeds the GEMM; for post-LN BERT, whose normed hidden state is also the
    /// residual, the fused LayerNorm→quantize kernel applies gamma/s, beta/s to the quantized
    /// GEMM input only (the float residual keeps gamma, beta).
    public struct Smoothing: Codable, Sendable, Equatable {
        /// Migration strength in [0, 1]: 0 leaves activations as they are, 1 moves all of
        /// their range into the weights. The paper's default is 0.5.
        public var alpha: Double
        public init(alpha: Double = 0.5) { self.alpha = alpha }
        enum CodingKeys: String, CodingKey { case alpha }
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.init(alpha: try c.decodeIfPresent(Double.self, forKey: .alpha) ?? 0.5)
        }
        /// The roles smoothing applies to: the GEMMs whose input is a norm output.
        public static let roles: Set<LinearRole> = [.qkv, .mlpIn]
    }

    /// Changes for the sites that match `pattern` (a glob on site names: `*` any run of
    /// characters, `?` one) and/or `role`; a site must match every given selector. Later
    /// overrides win over earlier ones, field by field.
    public struct Override: Codable, Sendable, Equatable {
        public var pattern: String?
        public var role: LinearRole?
        public var bits: Int?
        public var granularity: String?
        public var mapping: Mapping?
        public var keepFloat: Bool?
        public init(pattern: String? = nil, role: LinearRole? = nil, bits: Int? = nil, granularity: String? = nil,
                    mapping: Mapping? = nil, keepFloat: Bool? = nil) {
            self.pattern = pattern
            self.role = role
            self.bits = bits
            self.granularity = granularity
            self.mapping = mapping
            self.keepFloat = keepFloat
        }
        enum CodingKeys: String, CodingKey { case pattern, role, bits, granularity, mapping, keepFloat = "keep_float" }
    }

    public var name: String?
    public var weights: Weights
    public var activations: Activations
    public var method: Method
    public var activationSites: ActivationSites
    /// SmoothQuant migration before quantization, or nil (none).
    public var smoothing: Smoothing?
    public var overrides: [Override]
    /// Quantize the LM head too (default false: it stays float).
    public var quantizeHead: Bool

    public init(name: String? = nil, weights: Weights, activations: Activations = Activations(mode: .none),
                method: Method = Method(.rtn), activationSites: ActivationSites = ActivationSites(),
                smoothing: Smoothing? = nil, overrides: [Override] = [], quantizeHead: Bool = false) {
        self.name = name
        self.weights = weights
        self.activations = activations
        self.method = method
        self.activationSites = activationSites
        self.smoothing = smoothing
        self.overrides = overrides
        self.quantizeHead = quantizeHead
    }

    enum CodingKeys: String, CodingKey {
        case name, weights, activations, method, activationSites = "activation_sites", smoothing, overrides
        case quantizeHead = "quantize_head"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try c.decodeIfPresent(String.self, forKey: .name),
                  weights: try c.decode(Weights.self, forKey: .weights),
                  activations: try c.decodeIfPresent(Activations.self, forKey: .activations) ?? Activations(mode: .none),
                  method: try c.decodeIfPresent(Method.self, forKey: .method) ?? Method(.rtn),
                  activationSites: try c.decodeIfPresent(ActivationSites.self, forKey: .activationSites) ?? ActivationSites(),
                  smoothing: try c.decodeIfPresent(Smoothing.self, forKey: .smoothing),
                  overrides: try c.decodeIfPresent([Override].self, forKey: .overrides) ?? [],
                  quantizeHead: try c.decodeIfPresent(Bool.self, forKey: .quantizeHead) ?? false)
    }

    // MARK: - JSON

    /// Reads and validates a recipe JSON file.
    public static func load(path: String) throws(RecipeError) -> Recipe {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw .unreadable(path: path, reason: error.localizedDescription)
        }
        return try decode(data, source: path)
    }

    /// Decodes and validates recipe JSON; `source` names it in errors.
    public static func decode(_ data: Data, source: String = "recipe") throws(RecipeError) -> Recipe {
        let recipe: Recipe
        do { recipe = try JSONDecoder().decode(Recipe.self, from: data) } catch let e as DecodingError {
            throw .unreadable(path: source, reason: Self.describe(e))
        } catch {
            throw .unreadable(path: source, reason: "\(error)")
        }
        try recipe.validate()
        return recipe
    }

    /// Pretty-printed JSON with sorted keys.
    public func jsonData() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try e.encode(self)
    }

    static func describe(_ e: DecodingError) -> String {
        func path(_ p: [any CodingKey]) -> String { p.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".") }
        switch e {
        case let .keyNotFound(k, ctx): return "missing field \(path(ctx.codingPath + [k]))"
        case let .typeMismatch(_, ctx), let .valueNotFound(_, ctx), let .dataCorrupted(ctx):
            return "field \(path(ctx.codingPath)): \(ctx.debugDescription)"
        @unknown default: return "\(e)"
        }
    }
}
