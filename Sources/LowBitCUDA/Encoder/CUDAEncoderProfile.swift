/// A step of `CUDAEncoder.forward`, as the per-stage timings (`CUDAEncoderProfile`) name it.
/// The 8-bit quantization of a GEMM's input is part of the stage that writes that input
/// (embeddings, the two add + layernorms), or a stage of its own (`quantizeContext`,
/// `geluQuantize` or `quantizeUp`: only when the next GEMM is 8-bit; which of the last two
/// follows `CUDAEncoder.geluPlacement`). With `CUDAEncoder.normPlacement` `.gemmEpilogue`, the
/// attention-output and down-projection stages include their add + layernorm, and `norm1` /
/// `norm2` run only where the fused GEMM cannot.
public enum EncoderStage: String, CaseIterable, Sendable, Codable {
    case embed
    case qkv
    case attention
    case quantizeContext = "quantize-ctx"
    case attentionOutput = "attn-out"
    case norm1 = "add-ln-1"
    case mlpIn = "mlp-in"
    case geluQuantize = "gelu-quantize"
    case quantizeUp = "quantize-up"
    case mlpOut = "mlp-out"
    case norm2 = "add-ln-2"

    /// What one run of a stage does: tensor-core operations (2 per multiply-add) or bytes moved.
    public enum Work: Sendable, Equatable {
        case ops(Double)
        case bytes(Double)
    }

    /// The work of one run (one layer; `embed` once per pass) at batch × seq tokens. GEMMs:
    /// 2·tokens·N·K; attention: its two products, 4·batch·heads·seq²·headDim (masks ignored); row
    /// kernels: fp16 reads and writes plus the 8-bit codes and f32 per-token scales they write.
    public func work(_ c: EncoderConfig, batch: Int, seq: Int, recipe r: EncoderRecipe) -> Work {
        let t = Double(batch * seq), h = Double(c.hidden), f = Double(c.intermediate)
        func codes(_ p: GemmPrecision, _ n: Double) -> Double { p == .fp16 ? 0 : t * n + 4 * t }
        switch self {
        case .embed: return .bytes(2 * t * h * 2 + codes(r.qkv, h))
        case .qkv: return .ops(2 * t * 3 * h * h)
        case .attention: return .ops(4 * Double(batch * c.heads) * Double(seq * seq) * Double(c.headDim))
        case .quantizeContext: return .bytes(t * h * 2 + codes(r.attentionOutput, h))
        case .attentionOutput: return .ops(2 * t * h * h)
        case .norm1: return .bytes(3 * t * h * 2 + codes(r.mlpIn, h))
        case .mlpIn: return .ops(2 * t * f * h)
        case .geluQuantize, .quantizeUp: return .bytes(t * f * 2 + codes(r.mlpOut, f))
        case .mlpOut: return .ops(2 * t * h * f)
        case .norm2: return .bytes(3 * t * h * 2 + codes(r.qkv, h))
        }
    }
}

/// Where a forward pass spends its time: one eager pass with a CUDA event after every stage
/// (`CUDAEncoder.forward(after:)`), each stage's time summed over the layers; the median of
/// `passes` passes per stage, next to the whole pass as one CUDA graph replay.
///
/// The eager sum includes the gaps between launches, so it is only close to the graph time
/// where the kernels are long (large batch × seq); at small shapes the graph replay is the time.
public enum CUDAEncoderProfile {
    public struct Stage: Codable, Sendable {
        public var stage: String
        /// Milliseconds per pass, summed over the stage's runs.
        public var ms: Double
        public var runs: Int
        /// Tera-operations per second (GEMMs, attention) or GB/s (row kernels).
        public var rate: Double
        public var rateUnit: String
        /// The rate against the device's dense tensor-core peak for the stage's precision
        /// (8-bit or fp16; nil for row kernels and devices without a known peak).
        public var percentOfPeak: Double?
    }
    public struct Result: Codable, Sendable {
        public var device: String, model: String, recipe: String
        /// `CUDAEncoder.geluPlacement`'s raw value.
        public var gelu: String
        /// The encoder's other settings that change the pass: `fp8Accumulation`, `fp8Handoff`,
        /// `quantizedGelu` (raw values); the attention tile (`attentionTileLabel`), and
        /// whether e4m3-writing GEMMs may use TMA stores ("tma") or not ("threads").
        public var fp8Accumulation: String, fp8Handoff: String, quantizedGelu: String, attentionTile: String, e4m3Stores: String
        /// `CUDAEncoder.normPlacement`'s raw value (with "epilogue", `attn-out` and `mlp-out` include
        /// their add + layernorm, and the `add-ln` stages appear only where the fused GEMM cannot run).
        public var norm: String
        public var batch: Int, seq: Int
        public var stages: [Stage]
        /// The sum of the stages (eager) and the same pass as a graph replay, ms.
        public var eagerMs: Double, graphMs: Double
    }

