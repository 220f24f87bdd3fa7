import Foundation
import LowBitCore
import LowBitIO
import LowBitModels
import LowBitQuant

/// Agreement of the GPU encoder with LowBitModels' CPU BERT on real weights.
///
/// `pack` (CPU, no GPU) writes a folder that fits the device's 64 MiB carry: the GPU weights
/// (`EncoderWeights.writePack`: F16 tables and float weights, the word table cut to its first
/// `vocabRows` rows; with a quantized directory also its W8A8 codes and scales, so that both
/// sides use the same INT8 weights), refs.json with deterministic token sequences (ids below
/// `vocabRows`, [CLS] … [SEP], lengths 3…128) and their CPU embeddings (mean-pooled,
/// L2-normalized) from the float model, the CPU simulated W8A8 model and the CPU integer
/// engine, and layers.safetensors with the simulated W8A8 hidden states after the embeddings
/// and after every block for the first `layerSequences` sequences (F16), for a layer-by-layer
/// comparison. Cutting the table changes nothing for ids below the cut.
///
/// `agree` (GPU, `EncoderAgree+Check.swift`) prints PASS/FAIL against the issue's bounds.
public enum CUDAEncoderAgreement {
    public struct Refs: Codable {
        public var sequences: [[Int32]]
        public var float: [[Float]]
        /// CPU simulated W8A8 (the quantized directory's, or per-channel RTN of the float weights).
        public var w8a8: [[Float]]
        /// CPU integer engine (`useIntegerKernels`) on the same directory, if one was given.
        public var w8a8Integer: [[Float]]?
        /// Where the W8A8 weights came from ("quantized directory …" or "RTN per channel").
        public var w8a8Source: String
        /// Per QKV input (hidden states after the embeddings and blocks 0…L−2): fraction of the
        /// INT8 activation codes that change when the CPU's fp32 values are rounded to fp16.
        public var fp16CodeFlips: [Double]?
        /// How many of `sequences` layers.safetensors holds.
        public var layerSequences: Int?
        /// The W8A8 model's noise floor: the CPU simulation again, its hidden states rounded to
        /// fp16 after the embeddings and after every block (the GPU's residual storage, nothing
        /// else changed). Its distance from `w8a8` is what one rounding step alone moves the output.
        public var w8a8Fp16Hidden: [[Float]]?
    }

    public static let layerSequences = 12

    public static func sequences(count: Int, vocabRows: Int) -> [[Int32]] {
        var rng = CUDAReference.RNG(seed: 2026)
        let lengths = [3, 128, 17, 64, 9, 100, 33, 5, 77, 128, 12, 50]
        return (0..<count).map { i in
            let n = lengths[i % lengths.count]
            return [101] + (0..<(n - 2)).map { _ in Int32(rng.int(1000...(vocabRows - 1))) } + [102]
        }
    }

