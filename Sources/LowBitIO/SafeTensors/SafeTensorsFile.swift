import Foundation
import LowBitCore

/// One tensor's entry in a safetensors header.
public struct SafeTensorInfo: Sendable, Equatable {
    public let name: String
    public let dtype: DType
    /// Row-major shape.
    public let shape: Shape
    /// Absolute byte range of the data in the file.
    public let fileOffset: Int
    public let byteCount: Int
}

/// A memory-mapped `.safetensors` file with a validated header.
///
/// Layout: `u64 N` (little-endian) | N bytes of UTF-8 JSON header | data. The header maps each
/// tensor name to `{dtype, shape, data_offsets: [begin, end]}` (offsets relative to the data
/// start) and may hold `__metadata__` (string → string). Validation follows the reference
/// implementation: header length within bounds, known dtypes, non-negative shapes, element count
/// × dtype size == end − begin, and the tensors tile the data section exactly (no overlaps,
/// no holes, nothing past the end).
public final class SafeTensorsFile: @unchecked Sendable {
    public let path: String
    public let tensors: [SafeTensorInfo]
    public let metadata: [String: String]
    public let file: MappedFile
    private let index: [String: Int]

    /// Largest header accepted (the reference implementation uses 100 MB).
    public static let maxHeaderBytes = 100_000_000

    public convenience init(path: String) throws(ModelFileError) {
        try self.init(file: MappedFile(path: path))
    }

