/// The CUDA C sources of LowBit's kernels, kept as Swift string literals so that a copied
/// binary carries them (no resource bundle to find). Each module is `commonSource` + its own text,
/// compiled by NVRTC for the device's architecture with the variant's `-D` defines.
public enum KernelSources {
    /// A compilable unit: a name (for the cache file and logs), the full source, and options.
    public struct Unit: Sendable, Hashable {
        public var name: String
        public var source: String
        public var options: [String]
        /// Uses sm_90a-only instructions (wgmma, TMA, setmaxnreg): compiles for sm_90a, and only
        /// when the target is sm_90.
        public var archSpecific = false
    }

    public static func norm() -> Unit { Unit(name: "norm", source: commonSource + normSource, options: []) }

    /// The 8-bit GEMM with its tile configuration and operand kind.
    public static func gemm(_ config: GemmConfig, kind: GemmKind) -> Unit {
        var o = ["-DBM=\(config.bm)", "-DBN=\(config.bn)", "-DBK=\(config.bk)", "-DWM=\(config.warpsM)",
                 "-DWN=\(config.warpsN)", "-DSTAGES=\(config.stages)", "-DMINB=\(config.minBlocks)"] + (config.ordered ? ["-DMMA_ORDERED"] : [])
        switch kind {
        case .int8: break
        case .fp8e4m3: o.append("-DAB_FP8")
        case .w4a8: o.append("-DW4")
        }
        return Unit(name: "gemm-\(kind)-\(config.name)", source: commonSource + gemmSource, options: o)
    }

    /// Fused attention for head size `headDim` ∈ {32, 64, 128}, fp16 or bf16, writing `output`,
    /// `tile`'s block (`AttentionTile.compiles(headDim:)`; the wgmma tiles are sm_90a units).
    public static func attention(headDim: Int, bf16: Bool, output: KernelOutput = .fp16, tile: AttentionTile = .q64,
                                 stages: Int? = nil) -> Unit {
        let stages = stages ?? tile.stages
        return Unit(name: attentionName(headDim: headDim, bf16: bf16, output: output, tile: tile, stages: stages),
                    source: commonSource + (tile.usesWgmma ? wgmmaPrimitives + attnWgmmaSource : "") + attnSource,
                    options: ["-DD=\(headDim)", "-DWARPS=\(tile.warps)", "-DMF=\(tile.fragments)"] + (bf16 ? ["-DELEM_BF16"] : [])
                        + (output == .e4m3 ? ["-DOUT_E4M3"] : []) + ["-DSTAGES=\(stages)"],
                    archSpecific: tile.usesWgmma)
    }

    /// `attention(…)`'s unit name, without assembling its source.
    public static func attentionName(headDim: Int, bf16: Bool, output: KernelOutput, tile: AttentionTile, stages: Int? = nil) -> String {
        "attention-d\(headDim)\(bf16 ? "-bf16" : "")\(output == .e4m3 ? "-oe4m3" : "")\(tile == .q64 ? "" : "-" + tile.rawValue)"
            + ((stages ?? tile.stages) == tile.stages ? "" : "-s\(stages ?? tile.stages)")
    }

