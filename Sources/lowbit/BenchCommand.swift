import ArgumentParser
import Foundation
import LowBitCore
import LowBitCUDA
import LowBitEval
import LowBitIO
import LowBitModels
import LowBitTokenizers

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time a model end to end: encoder throughput and latency, decoder prefill and generation speed, peak memory.",
        discussion: """
            Encoders (BERT family): --batch B sequences of exactly --seq S tokens each ([CLS], S−2 \
            consecutive tokens of real text, [SEP]; no padding) embedded per run (encoder, mean \
            pooling, L2 norm, as `lowbit embed`); reports sentences/s and tokens/s at the median \
            latency, and latency median / p10 / p90. Defaults 1 × 128.

            Decoders (GPT-2, Llama): --prompt-tokens P tokens of real text prefilled into a fresh KV \
            cache, then --gen-tokens G greedy steps of one token each (no stop at end-of-text, so \
            every run does G steps); reports prefill tokens/s and generation tokens/s at the median. \
            Defaults 512 + 128.

            GPU (--device cuda, encoders): MODEL is a model or quantized directory, or bert-base / \
            bert-large (the real configs with random weights); the forward pass runs as a CUDA graph \
            replay, timed with CUDA events (median of 7 samples of at least 5 ms), for every --batch × \
            --seq pair of the comma lists and every recipe of --recipes (e.g. --batch 1,8,32 --seq \
            128,256 --recipes fp16,int8,fp8,w4a8,tuned --backend auto). Each measurement is also \
            printed to stderr as it comes ("encoder model=… batch=… seq=… recipe=… ms=…", the lines \
            of `lowbit cuda encoder-bench`). --warmup, --repeats and --text do not apply there.

            Text: --text FILE (non-empty lines), else ../shared/data/labelled/lee50-docs.txt, else a \
            built-in sample; read again from its start when a shape needs more tokens. Memory: the \
            process's high-water resident set (VmHWM) and the weight files' bytes. --threads sets \
            LOWBIT_THREADS for this run. Each linear site is counted as integer (an integer-kernel \
            op), simulated (quantize → dequantize in FP32) or float.
            """)

    @Argument(help: "Hugging Face model directory, .gguf file or quantized directory (lowbit quantize); with --device cuda also bert-base or bert-large (random weights).") var model: String
    @Option(help: "Encoder: sequences per forward pass; with --device cuda a comma list (1,2,4) runs each.") var batch: String?
    @Option(help: "Encoder: tokens per sequence, [CLS] and [SEP] included; with --device cuda a comma list (128,256).") var seq: String?
    @Option(help: "Decoder: prompt tokens prefilled per run.") var promptTokens: Int?
    @Option(help: "Decoder: tokens generated per run (greedy, with the KV cache).") var genTokens: Int?
    @Option(help: "How a quantized directory runs: simulated (FP32 GEMMs on dequantized weights) or integer (integer kernels where the scheme allows).") var engine: Engine = .simulated
    @Option(help: "cpu, or cuda (encoders: FP16, or a quantized directory's recipe on the GPU kernels; CUDA graph replays timed with CUDA events).") var device: EmbedCommand.Device = .cpu
    @Option(help: "Worker threads (default: LOWBIT_THREADS, else all cores).") var threads: Int?
    @Option(help: "Untimed runs before the timed ones.") var warmup = 1
    @Option(help: "Timed runs.") var repeats = 5
    @Option(help: "Text file whose lines make the inputs.") var text: String?
    @Option(help: "--device cuda: comma list of recipes (\(ArgumentLists.recipeHelp)); default the model's own (a quantized directory's recipe, else fp16). tuned adds the autotuner's row.") var recipes: String?
    @Option(help: "--device cuda: the autotuner's floor, the fewest weight bits per GEMM it may pick (default int8; implies tuned).") var tuneFloor: String?
    @Option(help: "--device cuda: the autotuner's JSON cache (read and updated).") var tuneCache: String?
    @Option(help: "--device cuda: GEMM backend: own, cublasLt, or auto (the faster per shape; default).") var backend: GemmBackendPolicy?
    @Option(help: "--device cuda: how FP8 GEMMs sum over K: promoted or fast (Hopper's fast accumulation; default: the encoder's).")
    var fp8Accumulation: FP8Accumulation?
    @Flag(help: "Print one JSON object instead of the table, and no progress (--device cuda: progress lines on stderr still).") var json = false

    func validate() throws {
        for (name, value) in [("--prompt-tokens", promptTokens), ("--gen-tokens", genTokens), ("--threads", threads)] {
            if let value, value < 1 { throw ValidationError("\(name) must be at least 1, got \(value)") }
        }
        let (batches, seqs) = try shapes()
        if device == .cpu {
            if batches.count > 1 || seqs.count > 1 { throw ValidationError("lists of --batch / --seq values run with --device cuda; on the CPU give one of each") }
            for (name, given) in [("--recipes", recipes != nil), ("--tune-floor", tuneFloor != nil), ("--tune-cache", tuneCache != nil),
                                  ("--backend", backend != nil)] where given {
                throw ValidationError("\(name) is a --device cuda option")
            }
        }
        _ = try cudaRecipes()
        if (batch != nil || seq != nil) && (promptTokens != nil || genTokens != nil) {
            throw ValidationError("give --batch/--seq (encoder) or --prompt-tokens/--gen-tokens (decoder), not both")
        }
        if device == .cuda && engine == .integer {
            throw ValidationError("--engine integer is a CPU engine; with --device cuda the quantized sites run on the GPU kernels")
        }
        guard warmup >= 0 else { throw ValidationError("--warmup must be at least 0, got \(warmup)") }
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1, got \(repeats)") }
    }

    /// --batch and --seq as lists (defaults 1 and 128).
    func shapes() throws -> (batches: [Int], seqs: [Int]) {
        (try batch.map { try ArgumentLists.ints($0, option: "--batch") } ?? [1],
         try seq.map { try ArgumentLists.ints($0, option: "--seq", minimum: 3, why: " ([CLS], one text token, [SEP])") } ?? [128])
    }

    func run() throws {
        if let threads {
            // Parallel.threads reads LOWBIT_THREADS once, on first use: set it before any kernel runs.
            setenv("LOWBIT_THREADS", String(threads), 1)
            guard Parallel.threads == threads else { throw BenchError("--threads \(threads): the thread count was already fixed at \(Parallel.threads)") }
        }
        let (batches, seqs) = try shapes()
        let randomConfig = CUDAEncoderBenchmark.randomConfig(model) != nil
        if device == .cuda && randomConfig {
            guard promptTokens == nil && genTokens == nil else {
                throw BenchError("\(model) is an encoder: give --batch/--seq, not --prompt-tokens/--gen-tokens")
            }
            return try runCUDA(batches: batches, seqs: seqs)
        }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: model, isDirectory: &isDir) else {
            throw BenchError("\(model): no such file or directory\(randomConfig ? " (bert-base and bert-large with random weights run with --device cuda)" : "")")
        }
        let quantized = QuantizedModelDirectory.isQuantized(model)
        if engine == .integer && !quantized {
            throw BenchError("\(model): --engine integer runs a quantized directory (made by `lowbit quantize`); this is a float model")
        }
        let architecture = isDir.boolValue ? try ModelConfig.load(configJSON: model + "/config.json").architecture : "llama"
        let isEncoder = architecture == "bert"
        if isEncoder && (promptTokens != nil || genTokens != nil) {
            throw BenchError("\(model) is a \(architecture) encoder: give --batch/--seq, not --prompt-tokens/--gen-tokens")
        }
        if !isEncoder && (batch != nil || seq != nil) {
            throw BenchError("\(model) is a \(architecture) decoder: give --prompt-tokens/--gen-tokens, not --batch/--seq")
        }
        if device == .cuda {
            guard isEncoder else { throw BenchError("--device cuda runs encoders (BERT family); \(model) is a \(architecture) decoder") }
            return try runCUDA(batches: batches, seqs: seqs)
        }
        let (lines, textSource) = try BenchWorkload.text(explicit: text)
        let setup = BenchSetup(model: model, architecture: architecture, engine: engine, quantized: quantized, text: lines,
                               textSource: textSource, warmup: warmup, repeats: repeats, progress: !json)
        let report = isEncoder
            ? try setup.runEncoder(batch: batches[0], seq: seqs[0])
            : try setup.runDecoder(prompt: promptTokens ?? 512, generate: genTokens ?? 128)
        if json { try Output.printJSON(report) } else { print(report.table()) }
    }
}

