import Foundation
import LowBitCUDA

/// `lowbit bench ENCODER --device cuda`: the encoder forward pass on the GPU as a CUDA graph
/// replay (`CUDAEncoderBenchmark`, the same code path as `lowbit-cuda-check encoder-bench`).
/// An HF directory runs FP16; a quantized directory runs its own recipe on the GPU kernels.
/// Input ids are drawn from the vocabulary (timing does not depend on their values). Times are
/// CUDA events, median of 7 samples of at least 5 ms.
struct CUDABenchReport: Codable {
    struct Row: Codable {
        let batch: Int, seq: Int, recipe: String
        let median_ms: Double, sentences_per_second: Double, tokens_per_second: Double
    }
    let model: String
    let device: String
    let gemm_backend_policy: String
    let rows: [Row]

    init(_ r: CUDAEncoderBenchmark.Result) {
        model = r.model
        device = r.device
        gemm_backend_policy = r.backendPolicy
        rows = r.rows.map {
            Row(batch: $0.batch, seq: $0.seq, recipe: $0.recipe, median_ms: $0.ms,
                sentences_per_second: Double($0.batch) * 1e3 / $0.ms, tokens_per_second: $0.tokensPerSecond)
        }
    }

    func table() -> String {
        var lines = ["\(model) on \(device) (GEMM backend: \(gemm_backend_policy))",
                     "batch × seq   recipe                 median ms   sentences/s     tokens/s"]
        for r in rows {
            lines.append(String(format: "%5d × %-5d %-22@ %9.3f %13.1f %12.0f", r.batch, r.seq, r.recipe as NSString,
                                r.median_ms, r.sentences_per_second, r.tokens_per_second))
        }
        return lines.joined(separator: "\n")
    }
}

extension BenchCommand {
    /// Runs the GPU encoder benchmark at one (batch, seq) shape.
    func runCUDA(batch: Int, seq: Int) throws {
        let result = try CUDAEncoderBenchmark.run(model: model, batches: [batch], seqs: [seq])
        let report = CUDABenchReport(result)
        if json { try Output.printJSON(report) } else { print(report.table()) }
    }
}
