import Foundation
import LowBitQuant

/// The parsed `quantization.json` of a quantized model directory: what was quantized from
/// what, how, and where each site's tensors are. See docs/format.md for the schema.
public struct QuantizationManifest: Codable, Sendable, Equatable {
    /// Always `lowbit-quantized`.
    public var format: String
    /// Version of the directory format; readers refuse versions they do not know.
    public var formatVersion: Int
    /// LowBit version that wrote it.
    public var lowbitVersion: String
    /// ISO 8601 date of writing.
    public var created: String
    /// `bert`, `gpt2` or `llama` (as `ModelConfig.architecture`).
    public var architecture: String
    public var source: Source
    /// The recipe JSON, embedded as given.
    public var recipe: JSONValue?
    /// The quantization report JSON, if one was given.
    public var report: JSONValue?
    /// The safetensors file holding every tensor (`model.safetensors`).
    public var weights: String
    /// Tokenizer files of the directory.
    public var tokenizer: [String]
    /// One entry per linear site, in `linearSites()` order.
    public var sites: [Site]

    public static let formatName = "lowbit-quantized"
    public static let currentVersion = 1

    /// The model the directory was made from.
    public struct Source: Codable, Sendable, Equatable {
        /// Path as given when writing.
        public var path: String
        /// `safetensors` or `gguf v3` (as `ModelSource.format`).
        public var format: String
        public var files: [File]

        public struct File: Codable, Sendable, Equatable {
            public var name: String
            public var bytes: Int
            public var sha256: String
        }
    }

    /// How one linear site is stored.
    public struct Site: Codable, Sendable, Equatable {
        public enum Storage: String, Codable, Sendable {
            /// Integer codes in `int8` (I8, one code a byte: widths 5–8) ...
            case int8
            /// ... or `int4` (U8, `PackedInt4` nibbles: widths 2–4), with scales and zero points.
            case int4
            /// An F32 weight (a site the recipe left in float).
            case float32
            /// The head of a tied model left in float: the weight is `embeddings.tokens`.
            case tiedEmbeddings = "tied_embeddings"
        }

        /// `layers.N.qkv|attn_out|mlp_in|mlp_out` or `head`.
        public var name: String
        public var role: LinearRole
        public var storage: Storage
        /// Output features (weight rows).
        public var outFeatures: Int
        /// Input features of the layer (columns of its input x).
        public var inFeatures: Int
        /// Columns of the stored weight: `inFeatures`, or more with an OCS split.
        public var storedInFeatures: Int
        /// Weight format (quantized sites only).
        public var scheme: QuantScheme?
        /// Input activation quantizer (quantized sites only; `none` for weight-only).
        public var activation: ActivationQuantizer?
        public var hasBias: Bool
        /// OCS: whether `input_channels` / `input_scales` are stored.
        public var hasInputChannels: Bool
        public var hasInputScales: Bool
        /// Bytes of this site's tensors in the safetensors file.
        public var bytes: Int

        enum CodingKeys: String, CodingKey {
            case name, role, storage, scheme, activation, bytes
            case outFeatures = "out_features", inFeatures = "in_features", storedInFeatures = "stored_in_features"
            case hasBias = "bias", hasInputChannels = "input_channels", hasInputScales = "input_scales"
        }

        /// Tensor names of this site: `<name>.qweight|scales|zeros|bias|input_channels|input_scales|weight`.
        public func tensor(_ part: String) -> String { name + "." + part }
    }

    enum CodingKeys: String, CodingKey {
        case format, created, architecture, source, recipe, report, weights, tokenizer, sites
        case formatVersion = "format_version", lowbitVersion = "lowbit_version"
    }

    /// Bytes the float32 weights of every site would take (for size comparisons).
    public var floatSiteBytes: Int { sites.reduce(0) { $0 + $1.outFeatures * $1.inFeatures * 4 } }
}

/// Any JSON value, for embedding documents (recipes, reports) this format does not interpret.
public indirect enum JSONValue: Codable, Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        if var a = try? decoder.unkeyedContainer() {
            var items: [JSONValue] = []
            while !a.isAtEnd { items.append(try a.decode(JSONValue.self)) }
            self = .array(items)
            return
        }
        if let o = try? decoder.container(keyedBy: Key.self) {
            var d: [String: JSONValue] = [:]
            for k in o.allKeys { d[k.stringValue] = try o.decode(JSONValue.self, forKey: k) }
            self = .object(d)
            return
        }
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int.self) { self = .int(i) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else { self = .string(try c.decode(String.self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var c = encoder.singleValueContainer()
            try c.encodeNil()
        case .bool(let b):
            var c = encoder.singleValueContainer()
            try c.encode(b)
        case .int(let i):
            var c = encoder.singleValueContainer()
            try c.encode(i)
        case .double(let d):
            var c = encoder.singleValueContainer()
            try c.encode(d)
        case .string(let s):
            var c = encoder.singleValueContainer()
            try c.encode(s)
        case .array(let a):
            var c = encoder.unkeyedContainer()
            for v in a { try c.encode(v) }
        case .object(let o):
            var c = encoder.container(keyedBy: Key.self)
            for (k, v) in o { try c.encode(v, forKey: Key(stringValue: k)) }
        }
    }

    /// Parses JSON bytes.
    public init(data: Data) throws { self = try JSONDecoder().decode(JSONValue.self, from: data) }

    /// The value as JSON bytes (sorted keys), e.g. to decode a `Recipe` from it.
    public func data() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try e.encode(self)
    }
}