/// What one `lowbit bench` run needs besides the shapes.
struct BenchSetup {
    let model: String, architecture: String, engine: Engine, quantized: Bool
    let text: [String]
    let textSource: String
    let warmup: Int, repeats: Int, progress: Bool

    /// Embeds `batch` × `seq` token ids per run.
    func runEncoder(batch: Int, seq: Int) throws -> BenchReport {
        var embedder: SentenceEmbedder!
        let load = try BenchWorkload.seconds { embedder = try Loaders.sentenceEmbedder(model, maxLength: seq, engine: engine) }
        let rssAfterLoad = ProcessMemory.residentBytes()
        let maxPositions = embedder.model.config.maxPositions
        guard seq <= maxPositions else { throw BenchError("--seq \(seq) is longer than the model's \(maxPositions) positions") }
        guard let tokenizer = try TokenizerLoader.load(modelPath: model) as? WordPieceTokenizer,
              let cls = tokenizer.specialTokens.classifier, let sep = tokenizer.specialTokens.separator else {
            throw BenchError("\(model): the encoder's tokenizer has no [CLS]/[SEP] tokens")
        }
        let stream = try textStream(tokenizer)
        let ids = BenchWorkload.encoderIDs(stream: stream, cls: cls, sep: sep, batch: batch, seq: seq)
        let bar = ProgressBar("bench", total: warmup + repeats, enabled: progress)
        defer { bar.finish() }
        let samples = try BenchWorkload.measure(warmup: warmup, repeats: repeats, progress: bar) {
            [try BenchWorkload.seconds { _ = try embedder.embed(ids: ids, batchSize: batch) }]
        }
        let latency = LatencyStats(seconds: samples[0])
        let perSecond = 1e3 / latency.median_ms
        let result = EncoderResult(batch: batch, seq: seq, sentences_per_second: Double(batch) * perSecond,
                                   tokens_per_second: Double(batch * seq) * perSecond, latency: latency)
        return report(layered: embedder.model, load: load, rssAfterLoad: rssAfterLoad, encoder: result, decoder: nil)
    }