    public init(file: MappedFile) throws(ModelFileError) {
        self.file = file
        path = file.path
        var r = ByteReader(file.bytes, path: path)
        let n = try r.read(UInt64.self, "header length")
        guard n <= UInt64(Self.maxHeaderBytes) else {
            throw ModelFileError(.malformed, path: path, "header length \(n) exceeds the \(Self.maxHeaderBytes)-byte limit", offset: 0)
        }
        guard Int(n) <= r.remaining else {
            throw ModelFileError(.malformed, path: path, "header length \(n) runs past the end of the \(file.count)-byte file", offset: 0)
        }
        let headerBytes = UnsafeRawBufferPointer(rebasing: file.bytes[8..<(8 + Int(n))])
        let dataStart = 8 + Int(n)
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(headerBytes), options: [])
        } catch {
            throw ModelFileError(.malformed, path: path, "header is not valid JSON", offset: 8)
        }
        guard let header = json as? [String: Any] else {
            throw ModelFileError(.malformed, path: path, "header is not a JSON object", offset: 8)
        }
        var meta: [String: String] = [:]
        var infos: [SafeTensorInfo] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let m = value as? [String: Any] else {
                    throw ModelFileError(.malformed, path: path, "__metadata__ is not an object")
                }
                for (k, v) in m {
                    guard let s = v as? String else {
                        throw ModelFileError(.malformed, path: path, "__metadata__.\(k) is not a string")
                    }
                    meta[k] = s
                }
                continue
            }
            infos.append(try Self.parseEntry(name, value, dataStart: dataStart, path: path))
        }
        infos.sort { ($0.fileOffset, $0.byteCount, $0.name) < ($1.fileOffset, $1.byteCount, $1.name) }
        var expected = dataStart
        for t in infos {
            guard t.fileOffset == expected else {
                let what = t.fileOffset < expected ? "overlaps the tensor before it" : "leaves a gap before it"
                throw ModelFileError(.malformed, path: path, "tensor \(t.name) \(what)", offset: t.fileOffset)
            }
            expected += t.byteCount
        }
        guard expected <= file.count else {
            throw ModelFileError(.malformed, path: path, "tensor data needs \(expected - dataStart) bytes after the header, the file has \(file.count - dataStart) (truncated?)")
        }
        guard expected == file.count else {
            throw ModelFileError(.malformed, path: path, "\(file.count - expected) bytes after the last tensor are not described by the header", offset: expected)
        }
        tensors = infos
        metadata = meta
        index = Dictionary(uniqueKeysWithValues: infos.enumerated().map { ($1.name, $0) })
    }

    static func parseEntry(_ name: String, _ value: Any, dataStart: Int, path: String) throws(ModelFileError) -> SafeTensorInfo {
        func bad(_ detail: String) -> ModelFileError { ModelFileError(.malformed, path: path, "tensor \(name): \(detail)") }
        guard let entry = value as? [String: Any] else { throw bad("entry is not an object") }
        guard let dtypeName = entry["dtype"] as? String else { throw bad("missing dtype") }
        guard let dtype = DType(rawValue: dtypeName) else {
            throw ModelFileError(.unsupported, path: path, "tensor \(name): dtype \(dtypeName) is not supported")
        }
        guard let dims = entry["shape"] as? [Any], let shape = Self.integers(dims) else { throw bad("shape is not a list of integers") }
        guard let offs = entry["data_offsets"] as? [Any], offs.count == 2, let o = Self.integers(offs) else {
            throw bad("data_offsets is not a pair of integers")
        }
        guard shape.allSatisfy({ $0 >= 0 }), let count = Shape(shape).checkedCount else { throw bad("invalid shape \(shape)") }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow else { throw bad("shape \(shape) is too large") }
        guard o[0] >= 0, o[0] <= o[1] else { throw bad("data_offsets \(o) are not an increasing pair") }
        guard o[1] - o[0] == bytes else {
            throw bad("\(dtypeName) × \(Shape(shape)) is \(bytes) bytes but data_offsets span \(o[1] - o[0])")
        }
        guard o[1] <= Int.max - dataStart else { throw bad("data_offsets \(o) are out of range") }
        return SafeTensorInfo(name: name, dtype: dtype, shape: Shape(shape), fileOffset: dataStart + o[0], byteCount: bytes)
    }

    /// JSON numbers that are exact non-fractional integers.
    static func integers(_ a: [Any]) -> [Int]? {
        var out: [Int] = []
        for x in a {
            guard let n = x as? NSNumber, let i = Int(exactly: n.doubleValue) else { return nil }
            out.append(i)
        }
        return out
    }

    public func tensor(named name: String) -> SafeTensorInfo? { index[name].map { tensors[$0] } }

    public func rawBytes(of t: SafeTensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: file.bytes[t.fileOffset..<(t.fileOffset + t.byteCount)])
    }

    /// The tensor as FP32: a zero-copy, read-only view for aligned F32 data, else a converted copy.
    public func float32(_ t: SafeTensorInfo) throws(ModelFileError) -> Tensor {
        let raw = rawBytes(of: t)
        if t.dtype == .f32, let base = raw.baseAddress, Int(bitPattern: base) % 4 == 0 {
            let buffer = TensorBuffer(borrowing: UnsafeMutableRawPointer(mutating: base), byteCount: t.byteCount, owner: file)
            return Tensor(shape: t.shape, buffer: buffer)
        }
        let out = Tensor(zeros: t.shape)
        let y = out.pointer
        let n = t.shape.count
        switch t.dtype {
        case .f32: for i in 0..<n { y[i] = raw.loadUnaligned(fromByteOffset: 4 * i, as: Float.self) }
        case .f16: for i in 0..<n { y[i] = HalfPrecision.f16ToFloat(raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
        case .bf16: for i in 0..<n { y[i] = HalfPrecision.bf16ToFloat(raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
        case .f64: for i in 0..<n { y[i] = Float(raw.loadUnaligned(fromByteOffset: 8 * i, as: Double.self)) }
        case .i8: for i in 0..<n { y[i] = Float(raw.load(fromByteOffset: i, as: Int8.self)) }
        case .u8: for i in 0..<n { y[i] = Float(raw.load(fromByteOffset: i, as: UInt8.self)) }
        case .i16: for i in 0..<n { y[i] = Float(raw.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)) }
        case .i32: for i in 0..<n { y[i] = Float(raw.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)) }
        case .i64: for i in 0..<n { y[i] = Float(raw.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)) }
        case .bool: for i in 0..<n { y[i] = raw.load(fromByteOffset: i, as: UInt8.self) != 0 ? 1 : 0 }
        }
        return out
    }

    public func float32(named name: String) throws(ModelFileError) -> Tensor {
        guard let t = tensor(named: name) else {
            throw ModelFileError(.malformed, path: path, "no tensor named \(name)")
        }
        return try float32(t)
    }
}
