import LowBitCore

/// Kernel timings on the device: GEMM TOPS against the tensor-core peak for BERT shapes,
/// attention TFLOP/s, row-kernel bandwidth, and graph replay against separate launches.
///
/// Method: events around repeated launches; warm-up first (compilation, module load); samples
/// of ≥ 5 ms ($LOWBIT_BENCH_SAMPLE_MS, 1…100, shortens them for a sweep that must fit one device
/// call); the median of 7 samples. Inputs rotate over several buffer sets when one set fits
/// in L2, so that repeated calls do not just measure the cache.
public final class CUDABench {
    public let kernels: CUDAKernels
    var context: CUDAContext { kernels.context }
    public var print: (String) -> Void = { Swift.print($0) }
    var rng = CUDAReference.RNG(seed: 7)

    public init(kernels: CUDAKernels) { self.kernels = kernels }

    /// Dense INT8/FP8 tensor-core peak (ops/s): Hopper does 8192 such ops per SM per clock; the
    /// H100 SXM datasheet's 1979 TOPS is that at 1830 MHz. Nil for other architectures.
    public var peak8bit: Double? {
        context.device.major == 9 ? 8192 * Double(context.device.multiprocessors) * 1.83e9 : nil
    }

    /// Milliseconds a sample lasts at least: `text` ($LOWBIT_BENCH_SAMPLE_MS), else 5.
    public static func sampleMillis(_ text: String?) throws(CUDAError) -> Double {
        guard let text else { return 5 }
        guard let ms = Double(text), (1...100).contains(ms) else {
            throw .invalidArgument("LOWBIT_BENCH_SAMPLE_MS is '\(text)'; it takes milliseconds from 1 to 100")
        }
        return ms
    }

    /// Seconds per call of `body` (median of 7 samples).
    public func time(_ body: () throws(CUDAError) -> Void) throws(CUDAError) -> Double {
        let target = try Self.sampleMillis(environment("LOWBIT_BENCH_SAMPLE_MS"))
        let e0 = try CUDAEvent(context: context), e1 = try CUDAEvent(context: context)
        for _ in 0..<2 { try body() }
        try context.synchronize()
        var reps = 1
        while true {
            try e0.record(on: context.stream)
            for _ in 0..<reps { try body() }
            try e1.record(on: context.stream)
            let ms = try e1.elapsed(since: e0)
            if ms >= target || reps >= 1 << 16 { break }
            reps = min(reps * max(2, Int(target / max(ms, 1e-3))), 1 << 16)
        }
        var samples: [Double] = []
        for _ in 0..<7 {
            try e0.record(on: context.stream)
            for _ in 0..<reps { try body() }
            try e1.record(on: context.stream)
            samples.append(try e1.elapsed(since: e0) / 1000 / Double(reps))
        }
        return samples.sorted()[3]
    }

