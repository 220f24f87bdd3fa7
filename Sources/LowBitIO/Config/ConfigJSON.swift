import Foundation

/// Typed access to a parsed `config.json`, with errors that name the file and the key.
struct ConfigJSON {
    let path: String
    let object: [String: Any]

    init(path: String) throws(ModelFileError) {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ModelFileError(.notFound, path: path, "no such file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelFileError(.io, path: path, "cannot read")
        }
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: data) } catch {
            throw ModelFileError(.malformed, path: path, "not valid JSON")
        }
        guard let obj = parsed as? [String: Any] else { throw ModelFileError(.malformed, path: path, "not a JSON object") }
        self.init(path: path, object: obj)
    }

    init(path: String, object: [String: Any]) {
        self.path = path
        self.object = object
    }

    func has(_ key: String) -> Bool { object[key] != nil && !(object[key] is NSNull) }

    func int(_ key: String) throws(ModelFileError) -> Int {
        guard let v = optionalInt(key) else { throw missing(key, "an integer") }
        return v
    }

    func optionalInt(_ key: String) -> Int? {
        guard let n = object[key] as? NSNumber else { return nil }
        return Int(exactly: n.doubleValue)
    }

    func double(_ key: String, default d: Double? = nil) throws(ModelFileError) -> Double {
        if let n = object[key] as? NSNumber { return n.doubleValue }
        if let d, !has(key) { return d }
        throw missing(key, "a number")
    }

    func string(_ key: String, default d: String? = nil) throws(ModelFileError) -> String {
        if let s = object[key] as? String { return s }
        if let d, !has(key) { return d }
        throw missing(key, "a string")
    }

    func bool(_ key: String, default d: Bool) -> Bool { (object[key] as? NSNumber)?.boolValue ?? d }

    /// First id of a key that may be an integer or a list of integers.
    func optionalTokenID(_ key: String) -> Int? {
        if let i = optionalInt(key) { return i }
        if let a = object[key] as? [NSNumber], let f = a.first { return Int(exactly: f.doubleValue) }
        return nil
    }

    func missing(_ key: String, _ what: String) -> ModelFileError {
        ModelFileError(.malformed, path: path, has(key) ? "\(key) should be \(what)" : "missing \(key) (\(what))")
    }
}