    /// modelDir nil: a 2-layer MiniLM-shaped BERT with random weights (uniform ±1/√in, no
    /// outliers: W8A8 is well conditioned there), vocabulary `vocabRows`. quantizedDir: a
    /// `lowbit quantize` directory of modelDir whose W8A8 sites both sides run.
    public static func pack(modelDir: String?, quantizedDir: String? = nil, outDir: String, vocabRows: Int = 8192,
                            count: Int = 24, log: (String) -> Void) throws {
        let seqs = sequences(count: count, vocabRows: vocabRows)
        let batch = TokenBatch(sequences: seqs)
        let hfDir = modelDir ?? outDir + "/.random-hf"
        if modelDir == nil { try writeRandomHF(to: hfDir, vocabRows: vocabRows) }
        defer { if modelDir == nil { try? FileManager.default.removeItem(atPath: hfDir) } }
        let floatModel = try BertModel.load(path: hfDir)
        var weights = try EncoderWeights(model: floatModel)
        let float = BertModel.meanPool(try floatModel.hiddenStates(batch), sequences: batch.sequences, normalize: true)

        // The W8A8 model on the CPU: the quantized directory's, or RTN per channel of the float model.
        let w8a8Model: BertModel, source: String
        var integer: [[Float]]? = nil
        if let quantizedDir {
            guard let m = try QuantizedModelDirectory.load(quantizedDir).encoder else {
                throw CUDAError.invalidArgument("\(quantizedDir) is not a BERT encoder")
            }
            let q = try EncoderWeights(model: m)
            guard q.layers.count == weights.layers.count else { throw CUDAError.invalidArgument("\(quantizedDir) has another layer count") }
            for l in weights.layers.indices {
                weights.layers[l].qkv.int8 = q.layers[l].qkv.int8
                weights.layers[l].attentionOutput.int8 = q.layers[l].attentionOutput.int8
                weights.layers[l].mlpIn.int8 = q.layers[l].mlpIn.int8
                weights.layers[l].mlpOut.int8 = q.layers[l].mlpOut.int8
            }
            w8a8Model = m
            source = "quantized directory \(quantizedDir) (recipe \(try weights.quantizedRecipe().map(\.description) ?? "none"))"
            let mi = try QuantizedModelDirectory.load(quantizedDir).encoder!
            let switched = try mi.useIntegerKernels()
            integer = BertModel.meanPool(try mi.hiddenStates(batch), sequences: batch.sequences, normalize: true)
            log("CPU integer engine on \(switched.count) of \(mi.linearSites().count) linear sites")
        } else {
            w8a8Model = try BertModel.load(path: hfDir)
            let scheme = QuantScheme(bits: .int8, granularity: .perChannel)
            try w8a8Model.mapLinears { site in
                guard let f = site.op as? FloatLinear else { return site.op }
                return try QuantizedLinear(weight: QuantizedWeight(quantizing: f.weight, scheme: scheme), bias: f.bias,
                                           input: .dynamicPerToken(bits: .int8), name: site.name)
            }
            source = "RTN per channel of the float weights (CPU) / WeightQuantizer.int8 (GPU)"
        }
        let w8a8 = BertModel.meanPool(try w8a8Model.hiddenStates(batch), sequences: batch.sequences, normalize: true)
        var hr = roundedToF16(try w8a8Model.embed(batch))
        for i in 0..<w8a8Model.blockCount { hr = roundedToF16(w8a8Model.runBlock(i, hidden: hr, batch: batch)) }
        let w8a8Fp16Hidden = BertModel.meanPool(hr, sequences: batch.sequences, normalize: true)

        // Layer by layer, first `layerSequences` sequences: hidden states and fp16 code flips.
        let few = TokenBatch(sequences: Array(seqs.prefix(layerSequences)))
        var h = try w8a8Model.embed(few)
        var states: [Tensor] = [h], flips: [Double] = []
        for i in 0..<w8a8Model.blockCount {
            flips.append(codeFlips(h.toArray(), cols: weights.config.hidden))
            h = w8a8Model.runBlock(i, hidden: h, batch: few)
            states.append(h)
        }
        try weights.writePack(to: outDir, vocabRows: vocabRows)
        var entries: [SafeTensorsWriter.Entry] = []
        for (l, t) in states.enumerated() {
            let halves = t.toArray().map(HalfPrecision.floatToF16)
            entries.append(.init(name: "h\(l)", dtype: .f16, shape: t.shape, bytes: halves.withUnsafeBytes { Data($0) }))
        }
        try SafeTensorsWriter.write(entries, to: outDir + "/layers.safetensors")
        let refs = Refs(sequences: seqs, float: float, w8a8: w8a8, w8a8Integer: integer, w8a8Source: source,
                        fp16CodeFlips: flips, layerSequences: layerSequences, w8a8Fp16Hidden: w8a8Fp16Hidden)
        try AtomicFile.write(try JSONEncoder().encode(refs), to: outDir + "/refs.json")
        log("wrote \(outDir): encoder pack (\(vocabRows) word rows), refs.json, layers.safetensors; W8A8 from \(source)")
    }

    /// t with every value rounded to fp16 (as a new tensor of the same shape).
    static func roundedToF16(_ t: Tensor) -> Tensor {
        Tensor(shape: t.shape, values: t.toArray().map { HalfPrecision.f16ToFloat(HalfPrecision.floatToF16($0)) })
    }

    /// Fraction of symmetric per-token INT8 codes (s = absmax/127, q = rn(x/s)) of x: [rows, cols]
    /// that change when x is rounded to fp16 first.
    static func codeFlips(_ x: [Float], cols: Int) -> Double {
        func codes(_ v: ArraySlice<Float>) -> [Int] {
            let s = v.reduce(Float(0)) { max($0, abs($1)) } / 127
            return v.map { s > 0 ? Int(max(-127, min(127, ($0 / s).rounded(.toNearestOrEven)))) : 0 }
        }
        var changed = 0
        for r in 0..<(x.count / cols) {
            let row = x[(r * cols)..<((r + 1) * cols)]
            let a = codes(row), b = codes(ArraySlice(row.map { HalfPrecision.f16ToFloat(HalfPrecision.floatToF16($0)) }))
            changed += zip(a, b).filter { $0 != $1 }.count
        }
        return Double(changed) / Double(max(x.count, 1))
    }

    /// A 2-layer MiniLM-shaped BERT with random weights as an HF directory (safetensors + config).
    static func writeRandomHF(to dir: String, vocabRows: Int) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var entries: [SafeTensorsWriter.Entry] = []
        func add(_ name: String, _ shape: [Int], _ v: [Float]) {
            entries.append(.init(name: name, dtype: .f32, shape: Shape(shape), bytes: v.withUnsafeBytes { Data($0) }))
        }
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
        try AtomicFile.write(Data(cfg.utf8), to: dir + "/config.json")
        try SafeTensorsWriter.write(entries, to: dir + "/model.safetensors")
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var ab = 0.0, aa = 0.0, bb = 0.0
        for i in a.indices { ab += Double(a[i]) * Double(b[i]); aa += Double(a[i]) * Double(a[i]); bb += Double(b[i]) * Double(b[i]) }
        return ab / max((aa * bb).squareRoot(), 1e-30)
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