    /// Profiles `encoder` at batch × seq with its current recipe (inputs: random ids).
    public static func run(_ encoder: CUDAEncoder, batch: Int, seq: Int, passes: Int = 5) throws(CUDAError) -> Result {
        let k = encoder.kernels, ctx = k.context, c = encoder.config, r = encoder.recipe
        try encoder.prepare(batch: batch, seq: seq)
        var rng = CUDAReference.RNG(seed: 13)
        try encoder.setInputs(ids: (0..<(batch * seq)).map { _ in Int32(rng.int(min(1000, c.vocab - 1)...(c.vocab - 1))) })
        let bench = CUDABench(kernels: k)
        let graph = try encoder.captureGraph()   // also a first eager pass: weights, kernels, backend choices
        let graphMs = try bench.time { () throws(CUDAError) in try graph.launch() } * 1000

        let start = try CUDAEvent(context: ctx)
        var events: [CUDAEvent] = []
        var samples: [EncoderStage: [Double]] = [:]
        var runs: [EncoderStage: Int] = [:]
        for pass in 0...passes {     // pass 0 warms up
            var order: [EncoderStage] = []
            try start.record(on: ctx.stream)
            try encoder.forward { (s: EncoderStage) throws(CUDAError) in
                if events.count == order.count { events.append(try CUDAEvent(context: ctx)) }
                try events[order.count].record(on: ctx.stream)
                order.append(s)
            }
            try ctx.synchronize()
            guard pass > 0 else { continue }
            var sums: [EncoderStage: Double] = [:]
            var previous = start
            for (i, s) in order.enumerated() {
                sums[s, default: 0] += try events[i].elapsed(since: previous)
                previous = events[i]
            }
            for (s, ms) in sums { samples[s, default: []].append(ms) }
            if pass == 1 { for s in order { runs[s, default: 0] += 1 } }
        }
        var stages: [Stage] = []
        for s in EncoderStage.allCases {
            guard let list = samples[s], let n = runs[s] else { continue }
            let ms = list.sorted()[list.count / 2]
            let seconds = ms / 1000 / Double(n)
            switch s.work(c, batch: batch, seq: seq, recipe: r) {
            case .ops(let ops):
                let precision = [EncoderStage.qkv: r.qkv, .attentionOutput: r.attentionOutput, .mlpIn: r.mlpIn,
                                 .mlpOut: r.mlpOut][s] ?? .fp16
                let peak = precision == .fp16 ? bench.peakF16 : bench.peak8bit
                stages.append(Stage(stage: s.rawValue, ms: ms, runs: n, rate: ops / seconds / 1e12, rateUnit: "TOPS",
                                    percentOfPeak: peak.map { 100 * ops / seconds / $0 }))
            case .bytes(let bytes):
                stages.append(Stage(stage: s.rawValue, ms: ms, runs: n, rate: bytes / seconds / 1e9, rateUnit: "GB/s",
                                    percentOfPeak: nil))
            }
        }
        return Result(device: ctx.device.name, model: c.name, recipe: r.description, gelu: encoder.geluPlacement.rawValue,
                      fp8Accumulation: encoder.fp8Accumulation.rawValue, fp8Handoff: encoder.fp8Handoff.rawValue,
                      quantizedGelu: encoder.quantizedGelu.rawValue,
                      attentionTile: attentionTileLabel(k, batch: batch, seq: seq),
                      e4m3Stores: encoder.kernels.e4m3TMAStores ? "tma" : "threads", norm: encoder.normPlacement.rawValue,
                      batch: batch, seq: seq,
                      stages: stages, eagerMs: stages.reduce(0) { $0 + $1.ms }, graphMs: graphMs)
    }

    /// The tile the pass's attention ran: the kernels' fixed one, or "timed:" and the tile(s)
    /// timed fastest at batch × seq.
    static func attentionTileLabel(_ k: CUDAKernels, batch: Int, seq: Int) -> String {
        if let t = k.attentionTile { return t.rawValue }
        let chosen = Set(k.attentionTileChoices.filter { $0.key.batch == batch && $0.key.seq == seq }.map(\.value.tile.rawValue))
        return "timed:" + (chosen.isEmpty ? "q64" : chosen.sorted().joined(separator: "+"))
    }

    /// The result as log lines: one "stage …" line per stage, then a "total …" line.
    public static func lines(_ p: Result) -> [String] {
        let head = "model=\(p.model) batch=\(p.batch) seq=\(p.seq) recipe=\(p.recipe) gelu=\(p.gelu) fp8_acc=\(p.fp8Accumulation) "
            + "fp8_handoff=\(p.fp8Handoff) qgelu=\(p.quantizedGelu) attn_tile=\(p.attentionTile) e4m3_stores=\(p.e4m3Stores) norm=\(p.norm)"
        return p.stages.map { s in
            let pct = s.percentOfPeak.map { " peak_pct=\(format3($0))" } ?? ""
            return "stage \(head) stage=\(s.stage) runs=\(s.runs) ms=\(format3(s.ms)) share_pct=\(format3(100 * s.ms / p.eagerMs)) "
                + "rate=\(format3(s.rate)) unit=\(s.rateUnit)\(pct)"
        } + ["total \(head) eager_sum_ms=\(format3(p.eagerMs)) graph_ms=\(format3(p.graphMs))"]
    }
}
