import Foundation
import LowBitModels

/// What `lowbit bench` prints: one JSON object with `--json` (these field names), else `table()`.
struct BenchReport: Encodable {
    let model: String
    let architecture: String
    /// "encoder" or "decoder"; the matching field below is set, the other left out.
    let kind: String
    let engine: String
    let quantized: Bool
    let threads: Int
    /// Instruction-set level of the kernels ("avx512", "avx2", "portable").
    let isa: String
    let warmup: Int
    let repeats: Int
    /// Where the input text came from.
    let text: String
    let load_seconds: Double
    let linear_sites: SiteCounts
    let memory: Memory
    let encoder: EncoderResult?
    let decoder: DecoderResult?

    struct Memory: Encodable {
        /// Bytes of the .gguf file or of the directory's *.safetensors files.
        let weight_file_bytes: Int
        let rss_after_load_bytes: Int?
        /// High-water resident set of the process at the end of the run (VmHWM).
        let peak_rss_bytes: Int
    }

    /// The human-readable form: a header, the result table, the memory line.
    func table() -> String {
        let sites = linear_sites
        var lines = [
            "lowbit bench: \((model as NSString).lastPathComponent) (\(architecture) \(kind)\(quantized ? ", quantized" : "")), "
                + "engine \(engine), \(threads) thread(s), \(isa)",
            "linear sites: \(sites.integer) integer, \(sites.simulated) simulated, \(sites.float) float of \(sites.total) ("
                + sites.by_op.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")",
            "text: \(text); \(warmup) warm-up + \(repeats) timed run(s); load \(String(format: "%.2f", load_seconds)) s",
            "",
        ]
        func ms(_ v: Double) -> String { String(format: "%.2f", v) }
        if let e = encoder {
            let l = e.latency
            lines.append(Output.table(
                ["batch × seq", "sentences/s", "tokens/s", "median ms", "p10 ms", "p90 ms"],
                [["\(e.batch) × \(e.seq)", String(format: "%.1f", e.sentences_per_second), String(format: "%.0f", e.tokens_per_second),
                  ms(l.median_ms), ms(l.p10_ms), ms(l.p90_ms)]]))
        }
        if let d = decoder {
            lines.append(Output.table(
                ["phase", "tokens", "tokens/s", "median ms", "p10 ms", "p90 ms"],
                [["prefill", "\(d.prompt_tokens)", String(format: "%.1f", d.prefill_tokens_per_second),
                  ms(d.prefill.median_ms), ms(d.prefill.p10_ms), ms(d.prefill.p90_ms)],
                 ["generation", "\(d.gen_tokens)", String(format: "%.1f", d.generation_tokens_per_second),
                  ms(d.generation.median_ms), ms(d.generation.p10_ms), ms(d.generation.p90_ms)]]))
        }
        lines.append("")
        lines.append("memory: weights \(Output.bytes(memory.weight_file_bytes)) on disk; RSS after load "
                     + (memory.rss_after_load_bytes.map(Output.bytes) ?? "?") + "; peak RSS \(Output.bytes(memory.peak_rss_bytes))")
        return lines.joined(separator: "\n")
    }
}

/// Encoder throughput at the median latency of one batch.
struct EncoderResult: Encodable {
    let batch: Int
    let seq: Int
    let sentences_per_second: Double
    let tokens_per_second: Double
    /// Latency of one batch (tokenized ids → normalized embeddings).
    let latency: LatencyStats
}

/// Decoder speed at the median of each phase.
struct DecoderResult: Encodable {
    let prompt_tokens: Int
    let gen_tokens: Int
    let prefill_tokens_per_second: Double
    let generation_tokens_per_second: Double
    let generation_ms_per_token: Double
    /// Prefill of the whole prompt into an empty cache.
    let prefill: LatencyStats
    /// All `gen_tokens` one-token steps together.
    let generation: LatencyStats
}

/// How a model's linear sites run: integer kernels, simulated quantization or float, and the
/// count per op type.
struct SiteCounts: Encodable {
    let total: Int
    let integer: Int
    let simulated: Int
    let float: Int
    let by_op: [String: Int]

    /// FloatLinear counts as float, QuantizedLinear (quantize → dequantize in FP32) as
    /// simulated, any other op (IntegerLinear and the other integer-kernel ops) as integer.
    init(_ sites: [LinearSite]) {
        var byOp: [String: Int] = [:], float = 0, simulated = 0
        for site in sites {
            byOp[String(describing: type(of: site.op)), default: 0] += 1
            if site.op is FloatLinear { float += 1 } else if site.op is QuantizedLinear { simulated += 1 }
        }
        total = sites.count
        self.float = float
        self.simulated = simulated
        integer = sites.count - float - simulated
        by_op = byOp
    }
}
