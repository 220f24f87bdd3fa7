import Foundation
import LowBitCore
import LowBitIO
import LowBitModels
import LowBitQuant

/// Agreement of the GPU encoder with LowBitModels' CPU BERT on real weights.
///
/// `pack` (CPU, no GPU) writes a folder that fits the device's 64 MiB carry: the model's
/// weights as F16 safetensors with the word-embedding table cut to its first `vocabRows` rows,
/// a config.json saying so, and refs.json with deterministic token sequences (ids below
/// `vocabRows`, [CLS] … [SEP], lengths 3…128) and their CPU embeddings (mean-pooled,
/// L2-normalized) from the float model and from the simulated W8A8 model (weights INT8 per
/// channel, activations INT8 per token, all four GEMMs of every block). Cutting the table
/// changes nothing for ids below the cut.
///
/// `agree` (GPU) loads the pack with `BertModel.load`, runs the sequences as one right-padded
/// batch and prints PASS/FAIL for GPU FP16 vs CPU float and GPU W8A8 vs CPU simulated W8A8
/// (minimum cosine over the sequences ≥ 0.9999), and the other recipes against CPU float.
public enum CUDAEncoderAgreement {
    public struct Refs: Codable {
        public var sequences: [[Int32]]
        public var float: [[Float]]
        /// CPU simulated W8A8 on the pack's fp16 weights.
        public var w8a8: [[Float]]
        /// Min cosine between CPU simulated W8A8 on fp16 and on fp32 weights (real models).
        public var w8a8Sensitivity: Double?
    }

    public static func sequences(count: Int, vocabRows: Int) -> [[Int32]] {
        var rng = CUDAReference.RNG(seed: 2026)
        let lengths = [3, 128, 17, 64, 9, 100, 33, 5, 77, 128, 12, 50]
        return (0..<count).map { i in
            let n = lengths[i % lengths.count]
            return [101] + (0..<(n - 2)).map { _ in Int32(rng.int(1000...(vocabRows - 1))) } + [102]
        }
    }

