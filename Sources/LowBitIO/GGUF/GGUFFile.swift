import LowBitCore

/// One tensor's entry in a GGUF file.
public struct GGUFTensorInfo: Sendable {
    public let name: String
    public let type: GGMLType
    /// GGML dimension order: `ne[0]` is the fastest-varying dimension (the row length).
    public let ne: [Int]
    /// Absolute byte offset of the tensor's data in the file.
    public let fileOffset: Int
    public let byteCount: Int

    /// Row-major shape (`ne` reversed), e.g. `token_embd.weight` is `[vocab, hidden]`.
    public var shape: Shape { Shape(ne.reversed()) }
    public var elementCount: Int { ne.reduce(1, *) }
}

/// A parsed GGUF (v2 or v3) file, memory-mapped. Every count, offset and size is validated
/// while parsing; the tensor data is not read until asked for.
public final class GGUFFile: @unchecked Sendable {
    public let path: String
    public let version: Int
    /// Metadata in file order.
    public let metadataKeys: [String]
    public let metadata: [String: GGUFValue]
    public let tensors: [GGUFTensorInfo]
    public let alignment: Int
    /// Absolute offset of the tensor data section.
    public let dataOffset: Int
    /// Byte range of the tensor-info section (after the metadata, before the alignment padding).
    public let tensorInfoRange: Range<Int>
    public let file: MappedFile
    private let tensorIndex: [String: Int]

    public static let magic: UInt32 = 0x4655_4747  // "GGUF" little-endian

    public convenience init(path: String) throws(ModelFileError) {
        try self.init(file: MappedFile(path: path))
    }

    public init(file: MappedFile) throws(ModelFileError) {
        self.file = file
        self.path = file.path
        var r = ByteReader(file.bytes, path: file.path)
        let magic = try r.read(UInt32.self, "GGUF magic")
        guard magic == Self.magic else {
            throw r.fail("not a GGUF file (magic is 0x\(String(magic, radix: 16)), expected \"GGUF\")", at: 0)
        }
        let v = try r.read(UInt32.self, "GGUF version")
        guard v == 2 || v == 3 else {
            if v.byteSwapped == 2 || v.byteSwapped == 3 {
                throw ModelFileError(.unsupported, path: path, "big-endian GGUF is not supported", offset: 4)
            }
            throw ModelFileError(.unsupported, path: path, "GGUF version \(v) is not supported (only 2 and 3)", offset: 4)
        }
        version = Int(v)
        // Each tensor info takes at least 32 bytes and each key-value pair at least 13.
        let tensorCount = try r.readCount("tensor count", limit: r.remaining / 32)
        let kvCount = try r.readCount("metadata count", limit: r.remaining / 13)

        var keys: [String] = []
        var meta: [String: GGUFValue] = [:]
        keys.reserveCapacity(kvCount)
        for i in 0..<kvCount {
            let at = r.offset
            let key = try r.readGGUFString("key of metadata entry \(i)")
            let rawType = try r.read(UInt32.self, "type of \(key)")
            guard let type = GGUFValueType(rawValue: rawType) else {
                throw r.fail("metadata \(key) has unknown value type \(rawType)", at: r.offset - 4)
            }
            let value = try r.readGGUFValue(type, key: key, depth: 0)
            guard meta.updateValue(value, forKey: key) == nil else {
                throw r.fail("duplicate metadata key \(key)", at: at)
            }
            keys.append(key)
        }
        metadataKeys = keys
        metadata = meta

        var align = 32
        if let a = meta["general.alignment"] {
            guard case .uint32(let av) = a, av > 0, av & (av - 1) == 0 else {
                throw ModelFileError(.malformed, path: path, "general.alignment must be a power-of-two u32, got \(a)")
            }
            align = Int(av)
        }
        alignment = align

        let infoStart = r.offset
        var infos: [(name: String, type: GGMLType, ne: [Int], rel: UInt64, at: Int)] = []
        infos.reserveCapacity(tensorCount)
        var index: [String: Int] = [:]
        for i in 0..<tensorCount {
            let at = r.offset
            let name = try r.readGGUFString("name of tensor \(i)")
            let nDims = try r.read(UInt32.self, "rank of \(name)")
            guard (1...4).contains(nDims) else { throw r.fail("tensor \(name) has rank \(nDims), expected 1 to 4", at: r.offset - 4) }
            var ne: [Int] = []
            for d in 0..<Int(nDims) {
                let dim = try r.read(UInt64.self, "dimension \(d) of \(name)")
                guard dim <= UInt64(Int32.max) else { throw r.fail("tensor \(name) dimension \(d) is \(dim), too large", at: r.offset - 8) }
                ne.append(Int(dim))
            }
            let rawType = try r.read(UInt32.self, "type of \(name)")
            guard let type = GGMLType(rawValue: rawType) else {
                throw ModelFileError(.unsupported, path: path, "tensor \(name) has unknown GGML type \(rawType)", offset: r.offset - 4)
            }
            let rel = try r.read(UInt64.self, "data offset of \(name)")
            guard index.updateValue(i, forKey: name) == nil else { throw r.fail("duplicate tensor name \(name)", at: at) }
            infos.append((name, type, ne, rel, at))
        }
        tensorInfoRange = infoStart..<r.offset
        let (aligned, overflow) = r.offset.addingReportingOverflow((align - r.offset % align) % align)
        guard !overflow, aligned <= file.count else {
            throw r.fail("data section would start at \(aligned), past the end of the \(file.count)-byte file")
        }
        dataOffset = aligned
        tensorIndex = index

        var out: [GGUFTensorInfo] = []
        out.reserveCapacity(infos.count)
        for t in infos {
            guard let count = Shape(t.ne).checkedCount else { throw r.fail("tensor \(t.name) has too many elements", at: t.at) }
            guard t.ne[0] % t.type.blockSize == 0 else {
                throw r.fail("tensor \(t.name) row length \(t.ne[0]) is not a multiple of the \(t.type) block size \(t.type.blockSize)", at: t.at)
            }
            let (bytes, o1) = (count / t.type.blockSize).multipliedReportingOverflow(by: t.type.typeSize)
            guard !o1, t.rel <= UInt64(file.count), t.rel % UInt64(align) == 0 else {
                throw r.fail("tensor \(t.name) has data offset \(t.rel), outside the file or not \(align)-aligned", at: t.at)
            }
            let start = dataOffset + Int(t.rel)
            guard start <= file.count, bytes <= file.count - start else {
                throw r.fail("tensor \(t.name) data [\(start), +\(bytes)) runs past the end of the \(file.count)-byte file", at: t.at)
            }
            out.append(GGUFTensorInfo(name: t.name, type: t.type, ne: t.ne, fileOffset: start, byteCount: bytes))
        }
        let sorted = out.sorted { $0.fileOffset < $1.fileOffset }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.fileOffset + a.byteCount > b.fileOffset {
            throw ModelFileError(.malformed, path: path, "tensors \(a.name) and \(b.name) overlap", offset: b.fileOffset)
        }
        tensors = out
    }

