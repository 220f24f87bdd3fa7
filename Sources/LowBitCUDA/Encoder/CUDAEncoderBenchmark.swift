import LowBitModels

/// The encoder benchmark as a library call (for `lowbit bench MODEL --device cuda` and
/// `lowbit cuda encoder-bench`): forward passes of a BERT encoder as CUDA graph replays
/// over a (batch, seq) grid for each recipe, plus optionally the autotuner's best recipe.
/// Times: CUDA events, median of 7 samples of ≥ 5 ms (`CUDABench.time`).
public enum CUDAEncoderBenchmark {
    public struct Row: Codable, Sendable {
        public var batch: Int, seq: Int
        /// The recipe ("fp16", "int8", "int8/fp16/int8/int8", …); for the autotuned row its choice.
        public var recipe: String
        /// True for the autotuner's row.
        public var tuned: Bool
        public var ms: Double
        public var tokensPerSecond: Double
    }
    public struct Result: Codable, Sendable {
        public var device: String
        public var model: String
        public var backendPolicy: String
        /// How the FP8 GEMMs summed over K (`CUDAEncoder.fp8Accumulation`).
        public var fp8Accumulation: String
        public var rows: [Row]
        /// `.auto`'s per-GEMM-shape choices (key → backend and timings).
        public var backendChoices: [String: GemmBackendChoice]
        /// The attention tiles timed per shape (`AttentionShape`'s description → choice).
        public var attentionTiles: [String: AttentionTileChoice]
    }

    /// The configs that run with random weights by name: "bert-base", "bert-large".
    public static let randomModels: [String: EncoderConfig] = ["bert-base": .bertBase, "bert-large": .bertLarge]

    /// The config `model` names, if it is one of `randomModels`.
    public static func randomConfig(_ model: String) -> EncoderConfig? { randomModels[model] }

    /// The weights `model` names ("bert-base" / "bert-large": random; else a path, `EncoderWeights.load`)
    /// and the recipes to run: `recipes`, or when empty the model's own (`quantizedRecipe()`, else FP16).
    public static func weights(_ model: String, recipes: [EncoderRecipe]) throws -> (EncoderWeights, [EncoderRecipe]) {
        let weights = try randomConfig(model).map { EncoderWeights.random($0) } ?? EncoderWeights.load(path: model)
        return (weights, recipes.isEmpty ? [try weights.quantizedRecipe() ?? .fp16] : recipes)
    }

    /// model: a path (`EncoderWeights.load`) or "bert-base" / "bert-large" (random weights).
    /// recipes empty: the model's own (`quantizedRecipe()`, else FP16). tuneFloor: also the
    /// fastest recipe with at least its weight bits per GEMM (remembered in `tuneCache`).
    /// fp8Accumulation nil: the encoder's default.
    public static func run(model: String, batches: [Int], seqs: [Int], recipes: [EncoderRecipe] = [],
                           policy: GemmBackendPolicy = .auto, tuneFloor: EncoderRecipe? = nil, tuneCache: String? = nil,
                           fp8Accumulation: FP8Accumulation? = nil,
                           kernels: CUDAKernels? = nil, progress: (Row) -> Void = { _ in }) throws -> Result {
        let k = try kernels ?? CUDAKernels.shared()
        let saved = k.backendPolicy
        k.backendPolicy = policy
        defer { k.backendPolicy = saved }
        let (weights, list) = try weights(model, recipes: recipes)
        let encoder = try CUDAEncoder(weights: weights, kernels: k)
        if let fp8Accumulation { encoder.fp8Accumulation = fp8Accumulation }
        let timer = CUDABench(kernels: k)
        let tuner = tuneFloor.map { _ in EncoderAutotuner(path: tuneCache) }
        var rng = CUDAReference.RNG(seed: 11)
        var rows: [Row] = []
        for seq in seqs {
            for batch in batches {
                try encoder.prepare(batch: batch, seq: seq)
                let vocab = encoder.config.vocab
                try encoder.setInputs(ids: (0..<(batch * seq)).map { _ in Int32(rng.int(min(1000, vocab - 1)...(vocab - 1))) })
                var measured: [EncoderRecipe: Double] = [:]
                func measure(_ r: EncoderRecipe) throws -> Double {
                    if let t = measured[r] { return t }
                    encoder.recipe = r
                    let graph = try encoder.captureGraph()
                    let t = try timer.time { () throws(CUDAError) in try graph.launch() } * 1000
                    measured[r] = t
                    return t
                }
                func add(_ r: EncoderRecipe, _ ms: Double, tuned: Bool) {
                    let row = Row(batch: batch, seq: seq, recipe: r.description, tuned: tuned, ms: ms,
                                  tokensPerSecond: Double(batch * seq) / ms * 1000)
                    rows.append(row)
                    progress(row)
                }
                for r in list { add(r, try measure(r), tuned: false) }
                if let floor = tuneFloor, let tuner {
                    let device = k.context.device.name + "|gemm=\(policy.rawValue)|fp8=\(encoder.fp8Accumulation.rawValue)"
                    let best = try tuner.best(model: encoder.config.name, device: device, batch: batch, seq: seq, floor: floor) {
                        try measure($0)
                    }
                    add(best.recipe, best.cached ? try measure(best.recipe) : best.ms, tuned: true)
                }
            }
        }
        try tuner?.save()
        return Result(device: k.context.device.name, model: model, backendPolicy: policy.rawValue,
                      fp8Accumulation: encoder.fp8Accumulation.rawValue, rows: rows,
                      backendChoices: k.gemmBackendChoices,
                      attentionTiles: Dictionary(uniqueKeysWithValues: k.attentionTileChoices.map { ("\($0.key)", $0.value) }))
    }
}
