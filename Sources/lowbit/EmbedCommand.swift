import ArgumentParser
import Foundation
import LowBitCUDA

struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Embed sentences with a sentence encoder (one JSON array per line).",
        discussion: """
            Reads one text a line from --input (or standard input with -), and writes one line per \
            text to standard output: {"index": i, "embedding": [...]}, mean-pooled and L2-normalized \
            as sentence-transformers does. Empty lines are embedded too, so output line i is input line i.
            """)

    @Argument(help: "Model directory (BERT family, e.g. all-MiniLM-L6-v2).") var model: String
    @Option(help: "Text file, one text a line ('-' for standard input).") var input: String
    @Option(help: "Texts per forward pass.") var batchSize = 32
    @Option(help: "How a quantized directory runs: simulated (FP32 GEMMs on dequantized weights) or integer (INT8 kernels where the scheme allows).") var engine: Engine = .simulated
    @Option(help: "Longest encoding in tokens, [CLS]/[SEP] included.") var maxLength = 256
    @Option(help: "cpu, or cuda (NVIDIA GPU: FP16, or the quantized directory's W8A8 codes on the INT8 GEMM).") var device: Device = .cpu

    enum Device: String, ExpressibleByArgument, CaseIterable { case cpu, cuda }

    func run() throws {
        guard batchSize > 0, maxLength > 2 else { throw ValidationError("--batch-size must be > 0 and --max-length > 2") }
        let lines = try readLines(input)
        guard device == .cpu || engine == .simulated else {
            throw ValidationError("--engine integer is a CPU engine; with --device cuda the W8A8 sites run on the GPU's INT8 GEMM")
        }
        let embedder = try Loaders.sentenceEmbedder(model, maxLength: maxLength, engine: engine)
        let gpu = device == .cuda ? try CUDASentenceEncoder(model: embedder.model) : nil
        if let gpu { FileHandle.standardError.write(Data("\(model): CUDA, recipe \(gpu.recipe)\n".utf8)) }
        var index = 0
        for start in stride(from: 0, to: lines.count, by: batchSize) {
            let chunk = Array(lines[start..<min(start + batchSize, lines.count)])
            let vectors = try gpu?.embed(ids: chunk.map(embedder.ids), batchSize: batchSize) ?? embedder.embed(chunk, batchSize: batchSize)
            for vector in vectors {
                let values = vector.map { String($0) }.joined(separator: ",")
                print("{\"index\":\(index),\"embedding\":[\(values)]}")
                index += 1
            }
        }
    }
}

/// The lines of a text file, or of standard input for "-" (trailing newline ignored).
func readLines(_ path: String) throws -> [String] {
    let text: String
    if path == "-" {
        text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
    } else {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("\(path): cannot read the file (missing or not readable)")
        }
        text = String(decoding: data, as: UTF8.self)
    }
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if lines.last == "" { lines.removeLast() }
    return lines
}