    public func tensor(named name: String) -> GGUFTensorInfo? { tensorIndex[name].map { tensors[$0] } }

    /// The stored bytes of a tensor (already validated to lie inside the file).
    public func rawBytes(of info: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: file.bytes[info.fileOffset..<(info.fileOffset + info.byteCount)])
    }

    /// The tensor dequantized to FP32, row-major shape (`ne` reversed).
    public func dequantize(_ info: GGUFTensorInfo) throws(ModelFileError) -> Tensor {
        guard info.type.canDequantize else {
            throw ModelFileError(.unsupported, path: path, "tensor \(info.name) has type \(info.type), which LowBit cannot dequantize yet")
        }
        let out = Tensor(zeros: info.shape)
        GGUFDequantizer.dequantize(info.type, rawBytes(of: info), into: out.pointer, count: info.elementCount)
        return out
    }

    public func dequantize(named name: String) throws(ModelFileError) -> Tensor {
        guard let info = tensor(named: name) else {
            throw ModelFileError(.malformed, path: path, "no tensor named \(name)")
        }
        return try dequantize(info)
    }

    /// Metadata lookup that throws a clear error when the key is missing or has the wrong type.
    public func require<T>(_ key: String, _ convert: (GGUFValue) -> T?, as what: String) throws(ModelFileError) -> T {
        guard let v = metadata[key] else { throw ModelFileError(.malformed, path: path, "missing metadata \(key)") }
        guard let t = convert(v) else {
            throw ModelFileError(.malformed, path: path, "metadata \(key) should be \(what), found \(v.type)")
        }
        return t
    }
}

extension ByteReader {
    mutating func readGGUFString(_ what: @autoclosure () -> String) throws(ModelFileError) -> String {
        let n = try readCount("length of \(what())", limit: remaining)
        return try readUTF8(count: n, what())
    }

    mutating func readGGUFValue(_ type: GGUFValueType, key: String, depth: Int) throws(ModelFileError) -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try read(UInt8.self, key))
        case .int8: return .int8(try read(Int8.self, key))
        case .uint16: return .uint16(try read(UInt16.self, key))
        case .int16: return .int16(try read(Int16.self, key))
        case .uint32: return .uint32(try read(UInt32.self, key))
        case .int32: return .int32(try read(Int32.self, key))
        case .uint64: return .uint64(try read(UInt64.self, key))
        case .int64: return .int64(try read(Int64.self, key))
        case .float32: return .float32(try readFloat(key))
        case .float64: return .float64(try readDouble(key))
        case .bool:
            let b = try read(UInt8.self, key)
            guard b <= 1 else { throw fail("metadata \(key) is a bool with value \(b)", at: offset - 1) }
            return .bool(b == 1)
        case .string: return .string(try readGGUFString("metadata \(key)"))
        case .array:
            guard depth < 4 else { throw fail("metadata \(key) nests arrays too deeply") }
            let rawType = try read(UInt32.self, "element type of \(key)")
            guard let elementType = GGUFValueType(rawValue: rawType) else {
                throw fail("metadata \(key) is an array of unknown type \(rawType)", at: offset - 4)
            }
            let minSize = switch elementType {
            case .string, .uint64, .int64, .float64: 8
            case .array: 12
            case .uint32, .int32, .float32: 4
            case .uint16, .int16: 2
            case .uint8, .int8, .bool: 1
            }
            let n = try readCount("length of \(key)", limit: remaining / minSize)
            var items: [GGUFValue] = []
            items.reserveCapacity(n)
            for _ in 0..<n { items.append(try readGGUFValue(elementType, key: key, depth: depth + 1)) }
            return .array(elementType: elementType, items)
        }
    }
}
