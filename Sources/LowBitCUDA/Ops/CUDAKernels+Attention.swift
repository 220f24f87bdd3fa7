/// The fused attention's block: queries per block and how its warps split them.
/// - `.q64`: 4 warps × 16 queries, `mma.sync`.
/// - `.q128r32`: 4 warps × 32 queries (two m16 fragments a warp), so each K/V fragment read from
///   shared memory feeds two MMAs; twice the registers (243, 8 warps an SM); head size ≤ 64.
/// - `.wg64`: one warpgroup × 64 queries, both products as `wgmma` (sm_90a, Hopper only; head
///   size 32 or 64): the tensor cores read K and V from shared memory once per 64 queries.
/// - `.wg128`: `.wg64` with two warpgroups (8 warps × 16 queries), which share each K/V tile loaded
///   into shared memory: half the K/V loads per query of `.wg64`.
/// A tile asked for (the call's `tile:` or `CUDAKernels.attentionTile`) that cannot run a shape
/// (`runs(headDim:on:)`) is an error (`AttentionTile.unsupported`); the timed choice only
/// considers tiles that run it, `.q64` runs every shape.
/// Neither mma.sync tile wins everywhere (H200, 2026-12-06 22:22 UTC, BERT-base's 12 heads × 64):
/// `.q128r32` is 3–7 % faster with many blocks (B=128 S=256, B=64 S=512), `.q64` 5–15 % faster with
/// few (B=16 S=256, B=8 S=512, B=128 S=128), so `CUDAKernels.attention` times the tiles per shape
/// unless a tile is set (`attentionTimedTiles(headDim:)`). (An 8-warp × 16-query `mma.sync` block was
/// 1–20 % slower than `.q64` everywhere, 20:48 UTC, and was dropped; `.wg128` uses WARPS = 8 with wgmma.)
public enum AttentionTile: String, CaseIterable, Sendable, Codable {
    case q64, q128r32, wg64, wg128
    /// Queries per block.
    public var queries: Int { 16 * warps * fragments }
    /// Warps per block.
    public var warps: Int { self == .wg128 ? 8 : 4 }
    /// m16 query fragments per warp.
    public var fragments: Int { self == .q128r32 ? 2 : 1 }
    /// Whether the tile's kernel uses sm_90a instructions (wgmma).
    public var usesWgmma: Bool { self == .wg64 || self == .wg128 }
    /// K/V tiles of 64 keys in the block's shared-memory ring (`attentionStages` overrides it).
    public var stages: Int { 2 }
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
    /// `tile`: queries per block (nil: `attentionTile`, and where that is nil too the faster tile for
    /// this shape, timed on its first call outside graph capture and remembered — `.q64` until
    /// then); the result does not depend on it. A tile asked for that does not run heads of
    /// `headDim` on this device throws `.invalidArgument` (no silent substitute).
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
        if let n = attentionStages, !(2...6).contains(n) {
            throw .invalidArgument("attention: \(n) K/V stages ($LOWBIT_ATTENTION_STAGES) not in 2…6")
        }
        func run(_ tile: AttentionTile) throws(CUDAError) {
            let bq = tile.queries, stages = attentionStages ?? tile.stages
            let shared = (bq * headDim + 2 * stages * 64 * headDim) * 2 + (tile.usesWgmma ? 1024 : 0)   // Q tile + the K/V ring (+ alignment)
            let f = try function("lb_attention", unitNamed: KernelSources.attentionName(headDim: headDim, bf16: bf16, output: output, tile: tile, stages: stages),
                                 sharedBytes: shared) { KernelSources.attention(headDim: headDim, bf16: bf16, output: output, tile: tile, stages: stages) }
            try f.launch(grid: ((seq + bq - 1) / bq, heads, batch), block: (32 * tile.warps, 1, 1), sharedBytes: shared, [
                q.argument, .int(q.ld), k.argument, .int(k.ld), v.argument, .int(v.ld), o.argument, .int(o.ld),
                .int(seq), .buffer(lengths), .int(causal ? 1 : 0), .float32(scale),
            ])
        }
        if let chosen = tile ?? attentionTile {
            if let why = chosen.unsupported(headDim: headDim, on: context.device) { throw .invalidArgument("attention: \(why)") }
            return try run(chosen)
        }
        let shape = AttentionShape(batch: batch, seq: seq, heads: heads, headDim: headDim, bf16: bf16, output: output, causal: causal)
        if let choice = lock.withLock({ attentionChoices[shape] }) { return try run(choice.tile) }
        let tiles = attentionTimedTiles(headDim: headDim)
        if context.stream.isCapturing || tiles.count < 2 { return try run(.q64) }
        var micros: [AttentionTile: Double] = [:]
        for t in tiles { micros[t] = try medianMicros { () throws(CUDAError) in try run(t) } }
        let best = tiles.min { micros[$0]! < micros[$1]! }!
        lock.withLock { attentionChoices[shape] = AttentionTileChoice(tile: best, micros: micros) }
        try run(best)
    }

    /// The tiles `attention` times for heads of `headDim` where no tile is set: `attentionCandidates`, or
    /// where that is nil every tile; each only where it runs on this device (`runs(headDim:on:)`).
    /// Every tile has passed the attention self-test on a GPU (the wgmma ones, both head sizes and
    /// both warpgroup counts: H100, 2026-12-07 04:51 UTC).
    public func attentionTimedTiles(headDim: Int) -> [AttentionTile] {
        (attentionCandidates ?? AttentionTile.allCases)
            .filter { $0.runs(headDim: headDim, on: context.device) }
    }

    /// The timed tile choices so far (`attention` with no tile set), by shape.
    public var attentionTileChoices: [AttentionShape: AttentionTileChoice] { lock.withLock { attentionChoices } }
}

