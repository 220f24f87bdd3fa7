/// cuBLASLt GEMMs (`gemmLt`) and the per-shape backend choice (`gemmAny`) against the same
/// references as LowBit's own GEMMs (bounds: see SelfTest+Gemm.swift). A missing cuBLASLt is a
/// failure here: the self-test runs on machines that have CUDA.
extension CUDASelfTest {
    func ltChecks(quick: Bool) throws(CUDAError) {
        let lt = try kernels.cublasLt()
        record("gemm-lt.load", "cuBLASLt \(lt.version)", worst: 0)
        let shapes: [(Int, Int, Int)] = quick ? [(17, 48, 64), (129, 256, 768)]
            : [(1, 64, 64), (17, 48, 32), (129, 256, 784), (200, 384, 768), (256, 2304, 768), (77, 768, 3072)]
        for (m, n, k) in shapes {
            try gemmCheck(.int8, m: m, n: n, k: k, configs: [], bias: true, gelu: false, via: .cublasLt)
            try gemmCheck(.int8, m: m, n: n, k: k, configs: [], bias: false, gelu: true, via: .cublasLt)
            try gemmCheck(.fp8e4m3, m: m, n: n, k: k, configs: [], bias: true, gelu: false, via: .cublasLt)
            try gemmCheck(.fp8e4m3, m: m, n: n, k: k, configs: [], bias: false, gelu: true, via: .cublasLt)
            try f16Check(m: m, n: n, k: k, bias: true, gelu: false, policy: .cublasLt)
            try f16Check(m: m, n: n, k: k, bias: true, gelu: true, policy: .cublasLt)
        }
        // The automatic choice gives a correct result whichever backend it takes.
        try f16Check(m: 256, n: 2304, k: 768, bias: true, gelu: true, policy: .auto)
        // INT8 gives the same bits on both backends (exact INT32 sums, one `dequant` formula).
        for gelu in [false, true] { try int8SameBits(m: 129, n: 256, k: 768, gelu: gelu) }
    }

    /// INT8 through the own `mma.sync` kernel and through `other` (cuBLASLt or wgmma): the same bits.
    func int8SameBits(m: Int, n: Int, k: Int, gelu: Bool, other: GemmBackend = .cublasLt) throws(CUDAError) {
        let a = try context.upload(rng.int8s(m * k)), b = try context.upload(rng.int8s(n * k))
        let sa = try context.upload((0..<m).map { _ in rng.uniform(0.001, 0.02) })
        let sb = try context.upload((0..<n).map { _ in rng.uniform(0.001, 0.02) })
        let bias = try context.upload(rng.halves(n, -1, 1))
        var outs: [[UInt16]] = []
        for backend in [GemmBackend.own, other] {
            let c = try context.allocate(UInt16.self, count: m * n)
            try context.fill(c, byte: 0xFF)
            let am = DeviceMatrix(a, rows: m, cols: k), bm = DeviceMatrix(b, rows: n, cols: k), cm = DeviceMatrix(c, rows: m, cols: n)
            switch backend {
            case .cublasLt: try kernels.gemmLt(.eightBit(.int8), a: am, b: bm, scaleA: sa, scaleB: sb, bias: bias, c: cm, gelu: gelu)
            case .wgmma: try kernels.gemmWgmma(.eightBit(.int8), a: am, b: bm, scaleA: sa, scaleB: sb, bias: bias, c: cm, gelu: gelu)
            case .own: try kernels.gemm(kind: .int8, a: am, b: bm, scaleA: sa, scaleB: sb, bias: bias, c: cm, gelu: gelu)
            }
            outs.append(try context.download(c, as: UInt16.self, count: m * n))
        }
        let diff = zip(outs[0], outs[1]).filter { $0 != $1 }.count
        let name = other == .cublasLt ? "gemm-lt" : "gemm-\(other)"
        record("\(name).int8-same-bits-as-own\(gelu ? "+gelu" : "")", "M\(m) N\(n) K\(k)", worst: diff == 0 ? 0 : .infinity,
               detail: diff == 0 ? "" : "\(diff) of \(m * n) outputs differ")
    }

    /// FP16 GEMM through `gemmAny` under `policy` against the double reference: one fp16
    /// rounding of the output plus f32 accumulation (2⁻²⁰·K·Σ|a·b|, loose); with GELU + 1e-6 and,
    /// for cuBLASLt's separate GELU pass, the fp16 rounding before it (|GELU'| ≤ 1.13).
    func f16Check(m: Int, n: Int, k: Int, bias: Bool, gelu: Bool, policy: GemmBackendPolicy) throws(CUDAError) {
        let a = rng.halves(m * k, -1, 1), b = rng.halves(n * k, -1, 1), bv = rng.halves(n, -1, 1)
        let (acc, accAbs) = CUDAReference.gemmDouble(a.map(CUDAReference.f16), b.map(CUDAReference.f16), m: m, n: n, k: k)
        let ref = (0..<(m * n)).map { i -> Double in
            let v = acc[i] + (bias ? CUDAReference.f16(bv[i % n]) : 0)
            return gelu ? CUDAReference.gelu(v) : v
        }
        let da = try context.upload(a), db = try context.upload(b), dbias = bias ? try context.upload(bv) : nil
        let dc = try context.allocate(UInt16.self, count: m * n)
        try context.fill(dc, byte: 0xFF)
        let saved = kernels.backendPolicy
        kernels.backendPolicy = policy
        defer { kernels.backendPolicy = saved }
        let used = try kernels.gemmAny(.fp16, a: DeviceMatrix(da, rows: m, cols: k), b: DeviceMatrix(db, rows: n, cols: k),
                                       scaleA: nil, scaleB: nil, bias: dbias, c: DeviceMatrix(dc, rows: m, cols: n), gelu: gelu)
        let c = try context.download(dc, as: UInt16.self, count: m * n).map(CUDAReference.f16)
        check("gemm-\(policy.rawValue).fp16\(bias ? "+bias" : "")\(gelu ? "+gelu" : "")", "M\(m) N\(n) K\(k) ran \(used)", c, ref) { i in
            let pre = accAbs[i] + (bias ? abs(CUDAReference.f16(bv[i % n])) : 0)
            return abs(ref[i]) * 0x1p-10 + 0x1p-20 * Double(k) * pre + 0x1p-25 + (gelu ? 1e-6 + 1.13 * pre * 0x1p-11 : 0)
        }
    }
}
