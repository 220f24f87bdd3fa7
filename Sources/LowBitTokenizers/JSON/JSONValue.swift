import LowBitIO

/// A parsed JSON value. Objects keep their keys in file order and byte-exact (no Unicode
/// normalization), which a vocabulary needs: Swift's `String` equality is canonical equivalence,
/// so a `[String: Any]` would merge two vocabulary entries that differ only in composition.
enum JSONValue: Sendable {
    case null
    case bool(Bool)
    /// An integer literal that fits `Int` (no fraction, no exponent).
    case integer(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    var isNull: Bool { if case .null = self { true } else { false } }
    var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }
    var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    var arrayValue: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    var objectValue: JSONObject? { if case .object(let o) = self { o } else { nil } }

    /// The value as an `Int`, for integer literals and for numbers with no fractional part.
    var intValue: Int? {
        switch self {
        case .integer(let i): i
        case .number(let d): Int(exactly: d)
        default: nil
        }
    }

    /// A short name of the value's kind, for error messages.
    var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .integer, .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// A JSON object: key-value pairs in file order. Lookups by key scan linearly (objects that are
/// looked up by key are small; large ones, like a vocabulary, are iterated).
struct JSONObject: Sendable {
    var pairs: [(key: String, value: JSONValue)]

    /// The value of the first pair whose key has exactly these UTF-8 bytes.
    subscript(key: String) -> JSONValue? {
        for p in pairs where p.key.utf8.elementsEqual(key.utf8) { return p.value }
        return nil
    }
}

/// Typed field access that throws `ModelFileError(.malformed)` naming the file and the key path.
struct JSONReader {
    let path: String
    let object: JSONObject
    /// Dotted path of `object` inside the file, e.g. `model` or `normalizer`; empty at the top.
    let at: String

    init(path: String, object: JSONObject, at: String = "") {
        self.path = path
        self.object = object
        self.at = at
    }

    func name(_ key: String) -> String { at.isEmpty ? key : at + "." + key }

    func fail(_ detail: String) -> ModelFileError { ModelFileError(.malformed, path: path, detail) }

    /// The value, or nil when the key is missing or null.
    func optional(_ key: String) -> JSONValue? {
        guard let v = object[key], !v.isNull else { return nil }
        return v
    }

    func require(_ key: String) throws(ModelFileError) -> JSONValue {
        guard let v = optional(key) else { throw fail("missing \(name(key))") }
        return v
    }

    func string(_ key: String) throws(ModelFileError) -> String {
        let v = try require(key)
        guard let s = v.stringValue else { throw fail("\(name(key)) should be a string, found \(v.kindName)") }
        return s
    }

    func optionalString(_ key: String) throws(ModelFileError) -> String? {
        guard let v = optional(key) else { return nil }
        guard let s = v.stringValue else { throw fail("\(name(key)) should be a string, found \(v.kindName)") }
        return s
    }

    func bool(_ key: String, default d: Bool) throws(ModelFileError) -> Bool {
        guard let v = optional(key) else { return d }
        guard let b = v.boolValue else { throw fail("\(name(key)) should be a boolean, found \(v.kindName)") }
        return b
    }

    func optionalBool(_ key: String) throws(ModelFileError) -> Bool? {
        guard let v = optional(key) else { return nil }
        guard let b = v.boolValue else { throw fail("\(name(key)) should be a boolean, found \(v.kindName)") }
        return b
    }

    func int(_ key: String, default d: Int) throws(ModelFileError) -> Int {
        guard let v = optional(key) else { return d }
        guard let i = v.intValue else { throw fail("\(name(key)) should be an integer, found \(v.kindName)") }
        return i
    }

    func optionalInt(_ key: String) throws(ModelFileError) -> Int? {
        guard let v = optional(key) else { return nil }
        guard let i = v.intValue else { throw fail("\(name(key)) should be an integer, found \(v.kindName)") }
        return i
    }

    func array(_ key: String) throws(ModelFileError) -> [JSONValue] {
        let v = try require(key)
        guard let a = v.arrayValue else { throw fail("\(name(key)) should be an array, found \(v.kindName)") }
        return a
    }

    func child(_ key: String) throws(ModelFileError) -> JSONReader {
        let v = try require(key)
        guard let o = v.objectValue else { throw fail("\(name(key)) should be an object, found \(v.kindName)") }
        return JSONReader(path: path, object: o, at: name(key))
    }

    func optionalChild(_ key: String) throws(ModelFileError) -> JSONReader? {
        guard let v = optional(key) else { return nil }
        guard let o = v.objectValue else { throw fail("\(name(key)) should be an object, found \(v.kindName)") }
        return JSONReader(path: path, object: o, at: name(key))
    }
}
