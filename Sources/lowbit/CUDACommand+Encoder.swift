import ArgumentParser
import LowBitCUDA

extension CUDACommand {
    struct EncoderBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "encoder-bench",
            abstract: "BERT forward passes as CUDA graph replays over a batch × seq grid, one 'encoder model=… ms=…' line each.",
            discussion: "The same measurement as `lowbit bench MODEL --device cuda` (CUDAEncoderBenchmark), as log lines.")
        @Option(help: "Comma list: bert-base, bert-large (random weights) or model paths.") var models = "bert-base,bert-large"
        @Option(help: "Comma list of batch sizes.") var batches = "1,2,4,8,16,32,64,128"
        @Option(help: "Comma list of sequence lengths.") var seqs = "128,256"
        @Option(help: "Comma list of recipes: \(ArgumentLists.recipeHelp).") var recipes = "fp16,int8,fp8,w4a8"
        @Option(help: "Also the autotuner's fastest recipe with at least this recipe's weight bits per GEMM.") var tuneFloor: String?
        @Option(help: "The autotuner's JSON cache.") var tuneCache: String?
        @Option(help: "GEMM backend: own, cublasLt, or auto (the faster per shape).") var backend: GemmBackendPolicy = .auto
        @Option(help: "How FP8 GEMMs sum over K: promoted or fast (Hopper's fast accumulation); default: the encoder's.")
        var fp8Accumulation: FP8Accumulation?

        func options() throws -> CUDACheck.EncoderBenchOptions {
            let list = try ArgumentLists.recipes(recipes, option: "--recipes")
            var floor = try tuneFloor.map { try ArgumentLists.recipe($0, option: "--tune-floor") }
            if list.tuned && floor == nil { floor = .w8a8 }
            return .init(models: try ArgumentLists.strings(models, option: "--models"),
                         batches: try ArgumentLists.ints(batches, option: "--batches"),
                         seqs: try ArgumentLists.ints(seqs, option: "--seqs", minimum: 3, why: " ([CLS], a token, [SEP])"),
                         recipes: list.recipes, tuneFloor: floor, tuneCache: tuneCache, backend: backend,
                         fp8Accumulation: fp8Accumulation)
        }
        func validate() throws { _ = try options() }
        func run() throws {
            let o = try options()
            try CUDACommand.check { try CUDACheck.encoderBench(o, say: CUDACommand.say); return 0 }
        }
    }

    struct EncoderProfile: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "encoder-profile",
            abstract: "Where a BERT forward pass spends its time: per-stage ms, TOPS or GB/s, one 'stage …' line each.",
            discussion: "One eager pass with a CUDA event after each stage (GEMMs, attention, row kernels), summed over "
                + "the layers, median of 5 passes; and the same pass as a graph replay. Random weights for bert-base and "
                + "bert-large, else a model path (CUDAEncoderProfile).")
        @Option(help: "Comma list: bert-base, bert-large (random weights) or model paths.") var models = "bert-base"
        @Option(help: "Comma list of batch sizes.") var batches = "128"
        @Option(help: "Comma list of sequence lengths.") var seqs = "256"
        @Option(help: "Comma list of recipes: \(ArgumentLists.recipeHelp).") var recipes = "int8"
        @Option(help: "GEMM backend: own, cublasLt, or auto (the faster per shape).") var backend: GemmBackendPolicy = .auto
        @Option(help: "Comma list of where the up projection's GELU runs before 8-bit codes: rows (the quantizing row kernel), epilogue (the GEMM's); default: the encoder's.")
        var gelu: String?
        @Option(help: "How FP8 GEMMs sum over K: promoted or fast (Hopper's fast accumulation); default: the encoder's.")
        var fp8Accumulation: FP8Accumulation?
        @Option(help: "How an FP8 GEMM gets the attention's and GELU's codes: per-token (row kernels) or fused (unit-scale e4m3 written by the attention / the up GEMM); default: the encoder's.")
        var fp8Handoff: CUDAEncoder.FP8Handoff?
        @Option(help: "The GELU before 8-bit codes in the row kernel: erf or tanh; default: the encoder's.")
        var quantizedGelu: GeluForm?
        @Option(help: "Attention block: q64 (4 warps × 16 queries), q128r32 (4 × 32, head size ≤ 64), wg64 (one warpgroup × 64 with wgmma, sm_90, head size 32 or 64), or wg128 (two such warpgroups); default: the fastest per shape of the tiles that run it (or of those $LOWBIT_ATTENTION_TILES names).")
        var attentionTile: AttentionTile?
        @Flag(help: "GEMMs writing e4m3 codes keep to the tiles with the threads' stores (no TMA stores).")
        var e4m3ThreadStores = false
        @Option(help: "Comma list of where the two add + layernorms run: rows (a row kernel after the GEMM), epilogue (the attention-output and down GEMMs' epilogue, where they can); default: the encoder's.")
        var norm: String?

        /// The parsed lists: models, batches, seqs, recipes (empty: each model's own), GELU placements (empty: the default).
        func options() throws -> (models: [String], batches: [Int], seqs: [Int], recipes: [EncoderRecipe],
                                  gelu: [CUDAEncoder.GeluPlacement]) {
            let list = try ArgumentLists.recipes(recipes, option: "--recipes")
            if list.tuned { throw ValidationError("--recipes: name recipes to profile; 'tuned' is not one") }
            var placements: [CUDAEncoder.GeluPlacement] = []
            for name in try gelu.map({ try ArgumentLists.strings($0, option: "--gelu") }) ?? [] {
                guard let p = CUDAEncoder.GeluPlacement(rawValue: name) else {
                    throw ValidationError("--gelu: '\(name)' is not one of rows, epilogue")
                }
                placements.append(p)
            }
            return (try ArgumentLists.strings(models, option: "--models"), try ArgumentLists.ints(batches, option: "--batches"),
                    try ArgumentLists.ints(seqs, option: "--seqs", minimum: 3, why: " ([CLS], a token, [SEP])"), list.recipes,
                    placements)
        }
        /// The parsed --norm list (empty: the encoder's default).
        func normPlacements() throws -> [CUDAEncoder.NormPlacement] {
            try (norm.map { try ArgumentLists.strings($0, option: "--norm") } ?? []).map { name in
                guard let p = CUDAEncoder.NormPlacement(rawValue: name) else {
                    throw ValidationError("--norm: '\(name)' is not one of rows, epilogue")
                }
                return p
            }
        }
        func validate() throws { _ = try options(); _ = try normPlacements() }
        func run() throws {
            let (models, batches, seqs, recipes, placements) = try options()
            let norms = try normPlacements()
            try CUDACommand.check {
                let k = try CUDAKernels.shared()
                k.backendPolicy = backend
                if let attentionTile { k.attentionTile = attentionTile }
                k.e4m3TMAStores = !e4m3ThreadStores
                for model in models {
                    let (weights, list) = try CUDAEncoderBenchmark.weights(model, recipes: recipes)
                    let encoder = try CUDAEncoder(weights: weights, kernels: k)
                    if let fp8Accumulation { encoder.fp8Accumulation = fp8Accumulation }
                    if let fp8Handoff { encoder.fp8Handoff = fp8Handoff }
                    if let quantizedGelu { encoder.quantizedGelu = quantizedGelu }
                    for recipe in list {
                        encoder.recipe = recipe
                        for placement in placements.isEmpty ? [encoder.geluPlacement] : placements {
                            encoder.geluPlacement = placement
                            for normPlacement in norms.isEmpty ? [encoder.normPlacement] : norms {
                                encoder.normPlacement = normPlacement
                                for seq in seqs {
                                    for batch in batches {
                                        let p = try CUDAEncoderProfile.run(encoder, batch: batch, seq: seq)
                                        CUDAEncoderProfile.lines(p).forEach(CUDACommand.say)
                                    }
                                }
                            }
                        }
                    }
                }
                return 0
            }
        }
    }

    struct EncoderPack: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "encoder-pack",
            abstract: "(CPU) A GPU weights pack of an HF BERT directory with CPU reference embeddings and per-layer states, for encoder-agree.")
        @Argument(help: "HF model directory, or --random for a 2-layer random-weights BERT.") var model: String?
        @Argument(help: "Output directory.") var out: String?
        @Flag(help: "A 2-layer MiniLM-shaped BERT with random weights instead of a model directory.") var random = false
        @Option(help: "A `lowbit quantize` directory of MODEL whose W8A8 codes both sides run.") var quantized: String?

        /// (model directory or nil for --random, output directory).
        func paths() throws -> (model: String?, out: String) {
            if random, let o = model, out == nil { return (nil, o) }
            if !random, let m = model, let o = out { return (m, o) }
            throw ValidationError("give MODEL_DIR OUT_DIR, or --random OUT_DIR")
        }
        func validate() throws { _ = try paths() }
        func run() throws {
            let (dir, out) = try paths()
            try CUDACommand.check {
                try CUDACheck.encoderPack(modelDir: dir, quantizedDir: quantized, outDir: out, say: CUDACommand.say); return 0
            }
        }
    }

    struct EncoderAgree: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "encoder-agree",
            abstract: "GPU encoder vs the pack's CPU references (float, simulated W8A8, layer by layer): PASS/FAIL lines.")
        @Argument(help: "A pack made by `lowbit cuda encoder-pack`.") var pack: String
        @Option(help: "GEMM backend: own, cublasLt, or auto.") var backend: GemmBackendPolicy?
        func run() throws {
            try CUDACommand.check { try CUDACheck.encoderAgree(packDir: pack, backend: backend, say: CUDACommand.say) }
        }
    }
}