/// Tiles as JSON object keys (`AttentionTileChoice.micros` encodes as {"q64": …, "q128r32": …}).
extension AttentionTile: CodingKeyRepresentable {}

extension AttentionTile {
    /// The tiles named in a comma list (unknown names skipped), `.q64` always among them; nil: no list.
    public static func candidates(_ list: String?) -> [AttentionTile]? {
        guard let list else { return nil }
        let named = Set(list.split(separator: ",").compactMap { AttentionTile(rawValue: $0.filter { $0 != " " }) })
        return allCases.filter { $0 == .q64 || named.contains($0) }
    }

    /// Whether this tile has a kernel for heads of `headDim` (`.q64`: 32, 64, 128; `.q128r32`: ≤ 64; wgmma tiles: 32, 64).
    public func compiles(headDim: Int) -> Bool {
        switch self {
        case .q64: true
        case .q128r32: headDim <= 64
        case .wg64, .wg128: headDim == 32 || headDim == 64
        }
    }

    /// Whether this tile runs heads of `headDim` on `device` (wgmma tiles: sm_90 only).
    public func runs(headDim: Int, on device: CUDADeviceInfo) -> Bool {
        unsupported(headDim: headDim, on: device) == nil
    }

    /// Why this tile cannot run heads of `headDim` on `device`, naming tile, head size and device;
    /// nil where it can.
    public func unsupported(headDim: Int, on device: CUDADeviceInfo) -> String? {
        if !compiles(headDim: headDim) {
            let sizes = self == .q128r32 ? "32 or 64" : self == .q64 ? "32, 64 or 128" : "32 or 64"
            return "tile \(rawValue) does not run head size \(headDim) (it takes head size \(sizes); q64 takes 32, 64 and 128)"
        }
        if usesWgmma && !device.runsSM90a {
            return "tile \(rawValue) uses wgmma, which needs sm_90a (Hopper); \(device.name) is \(device.arch): use q64 or q128r32"
        }
        return nil
    }
}

/// What an attention call's speed depends on, the key of its timed tile choice.
public struct AttentionShape: Hashable, Sendable, CustomStringConvertible {
    public var batch: Int, seq: Int, heads: Int, headDim: Int
    public var bf16: Bool, output: KernelOutput, causal: Bool
    public var description: String {
        "B\(batch)|S\(seq)|H\(heads)|D\(headDim)|\(bf16 ? "bf16" : "fp16")→\(output)\(causal ? "|causal" : "")"
    }
}

/// One timed choice: the tile kept and every candidate's time (µs).
public struct AttentionTileChoice: Sendable, Codable {
    public var tile: AttentionTile
    public var micros: [AttentionTile: Double]
}
