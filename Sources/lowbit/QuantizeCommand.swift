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

            --method lkd first trains each block's weights by layer-by-layer knowledge distillation \
            (ZeroQuant's LKD) on the --calibration text: block k, its weights fake-quantized as the \
            recipe will quantize them, learns to reproduce the float block k's output on the float \
            model's hidden states (MSE, Adam, --steps per block); then the recipe quantizes the \
            trained weights as usual. It supports recipes with method rtn and activations none or \
            dynamic_per_token. --train picks what trains: weights, weights+biases (default), or either \
            with +scales (weights+scales, weights+biases+scales): each weight group's scale then \
            trains too (LSQ, from RTN's min-max scale, Adam at --scale-lr on s / s_RTN), and the \
            output stores the learned scales with codes quantized on them. Norm parameters never train.
            """)

    @Argument(help: "Model directory (HF) or .gguf file.") var model: String
    @Option(help: "Preset name or recipe JSON file.") var recipe: String
    @Option(help: "Output directory.") var out: String
    @Option(help: "Calibration text file.") var calibration: String?
    @Option(help: "Calibration sequences.") var calibrationSequences = 32
    @Option(name: [.customLong("calibration-length"), .customLong("seq-len")], help: "Tokens per calibration sequence.")
    var calibrationLength = 128
    @Option(help: "ptq (the recipe alone) or lkd (distill each block first; needs --calibration).") var method = "ptq"
    @Option(help: "lkd: Adam steps per block.") var steps = 50
    @Option(help: "lkd: Adam learning rate.") var lr = 5e-5
    @Option(help: "lkd: sequences per step.") var batch = 4
    @Option(help: "lkd: random seed (batch sampling).") var seed: UInt64 = 0
    @Option(help: "lkd: trained tensors: weights, weights+biases, weights+scales or weights+biases+scales.")
    var train = "weights+biases"
    @Option(help: "lkd: Adam learning rate of the weight scales (relative to RTN's; with --train ...+scales).")
    var scaleLr = 1e-3
    @Option(help: ArgumentHelp(
        "Decoder LM head: int8 (8-bit per-channel weights, float inputs, as llama.cpp's Q8_0 output), float, or recipe.",
        discussion: "Default: int8 for a preset, recipe for a recipe JSON file. The token embedding stays exact FP32 "
            + "for the lookup; a tied head gets its own 8-bit codes."))
    var head: Recipe.HeadChoice?
    @Flag(help: "Print the per-site SQNR report (worst first).") var report = false
    @Flag(help: "Replace a non-empty output directory.") var overwrite = false
    @Flag(help: "Print the report as JSON (no progress).") var json = false

    func run() throws {
        guard method == "ptq" || method == "lkd" else { throw ValidationError("--method must be ptq or lkd") }
        guard calibrationSequences > 0, calibrationLength > 1 else {
            throw ValidationError("--calibration-sequences must be > 0 and --calibration-length > 1")
        }
        let chosen = try Recipe.named(recipe).withHead(head ?? (Recipe.presetNames.contains(recipe) ? .int8 : .recipe))
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
        var distillation: DistillationReport? = nil
        if method == "lkd" {
            guard let sequences else { throw ValidationError("--method lkd needs --calibration FILE (unlabelled *-train text)") }
            guard calibrationSequences <= 1024 else {
                throw ValidationError("--method lkd keeps every calibration sequence's hidden states: use at most 1024 sequences")
            }
            guard let trained = DistillationOptions.Trained(rawValue: train) else {
                throw ValidationError("--train must be one of \(DistillationOptions.Trained.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let options = DistillationOptions(steps: steps, learningRate: lr, batch: batch, trained: trained,
                                              scaleLearningRate: scaleLr, seed: seed)
            let t0 = Date()
            distillation = try distill(model: layered, recipe: chosen, sequences: sequences, options: options) { r, done, total in
                let scales = r.scaleMultiplier.map { String(format: ", scales ×%.3f…%.3f (mean %.4f)", $0.min, $0.max, $0.mean) } ?? ""
                log?(String(format: "lkd layer %d/%d (block %d): loss %.4g → %.4g%@, %.1f s (elapsed %.0f s)", done, total, r.layer,
                            r.lossBefore, r.lossAfter, scales, r.seconds, Date().timeIntervalSince(t0)))
            }
        }
        var result = try quantize(model: layered, recipe: chosen, calibration: sequences,
                                  weightParams: distillation?.learnedScales ?? [:], progress: log)
        result.distillation = distillation
        let reportJSON = try JSONEncoder().encode(result)
        try QuantizedModelDirectory.write(model: layered, source: source, recipe: try chosen.jsonData(), report: reportJSON,
                                          to: out, overwrite: overwrite)
        if json {
            print(String(decoding: reportJSON, as: UTF8.self))
            return
        }
        if report { print(result.table()) }
        if let d = distillation {
            let before = d.layers.reduce(0) { $0 + $1.lossBefore }, after = d.layers.reduce(0) { $0 + $1.lossAfter }
            print(String(format: "lkd: %d blocks, %d sequences (%d tokens), summed layer loss %.4g → %.4g, %.1f s", d.layers.count,
                         d.sequences, d.tokens, before, after, d.seconds))
        }
        print(String(format: "%@: %d sites quantized, %d kept in float, %.1f s → %@", chosen.name ?? recipe,
                     result.sites.count, result.keptFloat.count, result.seconds, out))
    }
}

extension Recipe.HeadChoice: ExpressibleByArgument {}
