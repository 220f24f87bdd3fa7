import ArgumentParser
import Foundation
import LowBitIO
import LowBitModels

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a model's architecture, config and tensor table.",
        discussion: "MODEL is a Hugging Face model directory (config.json + *.safetensors), a .gguf file, or a quantized model directory (lowbit quantize; shows its recipe and per-site storage). Shapes are row-major (GGUF's ne order reversed).")

    @Argument(help: "Model directory or .gguf file.") var model: String
    @Flag(help: "Print JSON instead of text.") var json = false
    @Flag(help: "Also list GGUF metadata (long arrays summarized).") var metadata = false

    struct Report: Encodable {
        struct Row: Encodable { let name: String; let dtype: String; let shape: [Int]; let bytes: Int }
        let path: String
        let format: String
        let architecture: String
        let config: [String: String]
        let parameters: Int
        let file_bytes: Int
        let tensor_count: Int
        let tensors: [Row]
        let metadata: [String: String]?
    }

    func run() throws {
        if QuantizedModelDirectory.isQuantized(model) { return try inspectQuantized() }
        let src = try ModelSource.open(model)
        let rows = src.tensors
        var meta: [String: String]? = nil
        if metadata, case .gguf(let g, _) = src {
            meta = Dictionary(uniqueKeysWithValues: g.metadataKeys.map { ($0, g.metadata[$0]!.description) })
        }
        if json {
            try Output.printJSON(Report(
                path: src.path, format: src.format, architecture: src.config.architecture,
                config: Dictionary(uniqueKeysWithValues: src.config.summary), parameters: src.parameterCount,
                file_bytes: src.fileBytes, tensor_count: rows.count,
                tensors: rows.map { .init(name: $0.name, dtype: $0.dtype, shape: $0.shape.dims, bytes: $0.byteCount) },
                metadata: meta))
            return
        }
        print("\(src.path)")
        print("format: \(src.format)   architecture: \(src.config.architecture)   parameters: \(Output.count(src.parameterCount))   file: \(Output.bytes(src.fileBytes))")
        print(src.config.summary.map { "\($0)=\($1)" }.joined(separator: " "))
        if let meta, case .gguf(let g, _) = src {
            print("\nmetadata (\(g.metadataKeys.count) keys):")
            for k in g.metadataKeys { print("  \(k) = \(meta[k]!)") }
        }
        var byType: [String: (Int, Int)] = [:]
        for r in rows { byType[r.dtype, default: (0, 0)].0 += 1; byType[r.dtype, default: (0, 0)].1 += r.byteCount }
        print("\n\(rows.count) tensors: " + byType.sorted { $0.key < $1.key }.map { "\($0.value.0) \($0.key) (\(Output.bytes($0.value.1)))" }.joined(separator: ", "))
        print(Output.table(["name", "dtype", "shape", "bytes"],
                           rows.map { [$0.name, $0.dtype, $0.shape.description, "\($0.byteCount)"] }))
    }
}