    /// Prefills `prompt` tokens into a fresh cache, then generates `generate` tokens greedily, per run.
    func runDecoder(prompt: Int, generate: Int) throws -> BenchReport {
        var loaded: (model: any CausalLM, tokenizer: any Tokenizer)!
        let load = try BenchWorkload.seconds { loaded = try Loaders.causalLM(model, engine: engine) }
        let rssAfterLoad = ProcessMemory.residentBytes()
        let lm = loaded.model
        guard prompt + generate <= lm.contextLength else {
            throw BenchError("--prompt-tokens \(prompt) + --gen-tokens \(generate) exceed the model's context of \(lm.contextLength) tokens")
        }
        let promptIDs = BenchWorkload.cycled(try textStream(loaded.tokenizer), from: 0, count: prompt).map { Int32($0) }
        let bar = ProgressBar("bench", total: warmup + repeats, enabled: progress)
        defer { bar.finish() }
        let samples = try BenchWorkload.measure(warmup: warmup, repeats: repeats, progress: bar) {
            let cache = lm.makeCache()
            var next: Int32 = 0
            let prefill = try BenchWorkload.seconds { next = BenchWorkload.argmax(try lm.lastLogits(tokens: promptIDs, cache: cache)) }
            let steps = try BenchWorkload.seconds {
                for _ in 0..<generate { next = BenchWorkload.argmax(try lm.lastLogits(tokens: [next], cache: cache)) }
            }
            return [prefill, steps]
        }
        let prefill = LatencyStats(seconds: samples[0]), steps = LatencyStats(seconds: samples[1])
        let result = DecoderResult(prompt_tokens: prompt, gen_tokens: generate,
                                   prefill_tokens_per_second: Double(prompt) * 1e3 / prefill.median_ms,
                                   generation_tokens_per_second: Double(generate) * 1e3 / steps.median_ms,
                                   generation_ms_per_token: steps.median_ms / Double(generate), prefill: prefill, generation: steps)
        return report(layered: lm as? any LayeredModel, load: load, rssAfterLoad: rssAfterLoad, encoder: nil, decoder: result)
    }

    /// The text's token ids, no special tokens; at least one.
    private func textStream(_ tokenizer: any Tokenizer) throws -> [Int] {
        let ids = tokenizer.encode(text.joined(separator: "\n"), addSpecialTokens: false, parseSpecialTokens: false)
        guard !ids.isEmpty else { throw BenchError("the benchmark text tokenizes to no tokens") }
        return ids
    }

    private func report(layered: (any LayeredModel)?, load: Double, rssAfterLoad: Int?, encoder: EncoderResult?,
                        decoder: DecoderResult?) -> BenchReport {
        BenchReport(model: model, architecture: architecture, kind: encoder != nil ? "encoder" : "decoder", engine: engine.rawValue,
                    quantized: quantized, threads: Parallel.threads, isa: CPUKernels.isaName, warmup: warmup, repeats: repeats,
                    text: textSource, load_seconds: load, linear_sites: SiteCounts(layered?.linearSites() ?? []),
                    memory: .init(weight_file_bytes: ProcessMemory.weightFileBytes(model), rss_after_load_bytes: rssAfterLoad,
                                  peak_rss_bytes: ProcessMemory.peakResidentBytes()),
                    encoder: encoder, decoder: decoder)
    }
}
