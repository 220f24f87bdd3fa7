// The Hopper GEMM's tile configurations (KernelSources+Wgmma.swift holds its CUDA text).

/// Tile configuration of the Hopper GEMM: 128 rows (two consumer warpgroups of 64) × `bn`
/// columns per output tile, a `stages`-deep ring of 128-byte K slices.
public struct WgmmaConfig: Sendable, Hashable, Codable, CustomStringConvertible {
    public var bn: Int, stages: Int
    /// Ping-pong: each consumer group computes whole 128 × bn tiles, alternating tiles with the
    /// other group (its epilogue overlaps the other's main loop); else both share every tile.
    public var pingPong = false
    /// The output written by TMA stores from one staging slot per 64 × 64 piece;
    /// `gemmWgmma` falls back to the threads' stores where C's address or stride does not allow TMA.
    public var tmaStore = false
    /// With TMA stores: staging slots per consumer group, taken in turn by the group's 64 × 64
    /// pieces (fewer slots leave room for a deeper ring); nil: one per piece.
    public var stagingSlots: Int? = nil
    /// How an FP8 tile accumulates (INT8 and FP16 tiles keep `.promoted`, which they ignore).
    public var fp8Accumulation: FP8Accumulation = .promoted
    /// Staging slots per consumer group as the kernel has them.
    public var slotsPerGroup: Int {
        let pieces = (pingPong ? 2 : 1) * bn / 64
        guard tmaStore else { return 1 }
        return stagingSlots.map { min(max($0, 1), pieces) } ?? pieces
    }
    public var name: String {
        "128x\(bn)-s\(stages)" + (pingPong ? "-pp" : "") + (tmaStore ? "-tma" + (stagingSlots.map(String.init) ?? "") : "")
            + (fp8Accumulation == .fast ? "-fast" : "")
    }
    public var description: String { name }
    /// Dynamic shared memory: the ring, 1024 bytes of alignment slack, the mbarriers (2 per stage, 2 turns), and per
    /// consumer the tile's column scales and bias (2 × 2 × bn floats) and its 8 KB output staging
    /// slots (`slotsPerGroup`).
    public var sharedBytes: Int {
        stages * (128 + bn) * 128 + 1024 + 16 * stages + 16 + 16 * bn + 2 * slotsPerGroup * 8192
    }
    /// This tile with the threads' own stores.
    public var withoutTMAStore: WgmmaConfig { var c = self; c.tmaStore = false; c.stagingSlots = nil; return c }

    public static let n256s4 = WgmmaConfig(bn: 256, stages: 4)
    public static let n128s6 = WgmmaConfig(bn: 128, stages: 6)
    public static let n192s4 = WgmmaConfig(bn: 192, stages: 4)
    public static let n128s6pp = WgmmaConfig(bn: 128, stages: 6, pingPong: true)
    public static let n256s3tma = WgmmaConfig(bn: 256, stages: 3, tmaStore: true)
    public static let n128s5tma = WgmmaConfig(bn: 128, stages: 5, tmaStore: true)
    public static let n192s4tma = WgmmaConfig(bn: 192, stages: 4, tmaStore: true)
    public static let n128s4pptma = WgmmaConfig(bn: 128, stages: 4, pingPong: true, tmaStore: true)
    public static let n128s6pptma1 = WgmmaConfig(bn: 128, stages: 6, pingPong: true, tmaStore: true, stagingSlots: 1)
    public static let n128s5pptma2 = WgmmaConfig(bn: 128, stages: 5, pingPong: true, tmaStore: true, stagingSlots: 2)
    public static let n128s6tma1 = WgmmaConfig(bn: 128, stages: 6, tmaStore: true, stagingSlots: 1)
    /// This tile with FP8 accumulation `mode`.
    public func accumulating(_ mode: FP8Accumulation) -> WgmmaConfig { var c = self; c.fp8Accumulation = mode; return c }

    /// Candidates per operand kind. Promoted FP8 keeps f32 totals beside the wgmma registers, so
    /// its tiles are 128 wide (2 × 64 f32 registers per thread) and cooperative; fast FP8 has
    /// INT8's register budget and takes INT8's tiles.
    public static func candidates(_ operands: GemmOperands) -> [WgmmaConfig] {
        let int8: [WgmmaConfig] = [.n256s4, .n128s6, .n192s4, .n128s6pp, .n256s3tma, .n128s5tma, .n192s4tma, .n128s4pptma,
                                   .n128s6pptma1, .n128s5pptma2, .n128s6tma1]
        guard operands == .eightBit(.fp8e4m3) else { return int8 }
        return [.n128s6, .n128s5tma, .n128s6tma1] + int8.map { $0.accumulating(.fast) }
    }

