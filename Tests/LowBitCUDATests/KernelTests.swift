import Foundation
import LowBitCore
import Testing
@testable import LowBitCUDA

/// NVRTC compiles every kernel variant (needs only libnvrtc, no GPU: set LOWBIT_NVRTC to a
/// libnvrtc.so, e.g. from the `nvidia-cuda-nvrtc` wheel). Skipped, with the reason, without it.
@Suite struct NVRTCCompileTests {
    @Test(.enabled(if: CUDALibraries.nvrtcAvailable, "NVRTC not found (set LOWBIT_NVRTC to a libnvrtc.so)"),
          arguments: KernelSources.all())
    func compiles(unit: KernelSources.Unit) throws {
        let compiler = KernelCompiler(arch: "sm_90", cacheDirectory: nil)
        let cubin = try compiler.cubin(unit)      // sm_90a for the wgmma units
        #expect(cubin.count > 1000)
        #expect(cubin.prefix(4) == [0x7F, 0x45, 0x4C, 0x46])   // ELF
    }

    @Test(.enabled(if: CUDALibraries.nvrtcAvailable, "NVRTC not found (set LOWBIT_NVRTC to a libnvrtc.so)"))
    func compileErrorCarriesTheLog() {
        let compiler = KernelCompiler(arch: "sm_90", cacheDirectory: nil)
        #expect {
            _ = try compiler.compile(source: "extern \"C\" __global__ void k() { undefined_thing(); }", name: "bad",
                                     options: ["--gpu-architecture=sm_90"])
        } throws: { error in
            guard case .nvrtc(let call, _, _, let log) = error as? CUDAError else { return false }
            return call.hasPrefix("nvrtcCompileProgram(bad") && log.contains("undefined_thing")
        }
    }

    /// `gemmWgmma` finds its loaded kernel by `wgmmaName` without assembling the source: the
    /// names must be the units' own (a mismatch would stop the program at the precondition).
    @Test func wgmmaNamesMatchTheirUnits() {
        for ops in [GemmOperands.eightBit(.int8), .eightBit(.fp8e4m3), .fp16] {
            for c in WgmmaConfig.candidates(ops) {
                #expect(KernelSources.wgmma(c, operands: ops).name == KernelSources.wgmmaName(c, operands: ops))
                let e4m3 = KernelSources.wgmma(c, operands: ops, output: .e4m3)
                #expect(e4m3.name == KernelSources.wgmmaName(c, operands: ops, output: .e4m3))
                #expect(e4m3.options.contains("-DOUT_E4M3=1") && e4m3.name != KernelSources.wgmma(c, operands: ops).name)
            }
        }
        #expect(Set(KernelSources.all().map(\.name)).count == KernelSources.all().count, "unit names are unique")
    }

    /// `attention` finds its kernel by `attentionName`; every tile of every head size, element type and
    /// output is a compiled unit (two fragments a warp only up to head size 64; wgmma at 32 and 64).
    @Test func attentionUnitsCoverEveryTile() {
        let names = Set(KernelSources.all().map(\.name))
        let tiles: [(AttentionTile, Int, Int)] = [(.q64, 4, 1), (.q128r32, 4, 2), (.wg64, 4, 1), (.wg128, 8, 1)]
        #expect(tiles.map(\.0) == AttentionTile.allCases, "the table names every tile")
        for d in [32, 64, 128] {
            for bf16 in [false, true] {
                for output in KernelOutput.allCases {
                    for (tile, warps, mf) in tiles {
                        #expect(tile.compiles(headDim: d) == (tile.usesWgmma ? d <= 64 : d <= 64 || mf == 1))
                        guard tile.compiles(headDim: d) else { continue }
                        let unit = KernelSources.attention(headDim: d, bf16: bf16, output: output, tile: tile)
                        #expect(unit.name == KernelSources.attentionName(headDim: d, bf16: bf16, output: output, tile: tile))
                        #expect(names.contains(unit.name) && unit.options.contains("-DWARPS=\(warps)") && unit.options.contains("-DMF=\(mf)"))
                        #expect(tile.queries == 16 * warps * mf)
                        // Only the wgmma tiles are sm_90a units, and only they switch the wgmma path on.
                        #expect(unit.archSpecific == tile.usesWgmma && unit.source.contains("#define WG 1") == tile.usesWgmma)
                    }
                }
            }
        }
    }

    /// The K/V ring depth is a compile-time define; a depth other than the tile's own gets a unit of its own.
    @Test func attentionStagesNameTheirUnit() {
        let base = KernelSources.attention(headDim: 64, bf16: false, tile: .wg64)
        let deep = KernelSources.attention(headDim: 64, bf16: false, tile: .wg64, stages: 4)
        #expect(base.options.contains("-DSTAGES=\(AttentionTile.wg64.stages)") && deep.options.contains("-DSTAGES=4"))
        #expect(base.name == "attention-d64-wg64" && deep.name == "attention-d64-wg64-s4")
        #expect(KernelSources.attentionName(headDim: 64, bf16: false, output: .fp16, tile: .wg64, stages: 4) == deep.name)
        #expect(KernelSources.attention(headDim: 64, bf16: false, tile: .wg64, stages: AttentionTile.wg64.stages).name == base.name)
    }

    /// $LOWBIT_ATTENTION_TILES names the timed tiles: unknown names are skipped, `.q64` is always kept.
    @Test func attentionCandidatesFromAList() {
        #expect(AttentionTile.candidates(nil) == nil)
        #expect(AttentionTile.candidates("wg64, q128r32") == [.q64, .q128r32, .wg64])
        #expect(AttentionTile.candidates("bogus") == [.q64])
    }

    /// $LOWBIT_BENCH_SAMPLE_MS shortens the bench's samples (5 ms unset); out of 1…100 or not a number is refused.
    @Test func benchSampleLengthComesFromItsVariable() throws {
        #expect(try CUDABench.sampleMillis(nil) == 5)
        #expect(try CUDABench.sampleMillis("2") == 2)
        for bad in ["0", "500", "fast"] {
            #expect(throws: CUDAError.self) { _ = try CUDABench.sampleMillis(bad) }
        }
    }

    /// A tile asked for that cannot run a shape is refused with a reason naming tile, head size
    /// and device (no silent substitute); `.q64` runs every head size anywhere.
    @Test func attentionTilesSayWhyTheyCannotRun() {
        func device(_ major: Int, _ minor: Int) -> CUDADeviceInfo {
            CUDADeviceInfo(ordinal: 0, name: "GPU \(major).\(minor)", major: major, minor: minor, multiprocessors: 1,
                           sharedMemoryPerBlockOptin: 1 << 16, l2Bytes: 1 << 20, totalMemory: 1 << 30, clockKHz: 1, driverVersion: 13000)
        }
        let hopper = device(9, 0), ada = device(8, 9)
        for d in [32, 64, 128] { #expect(AttentionTile.q64.unsupported(headDim: d, on: ada) == nil) }
        #expect(AttentionTile.wg64.unsupported(headDim: 64, on: hopper) == nil)
        let wg = AttentionTile.wg128.unsupported(headDim: 64, on: ada) ?? ""
        #expect(wg.contains("wg128") && wg.contains("sm_90a") && wg.contains("sm_89"))
        let head = AttentionTile.q128r32.unsupported(headDim: 128, on: hopper) ?? ""
        #expect(head.contains("q128r32") && head.contains("head size 128"))
        #expect(!AttentionTile.wg64.runs(headDim: 128, on: hopper) && AttentionTile.q128r32.runs(headDim: 32, on: ada))
    }

    /// A timed attention choice goes into `lowbit bench --device cuda --json` with the tiles as
    /// object keys, and the shape key names what the choice depends on.
    @Test func attentionTileChoiceEncodesTilesAsKeys() throws {
        let choice = AttentionTileChoice(tile: .q128r32, micros: [.q64: 140.5, .q128r32: 136.25])
        let json = try #require(String(data: try JSONEncoder().encode(choice), encoding: .utf8))
        #expect(json.contains("\"q64\":140.5") && json.contains("\"q128r32\":136.25") && json.contains("\"tile\":\"q128r32\""))
        let back = try JSONDecoder().decode(AttentionTileChoice.self, from: Data(json.utf8))
        #expect(back.tile == .q128r32 && back.micros == choice.micros)
        let shape = AttentionShape(batch: 128, seq: 256, heads: 12, headDim: 64, bf16: false, output: .e4m3, causal: false)
        #expect("\(shape)" == "B128|S256|H12|D64|fp16→e4m3")
    }

    /// Every wgmma tile fits the H100's 227 KB of opt-in shared memory per block (a tile over it
    /// would fail at launch on the device only), and the fallback of a TMA-store tile (C not
    /// TMA-aligned) is a tile of the same size and ring with the threads' stores.
    @Test func wgmmaTilesFitSharedMemory() {
        let h100OptIn = 232_448
        for ops in [GemmOperands.eightBit(.int8), .eightBit(.fp8e4m3), .fp16] {
            for c in WgmmaConfig.candidates(ops) {
                #expect(c.sharedBytes <= h100OptIn, "\(c) needs \(c.sharedBytes) bytes")
                let own = c.withoutTMAStore
                #expect(!own.tmaStore && own.bn == c.bn && own.stages == c.stages && own.pingPong == c.pingPong)
                #expect(own.sharedBytes <= c.sharedBytes)
            }
        }
        // The ring, the barriers, the scales and the staging slots, counted by hand for one tile:
        // 5 stages × (128 + 128) rows × 128 B, 1024 B alignment slack, 2 × 5 + 2 mbarriers,
        // 2 × 2 × 128 floats, 2 groups × 2 slots × 8 KB.
        #expect(WgmmaConfig.n128s5tma.sharedBytes == 5 * 256 * 128 + 1024 + 8 * 12 + 16 * 128 + 2 * 2 * 8192)
        // One staging slot per group where a ping-pong tile has four pieces: room for six stages.
        #expect(WgmmaConfig.n128s6pptma1.slotsPerGroup == 1 && WgmmaConfig.n128s6pptma1.name == "128x128-s6-pp-tma1")
        #expect(WgmmaConfig.n128s6pptma1.sharedBytes == 6 * 256 * 128 + 1024 + 8 * 14 + 16 * 128 + 2 * 1 * 8192)
        #expect(WgmmaConfig.n128s6pptma1.withoutTMAStore == WgmmaConfig.n128s6pp)
    }

    /// The layernorm epilogue's tiles fit the 227 KB at every cluster size (8 blocks: BERT-large's
    /// 1024 columns), store with the threads, and their units carry the cluster and code defines.
    @Test func layerNormTilesFitSharedMemory() {
        for ops in [GemmOperands.eightBit(.int8), .eightBit(.fp8e4m3), .fp16] {
            for mode in FP8Accumulation.allCases {
                let tiles = WgmmaLayerNorm.tiles(ops, fp8Accumulation: mode)
                #expect(!tiles.isEmpty && tiles.allSatisfy { !$0.tmaStore && $0.bn == 128 })
                if ops == .eightBit(.fp8e4m3) && mode == .promoted { #expect(tiles.allSatisfy { !$0.pingPong }) }
                for c in tiles {
                    for cluster in 1...8 {
                        let ln = WgmmaLayerNorm(cluster: cluster, codes: .int8)
                        #expect(ln.sharedBytes(c) <= 232_448, "\(c) ln\(cluster) needs \(ln.sharedBytes(c)) bytes")
                    }
                }
            }
        }
        // 5 stages × 256 rows × 128 B, 1024 B slack, 12 mbarriers, 2 × 2 × 128 floats, 2 × 8 KB staging;
        // then 4 exchange mbarriers, 2 × 2 × 128 floats of γ and β, 2 groups × 2 slots × 8 blocks × 64 × 8 B.
        let ln8 = WgmmaLayerNorm(cluster: 8, codes: .fp8e4m3), tile = WgmmaConfig(bn: 128, stages: 5)
        #expect(ln8.sharedBytes(tile) == 5 * 256 * 128 + 1024 + 8 * 12 + 16 * 128 + 2 * 8192 + 32 + 16 * 128 + 2 * 2 * 8 * 512)
        let unit = KernelSources.wgmma(tile, operands: .eightBit(.int8), layerNorm: ln8)
        #expect(unit.options.contains("-DLN_FUSE=1") && unit.options.contains("-DCLUSTER=8") && unit.options.contains("-DLN_QMODE=2"))
        #expect(unit.name == "wgmma-int8-128x128-s5-ln8-fp8e4m3" && unit.source.contains("i8_codes8"))
        // The timing-only ablation is a compile-time choice, named apart.
        #expect(unit.options.contains("-DLN_ABLATE=0"))
        var ablated = ln8
        ablated.ablation = 5
        let other = KernelSources.wgmma(tile, operands: .eightBit(.int8), layerNorm: ablated)
        #expect(other.options.contains("-DLN_ABLATE=5") && other.name == "wgmma-int8-128x128-s5-ln8-fp8e4m3-ablate5")
        #expect(!KernelSources.wgmma(tile, operands: .eightBit(.int8)).options.contains { $0.hasPrefix("-DLN_FUSE") })
    }

    /// FP8 tiles: promoted ones stay cooperative and 128 wide (the kernel refuses ping-pong with
    /// promotion at compile time, on the device only); fast ones are INT8's tiles, named apart.
    @Test func fp8TilesKeepTheirAccumulationRules() {
        let fp8 = WgmmaConfig.candidates(.eightBit(.fp8e4m3))
        let promoted = fp8.filter { $0.fp8Accumulation == .promoted }, fast = fp8.filter { $0.fp8Accumulation == .fast }
        #expect(!promoted.isEmpty && promoted.allSatisfy { !$0.pingPong && $0.bn == 128 && !$0.name.hasSuffix("-fast") })
        #expect(fast.map { $0.accumulating(.promoted) } == WgmmaConfig.candidates(.eightBit(.int8)))
        #expect(fast.allSatisfy { $0.name.hasSuffix("-fast") })
        #expect(KernelSources.wgmma(.n128s4pptma.accumulating(.fast), operands: .eightBit(.fp8e4m3)).options.contains("-DFP8_FAST=1"))
        #expect(KernelSources.wgmma(.n128s6, operands: .eightBit(.fp8e4m3)).options.contains("-DFP8_FAST=0"))
    }

    /// gemmAny's Hopper tiles: FP8 only with fast accumulation and then only the `-fast` tiles;
    /// INT8 and FP16 every candidate whatever the FP8 setting.
    @Test func gemmAnyTimesFP8HopperTilesOnlyWithFastAccumulation() {
        let fp8 = GemmOperands.eightBit(.fp8e4m3)
        #expect(WgmmaConfig.gemmAnyCandidates(fp8, fp8Accumulation: .promoted).isEmpty)
        let fast = WgmmaConfig.gemmAnyCandidates(fp8, fp8Accumulation: .fast)
        #expect(!fast.isEmpty && fast.allSatisfy { $0.fp8Accumulation == .fast })
        #expect(fast.count == WgmmaConfig.candidates(.eightBit(.int8)).count)
        for ops in [GemmOperands.eightBit(.int8), .fp16] {
            for mode in FP8Accumulation.allCases {
                #expect(WgmmaConfig.gemmAnyCandidates(ops, fp8Accumulation: mode) == WgmmaConfig.candidates(ops))
            }
        }
    }

    /// The kernel's epilogue is written out once per GELU setting, and nothing of its marks is left.
    @Test func wgmmaEpilogueIsInstantiatedForBothGELUSettings() {
        let src = KernelSources.wgmmaSource
        #expect(src.components(separatedBy: "#define EPI_ACT 1").count == 2)
        #expect(src.components(separatedBy: "#define EPI_ACT 0").count == 2)
        #expect(src.components(separatedBy: "tma_store(&tmC").count == 3)
        #expect(!src.contains("// <epilogue>") && !src.contains("// </epilogue>"))
    }

    /// The wgmma units use sm_90a-only instructions: for another target they are refused by
    /// name before NVRTC runs (needs no NVRTC).
    @Test func archSpecificUnitsNeedSm90() {
        let unit = KernelSources.wgmma(.n256s4, operands: .eightBit(.int8))
        #expect(unit.archSpecific)
        #expect {
            _ = try KernelCompiler(arch: "sm_89", cacheDirectory: nil).cubin(unit)
        } throws: { error in
            guard case .invalidArgument(let message) = error as? CUDAError else { return false }
            return message.contains(unit.name) && message.contains("sm_90a") && message.contains("sm_89")
        }
    }
}

