import Foundation

/// Writes GGUF v3 files holding metadata only (tensor count 0), e.g. a model's `tokenizer.*`
/// keys as `tokenizer.gguf` beside a quantized model. `GGUFFile` reads them back.
///
/// Layout (little-endian): `"GGUF"` | u32 version 3 | u64 tensor count (0) | u64 key count |
/// keys, each `string key | u32 value type | value` | zero padding to `alignment` (32, or
/// `general.alignment` when given). Strings are `u64 length | UTF-8 bytes`; arrays are
/// `u32 element type | u64 count | elements`.
public enum GGUFWriter {
    /// The file's bytes for `metadata`, keys in the given order.
    /// - Throws: `ModelFileError(.malformed)` for a duplicate key, an array whose items do not
    ///   all have its element type, or an invalid `general.alignment`.
    public static func encode(metadata: [(key: String, value: GGUFValue)], path: String = "<gguf>") throws(ModelFileError) -> Data {
        var out = Data()
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func string(_ s: String) {
            let b = Array(s.utf8)
            u64(UInt64(b.count))
            out.append(contentsOf: b)
        }
        func value(_ v: GGUFValue, key: String) throws(ModelFileError) {
            switch v {
            case .uint8(let x): out.append(x)
            case .int8(let x): out.append(UInt8(bitPattern: x))
            case .uint16(let x): withUnsafeBytes(of: x.littleEndian) { out.append(contentsOf: $0) }
            case .int16(let x): withUnsafeBytes(of: x.littleEndian) { out.append(contentsOf: $0) }
            case .uint32(let x): u32(x)
            case .int32(let x): u32(UInt32(bitPattern: x))
            case .uint64(let x): u64(x)
            case .int64(let x): u64(UInt64(bitPattern: x))
            case .float32(let x): u32(x.bitPattern)
            case .float64(let x): u64(x.bitPattern)
            case .bool(let x): out.append(x ? 1 : 0)
            case .string(let s): string(s)
            case .array(let type, let items):
                u32(type.rawValue)
                u64(UInt64(items.count))
                for item in items {
                    guard item.type == type else {
                        throw ModelFileError(.malformed, path: path, "metadata \(key): array of \(type) holds a \(item.type)")
                    }
                    try value(item, key: key)
                }
            }
        }
        var alignment = 32
        if let a = metadata.first(where: { $0.key == "general.alignment" })?.value {
            guard case .uint32(let av) = a, av > 0, av & (av - 1) == 0 else {
                throw ModelFileError(.malformed, path: path, "general.alignment must be a power-of-two u32")
            }
            alignment = Int(av)
        }
        u32(GGUFFile.magic)
        u32(3)
        u64(0)
        u64(UInt64(metadata.count))
        var seen = Set<String>()
        for (key, v) in metadata {
            guard seen.insert(key).inserted else { throw ModelFileError(.malformed, path: path, "duplicate metadata key \(key)") }
            string(key)
            u32(v.type.rawValue)
            try value(v, key: key)
        }
        out.append(contentsOf: [UInt8](repeating: 0, count: (alignment - out.count % alignment) % alignment))
        return out
    }

    /// Writes `metadata` to `path` atomically (temporary file + rename).
    public static func write(metadata: [(key: String, value: GGUFValue)], to path: String) throws {
        try AtomicFile.write(try encode(metadata: metadata, path: path), to: path)
    }
}