    /// Every unit LowBit compiles (for compile checks).
    public static func all() -> [Unit] {
        var u = [norm()] + RowPlan.all.map(rows)
        for kind in GemmKind.allCases { for c in GemmConfig.candidates { u.append(gemm(c, kind: kind)) } }
        for c in GemmConfig.candidates { u.append(gemmF16(c)) }
        u.append(encoder())
        for d in [32, 64, 128] {
            for b in [false, true] {
                for o in KernelOutput.allCases {
                    for t in AttentionTile.allCases where t.compiles(headDim: d) { u.append(attention(headDim: d, bf16: b, output: o, tile: t)) }
                }
            }
        }
        for ops in [GemmOperands.eightBit(.int8), .eightBit(.fp8e4m3), .fp16] {
            for c in WgmmaConfig.candidates(ops) {
                for o in KernelOutput.allCases { u.append(wgmma(c, operands: ops, output: o)) }
            }
            // The layernorm epilogue at MiniLM's, BERT-base's and BERT-large's widths (3, 6, 8 blocks).
            for mode in FP8Accumulation.allCases where mode == .fast || ops == .eightBit(.fp8e4m3) {
                for c in WgmmaLayerNorm.tiles(ops, fp8Accumulation: mode) {
                    for cluster in [3, 6, 8] {
                        for codes in [nil, GemmKind.int8, .fp8e4m3] {
                            u.append(wgmma(c, operands: ops, layerNorm: WgmmaLayerNorm(cluster: cluster, codes: codes)))
                        }
                    }
                    // The timing-only ablations, at BERT-base's width.
                    for mask in [1, 2, 4, 7, 8, 15] where ops != .fp16 {
                        var ln = WgmmaLayerNorm(cluster: 6, codes: .fp8e4m3)
                        ln.ablation = mask
                        u.append(wgmma(c, operands: ops, layerNorm: ln))
                    }
                }
            }
        }
        return u
    }
}

/// Operand kinds of the 8-bit GEMM.
public enum GemmKind: String, Sendable, CaseIterable, CustomStringConvertible {
    /// A, B INT8, s32 accumulators.
    case int8
    /// A, B FP8 e4m3, f32 accumulators (sm_89+).
    case fp8e4m3
    /// A INT8, B packed INT4 (`PackedInt4` layout), expanded to INT8 in shared memory.
    case w4a8
    public var description: String { rawValue }
}

/// Tile configuration of the 8-bit GEMM: block tile bm × bn, k step bk bytes (64 or 128), warps
/// warpsM × warpsN, pipeline depth.
public struct GemmConfig: Sendable, Hashable, CustomStringConvertible {
    public var bm: Int, bn: Int, bk: Int, warpsM: Int, warpsN: Int, stages: Int
    /// Blocks per SM the compiler must leave registers for (`__launch_bounds__`).
    public var minBlocks: Int = 1
    /// MMAs kept in program order (`asm volatile`) instead of scheduled by the compiler.
    public var ordered = false
    public var threads: Int { warpsM * warpsN * 32 }
    /// Dynamic shared memory: stages × (bm + bn) × bk bytes of tiles, then the epilogue's
    /// per-row and per-column scales and bias as f32 ((bm + 2·bn) × 4 bytes).
    public var sharedBytes: Int { stages * (bm + bn) * bk + (bm + 2 * bn) * 4 }
    public var name: String { "\(bm)x\(bn)x\(bk)-w\(warpsM)x\(warpsN)-s\(stages)" + (minBlocks > 1 ? "-b\(minBlocks)" : "") + (ordered ? "-ord" : "") }
    public var description: String { name }

    public static let c128x128 = GemmConfig(bm: 128, bn: 128, bk: 64, warpsM: 2, warpsN: 4, stages: 4)
    public static let c128x128k128 = GemmConfig(bm: 128, bn: 128, bk: 128, warpsM: 2, warpsN: 4, stages: 3, minBlocks: 2)
    public static let c128x128k128ord = GemmConfig(bm: 128, bn: 128, bk: 128, warpsM: 2, warpsN: 4, stages: 3, minBlocks: 2,
                                                   ordered: true)
    public static let c128x256k128 = GemmConfig(bm: 128, bn: 256, bk: 128, warpsM: 2, warpsN: 4, stages: 3)
    public static let c64x128 = GemmConfig(bm: 64, bn: 128, bk: 64, warpsM: 2, warpsN: 2, stages: 4)
    public static let c64x128k128 = GemmConfig(bm: 64, bn: 128, bk: 128, warpsM: 2, warpsN: 2, stages: 4)
    /// Configurations the bench times and the self-test checks. (128×256×64, 256×128×128 and
    /// 128×128×64-ordered were measured too, 2026-11-23, and never won; see README.md.)
    public static let candidates: [GemmConfig] = [.c128x128k128, .c128x128k128ord, .c64x128k128, .c64x128, .c128x128,
                                                  .c128x256k128]
}