    /// The tiles `gemmAny` may time: every candidate for INT8 and FP16; for FP8 the `-fast` tiles
    /// when fast accumulation is asked for, and none otherwise (the promoted tiles' k32 sums are
    /// not f32 sums either, so `.promoted` keeps FP8 on the `mma.sync` kernel and cuBLASLt).
    public static func gemmAnyCandidates(_ operands: GemmOperands, fp8Accumulation: FP8Accumulation) -> [WgmmaConfig] {
        guard operands == .eightBit(.fp8e4m3) else { return candidates(operands) }
        return fp8Accumulation == .fast ? candidates(operands).filter { $0.fp8Accumulation == .fast } : []
    }
}

/// The Hopper GEMM's add + layernorm epilogue (`CUDAKernels.gemmWgmmaLayerNorm`): `cluster` blocks
/// (1…8) share each 128-row tile, so N = cluster·bn, exchanging row statistics through distributed
/// shared memory; `codes` (nil, `.int8` or `.fp8e4m3`): the per-token codes it also writes.
public struct WgmmaLayerNorm: Sendable, Hashable {
    public var cluster: Int
    public var codes: GemmKind?
    /// Timing only (`cuda bench ln` with `$LOWBIT_LN_ABLATE`): parts of the epilogue left out, so
    /// that their cost shows; the results are then wrong. Bits: 1 the exchange (each block
    /// normalizes with its own columns' statistics), 2 the residual loads, 4 the global stores of
    /// y and the codes, 8 the layernorm itself (statistics, exchanges, normalization and codes:
    /// y = dequant(acc) + bias + residual). 0 in every real use.
    var ablation: Int = 0
    public init(cluster: Int, codes: GemmKind?) { self.cluster = cluster; self.codes = codes }
    /// The kernel's LN_QMODE: 0 none, 1 INT8, 2 FP8 e4m3.
    var qmode: Int { codes == .int8 ? 1 : codes == .fp8e4m3 ? 2 : 0 }
    var name: String {
        "ln\(cluster)" + (codes.map { "-\($0)" } ?? "") + (ablation == 0 ? "" : "-ablate\(ablation)")
    }
    /// The kernel's defines.
    var options: [String] {
        ["-DLN_FUSE=1", "-DCLUSTER=\(cluster)", "-DLN_QMODE=\(qmode)", "-DLN_ABLATE=\(ablation)"]
    }
    /// Dynamic shared memory of tile `config` with this epilogue: the plain tile's, then four
    /// exchange mbarriers, γ and β per consumer (2 × 2 × bn floats) and per consumer two exchange
    /// slots of cluster × 64 float2.
    public func sharedBytes(_ config: WgmmaConfig) -> Int { config.sharedBytes + 32 + 16 * config.bn + 2 * 2 * cluster * 512 }

    /// The tiles it runs on: 128 × 128 with a 5-deep ring (6 stages would pass the 227 KB limit),
    /// cooperative and ping-pong; FP8 with `.promoted` accumulation cooperative only.
    public static func tiles(_ operands: GemmOperands, fp8Accumulation: FP8Accumulation) -> [WgmmaConfig] {
        let both = [WgmmaConfig(bn: 128, stages: 5), WgmmaConfig(bn: 128, stages: 5, pingPong: true)]
        guard operands == .eightBit(.fp8e4m3) else { return both }
        return fp8Accumulation == .fast ? both.map { $0.accumulating(.fast) } : [both[0]]
    }
}

/// How the FP8 Hopper GEMM sums over K (see the kernel's header). Both modes add each k32 step's
/// products inside the tensor cores, aligned to the largest (~13 fraction bits kept); they differ
/// in how far that reduced-precision sum runs before f32 takes over.
public enum FP8Accumulation: String, Sendable, Hashable, Codable, CaseIterable {
    /// Each 128-deep k tile summed by the tensor cores, then added to f32 totals.
    case promoted
    /// No promotion: the tensor cores accumulate the whole of K, like cuBLASLt's fast
    /// accumulation; the tile runs the INT8 schedule (ping-pong included).
    case fast
}
