import LowBitIO

/// A small strict JSON parser (RFC 8259) over UTF-8 bytes. Errors are
/// `ModelFileError(.malformed)` with the file path and the byte offset of the problem.
///
/// Strings are checked to be valid UTF-8 and are kept byte-exact; escapes (`\uXXXX`, surrogate
/// pairs included) are decoded; lone surrogates are rejected. Nesting deeper than
/// `maxDepth` is rejected rather than overflowing the stack.
struct JSONParser {
    static let maxDepth = 256

    private let bytes: UnsafeRawBufferPointer
    private let path: String
    private var i = 0

    private init(bytes: UnsafeRawBufferPointer, path: String) {
        self.bytes = bytes
        self.path = path
    }

    /// Parses a whole file; it must hold exactly one JSON value.
    static func parse(file path: String) throws(ModelFileError) -> JSONValue {
        let file = try MappedFile(path: path)
        return try parse(file.bytes, path: path)
    }

    /// Parses `bytes`, which must hold exactly one JSON value (whitespace around it is allowed).
    static func parse(_ bytes: UnsafeRawBufferPointer, path: String) throws(ModelFileError) -> JSONValue {
        var p = JSONParser(bytes: bytes, path: path)
        p.skipWhitespace()
        let v = try p.value(depth: 0)
        p.skipWhitespace()
        guard p.i == bytes.count else { throw p.fail("unexpected text after the JSON value") }
        return v
    }

    /// Parses a file that must hold a JSON object.
    static func parseObject(file path: String, what: String) throws(ModelFileError) -> JSONReader {
        let v = try parse(file: path)
        guard let o = v.objectValue else {
            throw ModelFileError(.malformed, path: path, "\(what) should be a JSON object, found \(v.kindName)")
        }
        return JSONReader(path: path, object: o)
    }

    private func fail(_ detail: String, at offset: Int? = nil) -> ModelFileError {
        ModelFileError(.malformed, path: path, "invalid JSON: \(detail)", offset: offset ?? i)
    }

    private var atEnd: Bool { i >= bytes.count }
    private var current: UInt8 { bytes[i] }

    private mutating func skipWhitespace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    private mutating func expect(_ literal: StaticString, _ result: JSONValue) throws(ModelFileError) -> JSONValue {
        let start = i
        let n = literal.utf8CodeUnitCount
        guard bytes.count - i >= n else { throw fail("unexpected end of file", at: start) }
        for k in 0..<n where bytes[i + k] != literal.utf8Start[k] { throw fail("unexpected character", at: start) }
        i += n
        return result
    }

