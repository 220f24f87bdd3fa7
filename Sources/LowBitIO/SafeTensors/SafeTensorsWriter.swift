import Foundation
import LowBitCore

/// Writes `.safetensors` files atomically (temporary file + rename).
public enum SafeTensorsWriter {
    /// A tensor to write: its bytes must be `dtype.byteSize × shape.count` long.
    public struct Entry {
        public var name: String
        public var dtype: DType
        public var shape: Shape
        public var bytes: Data

        public init(name: String, dtype: DType, shape: Shape, bytes: Data) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.bytes = bytes
        }

        /// An F32 entry holding a copy of `tensor`.
        public init(name: String, tensor: Tensor) {
            self.init(name: name, dtype: .f32, shape: tensor.shape,
                      bytes: tensor.withUnsafeBufferPointer { Data(buffer: $0) })
        }
    }

    /// Writes `entries` in the given order (data offsets follow that order), with `metadata`
    /// as `__metadata__`. The header is padded with spaces to a multiple of 8 bytes so that
    /// every tensor's data starts 8-byte aligned when the tensors are ordered by alignment.
    public static func write(_ entries: [Entry], metadata: [String: String] = [:], to path: String) throws {
        var seen = Set<String>()
        var header: [String: Any] = [:]
        var offset = 0
        for e in entries {
            guard seen.insert(e.name).inserted else {
                throw ModelFileError(.malformed, path: path, "duplicate tensor name \(e.name)")
            }
            guard e.name != "__metadata__" else {
                throw ModelFileError(.malformed, path: path, "__metadata__ cannot be a tensor name")
            }
            let expected = e.shape.count * e.dtype.byteSize
            guard e.bytes.count == expected else {
                throw ModelFileError(.malformed, path: path, "tensor \(e.name): \(e.dtype.rawValue) × \(e.shape) needs \(expected) bytes, got \(e.bytes.count)")
            }
            header[e.name] = ["dtype": e.dtype.rawValue, "shape": e.shape.dims, "data_offsets": [offset, offset + expected]] as [String: Any]
            offset += expected
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))
        try AtomicFile.write(to: path) { h in
            var n = UInt64(json.count).littleEndian
            try h.write(contentsOf: Data(bytes: &n, count: 8))
            try h.write(contentsOf: json)
            for e in entries { try h.write(contentsOf: e.bytes) }
        }
    }
}
