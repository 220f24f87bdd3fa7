/// A bounds-checked little-endian cursor over untrusted bytes.
///
/// Every read checks that it stays inside the buffer and throws a `.malformed`
/// `ModelFileError` naming the file, what was being read and the offset.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    let path: String
    private(set) var offset: Int

    init(_ bytes: UnsafeRawBufferPointer, path: String, offset: Int = 0) {
        self.bytes = bytes
        self.path = path
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    func fail(_ what: String, at position: Int? = nil) -> ModelFileError {
        ModelFileError(.malformed, path: path, what, offset: position ?? offset)
    }

    mutating func require(_ n: Int, _ what: @autoclosure () -> String) throws(ModelFileError) {
        guard n >= 0, n <= remaining else {
            throw fail("truncated: \(what()) needs \(n) bytes, \(remaining) left")
        }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws(ModelFileError) -> T {
        try require(MemoryLayout<T>.size, what())
        let v = T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += MemoryLayout<T>.size
        return v
    }

    mutating func readFloat(_ what: @autoclosure () -> String) throws(ModelFileError) -> Float {
        Float(bitPattern: try read(UInt32.self, what()))
    }

    mutating func readDouble(_ what: @autoclosure () -> String) throws(ModelFileError) -> Double {
        Double(bitPattern: try read(UInt64.self, what()))
    }

    /// Reads a count stored as u64 and checks it fits in `Int` and is at most `limit`.
    mutating func readCount(_ what: @autoclosure () -> String, limit: Int) throws(ModelFileError) -> Int {
        let start = offset
        let raw = try read(UInt64.self, what())
        guard raw <= UInt64(limit) else {
            throw fail("\(what()) is \(raw), more than the \(limit) the file can hold", at: start)
        }
        return Int(raw)
    }

    /// Reads `n` bytes as UTF-8 (invalid sequences are an error).
    mutating func readUTF8(count n: Int, _ what: @autoclosure () -> String) throws(ModelFileError) -> String {
        try require(n, what())
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)])
        guard let s = String(validating: slice, as: UTF8.self) else {
            throw fail("\(what()) is not valid UTF-8")
        }
        offset += n
        return s
    }

    mutating func skip(_ n: Int, _ what: @autoclosure () -> String) throws(ModelFileError) {
        try require(n, what())
        offset += n
    }

    mutating func seek(to position: Int, _ what: @autoclosure () -> String) throws(ModelFileError) {
        guard position >= 0, position <= bytes.count else {
            throw fail("\(what()) at \(position) is past the end of the \(bytes.count)-byte file")
        }
        offset = position
    }
}