    private mutating func value(depth: Int) throws(ModelFileError) -> JSONValue {
        guard !atEnd else { throw fail("unexpected end of file") }
        switch current {
        case UInt8(ascii: "{"): return .object(try object(depth: depth + 1))
        case UInt8(ascii: "["): return .array(try array(depth: depth + 1))
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try expect("true", .bool(true))
        case UInt8(ascii: "f"): return try expect("false", .bool(false))
        case UInt8(ascii: "n"): return try expect("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw fail("unexpected character \(printable(current))")
        }
    }

    private mutating func object(depth: Int) throws(ModelFileError) -> JSONObject {
        guard depth <= Self.maxDepth else { throw fail("nesting deeper than \(Self.maxDepth)") }
        i += 1  // {
        var pairs: [(key: String, value: JSONValue)] = []
        skipWhitespace()
        if !atEnd, current == UInt8(ascii: "}") { i += 1; return JSONObject(pairs: pairs) }
        while true {
            skipWhitespace()
            guard !atEnd, current == UInt8(ascii: "\"") else { throw fail("expected a string key") }
            let key = try string()
            skipWhitespace()
            guard !atEnd, current == UInt8(ascii: ":") else { throw fail("expected ':' after key \"\(key)\"") }
            i += 1
            skipWhitespace()
            pairs.append((key, try value(depth: depth)))
            skipWhitespace()
            guard !atEnd else { throw fail("unexpected end of file inside an object") }
            if current == UInt8(ascii: ",") { i += 1; continue }
            if current == UInt8(ascii: "}") { i += 1; return JSONObject(pairs: pairs) }
            throw fail("expected ',' or '}' in an object")
        }
    }

    private mutating func array(depth: Int) throws(ModelFileError) -> [JSONValue] {
        guard depth <= Self.maxDepth else { throw fail("nesting deeper than \(Self.maxDepth)") }
        i += 1  // [
        var items: [JSONValue] = []
        skipWhitespace()
        if !atEnd, current == UInt8(ascii: "]") { i += 1; return items }
        while true {
            skipWhitespace()
            items.append(try value(depth: depth))
            skipWhitespace()
            guard !atEnd else { throw fail("unexpected end of file inside an array") }
            if current == UInt8(ascii: ",") { i += 1; continue }
            if current == UInt8(ascii: "]") { i += 1; return items }
            throw fail("expected ',' or ']' in an array")
        }
    }

    private mutating func number() throws(ModelFileError) -> JSONValue {
        let start = i
        var isInteger = true
        if current == UInt8(ascii: "-") { i += 1 }
        guard !atEnd, isDigit(current) else { throw fail("bad number", at: start) }
        if current == UInt8(ascii: "0") { i += 1 } else { while !atEnd, isDigit(current) { i += 1 } }
        if !atEnd, current == UInt8(ascii: ".") {
            isInteger = false
            i += 1
            guard !atEnd, isDigit(current) else { throw fail("bad number", at: start) }
            while !atEnd, isDigit(current) { i += 1 }
        }
        if !atEnd, current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            isInteger = false
            i += 1
            if !atEnd, current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { i += 1 }
            guard !atEnd, isDigit(current) else { throw fail("bad number", at: start) }
            while !atEnd, isDigit(current) { i += 1 }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
        if isInteger, let n = Int(text) { return .integer(n) }
        guard let d = Double(text) else { throw fail("bad number \(text)", at: start) }
        return .number(d)
    }

    private func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    private mutating func string() throws(ModelFileError) -> String {
        let start = i
        i += 1  // opening quote
        var out: [UInt8] = []
        var runStart = i
        while true {
            guard !atEnd else { throw fail("unterminated string", at: start) }
            let b = current
            if b == UInt8(ascii: "\"") { break }
            if b < 0x20 { throw fail("control character in a string") }
            if b != UInt8(ascii: "\\") { i += 1; continue }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<i]))
            i += 1
            guard !atEnd else { throw fail("unterminated string", at: start) }
            let e = current
            i += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var v = try hex4()
                if (0xD800...0xDBFF).contains(v) {
                    guard bytes.count - i >= 2, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                        throw fail("lone surrogate \\u\(String(v, radix: 16))")
                    }
                    i += 2
                    let lo = try hex4()
                    guard (0xDC00...0xDFFF).contains(lo) else { throw fail("lone surrogate \\u\(String(v, radix: 16))") }
                    v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(v) {
                    throw fail("lone surrogate \\u\(String(v, radix: 16))")
                }
                out.append(contentsOf: String(Character(Unicode.Scalar(v)!)).utf8)
            default: throw fail("bad escape \\\(printable(e))", at: i - 2)
            }
            runStart = i
        }
        let end = i
        i += 1  // closing quote
        let tail = UnsafeRawBufferPointer(rebasing: bytes[runStart..<end])
        if out.isEmpty {
            return try validated(tail, at: start)
        }
        out.append(contentsOf: tail)
        let s = String(decoding: out, as: UTF8.self)
        guard s.utf8.elementsEqual(out) else { throw fail("string is not valid UTF-8", at: start) }
        return s
    }

    private func validated(_ b: UnsafeRawBufferPointer, at offset: Int) throws(ModelFileError) -> String {
        let s = String(decoding: b, as: UTF8.self)
        guard s.utf8.elementsEqual(b) else { throw fail("string is not valid UTF-8", at: offset) }
        return s
    }

    private mutating func hex4() throws(ModelFileError) -> UInt32 {
        guard bytes.count - i >= 4 else { throw fail("unexpected end of file in \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let b = current
            let d: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(b - UInt8(ascii: "A") + 10)
            default: throw fail("bad hex digit in \\u escape")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    private func printable(_ b: UInt8) -> String {
        (0x21...0x7E).contains(b) ? "'\(Character(Unicode.Scalar(b)))'" : "0x\(String(b, radix: 16))"
    }
}
