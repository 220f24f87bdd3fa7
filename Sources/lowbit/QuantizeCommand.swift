import ArgumentParser
import Foundation
import LowBitAlgorithms
import LowBitEval
import LowBitIO
import LowBitModels
import LowBitTokenizers

struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Quantize a model with a recipe and write a quantized model directory.",
        discussion: """
            RECIPE is a preset (\(Recipe.presetNames.joined(separator: ", "))) or a recipe JSON file \
            (see Sources/LowBitAlgorithms/README.md). --calibration gives unlabelled text (documents \
            separated by blank lines) for methods and activation modes that need data; use *-train \
            text, never the evaluation text. The output directory (docs/format.md) is written \
            atomically and works with `lowbit eval`, `embed`, `generate` and `inspect`.
            """)

    @Argument(help: "Model directory (HF) or .gguf file.") var model: String
    @Option(help: "Preset name or recipe JSON file.") var recipe: String
    @Option(help: "Output directory.") var out: String
    @Option(help: "Calibration text file.") var calibration: String?
    @Option(help: "Calibration sequences.") var calibrationSequences = 32
    @Option(help: "Tokens per calibration sequence.") var calibrationLength = 128
    @Flag(help: "Print the per-site SQNR report (worst first).") var report = false
    @Flag(help: "Replace a non-empty output directory.") var overwrite = false
    @Flag(help: "Print the report as JSON (no progress).") var json = false

    func run() throws {
        guard calibrationSequences > 0, calibrationLength > 1 else {
            throw ValidationError("--calibration-sequences must be > 0 and --calibration-length > 1")
        }
        let chosen = try Recipe.named(recipe)
        let source = try ModelSource.open(model)
        let layered: any LayeredModel
        switch source.config {
        case .bert: layered = try BertModel.load(source)
        case .gpt2, .llama: layered = try DecoderModel.load(source)
        }
        var sequences: [[Int32]]? = nil
        if let calibration {
            let tokenizer = try TokenizerLoader.load(modelPath: model)
            let text = try TextFile.read(calibration)
            sequences = CalibrationText.sequences(text: text, tokenizer: tokenizer, count: calibrationSequences,
                                                  length: calibrationLength,
                                                  separator: layered is BertModel ? nil : tokenizer.specialTokens.eos.map(Int32.init))
            if sequences!.isEmpty { throw ValidationError("\(calibration): no calibration text in the file") }
        }
        let log: ((String) -> Void)? = json ? nil : { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        let result = try quantize(model: layered, recipe: chosen, calibration: sequences, progress: log)
        let reportJSON = try JSONEncoder().encode(result)
        try QuantizedModelDirectory.write(model: layered, source: source, recipe: try chosen.jsonData(), report: reportJSON,
                                          to: out, overwrite: overwrite)
        if json {
            print(String(decoding: reportJSON, as: UTF8.self))
            return
        }
        if report { print(result.table()) }
        print(String(format: "%@: %d sites quantized, %d kept in float, %.1f s → %@", chosen.name ?? recipe,
                     result.sites.count, result.keptFloat.count, result.seconds, out))
    }
}
