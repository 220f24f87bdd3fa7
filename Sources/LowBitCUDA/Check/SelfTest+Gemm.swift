import LowBitCore

/// 8-bit GEMMs against exact (integer) or double references.
///
/// Bound per output: one fp16 rounding (|ref|·2⁻¹¹, taken as 2⁻¹⁰ for slack) plus the float
/// epilogue (int→float, two products, one add: ≤ 4 float roundings of |acc·sa·sb| + |bias|),
/// plus the fp16 subnormal half-step 2⁻²⁵. INT8 and W4A8 accumulate exactly in s32. FP8 sums
/// products in f32 in tensor-core order: + 2⁻²⁰·K·Σ|a·b|·sa·sb (loose f32 sum bound), plus the
/// tensor cores' own FP8 accumulation inside a k32 step (see the bound below).
extension CUDASelfTest {
    func gemmChecks(quick: Bool) throws(CUDAError) {
        let shapes: [(Int, Int, Int)] = quick ? [(17, 33, 48), (129, 257, 784)]
            : [(1, 1, 16), (3, 17, 32), (17, 33, 48), (33, 1, 64), (128, 128, 64), (129, 257, 784),
               (1023, 17, 96), (200, 384, 768), (256, 2304, 768), (77, 768, 3072)]
        for (m, n, k) in shapes {
            let all: [GemmConfig?] = quick ? [nil] : GemmConfig.candidates
            try gemmCheck(.int8, m: m, n: n, k: k, configs: all, bias: true, gelu: false)
            try gemmCheck(.int8, m: m, n: n, k: k, configs: [nil], bias: false, gelu: true)
            try gemmCheck(.fp8e4m3, m: m, n: n, k: k, configs: all, bias: true, gelu: false)
            try gemmCheck(.w4a8, m: m, n: n, k: k, configs: all, bias: true, gelu: false)
        }
        // Odd K and strides take the plain kernel.
        for (m, n, k) in [(3, 5, 1), (17, 33, 17), (33, 65, 100)] {
            try gemmCheck(.int8, m: m, n: n, k: k, configs: [nil], bias: true, gelu: false)
        }
    }