/// The CPU references the GPU self-test compares with.
@Suite struct ReferenceTests {
    @Test func e4m3Decoding() {
        // e4m3Round (the e4m3-output checks' rounding) agrees with the nearest code's value,
        // saturates, and rounds ties to even (1.0625 lies between 1 and 1.125: even mantissa 1).
        for v in stride(from: -500.0, through: 500.0, by: 0.37) + [0.001, -0.0007, 0.0151, 3.3e-3] {
            #expect(CUDAReference.e4m3Round(v) == CUDAReference.e4m3(CUDAReference.e4m3Code(Float(v))))
        }
        #expect(CUDAReference.e4m3Round(1.0625) == 1 && CUDAReference.e4m3Round(1.1875) == 1.25)
        #expect(CUDAReference.e4m3Round(1e6) == 448 && CUDAReference.e4m3Round(-1e6) == -448)
        #expect(CUDAReference.e4m3(0x7E) == 448)
        #expect(CUDAReference.e4m3(0xFE) == -448)
        #expect(CUDAReference.e4m3(0x38) == 1)
        #expect(CUDAReference.e4m3(0x08) == 0x1p-6)
        #expect(CUDAReference.e4m3(0x01) == 0x1p-9)
        #expect(CUDAReference.e4m3(0x7F).isNaN)
    }

