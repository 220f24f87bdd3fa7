import ArgumentParser
import Foundation
import LowBitCUDA

/// `lowbit bench ENCODER --device cuda`: the encoder forward pass on the GPU as a CUDA graph
/// replay (`CUDAEncoderBenchmark`, the same code path as `lowbit cuda encoder-bench`) over a
/// batch × seq grid. An HF directory runs FP16 and a quantized directory its own recipe unless
/// --recipes says otherwise; "bert-base" / "bert-large" run the real configs with random weights.
/// Input ids are drawn from the vocabulary (timing does not depend on their values). Times are
/// CUDA events, median of 7 samples of at least 5 ms.
struct CUDABenchReport: Codable {
    struct Row: Codable {
        let batch: Int, seq: Int
        /// The recipe; for the autotuned row its choice.
        let recipe: String
        /// True for the autotuner's row.
        let tuned: Bool
        let median_ms: Double, sentences_per_second: Double, tokens_per_second: Double
    }
    let model: String
    let device: String
    let gemm_backend_policy: String
    /// How the FP8 GEMMs summed over K: promoted or fast.
    let fp8_accumulation: String
    /// The autotuner's floor, when a tuned row was asked for.
    let tune_floor: String?
    let rows: [Row]
    /// `auto`'s per-GEMM-shape choices (key → backend and timings).
    let backend_choices: [String: GemmBackendChoice]
    /// The attention tiles timed per shape (shape → tile and timings).
    let attention_tiles: [String: AttentionTileChoice]

    init(_ r: CUDAEncoderBenchmark.Result, tuneFloor: EncoderRecipe?) {
        model = r.model
        device = r.device
        gemm_backend_policy = r.backendPolicy
        fp8_accumulation = r.fp8Accumulation
        tune_floor = tuneFloor?.description
        rows = r.rows.map {
            Row(batch: $0.batch, seq: $0.seq, recipe: $0.recipe, tuned: $0.tuned, median_ms: $0.ms,
                sentences_per_second: Double($0.batch) * 1e3 / $0.ms, tokens_per_second: $0.tokensPerSecond)
        }
        backend_choices = r.backendChoices
        attention_tiles = r.attentionTiles
    }

    func table() -> String {
        var lines = ["\(model) on \(device) (GEMM backend: \(gemm_backend_policy), FP8 accumulation: \(fp8_accumulation))",
                     "batch × seq   recipe                 median ms   sentences/s     tokens/s"]
        for r in rows {
            let recipe = r.tuned ? "tuned: \(r.recipe)" : r.recipe
            lines.append(String(format: "%5d × %-5d %-22@ %9.3f %13.1f %12.0f", r.batch, r.seq, recipe as NSString,
                                r.median_ms, r.sentences_per_second, r.tokens_per_second))
        }
        return lines.joined(separator: "\n")
    }
}

extension BenchCommand {
    /// --recipes / --tune-floor parsed: the recipes (empty: the model's own) and the tuner's
    /// floor (nil: no tuned row; "tuned" in --recipes alone means floor int8).
    func cudaRecipes() throws -> (recipes: [EncoderRecipe], tuneFloor: EncoderRecipe?) {
        let list = try recipes.map { try ArgumentLists.recipes($0, option: "--recipes") } ?? (recipes: [], tuned: false)
        let floor = try tuneFloor.map { try ArgumentLists.recipe($0, option: "--tune-floor") }
        return (list.recipes, floor ?? (list.tuned ? .w8a8 : nil))
    }

    /// Runs the GPU encoder benchmark over batches × seqs; progress lines on stderr.
    func runCUDA(batches: [Int], seqs: [Int]) throws {
        let (list, floor) = try cudaRecipes()
        let result = try CUDAEncoderBenchmark.run(
            model: model, batches: batches, seqs: seqs, recipes: list, policy: backend ?? .auto, tuneFloor: floor,
            tuneCache: tuneCache, fp8Accumulation: fp8Accumulation) { row in
                FileHandle.standardError.write(Data((CUDAEncoderBench.line(model: model, row: row, tuneFloor: floor) + "\n").utf8))
            }
        let choices = CUDAEncoderBench.backendLines(result)
        if !choices.isEmpty { FileHandle.standardError.write(Data((choices.joined(separator: "\n") + "\n").utf8)) }
        let report = CUDABenchReport(result, tuneFloor: floor)
        if json { try Output.printJSON(report) } else { print(report.table()) }
    }
}
