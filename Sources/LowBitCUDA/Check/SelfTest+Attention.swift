import LowBitCore

/// Fused attention against the double reference, on the fused-QKV layout BERT produces.
///
/// Bound: P is rounded to fp16 (bf16) before P·V, each weight within 2⁻¹¹ (2⁻⁸) relative, so
/// |o − ref| ≤ ~2⁻¹¹·max|v| + one output rounding |ref|·2⁻¹¹; taken as 2⁻¹⁰·max|v| + 2⁻¹⁰·|ref|
/// (bf16: 2⁻⁷ each) + 1e-4 for the f32 softmax.
extension CUDASelfTest {
    func attentionChecks(quick: Bool) throws(CUDAError) {
        // (batch, seq, heads, headDim, padded, causal, bf16)
        var cases: [(Int, Int, Int, Int, Bool, Bool, Bool)] = [
            (1, 1, 1, 64, false, false, false), (2, 17, 3, 64, true, false, false), (3, 64, 2, 64, false, true, false),
            (2, 100, 4, 32, true, false, false), (1, 128, 12, 64, false, false, true), (2, 257, 2, 128, true, true, false),
            (1, 512, 4, 64, true, false, false), (2, 512, 2, 64, false, true, true), (2, 384, 6, 32, true, false, false),
            (48, 64, 4, 64, false, false, false),   // many blocks, one key tile each
            (1, 128, 1, 64, false, false, false),   // two blocks, two key tiles each
        ]
        if quick { cases = [cases[1], cases[4]] }
        for tile in AttentionTile.allCases {
            for c in cases where tile.runs(headDim: c.3, on: context.device) {
                try attentionCheck(batch: c.0, seq: c.1, heads: c.2, d: c.3, padded: c.4, causal: c.5, bf16: c.6, tile: tile)
            }
        }
        try attentionTimedChoiceCheck()
        try attentionE4M3Checks(quick: quick)
    }

    /// With no tile set, `attention` times every tile on a shape's first call, remembers the
    /// fastest, and computes the same values.
    func attentionTimedChoiceCheck() throws(CUDAError) {
        let fixed = kernels.attentionTile
        kernels.attentionTile = nil
        defer { kernels.attentionTile = fixed }
        try attentionCheck(batch: 3, seq: 200, heads: 2, d: 64, padded: true, causal: false, bf16: false, tile: nil)
        let shape = AttentionShape(batch: 3, seq: 200, heads: 2, headDim: 64, bf16: false, output: .fp16, causal: false)
        let name = "attention.timed-choice", at = "\(shape)"
        guard let choice = kernels.attentionTileChoices[shape] else {
            return record(name, at, worst: .infinity, detail: "no choice remembered")
        }
        let candidates = kernels.attentionTimedTiles(headDim: 64)
        let timed = candidates.filter { choice.micros[$0].map { $0 > 0 && $0.isFinite } ?? false }
        let fastest = timed.min { choice.micros[$0]! < choice.micros[$1]! }
        record(name, at, worst: timed.count == candidates.count && choice.micros.count == candidates.count && fastest == choice.tile ? 0 : .infinity,
               detail: "kept \(choice.tile.rawValue); µs " + choice.micros.map { "\($0.key.rawValue) \($0.value)" }.sorted().joined(separator: ", "))
    }

    func attentionCheck(batch: Int, seq: Int, heads: Int, d: Int, padded: Bool, causal: Bool, bf16: Bool,
                        output: KernelOutput = .fp16, tile: AttentionTile?) throws(CUDAError) {
        let hidden = heads * d, tokens = batch * seq, ld = 3 * hidden
        func toBits(_ v: Float) -> UInt16 { bf16 ? HalfPrecision.floatToBF16(v) : HalfPrecision.floatToF16(v) }
        func toDouble(_ h: UInt16) -> Double { bf16 ? CUDAReference.bf16(h) : CUDAReference.f16(h) }
        let qkv = (0..<(tokens * ld)).map { _ in toBits(rng.uniform(-2, 2)) }
        let lengths = (0..<batch).map { _ in Int32(padded ? rng.int(1...seq) : seq) }
        let scale = 1 / Double(d).squareRoot()
        var ref = [Double](repeating: 0, count: tokens * hidden)
        for b in 0..<batch {
            for h in 0..<heads {
                func slice(_ part: Int) -> [Double] {
                    var out = [Double](repeating: 0, count: seq * d)
                    for s in 0..<seq { for x in 0..<d { out[s * d + x] = toDouble(qkv[(b * seq + s) * ld + part * hidden + h * d + x]) } }
                    return out
                }
                let o = CUDAReference.attention(q: slice(0), k: slice(1), v: slice(2), seq: seq, d: d, len: Int(lengths[b]),
                                                causal: causal, scale: scale)
                for s in 0..<seq { for x in 0..<d { ref[(b * seq + s) * hidden + h * d + x] = o[s * d + x] } }
            }
        }
        let dqkv = try context.upload(qkv)
        let dout = try context.allocate(UInt16.self, count: tokens * hidden)
        try context.fill(dout, byte: output == .e4m3 ? 0x7F : 0xFF)   // NaN either way
        func view(_ part: Int) -> DeviceMatrix { DeviceMatrix(dqkv, rows: tokens, cols: hidden, ld: ld, offsetBytes: part * hidden * 2) }
        try kernels.attention(q: view(0), k: view(1), v: view(2), o: DeviceMatrix(dout, rows: tokens, cols: hidden),
                              batch: batch, seq: seq, heads: heads, headDim: d, lengths: padded ? try context.upload(lengths) : nil,
                              causal: causal, scale: Float(scale), bf16: bf16, output: output, tile: tile)
        let rel = bf16 ? 0x1p-7 : 0x1p-10
        let shape = "B\(batch) S\(seq) H\(heads) D\(d)\(padded ? " padded" : "")\(causal ? " causal" : "") \(tile?.rawValue ?? "timed")"
        if output == .e4m3 {
            let codes = try context.download(dout, as: UInt8.self, count: tokens * hidden)
            e4m3IntervalCheck("attention.\(bf16 ? "bf16" : "f16")→e4m3", shape, codes: codes, ref: ref) { _ in 2 * rel + 1e-4 }
            return
        }
        let got = try context.download(dout, as: UInt16.self, count: tokens * hidden).map(toDouble)
        check("attention.\(bf16 ? "bf16" : "f16")", shape, got, ref) { abs(ref[$0]) * rel + 2 * rel + 1e-4 }
    }
}
