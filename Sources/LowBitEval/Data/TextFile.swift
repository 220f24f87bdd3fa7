import Foundation

/// Reading text data files the way the reference scripts (Python) read them.
public enum TextFile {
    /// The file's contents as UTF-8 text with Python's universal newlines (`\r\n` and `\r` read as `\n`).
    /// - Throws: `EvalError` `.notFound`, `.io`, or `.malformed` (not UTF-8, with the line).
    public static func read(_ path: String) throws(EvalError) -> String {
        guard FileManager.default.fileExists(atPath: path) else { throw EvalError(.notFound, path: path, "no such file") }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw EvalError(.io, path: path, "cannot read: \(error.localizedDescription)")
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            let bad = firstInvalidUTF8Line(data)
            throw EvalError(.malformed, path: path, line: bad, "not valid UTF-8")
        }
        guard text.utf8.contains(UInt8(ascii: "\r")) else { return text }
        var scalars = String.UnicodeScalarView()
        var previousCR = false
        for s in text.unicodeScalars {
            if s == "\r" { scalars.append("\n"); previousCR = true; continue }
            if s == "\n" && previousCR { previousCR = false; continue }
            previousCR = false
            scalars.append(s)
        }
        return String(scalars)
    }

    /// The lines of `text` split on `\n` (a final newline does not start an empty line), with
    /// their 1-based numbers.
    public static func lines(_ text: String) -> [(number: Int, text: Substring)] {
        var parts = text.split(separator: "\n", omittingEmptySubsequences: false)
        if parts.last?.isEmpty == true { parts.removeLast() }
        return parts.enumerated().map { ($0.offset + 1, $0.element) }
    }

    /// Python's `str.strip()`: removes leading and trailing characters that `str.isspace()` calls
    /// whitespace (ASCII whitespace, `\x1c`–`\x1f`, `\x85`, `\xa0`, and the Unicode spaces).
    public static func pythonStrip<S: StringProtocol>(_ s: S) -> String {
        let scalars = Array(s.unicodeScalars)
        guard let first = scalars.firstIndex(where: { !isPythonSpace($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !isPythonSpace($0) })!
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars[first...last])
        return String(out)
    }

    /// Whether Python's `str.isspace()` is true for this one character.
    public static func isPythonSpace(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// 1-based line of the first byte that breaks UTF-8 decoding.
    static func firstInvalidUTF8Line(_ data: Data) -> Int {
        var line = 1
        var bytes = data.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&bytes) {
            case .scalarValue(let s): if s == "\n" { line += 1 }
            case .emptyInput, .error: return line
            }
        }
    }
}
