/// The fused attention's block: queries per block and how its warps split them.
/// - `.q64` (the default): 4 warps × 16 queries. (8 warps × 16, each K/V tile read from L2 half as
///   often per query, was 1–20 % slower at BERT-base's shapes on the H100, 2026-12-06 20:48 UTC,
///   B=128 S=256: 173 vs 190 TFLOP/s — L2 reads do not limit this kernel — and was dropped; the
///   kernel's WARPS define still allows it.)
/// - `.q128r32`: 4 warps × 32 queries (two m16 fragments a warp), so each K/V fragment read from
///   shared memory feeds two MMAs; twice the registers (243, 8 warps an SM); head size ≤ 64 (larger
///   heads run `.q64`). Not yet run on a GPU (written after the last device call of 2026-12-06;
///   NVRTC compiles it without spills): `lowbit cuda selftest` checks it and `lowbit cuda bench
///   attention` times it on the next device run, before it may become a default.
public enum AttentionTile: String, CaseIterable, Sendable, Codable {
    case q64, q128r32
    /// Queries per block.
    public var queries: Int { self == .q64 ? 64 : 128 }
    /// Warps per block.
    public var warps: Int { 4 }
    /// m16 query fragments per warp.
    public var fragments: Int { self == .q128r32 ? 2 : 1 }
}

/// Fused multi-head attention (flash-style; scores never leave registers).
extension CUDAKernels {
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
        var tile = tile ?? attentionTile
        if tile == .q128r32 && headDim > 64 { tile = .q64 }
        let bq = tile.queries
        let shared = (bq * headDim + 4 * 64 * headDim) * 2   // Q tile + 2 stages of K and V
        let f = try function("lb_attention", unitNamed: KernelSources.attentionName(headDim: headDim, bf16: bf16, output: output, tile: tile),
                             sharedBytes: shared) { KernelSources.attention(headDim: headDim, bf16: bf16, output: output, tile: tile) }
        try f.launch(grid: ((seq + bq - 1) / bq, heads, batch), block: (32 * tile.warps, 1, 1), sharedBytes: shared, [
            q.argument, .int(q.ld), k.argument, .int(k.ld), v.argument, .int(v.ld), o.argument, .int(o.ld),
            .int(seq), .buffer(lengths), .int(causal ? 1 : 0), .float32(scale),
        ])
    }
}
