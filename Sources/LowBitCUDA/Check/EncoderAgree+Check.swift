import Foundation
import LowBitCore
import LowBitIO

/// The GPU side of the agreement check (see `CUDAEncoderAgreement.pack`).
extension CUDAEncoderAgreement {
    static func cosine(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Double { cosine(Array(a), Array(b)) }

    /// Loads a pack, runs its sequences as one right-padded batch and prints PASS/FAIL for GPU
    /// FP16 vs CPU float and GPU W8A8 vs CPU simulated W8A8 (minimum cosine over the sequences
    /// ≥ 0.9999, the issue's bound), INFO lines for the other pairs, and a layer-by-layer
    /// comparison of the W8A8 hidden states. Returns the number of failed checks.
    public static func agree(packDir: String, kernels: CUDAKernels, log: (String) -> Void) throws -> Int {
        let refs = try JSONDecoder().decode(Refs.self, from: Data(contentsOf: URL(fileURLWithPath: packDir + "/refs.json")))
        let weights = try EncoderWeights.readPack(packDir)
        let encoder = try CUDAEncoder(weights: weights, kernels: kernels)
        let w8a8Recipe = try weights.quantizedRecipe() ?? .w8a8
        log("GPU encoder: \(encoder.config), \(refs.sequences.count) sequences, one padded batch of \(refs.sequences.map(\.count).max() ?? 0); "
            + "GEMM backend policy \(kernels.backendPolicy.rawValue); W8A8 (recipe \(w8a8Recipe)) from \(refs.w8a8Source)")
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
        for r in [EncoderRecipe.fp16, w8a8Recipe, .fp8, .w4a8] {
            encoder.recipe = r
            out[r] = try encoder.embed(refs.sequences)
        }
        check("GPU fp16 vs CPU float", out[.fp16]!, refs.float, bound: 0.9999)
        check("GPU w8a8 (\(w8a8Recipe)) vs CPU simulated W8A8", out[w8a8Recipe]!, refs.w8a8, bound: 0.9999)
        /// The sequences' embeddings under `recipe` with one other encoder setting, restored after.
        func embed<T>(_ recipe: EncoderRecipe, with setting: ReferenceWritableKeyPath<CUDAEncoder, T>, _ value: T) throws -> [[Float]] {
            let saved = encoder[keyPath: setting]
            defer { encoder[keyPath: setting] = saved }
            encoder.recipe = recipe
            encoder[keyPath: setting] = value
            return try encoder.embed(refs.sequences)
        }
        for other in CUDAEncoder.GeluPlacement.allCases where other != encoder.geluPlacement {
            check("GPU w8a8 with GELU in the \(other == .gemmEpilogue ? "GEMM epilogue" : "row kernel") (not the default) vs CPU simulated W8A8",
                  try embed(w8a8Recipe, with: \.geluPlacement, other), refs.w8a8, bound: nil)
        }
        for other in GeluForm.allCases where other != encoder.quantizedGelu {
            let alt = try embed(w8a8Recipe, with: \.quantizedGelu, other)
            check("GPU w8a8 with the \(other.rawValue) GELU before the codes (not the default) vs CPU simulated W8A8", alt, refs.w8a8, bound: nil)
            check("GPU w8a8 \(other.rawValue) vs \(encoder.quantizedGelu.rawValue) GELU", alt, out[w8a8Recipe]!, bound: nil)
        }
        for other in CUDAEncoder.NormPlacement.allCases where other != encoder.normPlacement {
            let place = other == .rowKernel ? "a row kernel" : "the GEMM epilogue"
            let alt16 = try embed(.fp16, with: \.normPlacement, other), alt8 = try embed(w8a8Recipe, with: \.normPlacement, other)
            check("GPU fp16 with add + layernorm in \(place) (not the default) vs CPU float", alt16, refs.float, bound: nil)
            check("GPU w8a8 with add + layernorm in \(place) (not the default) vs CPU simulated W8A8", alt8, refs.w8a8, bound: nil)
        }
        if let integer = refs.w8a8Integer {
            check("GPU w8a8 vs CPU integer engine", out[w8a8Recipe]!, integer, bound: nil)
            check("CPU integer engine vs CPU simulated W8A8", integer, refs.w8a8, bound: nil)
        }
        if let floor = refs.w8a8Fp16Hidden {
            check("noise floor: CPU simulated W8A8 vs itself with fp16 hidden states between blocks", floor, refs.w8a8, bound: nil)
        }
        check("GPU w8a8 vs CPU float", out[w8a8Recipe]!, refs.float, bound: nil)
        check("CPU simulated W8A8 vs CPU float", refs.w8a8, refs.float, bound: nil)
        check("GPU fp8 (\(encoder.fp8Accumulation.rawValue) accumulation) vs CPU float", out[.fp8]!, refs.float, bound: nil)
        for other in FP8Accumulation.allCases where other != encoder.fp8Accumulation {
            let alt = try embed(.fp8, with: \.fp8Accumulation, other)
            check("GPU fp8 (\(other.rawValue) accumulation, not the default) vs CPU float", alt, refs.float, bound: nil)
            check("GPU fp8 \(other.rawValue) vs \(encoder.fp8Accumulation.rawValue) accumulation", alt, out[.fp8]!, bound: nil)
        }
        for other in CUDAEncoder.FP8Handoff.allCases where other != encoder.fp8Handoff {
            let alt = try embed(.fp8, with: \.fp8Handoff, other)
            check("GPU fp8 with \(other.rawValue) codes of ctx and GELU (not the default) vs CPU float", alt, refs.float, bound: nil)
            check("GPU fp8 \(other.rawValue) vs \(encoder.fp8Handoff.rawValue) codes", alt, out[.fp8]!, bound: nil)
        }
        check("GPU w4a8 vs CPU float", out[.w4a8]!, refs.float, bound: nil)
        encoder.recipe = w8a8Recipe
        try layerByLayer(encoder: encoder, packDir: packDir, refs: refs, log: log)

        // A graph replay gives the eager pass's bits.
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

    /// INFO lines, per layer l (0 = after the embeddings): token cosines (min, mean) between the
    /// GPU's and the CPU simulation's W8A8 hidden states, running freely from the embeddings and
    /// with the CPU's states fed in before block l ("teacher-forced": what block l alone adds),
    /// and the fraction of QKV-input codes that fp16 rounding alone flips (from the pack).
    static func layerByLayer(encoder: CUDAEncoder, packDir: String, refs: Refs, log: (String) -> Void) throws {
        guard let n = refs.layerSequences, FileManager.default.fileExists(atPath: packDir + "/layers.safetensors") else { return }
        let st = try SafeTensorsFile(path: packDir + "/layers.safetensors")
        let seqs = Array(refs.sequences.prefix(n)), h = encoder.config.hidden, layers = encoder.config.layers
        let s = seqs.map(\.count).max() ?? 0
        var starts: [Int] = [], total = 0
        for q in seqs { starts.append(total); total += q.count }
        func cpu(_ l: Int) throws -> [Float] { try st.float32(named: "h\(l)").toArray() }
        /// GPU padded [batch·s, hidden] vs CPU packed rows: token cosines (min, mean).
        func compare(_ gpu: [Float], _ ref: [Float]) -> (Double, Double) {
            var cs: [Double] = []
            for (b, q) in seqs.enumerated() {
                for j in 0..<q.count {
                    cs.append(cosine(gpu[((b * s + j) * h)..<((b * s + j + 1) * h)], ref[((starts[b] + j) * h)..<((starts[b] + j + 1) * h)]))
                }
            }
            return (cs.min() ?? 0, cs.reduce(0, +) / Double(max(cs.count, 1)))
        }
        func padded(_ ref: [Float]) -> [Float] {
            var x = [Float](repeating: 0, count: seqs.count * s * h)
            for (b, q) in seqs.enumerated() {
                for j in 0..<q.count { for i in 0..<h { x[(b * s + j) * h + i] = ref[(starts[b] + j) * h + i] } }
            }
            return x
        }
        try encoder.prepare(batch: seqs.count, seq: s)
        var ids = [Int32](repeating: 0, count: seqs.count * s)
        for (b, q) in seqs.enumerated() { for (j, id) in q.enumerated() { ids[b * s + j] = id } }
        try encoder.setInputs(ids: ids, lengths: seqs.map { Int32($0.count) })
        try encoder.prepareWeights()
        log("INFO layer-by-layer, GPU \(encoder.recipe) vs CPU simulated W8A8, \(seqs.count) sequences (\(total) tokens), token cosines:")
        for l in 0...layers {
            let ref = try cpu(l)
            try encoder.forward(blocks: 0..<l)
            let free = compare(try encoder.hiddenStates(), ref)
            var line = "INFO   layer \(l): free-running min \(String(format: "%.6f", free.0)) mean \(String(format: "%.6f", free.1))"
            if l > 0 {
                try encoder.setHidden(padded(try cpu(l - 1)))
                try encoder.forward(blocks: (l - 1)..<l, embed: false)
                let forced = compare(try encoder.hiddenStates(), ref)
                line += "; teacher-forced min \(String(format: "%.6f", forced.0)) mean \(String(format: "%.6f", forced.1))"
                if let flips = refs.fp16CodeFlips, l - 1 < flips.count {
                    line += "; fp16 rounding flips \(String(format: "%.3f", 100 * flips[l - 1]))% of its QKV-input codes"
                }
            }
            log(line)
        }
    }
}
