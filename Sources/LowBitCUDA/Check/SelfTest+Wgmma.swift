/// The Hopper GEMM (`gemmWgmma`) against the same references and bounds as the `mma.sync`
/// kernels (SelfTest+Gemm.swift, SelfTest+Lt.swift), with every tile configuration; INT8 must
/// give the `mma.sync` kernel's bits. Skipped (with a line saying why) off sm_90.
extension CUDASelfTest {
    func wgmmaChecks(quick: Bool) throws(CUDAError) {
        guard kernels.wgmmaAvailable else {
            record("gemm-wgmma.skipped", "device is \(context.device.arch), not sm_90 (or no TMA in the driver)", worst: 0)
            return
        }
        // Odd M and K tails (K not a multiple of the 128-byte stage), N tails inside a tile, and
        // more output tiles than SMs (the persistent loop: 4096 × 1024 is 256 tiles of 128 × 128).
        let shapes: [(Int, Int, Int)] = quick ? [(17, 34, 48), (129, 258, 784)]
            : [(1, 8, 16), (17, 34, 48), (129, 258, 784), (200, 384, 768), (256, 2304, 768), (77, 768, 3072),
               (300, 1000, 1040), (4096, 1024, 64), (2560, 2048, 32)]
        for (m, n, k) in shapes {
            try gemmCheck(.int8, m: m, n: n, k: k, configs: [], bias: true, gelu: false, via: .wgmma)
            try gemmCheck(.fp8e4m3, m: m, n: n, k: k, configs: [], bias: true, gelu: false, via: .wgmma)
            for config in WgmmaConfig.candidates(.fp16) {
                kernels.wgmmaConfigOverride = config
                defer { kernels.wgmmaConfigOverride = nil }
                try f16Check(m: m, n: n, k: k, bias: true, gelu: false, policy: .wgmma)
            }
        }
        // Blocks with several tiles and more k tiles than ring stages (153 tiles of 128 × 256, 306 of
        // 128 × 128: a ping-pong group gets two tiles), every tile configuration.
        try gemmCheck(.int8, m: 2176, n: 2304, k: 640, configs: [], bias: true, gelu: false, via: .wgmma)
        try gemmCheck(.int8, m: 129, n: 258, k: 784, configs: [], bias: false, gelu: true, via: .wgmma)
        try gemmCheck(.fp8e4m3, m: 129, n: 258, k: 784, configs: [], bias: false, gelu: true, via: .wgmma)
        try f16Check(m: 129, n: 258, k: 784, bias: true, gelu: true, policy: .wgmma)
        // FP8 on integer operands: both accumulation modes (promoted, fast) must sum them exactly,
        // so a k tile lost or added twice fails an f32 bound (1, 6, 7 and 9 k tiles of 128).
        for (m, n, k) in [(17, 34, 48), (129, 258, 784), (300, 1000, 1040), (2176, 2304, 768)] {
            try gemmCheck(.fp8e4m3, m: m, n: n, k: k, configs: [], bias: true, gelu: false, via: .wgmma, integerFP8: true)
        }
        for gelu in [false, true] { try int8SameBits(m: 1000, n: 2304, k: 768, gelu: gelu, other: .wgmma) }
        // The TMA-store tiles give those bits too (M and N tails clipped by the copy engine).
        for tile in WgmmaConfig.candidates(.eightBit(.int8)) where tile.tmaStore {
            kernels.wgmmaConfigOverride = tile
            defer { kernels.wgmmaConfigOverride = nil }
            try int8SameBits(m: 1000, n: 2000, k: 768, gelu: false, other: .wgmma)
        }
        try wgmmaE4M3Checks(quick: quick)
        // What it cannot run is refused with the reason, not run wrong.
        let a = try context.allocate(UInt8.self, count: 64 * 24), c = try context.allocate(UInt16.self, count: 64 * 9)
        do throws(CUDAError) {
            try kernels.gemmWgmma(.eightBit(.int8), a: DeviceMatrix(a, rows: 8, cols: 24), b: DeviceMatrix(a, rows: 8, cols: 24),
                                  scaleA: a, scaleB: a, bias: nil, c: DeviceMatrix(c, rows: 8, cols: 8))
            record("gemm-wgmma.refuses-unaligned-k", "K 24 bytes ran", worst: .infinity)
        } catch {
            record("gemm-wgmma.refuses-unaligned-k", "\(error)", worst: 0)
        }
    }
}