    func randomBytes(_ count: Int, avoiding bad: (UInt8) -> Bool = { _ in false }) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var i = 0
        while i < count {
            var w = rng.next()
            for _ in 0..<8 where i < count {
                var b = UInt8(truncatingIfNeeded: w)
                if bad(b) { b = 0x31 }
                out[i] = b
                i += 1
                w >>= 8
            }
        }
        return out
    }

    /// BERT linear shapes: tokens ∈ {128, 2048, 16384, 32768} × (N, K) ∈ QKV (2304, 768),
    /// attention out (768, 768), FFN up (3072, 768), FFN down (768, 3072).
    public static let bertShapes: [(Int, Int, Int)] = {
        var s: [(Int, Int, Int)] = []
        for m in [128, 2048, 16384, 32768] { for (n, k) in [(2304, 768), (768, 768), (3072, 768), (768, 3072)] { s.append((m, n, k)) } }
        return s
    }()

    /// BERT-large linear shapes: same token counts × QKV (3072, 1024), attention out (1024, 1024),
    /// FFN up (4096, 1024), FFN down (1024, 4096).
    public static let bertLargeShapes: [(Int, Int, Int)] = {
        var s: [(Int, Int, Int)] = []
        for m in [128, 2048, 16384, 32768] { for (n, k) in [(3072, 1024), (1024, 1024), (4096, 1024), (1024, 4096)] { s.append((m, n, k)) } }
        return s
    }()

    /// Dense FP16 tensor-core peak (flop/s): half the 8-bit rate (989 TFLOP/s on an H100 SXM).
    public var peakF16: Double? { peak8bit.map { $0 / 2 } }

    /// The FP16 GEMM (`gemmF16`, + bias) on BERT-base and BERT-large shapes, every tile configuration.
    public func gemmF16(shapes: [(Int, Int, Int)] = CUDABench.bertShapes + CUDABench.bertLargeShapes) throws(CUDAError) {
        print("## GEMM fp16 (C fp16 = A·Bᵀ + bias, f32 accumulation), \(context.device.name)")
        if let p = peakF16 { print("peak (dense fp16 tensor core): \(format3(p / 1e12)) TFLOP/s") }
        for (m, n, k) in shapes {
            var ops = try timingOperands(.fp16, m: m, n: n, k: k)
            var results: [(GemmConfig, Double)] = []
            for cfg in GemmConfig.candidates {
                let t = try time { () throws(CUDAError) in
                    let (a, b, c) = ops.take()
                    try kernels.gemmF16(a: a, b: b, bias: ops.bias, c: c, config: cfg)
                }
                results.append((cfg, t))
            }
            let best = results.min { $0.1 < $1.1 }!
            let flops = 2.0 * Double(m) * Double(n) * Double(k)
            let pct = peakF16.map { " (\(format3(100 * flops / best.1 / $0))% of peak)" } ?? ""
            let all = results.map { "\($0.0.name) \(format3(flops / $0.1 / 1e12))" }.joined(separator: ", ")
            print("gemm fp16 M=\(m) N=\(n) K=\(k): \(format3(flops / best.1 / 1e12)) TFLOPS\(pct), \(format3(best.1 * 1e6)) µs, best \(best.0.name) (default \(kernels.defaultF16Config(m: m, n: n).name)) | \(all)")
        }
    }

    /// Times every tile configuration of `kind` on each shape; prints the best with TOPS and % of peak.
    public func gemm(kind: GemmKind, shapes: [(Int, Int, Int)] = CUDABench.bertShapes) throws(CUDAError) {
        print("## GEMM \(kind) (C fp16 = acc·sa·sb + bias), \(context.device.name)")
        if let p = peak8bit { print("peak (dense 8-bit tensor core): \(format3(p / 1e12)) TOPS") }
        for (m, n, k) in shapes {
            var ops = try timingOperands(.eightBit(kind), m: m, n: n, k: k)
            var results: [(GemmConfig, Double)] = []
            for cfg in GemmConfig.candidates {
                let t = try time { () throws(CUDAError) in
                    let (a, b, c) = ops.take()
                    try kernels.gemm(kind: kind, a: a, b: b, scaleA: ops.scaleA, scaleB: ops.scaleB, bias: ops.bias, c: c, config: cfg)
                }
                results.append((cfg, t))
            }
            let best = results.min { $0.1 < $1.1 }!
            let flops = 2.0 * Double(m) * Double(n) * Double(k)
            let tops = flops / best.1 / 1e12
            let pct = peak8bit.map { " (\(format3(100 * flops / best.1 / $0))% of peak)" } ?? ""
            let dflt = kernels.defaultConfig(kind: kind, m: m, n: n)
            let all = results.map { "\($0.0.name) \(format3(flops / $0.1 / 1e12))" }.joined(separator: ", ")
            print("gemm \(kind) M=\(m) N=\(n) K=\(k): \(format3(tops)) TOPS\(pct), \(format3(best.1 * 1e6)) µs, best \(best.0.name) (default \(dflt.name)) | \(all)")
        }
    }

    /// Fused attention, fp16, 12 heads: BERT-base's head size 64, and MiniLM's 32 (last two rows).
    public func attention() throws(CUDAError) {
        print("## attention (fused, fp16, 12 heads × 64, MiniLM rows 12 × 32; each tile and output)")
        for (batch, seq, causal, d) in [(32, 128, false, 64), (128, 128, false, 64), (128, 256, false, 64), (8, 512, false, 64), (64, 512, false, 64),
                                        (8, 512, true, 64), (32, 128, false, 32), (128, 256, false, 32)] {
            let heads = 12, hidden = heads * d, tokens = batch * seq
            let qkv = try context.upload(rng.halves(tokens * 3 * hidden, -2, 2))
            let out = try context.allocate(UInt16.self, count: tokens * hidden)
            func view(_ p: Int) -> DeviceMatrix { DeviceMatrix(qkv, rows: tokens, cols: hidden, ld: 3 * hidden, offsetBytes: p * hidden * 2) }
            let flops = 4.0 * Double(batch * heads) * Double(seq) * Double(seq) * Double(d) * (causal ? 0.5 : 1)
            var parts: [String] = []
            for output in context.device.supportsFP8 ? KernelOutput.allCases : [.fp16] {
                for tile in AttentionTile.allCases where tile.runs(headDim: d, on: context.device) {
                    let t = try time { () throws(CUDAError) in
                        try kernels.attention(q: view(0), k: view(1), v: view(2), o: DeviceMatrix(out, rows: tokens, cols: hidden),
                                              batch: batch, seq: seq, heads: heads, headDim: d, causal: causal, output: output, tile: tile)
                    }
                    parts.append("\(output.rawValue) \(tile.rawValue) \(format3(flops / t / 1e12)) TFLOP/s \(format3(t * 1e6)) µs")
                }
            }
            print("attention B=\(batch) S=\(seq)\(d == 64 ? "" : " D=\(d)")\(causal ? " causal" : ""): \(parts.joined(separator: ", "))")
        }
    }

    /// Row kernels at 16384 rows of the BERT widths: bytes moved per second (each input read once,
    /// each output written once) on the register-resident kernels and, for comparison, on the
    /// shared-memory kernels (`registerRowKernels` off).
    public func rows() throws(CUDAError) {
        print("## row kernels (16384 rows; register-resident kernels, then the shared-memory ones)")
        let rows = 16384
        for n in RowPlan.all.map(\.n) {
            let x = try context.upload(rng.halves(rows * n, -2, 2)), r = try context.upload(rng.halves(rows * n, -2, 2))
            let g = try context.upload(rng.halves(n, 0.5, 1.5)), b = try context.upload(rng.halves(n, -1, 1))
            let y = try context.allocate(UInt16.self, count: rows * n)
            let q = ActivationQuantization.int8(codes: DeviceMatrix(try context.allocator.allocate(rows * n), rows: rows, cols: n),
                                                scales: try context.allocate(Float.self, count: rows))
            let xm = DeviceMatrix(x, rows: rows, cols: n), ym = DeviceMatrix(y, rows: rows, cols: n)
            func both(_ label: String, bytesPerElement: Int, _ body: () throws(CUDAError) -> Void) throws(CUDAError) {
                let saved = kernels.registerRowKernels
                defer { kernels.registerRowKernels = saved }
                var line = "\(label) \(rows)×\(n):"
                for register in [true, false] {
                    kernels.registerRowKernels = register
                    let t = try time(body)
                    let gbs = Double(rows * n * bytesPerElement + rows * 4) / t / 1e9
                    line += "\(register ? "" : " | shared-memory") \(format3(gbs)) GB/s, \(format3(t * 1e6)) µs"
                }
                print(line)
            }
            try both("layernorm(x + r) → fp16 + int8", bytesPerElement: 7) { () throws(CUDAError) in
                try kernels.layerNorm(xm, residual: DeviceMatrix(r, rows: rows, cols: n), gamma: g, beta: b, eps: 1e-12, y: ym, quant: q)
            }
            try both("bias+gelu → int8", bytesPerElement: 3) { () throws(CUDAError) in
                try kernels.biasGelu(xm, bias: nil, y: nil, quant: q)
            }
            try both("quantize rows → int8", bytesPerElement: 3) { () throws(CUDAError) in try kernels.quantizeRows(xm, quant: q) }
        }
        let n = rows * 768
        let a = try context.upload(rng.halves(n, -2, 2)), c = try context.allocate(UInt16.self, count: n)
        let t3 = try time { () throws(CUDAError) in try kernels.add(a, a, into: c, count: n) }
        print("add fp16 \(n): \(format3(Double(n * 6) / t3 / 1e9)) GB/s, \(format3(t3 * 1e6)) µs")
    }

    /// 100 small launches one by one against one replay of their captured graph.
    public func graphs() throws(CUDAError) {
        print("## CUDA graph replay")
        let n = 4096
        let a = try context.upload(rng.halves(n, -1, 1)), y = try context.upload(rng.halves(n, -1, 1))
        let direct = try time { () throws(CUDAError) in for _ in 0..<100 { try kernels.add(y, a, into: y, count: n) } }
        try context.synchronize()
        let graph = try context.stream.capture { () throws(CUDAError) in for _ in 0..<100 { try kernels.add(y, a, into: y, count: n) } }
        let replay = try time { () throws(CUDAError) in try graph.launch() }
        print("100 × add(4096): launches \(format3(direct * 1e6)) µs, graph replay \(format3(replay * 1e6)) µs")
    }
}
