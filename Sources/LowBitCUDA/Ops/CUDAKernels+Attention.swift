/// Queries per block of the fused attention. `.q64`: 4 warps, 64 queries; `.q128`: 8 warps,
/// 128 queries, so each K/V tile is read from L2 half as often per query, at half as many blocks.
/// `.auto`: `.q128` where its blocks still fill the device twice over (`queries(batch:seq:heads:)`).
public enum AttentionTile: String, CaseIterable, Sendable, Codable {
    case auto, q64, q128
    /// Queries per block (`.auto` has none of its own: 0).
    public var queries: Int { self == .q64 ? 64 : self == .q128 ? 128 : 0 }
}

/// Fused multi-head attention (flash-style; scores never leave registers).
extension CUDAKernels {
    /// The tile `tile` (or `attentionTile`) stands for at this shape: `.auto` gives `.q128` where a
    /// sequence has more than 64 queries and the 128-query blocks number at least 4 per SM
    /// (two waves at the 2 blocks an SM holds), else `.q64`.
    public func attentionTile(_ tile: AttentionTile? = nil, batch: Int, seq: Int, heads: Int) -> AttentionTile {
        let t = tile ?? attentionTile
        guard t == .auto else { return t }
        let blocks = (seq + 127) / 128 * heads * batch
        return seq > 64 && blocks >= 4 * context.device.multiprocessors ? .q128 : .q64
    }

    /// O[b, s, h, :] = softmax_j(scale · Q[b, s, h, :]·K[b, j, h, :]) · V[b, j, h, :].
    ///
    /// q, k, v, o: [batch·seq, ·] views, head h at columns h·headDim ..< (h+1)·headDim (so the
    /// fused QKV output [tokens, 3·hidden] is read in place through offsets); fp16, or bf16 with
    /// `bf16`. lengths: [batch] i32 valid keys per sequence (nil: all seq); causal: keys j > s masked.
    /// headDim ∈ {32, 64, 128}; every ld % 8 == 0 and views 16-byte aligned; scale > 0 (default 1/√headDim).
    /// `output` `.e4m3`: o holds unit-scale FP8 codes (`KernelOutput`; sm_89+), ld in bytes.
    /// `tile`: queries per block (nil: `attentionTile`); the result does not depend on it.
    public func attention(q: DeviceMatrix, k: DeviceMatrix, v: DeviceMatrix, o: DeviceMatrix,
                          batch: Int, seq: Int, heads: Int, headDim: Int, lengths: DeviceBuffer? = nil,
                          causal: Bool = false, scale: Float? = nil, bf16: Bool = false,
                          output: KernelOutput = .fp16, tile: AttentionTile? = nil) throws(CUDAError) {
        guard [32, 64, 128].contains(headDim) else { throw .invalidArgument("attention: head size \(headDim) not in {32, 64, 128}") }
        let tokens = batch * seq
        for (name, t) in [("q", q), ("k", k), ("v", v), ("o", o)] {
            guard t.rows == tokens, t.cols >= heads * headDim else {
                throw .invalidArgument("attention: \(name) is \(t.rows)×\(t.cols), expected \(tokens)×\(heads * headDim)")
            }
            try t.validate(name, elementBytes: name == "o" ? output.bytes : 2)
            guard t.ld % 8 == 0, t.aligned(16) else { throw .invalidArgument("attention: \(name) needs ld % 8 == 0 and 16-byte alignment") }
        }
        if output == .e4m3, !context.device.supportsFP8 {
            throw .invalidArgument("attention: e4m3 output needs sm_89 or newer (device is \(context.device.arch))")
        }
        guard (lengths?.byteCount ?? 4 * batch) >= 4 * batch else { throw .invalidArgument("attention: lengths needs \(batch) i32") }
        let scale = scale ?? 1 / Float(headDim).squareRoot()
        guard scale > 0, scale.isFinite else { throw .invalidArgument("attention: scale \(scale) must be positive and finite") }
        if tokens == 0 || heads == 0 { return }
        let bq = attentionTile(tile, batch: batch, seq: seq, heads: heads).queries
        let shared = (bq * headDim + 4 * 64 * headDim) * 2   // Q tile + 2 stages of K and V
        let f = try function("lb_attention", unitNamed: KernelSources.attentionName(headDim: headDim, bf16: bf16, output: output, queries: bq),
                             sharedBytes: shared) { KernelSources.attention(headDim: headDim, bf16: bf16, output: output, queries: bq) }
        try f.launch(grid: ((seq + bq - 1) / bq, heads, batch), block: (2 * bq, 1, 1), sharedBytes: shared, [
            q.argument, .int(q.ld), k.argument, .int(k.ld), v.argument, .int(v.ld), o.argument, .int(o.ld),
            .int(seq), .buffer(lengths), .int(causal ? 1 : 0), .float32(scale),
        ])
    }
}
