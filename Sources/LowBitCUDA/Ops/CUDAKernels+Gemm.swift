/// 8-bit GEMM with fused dequantization:
/// `C[m, n] = fp16(acc[m, n] · scaleA[m] · scaleB[n] + bias[n])`, acc = Σ_k A[m, k]·B[n, k],
/// optionally followed by GELU(erf).
extension CUDAKernels {
    /// a: [M, K] codes (INT8 or FP8 e4m3 bytes; tokens × in); b: [N, K] bytes for INT8/FP8, or
    /// [N, K/2] bytes of packed INT4 codes (`PackedInt4` layout) for `.w4a8` (out × in);
    /// scaleA: [M] f32 per token; scaleB: [N] f32 per output channel; bias: [N] fp16 or nil;
    /// c: [M, N] fp16. `config` nil: chosen by `defaultConfig(kind:m:n:)`.
    ///
    /// The tensor-core kernel needs K % 16 == 0, 16-byte aligned rows of A (and of B for INT8/FP8;
    /// 8-byte for W4). INT8 operands that miss this take a plain (slow) kernel instead; FP8/W4 throw.
    public func gemm(kind: GemmKind = .int8, a: DeviceMatrix, b: DeviceMatrix, scaleA: DeviceBuffer, scaleB: DeviceBuffer,
                     bias: DeviceBuffer?, c: DeviceMatrix, gelu: Bool = false, config: GemmConfig? = nil) throws(CUDAError) {
        let m = a.rows, k = a.cols, n = b.rows
        let bK = kind == .w4a8 ? b.cols * 2 : b.cols
        guard bK == k else {
            throw .invalidArgument("gemm: A is \(m)×\(k) but B holds \(kind == .w4a8 ? "\(b.cols) packed bytes" : "\(b.cols) columns") per row")
        }
        guard c.rows == m, c.cols == n else { throw .invalidArgument("gemm: C is \(c.rows)×\(c.cols), expected \(m)×\(n)") }
        try a.validate("A", elementBytes: 1)
        try b.validate("B", elementBytes: 1)
        try c.validate("C", elementBytes: 2)
        guard scaleA.byteCount >= 4 * m, scaleB.byteCount >= 4 * n, (bias?.byteCount ?? 2 * n) >= 2 * n else {
            throw .invalidArgument("gemm: scaleA needs \(m) floats, scaleB and bias \(n) values")
        }
        if kind == .fp8e4m3, !context.device.supportsFP8 {
            throw .invalidArgument("FP8 e4m3 GEMM needs compute capability 8.9 or newer")
        }
        if m == 0 || n == 0 { return }
        let bAlign = kind == .w4a8 ? 8 : 16
        let fast = k % 16 == 0 && k > 0 && a.ld % 16 == 0 && b.ld % bAlign == 0 && a.aligned(16) && b.aligned(bAlign)
        let args: [KernelArgument] = [a.argument, .int(a.ld), b.argument, .int(b.ld), .buffer(scaleA), .buffer(scaleB),
                                      .buffer(bias), c.argument, .int(c.ld), .int(m), .int(n), .int(k), .int(gelu ? 1 : 0)]
        guard fast else {
            guard kind == .int8 else {
                throw .invalidArgument("\(kind) gemm needs K % 16 == 0 and aligned rows (K \(k), lda \(a.ld), ldb \(b.ld))")
            }
            let f = try function("lb_gemm8_simple", in: KernelSources.gemm(.c128x128, kind: .int8))
            try f.launch(grid: ((n + 127) / 128, m, 1), block: (128, 1, 1), args)
            return
        }
        let cfg = config ?? defaultConfig(kind: kind, m: m, n: n)
        let f = try function("lb_gemm8", in: KernelSources.gemm(cfg, kind: kind), sharedBytes: cfg.sharedBytes)
        try f.launch(grid: ((n + cfg.bn - 1) / cfg.bn, (m + cfg.bm - 1) / cfg.bm, 1), block: (cfg.threads, 1, 1),
                     sharedBytes: cfg.sharedBytes, args)
    }

    /// The plain one-thread-per-output INT8 kernel (any K, any alignment); a GPU-side reference.
    public func gemmReference(a: DeviceMatrix, b: DeviceMatrix, scaleA: DeviceBuffer, scaleB: DeviceBuffer,
                              bias: DeviceBuffer?, c: DeviceMatrix, gelu: Bool = false) throws(CUDAError) {
        let f = try function("lb_gemm8_simple", in: KernelSources.gemm(.c128x128, kind: .int8))
        try f.launch(grid: ((b.rows + 127) / 128, a.rows, 1), block: (128, 1, 1), [
            a.argument, .int(a.ld), b.argument, .int(b.ld), .buffer(scaleA), .buffer(scaleB), .buffer(bias),
            c.argument, .int(c.ld), .int(a.rows), .int(b.rows), .int(a.cols), .int(gelu ? 1 : 0)])
    }

    /// Tile choice, from `lowbit-cuda-check bench` on an H100 (2026-11-23, BERT shapes, all
    /// candidates timed per shape; see README.md): INT8 and W4A8 take 128×128×128 tiles once
    /// there is at least one wave of them, else 64×128×128 (more blocks for the SMs); FP8, whose
    /// f32 accumulators cost registers, does best with 64×128×128 everywhere (within 5%).
    public func defaultConfig(kind: GemmKind = .int8, m: Int, n: Int) -> GemmConfig {
        if let forced = gemmConfigOverride { return forced }
        if kind == .fp8e4m3 { return .c64x128k128 }
        let tiles128 = ((m + 127) / 128) * ((n + 127) / 128)
        return tiles128 >= context.device.multiprocessors ? .c128x128k128 : .c64x128k128
    }
}