    /// modelDir nil: a 2-layer MiniLM-shaped BERT with random weights (uniform ±1/√in, no
    /// outliers: W8A8 is well conditioned there), vocabulary `vocabRows`.
    public static func pack(modelDir: String?, outDir: String, vocabRows: Int = 8192, count: Int = 24,
                            log: (String) -> Void) throws {
        let seqs = sequences(count: count, vocabRows: vocabRows)
        let batch = TokenBatch(sequences: seqs)
        try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
        var entries: [SafeTensorsWriter.Entry] = []
        func add(_ name: String, _ shape: [Int], _ v: [Float]) {
            let halves = v.map(HalfPrecision.floatToF16)
            entries.append(.init(name: name, dtype: .f16, shape: Shape(shape), bytes: halves.withUnsafeBytes { Data($0) }))
        }
        var float: [[Float]]? = nil
        if let modelDir {
            let model = try BertModel.load(path: modelDir)
            float = BertModel.meanPool(try model.hiddenStates(batch), sequences: batch.sequences, normalize: true)
            let st = try SafeTensorsFile(path: modelDir + "/model.safetensors")
            for t in st.tensors where t.dtype == .f32 || t.dtype == .f16 {
                var v = try st.float32(t)
                var shape = t.shape.dims
                if t.name.hasSuffix("word_embeddings.weight") {
                    shape = [vocabRows, shape[1]]
                    v = v.rows(0, vocabRows).copy()
                }
                add(t.name, shape, v.toArray())
            }
            var cfg = try String(contentsOfFile: modelDir + "/config.json", encoding: .utf8)
            cfg = cfg.replacing(try Regex(#""vocab_size"\s*:\s*\d+"#), with: "\"vocab_size\": \(vocabRows)")
            try AtomicFile.write(Data(cfg.utf8), to: outDir + "/config.json")
        } else {
            let h = 384, f = 1536, layers = 2
            var rng = CUDAReference.RNG(seed: 99)
            func uni(_ n: Int, _ a: Float) -> [Float] { (0..<n).map { _ in rng.uniform(-a, a) } }
            func near1(_ n: Int) -> [Float] { (0..<n).map { _ in rng.uniform(0.9, 1.1) } }
            add("embeddings.word_embeddings.weight", [vocabRows, h], uni(vocabRows * h, 0.5))
            add("embeddings.position_embeddings.weight", [512, h], uni(512 * h, 0.5))
            add("embeddings.token_type_embeddings.weight", [2, h], uni(2 * h, 0.5))
            add("embeddings.LayerNorm.weight", [h], near1(h)); add("embeddings.LayerNorm.bias", [h], uni(h, 0.05))
            for l in 0..<layers {
                let p = "encoder.layer.\(l)."
                for (name, o, i) in [("attention.self.query", h, h), ("attention.self.key", h, h), ("attention.self.value", h, h),
                                     ("attention.output.dense", h, h), ("intermediate.dense", f, h), ("output.dense", h, f)] {
                    add(p + name + ".weight", [o, i], uni(o * i, 1 / Float(i).squareRoot()))
                    add(p + name + ".bias", [o], uni(o, 0.05))
                }
                for n in ["attention.output.LayerNorm", "output.LayerNorm"] {
                    add(p + n + ".weight", [h], near1(h)); add(p + n + ".bias", [h], uni(h, 0.05))
                }
            }
            let cfg = #"{"architectures": ["BertModel"], "model_type": "bert", "hidden_act": "gelu", "hidden_size": 384, "#
                + #""intermediate_size": 1536, "layer_norm_eps": 1e-12, "max_position_embeddings": 512, "num_attention_heads": 12, "#
                + #""num_hidden_layers": \#(layers), "type_vocab_size": 2, "vocab_size": \#(vocabRows)}"#
            try AtomicFile.write(Data(cfg.utf8), to: outDir + "/config.json")
        }
        try SafeTensorsWriter.write(entries, to: outDir + "/model.safetensors")

        // References on the pack's fp16 weights (what the GPU runs).
        let m16 = try BertModel.load(path: outDir)
        let float16 = BertModel.meanPool(try m16.hiddenStates(batch), sequences: batch.sequences, normalize: true)
        let scheme = QuantScheme(bits: .int8, granularity: .perChannel)
        try m16.mapLinears { site in
            guard let f = site.op as? FloatLinear else { return site.op }
            return try QuantizedLinear(weight: QuantizedWeight(quantizing: f.weight, scheme: scheme), bias: f.bias,
                                       input: .dynamicPerToken(bits: .int8), name: site.name)
        }
        let w8a8 = BertModel.meanPool(try m16.hiddenStates(batch), sequences: batch.sequences, normalize: true)
        var sensitivity: Double? = nil
        if let modelDir {
            // How far simulated W8A8 moves on the CPU alone when only the weights are rounded to fp16.
            let m32 = try BertModel.load(path: modelDir)
            try m32.mapLinears { site in
                guard let f = site.op as? FloatLinear else { return site.op }
                return try QuantizedLinear(weight: QuantizedWeight(quantizing: f.weight, scheme: scheme), bias: f.bias,
                                           input: .dynamicPerToken(bits: .int8), name: site.name)
            }
            let w8a8x32 = BertModel.meanPool(try m32.hiddenStates(batch), sequences: batch.sequences, normalize: true)
            sensitivity = zip(w8a8, w8a8x32).map { cosine($0, $1) }.min()
            log("CPU simulated W8A8, fp16 vs fp32 weights: min cosine \(String(format: "%.6f", sensitivity!))")
        }
        let refs = Refs(sequences: seqs, float: float ?? float16, w8a8: w8a8, w8a8Sensitivity: sensitivity)
        try AtomicFile.write(try JSONEncoder().encode(refs), to: outDir + "/refs.json")
        log("wrote \(outDir): model.safetensors (F16, \(vocabRows) word rows), config.json, refs.json")
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var ab = 0.0, aa = 0.0, bb = 0.0
        for i in a.indices { ab += Double(a[i]) * Double(b[i]); aa += Double(a[i]) * Double(a[i]); bb += Double(b[i]) * Double(b[i]) }
        return ab / max((aa * bb).squareRoot(), 1e-30)
    }

    /// Returns the number of failed checks.
    public static func agree(packDir: String, kernels: CUDAKernels, log: (String) -> Void) throws -> Int {
        let refs = try JSONDecoder().decode(Refs.self, from: Data(contentsOf: URL(fileURLWithPath: packDir + "/refs.json")))
        let model = try BertModel.load(path: packDir)
        let encoder = try CUDAEncoder(weights: try EncoderWeights(model: model), kernels: kernels)
        log("GPU encoder: \(encoder.config), \(refs.sequences.count) sequences, one padded batch of \(refs.sequences.map(\.count).max() ?? 0)")
        var failed = 0
        func check(_ name: String, _ got: [[Float]], _ want: [[Float]], bound: Double?) {
            let cs = zip(got, want).map { cosine($0, $1) }
            let minC = cs.min() ?? 0, mean = cs.reduce(0, +) / Double(max(cs.count, 1))
            let text = "\(name): min cosine \(String(format: "%.6f", minC)), mean \(String(format: "%.6f", mean))"
            if let bound {
                let ok = minC >= bound
                if !ok { failed += 1 }
                log("\(ok ? "PASS" : "FAIL") agree \(text) (bound \(bound))")
            } else {
                log("INFO agree \(text)")
            }
        }
        failed += try gemmF16Check(kernels: kernels, log: log)
        var out: [EncoderRecipe: [[Float]]] = [:]
        for r in [EncoderRecipe.fp16, .w8a8, .fp8, .w4a8] {
            encoder.recipe = r
            out[r] = try encoder.embed(refs.sequences)
        }
        check("GPU fp16 vs CPU float", out[.fp16]!, refs.float, bound: 0.9999)
        if let sens = refs.w8a8Sensitivity, sens < 0.9999 {
            // This model's W8A8 is chaotic at the level of fp16 rounding (per-token scales set by
            // outlier features leave most codes at 0/±1): 0.9999 is out of reach for any
            // implementation that does not repeat the CPU's float arithmetic bit for bit.
            log("INFO the CPU simulation itself moves to min cosine \(String(format: "%.6f", sens)) when only the weights are rounded to fp16")
            check("GPU w8a8 (int8) vs CPU simulated W8A8 (bound: 1 − 2·(1 − that))", out[.w8a8]!, refs.w8a8, bound: 1 - 2 * (1 - sens))
        } else {
            check("GPU w8a8 (int8) vs CPU simulated W8A8", out[.w8a8]!, refs.w8a8, bound: 0.9999)
        }
        check("GPU w8a8 (int8) vs CPU float", out[.w8a8]!, refs.float, bound: nil)
        check("CPU simulated W8A8 vs CPU float", refs.w8a8, refs.float, bound: nil)
        check("GPU fp8 vs CPU float", out[.fp8]!, refs.float, bound: nil)
        check("GPU w4a8 vs CPU float", out[.w4a8]!, refs.float, bound: nil)

        // A graph replay gives the eager pass's bits.
        encoder.recipe = .w8a8
        let eager = try encoder.embed(refs.sequences)
        let graph = try encoder.captureGraph()
        try graph.launch()
        let hs1 = try encoder.hiddenStates()
        try encoder.forward()
        let hs0 = try encoder.hiddenStates()
        let same = hs0 == hs1 && !eager.isEmpty
        if !same { failed += 1 }
        log("\(same ? "PASS" : "FAIL") graph replay of the w8a8 forward equals the eager pass")
        return failed
    }

    /// FP16 GEMM (+ bias, ± GELU) against a double reference on odd shapes, every tile
    /// configuration. Bound: |got − ref| ≤ 2^-10·|ref| + 1e-4·Σ|a·b| + 1e-3 (fp16 output rounding,
    /// f32 accumulation). Returns the number of failures.
    public static func gemmF16Check(kernels: CUDAKernels, log: (String) -> Void) throws -> Int {
        let ctx = kernels.context
        var rng = CUDAReference.RNG(seed: 5)
        var failed = 0
        for (m, n, k) in [(1, 8, 8), (3, 17, 24), (33, 129, 200), (129, 384, 384), (77, 768, 3072), (256, 2304, 768)] {
            for cfg in GemmConfig.candidates {
                for gelu in [false, true] {
                    let a = rng.halves(m * k, -1, 1), b = rng.halves(n * k, -1, 1), bias = rng.halves(n, -1, 1)
                    let da = try ctx.upload(a), db = try ctx.upload(b), dbias = try ctx.upload(bias)
                    let dc = try ctx.upload([UInt16](repeating: 0x7E00, count: m * n))   // NaN poison
                    try kernels.gemmF16(a: DeviceMatrix(da, rows: m, cols: k), b: DeviceMatrix(db, rows: n, cols: k), bias: dbias,
                                        c: DeviceMatrix(dc, rows: m, cols: n), gelu: gelu, config: cfg)
                    let c = try ctx.download(dc, as: UInt16.self, count: m * n).map(CUDAReference.f16)
                    let ref = CUDAReference.gemmDouble(a.map(CUDAReference.f16), b.map(CUDAReference.f16), m: m, n: n, k: k)
                    var worst = 0.0
                    for i in 0..<(m * n) {
                        var r = ref.sum[i] + CUDAReference.f16(bias[i % n])
                        if gelu { r = CUDAReference.gelu(r) }
                        let err = abs(c[i] - r), bound = 0x1p-10 * abs(r) + 1e-4 * ref.abs[i] + 1e-3
                        worst = max(worst, c[i].isNaN ? .infinity : err / bound)
                    }
                    if !(worst <= 1) {
                        failed += 1
                        log("FAIL gemmF16 M=\(m) N=\(n) K=\(k) \(cfg.name) gelu=\(gelu): worst error/bound \(worst)")
                    }
                }
            }
        }
        log("\(failed == 0 ? "PASS" : "FAIL") gemmF16 against the double reference (6 shapes × \(GemmConfig.candidates.count) tiles × GELU on/off)")
        return failed
    }
}
