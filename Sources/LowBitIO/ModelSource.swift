import Foundation
import LowBitCore

/// A model on disk: a Hugging Face model directory (config.json + safetensors) or a GGUF file.
public enum ModelSource: Sendable {
    case huggingFace(directory: String, config: ModelConfig, files: [SafeTensorsFile])
    case gguf(GGUFFile, config: ModelConfig)

    /// One row of the tensor table, whatever the file format.
    public struct TensorEntry: Sendable, Equatable {
        public let name: String
        /// `F32`, `BF16`, `Q4_1`, ...
        public let dtype: String
        /// Row-major shape.
        public let shape: Shape
        public let byteCount: Int
    }

    /// Opens `path`: a directory with `config.json` and `*.safetensors`, or a `.gguf` file.
    public static func open(_ path: String) throws(ModelFileError) -> ModelSource {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw ModelFileError(.notFound, path: path, "no such file or directory")
        }
        if !isDir.boolValue {
            let g = try GGUFFile(path: path)
            let arch = g.metadata["general.architecture"]?.stringValue ?? "?"
            guard arch == "llama" else {
                throw ModelFileError(.unsupported, path: path, "GGUF architecture \(arch) is not supported (llama)")
            }
            return .gguf(g, config: .llama(try LlamaConfig(gguf: g)))
        }
        let dir = (path as NSString).standardizingPath
        let config = try ModelConfig.load(configJSON: dir + "/config.json")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
            .filter { $0.hasSuffix(".safetensors") }.sorted()
        guard !names.isEmpty else {
            let hasBin = FileManager.default.fileExists(atPath: dir + "/pytorch_model.bin")
            throw ModelFileError(hasBin ? .unsupported : .notFound, path: dir,
                                 hasBin ? "only pytorch_model.bin found; LowBit reads safetensors (convert the checkpoint first)"
                                        : "no *.safetensors weights in this directory")
        }
        var files: [SafeTensorsFile] = []
        for n in names { files.append(try SafeTensorsFile(path: dir + "/" + n)) }
        return .huggingFace(directory: dir, config: config, files: files)
    }

    public var config: ModelConfig {
        switch self {
        case .huggingFace(_, let c, _), .gguf(_, let c): c
        }
    }

    public var format: String {
        switch self {
        case .huggingFace: "safetensors"
        case .gguf(let g, _): "gguf v\(g.version)"
        }
    }

    /// Path of the model (directory or file).
    public var path: String {
        switch self {
        case .huggingFace(let d, _, _): d
        case .gguf(let g, _): g.path
        }
    }

    /// All tensors, in file order.
    public var tensors: [TensorEntry] {
        switch self {
        case .huggingFace(_, _, let files):
            files.flatMap { f in f.tensors.map { TensorEntry(name: $0.name, dtype: $0.dtype.rawValue, shape: $0.shape, byteCount: $0.byteCount) } }
        case .gguf(let g, _):
            g.tensors.map { TensorEntry(name: $0.name, dtype: $0.type.description, shape: $0.shape, byteCount: $0.byteCount) }
        }
    }

    public var parameterCount: Int { tensors.reduce(0) { $0 + $1.shape.count } }

    /// Bytes on disk of the weight files.
    public var fileBytes: Int {
        switch self {
        case .huggingFace(_, _, let files): files.reduce(0) { $0 + $1.file.count }
        case .gguf(let g, _): g.file.count
        }
    }

    /// A tensor as FP32 (dequantized for GGUF block types), by its file name.
    public func float32(named name: String) throws(ModelFileError) -> Tensor {
        switch self {
        case .huggingFace(let dir, _, let files):
            for f in files where f.tensor(named: name) != nil { return try f.float32(named: name) }
            throw ModelFileError(.malformed, path: dir, "no tensor named \(name)")
        case .gguf(let g, _):
            return try g.dequantize(named: name)
        }
    }

    public func hasTensor(_ name: String) -> Bool {
        switch self {
        case .huggingFace(_, _, let files): files.contains { $0.tensor(named: name) != nil }
        case .gguf(let g, _): g.tensor(named: name) != nil
        }
    }
}