    @Test func e4m3EncodingRoundsToNearestEvenAndSaturates() {
        #expect(CUDAReference.e4m3Code(1) == 0x38)
        #expect(CUDAReference.e4m3Code(-1) == 0xB8)
        #expect(CUDAReference.e4m3Code(1.0625) == 0x38)        // tie 1 / 1.125 → even mantissa
        #expect(CUDAReference.e4m3Code(1.1875) == 0x3A)        // tie 1.125 / 1.25 → even mantissa
        #expect(CUDAReference.e4m3Code(1.07) == 0x39)
        #expect(CUDAReference.e4m3Code(0x1p-10) == 0x00)       // tie 0 / 2⁻⁹ (subnormal)
        #expect(CUDAReference.e4m3Code(3 * 0x1p-10) == 0x02)   // tie 2⁻⁹ / 2⁻⁸
        #expect(CUDAReference.e4m3Code(448) == 0x7E)
        #expect(CUDAReference.e4m3Code(-470) == 0xFE)          // saturated
        #expect(CUDAReference.e4m3Code(-0.0) == 0x80)
        for c in UInt8(0)...0xFE where c != 0x7F { #expect(CUDAReference.e4m3Code(Float(CUDAReference.e4m3(c))) == c) }
    }

    @Test func packInt4FollowsPackedInt4Layout() {
        // codes [−8, 7, 0] in one row: bytes (−8+8) | (7+8)<<4 = 0xF0, then 8 | padding 8<<4 = 0x88.
        #expect(CUDAReference.packInt4([-8, 7, 0], rows: 1, cols: 3) == [0xF0, 0x88])
    }

    @Test func attentionWithOneKeyReturnsItsValue() {
        let o = CUDAReference.attention(q: [1, 2, 0, 1], k: [3, 4, 5, 6], v: [7, 8, 9, 10], seq: 2, d: 2, len: 1, causal: false, scale: 1)
        #expect(o == [7, 8, 7, 8])
        let c = CUDAReference.attention(q: [1, 0, 0, 1], k: [0, 0, 0, 0], v: [1, 2, 3, 4], seq: 2, d: 2, len: 2, causal: true, scale: 1)
        #expect(c == [1, 2, 2, 3])   // row 0 sees key 0; row 1 averages both (equal scores)
    }

    @Test func layerNormOfConstantRowIsBeta() {
        let y = CUDAReference.layerNorm([3, 3, 3], rows: 1, n: 3, gamma: [2, 2, 2], beta: [0.5, -1, 0], eps: 1e-5)
        #expect(y == [0.5, -1, 0])
    }
}

/// On a machine with a GPU: the quick self-test must pass entirely.
@Suite struct DeviceTests {
    @Test(.enabled(if: CUDAContext.isAvailable, "no CUDA device: GPU kernel tests skipped"))
    func quickSelfTestPasses() throws {
        let test = CUDASelfTest(kernels: try CUDAKernels.shared())
        let failed = test.runAll(quick: true).filter { !$0.passed }
        #expect(failed.isEmpty, "\(failed.map(\.line).joined(separator: "\n"))")
    }
}

/// The GELU kernels' branch-free erf (`erf_rational` in `KernelSources.commonSource`, fitted by
/// scripts/fit-erf.py): its coefficients, read from the CUDA source and evaluated in Float the way
/// the kernel does (clamp to ±4, two Horner chains of FMAs, z·P·(1/Q)), stay within 4·10⁻⁷ of erf
/// on [−5, 5]. An edited or mistyped constant fails here, without a GPU.
@Suite struct RationalErfTests {
    @Test func kernelCoefficientsFitErf() throws {
        let src = KernelSources.commonSource
        let start = try #require(src.range(of: "float erf_rational(float z)")).upperBound
        let body = String(src[start...].prefix(900))
        /// The first capture of every match of `pattern` in the function's body, as floats.
        func floats(_ pattern: String) throws -> [Float] {
            try body.matches(of: Regex(pattern)).compactMap { m in m.output[1].substring.flatMap { Float(String($0)) } }
        }
        let p0 = try floats(#"float p = ([-0-9.e+]+)f, q = "#), q0 = try floats(#"f, q = ([-0-9.e+]+)f;"#)
        let p = try floats(#"p = fmaf\(p, s, ([-0-9.e+]+)f\)"#), q = try floats(#"q = fmaf\(q, s, ([-0-9.e+]+)f\)"#)
        try #require(p0.count == 1 && q0.count == 1 && p.count == 5 && q.count == 5, "coefficients not found in the source")
        var worst = 0.0
        for i in 0...10_000 {
            let z = Float(-5 + Double(i) / 1000), c = min(max(z, -4), 4), s = c * c
            var pv = p0[0], qv = q0[0]
            for k in 0..<5 {
                pv = p[k].addingProduct(pv, s)   // fmaf(pv, s, p[k])
                qv = q[k].addingProduct(qv, s)
            }
            worst = max(worst, abs(Double(c * pv * (1 / qv)) - erf(Double(z))))
        }
        #expect(worst < 4e-7, "max |erf_rational − erf| = \(worst)")
    }
}