    /// Runs `kind` with each tile configuration (nil: the default choice) on the same random data;
    /// `via: .cublasLt`: through cuBLASLt instead (`gemmLt`, configurations ignored); `.wgmma`: the
    /// Hopper kernel with each of its tiles (`configs` ignored). `integerFP8`: FP8 operands are the
    /// integers −4…4, whose products and partial sums every FP8 accumulation mode adds exactly (the
    /// sums stay far below 2¹³), so the bound is an f32 one and a lost or misplaced k tile shows.
    func gemmCheck(_ kind: GemmKind, m: Int, n: Int, k: Int, configs: [GemmConfig?], bias: Bool, gelu: Bool,
                   via backend: GemmBackend = .own, integerFP8: Bool = false) throws(CUDAError) {
        let lt = backend == .cublasLt
        let sa = (0..<m).map { _ in rng.uniform(0.001, 0.02) }, sb = (0..<n).map { _ in rng.uniform(0.001, 0.02) }
        let bv = rng.halves(n, -1, 1)
        var acc: [Double], accAbs: [Double]
        let da: DeviceBuffer, db: DeviceMatrix
        switch kind {
        case .int8:
            let a = rng.int8s(m * k), b = rng.int8s(n * k)
            acc = CUDAReference.gemmInt(a, b, m: m, n: n, k: k).map(Double.init)
            accAbs = acc
            da = try context.upload(a)
            db = DeviceMatrix(try context.upload(b), rows: n, cols: k)
        case .w4a8:
            let a = rng.int8s(m * k), b = rng.int8s(n * k, -8, 7)
            acc = CUDAReference.gemmInt(a, b, m: m, n: n, k: k).map(Double.init)
            accAbs = acc
            da = try context.upload(a)
            db = DeviceMatrix(try context.upload(CUDAReference.packInt4(b, rows: n, cols: k)), rows: n, cols: (k + 1) / 2)
        case .fp8e4m3:
            let small = (-4...4).map { CUDAReference.e4m3Code(Float($0)) }
            let a = integerFP8 ? (0..<(m * k)).map { _ in small[rng.int(0...8)] } : rng.e4m3s(m * k)
            let b = integerFP8 ? (0..<(n * k)).map { _ in small[rng.int(0...8)] } : rng.e4m3s(n * k)
            (acc, accAbs) = CUDAReference.gemmDouble(a.map(CUDAReference.e4m3), b.map(CUDAReference.e4m3), m: m, n: n, k: k)
            da = try context.upload(a)
            db = DeviceMatrix(try context.upload(b), rows: n, cols: k)
        }
        let ref = (0..<(m * n)).map { i -> Double in
            let v = acc[i] * Double(sa[i / n]) * Double(sb[i % n]) + (bias ? CUDAReference.f16(bv[i % n]) : 0)
            return gelu ? CUDAReference.gelu(v) : v
        }
        let dsa = try context.upload(sa), dsb = try context.upload(sb), dbias = bias ? try context.upload(bv) : nil
        let dc = try context.allocate(UInt16.self, count: m * n)
        enum Run { case own(GemmConfig?), lt, wgmma(WgmmaConfig) }
        let runs: [Run]
        switch backend {
        case .own: runs = configs.map { .own($0) }
        case .cublasLt: runs = [.lt]
        case .wgmma: runs = WgmmaConfig.candidates(.eightBit(kind)).map { .wgmma($0) }
        }
        for run in runs {
            try context.fill(dc, byte: 0xFF)
            let label: String
            switch run {
            case .lt:
                label = " cuBLASLt"
                try kernels.gemmLt(.eightBit(kind), a: DeviceMatrix(da, rows: m, cols: k), b: db, scaleA: dsa, scaleB: dsb,
                                   bias: dbias, c: DeviceMatrix(dc, rows: m, cols: n), gelu: gelu)
            case .wgmma(let w):
                label = " wgmma \(w)"
                kernels.wgmmaConfigOverride = w
                defer { kernels.wgmmaConfigOverride = nil }
                try kernels.gemmWgmma(.eightBit(kind), a: DeviceMatrix(da, rows: m, cols: k), b: db, scaleA: dsa, scaleB: dsb,
                                      bias: dbias, c: DeviceMatrix(dc, rows: m, cols: n), gelu: gelu)
            case .own(let config):
                label = k % 16 == 0 ? " \((config ?? kernels.defaultConfig(kind: kind, m: m, n: n)).name)" : " plain"
                try kernels.gemm(kind: kind, a: DeviceMatrix(da, rows: m, cols: k), b: db, scaleA: dsa, scaleB: dsb, bias: dbias,
                                 c: DeviceMatrix(dc, rows: m, cols: n), gelu: gelu, config: config)
            }
            let c = try context.download(dc, as: UInt16.self, count: m * n).map(CUDAReference.f16)
            let name = "gemm\(backend == .own ? "" : backend == .cublasLt ? "-lt" : "-wgmma").\(kind)\(integerFP8 ? "-int" : "")"
                + "\(bias ? "+bias" : "")\(gelu ? "+gelu" : "")"
            var fastFP8 = false
            if case .wgmma(let w) = run, kind == .fp8e4m3, w.fp8Accumulation == .fast { fastFP8 = true }
            let exact = kind != .fp8e4m3 || integerFP8
            let shape = "M\(m) N\(n) K\(k)" + label
            check(name, shape, c, ref) { i in
                let scale = Double(sa[i / n]) * Double(sb[i % n])
                let pre = abs(acc[i]) * scale + (bias ? abs(CUDAReference.f16(bv[i % n])) : 0)
                var b = abs(ref[i]) * 0x1p-10 + pre * 4 * 0x1p-24 + 0x1p-25
                if !exact { b += 0x1p-20 * Double(k) * accAbs[i] * scale }
                // Tensor-core FP8 (mma.sync, wgmma, cuBLASLt alike) adds the 32 products of a k32 step
                // aligned to the largest, keeping ~13 fraction bits (DeepSeek-V3 report, §3.3.2):
                // ≤ 32·2⁻¹³·max|a·b| ≤ 2⁻⁸·Σ|a·b| per step. (The f32 sum bound alone failed on
                // cuBLASLt at K 32 once the random data changed, 2026-12-05.)
                if !exact { b += 0x1p-8 * accAbs[i] * scale }
                // Without promotion the running sum joins each k32 step's alignment too: a step may
                // lose 33 · 2⁻¹³ · max(|sum so far|, |a·b|) ≤ 33 · 2⁻¹³ · Σ|a·b|, over ⌈K/32⌉ steps.
                // Loose; the integer operands (`integerFP8`) are the exact check of these tiles.
                if !exact && fastFP8 { b += Double((k + 31) / 32) * 33 * 0x1p-13 * accAbs[i] * scale }
                if gelu { b += 1e-6 }
                // cuBLASLt FP8 rounds to fp16 before the separate GELU pass: |GELU'| ≤ 1.13 times that rounding.
                if gelu && lt && kind == .fp8e4m3 { b += 1.13 * pre * 0x1p-11 }
                return b
            }
        }
    }
}
