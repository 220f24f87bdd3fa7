/// The FP16 GEMM (an encoder building block; `quantizeRows` is with the row kernels).
extension CUDAKernels {
    /// C[m, n] = fp16(Σ_k A[m, k]·B[n, k] + bias[n]) (+ GELU), f32 accumulation on tensor cores.
    ///
    /// a: [M, K] fp16 (tokens × in); b: [N, K] fp16 (out × in); bias: [N] fp16 or nil; c: [M, N] fp16.
    /// K % 8 == 0, lda and ldb % 8 == 0, A and B 16-byte aligned. It is `lb_gemm8` with
    /// m16n8k16 fp16 MMAs (see `gemmSource`): K and the strides go to the kernel in bytes, and
    /// the per-row/per-column scales are ones.
    public func gemmF16(a: DeviceMatrix, b: DeviceMatrix, bias: DeviceBuffer?, c: DeviceMatrix, gelu: Bool = false,
                        config: GemmConfig? = nil) throws(CUDAError) {
        let m = a.rows, k = a.cols, n = b.rows
        guard b.cols == k else { throw .invalidArgument("gemmF16: A is \(m)×\(k) but B is \(n)×\(b.cols)") }
        guard c.rows == m, c.cols == n else { throw .invalidArgument("gemmF16: C is \(c.rows)×\(c.cols), expected \(m)×\(n)") }
        try a.validate("A", elementBytes: 2)
        try b.validate("B", elementBytes: 2)
        try c.validate("C", elementBytes: 2)
        guard (bias?.byteCount ?? 2 * n) >= 2 * n else { throw .invalidArgument("gemmF16: bias needs \(n) fp16") }
        guard k % 8 == 0, k > 0, a.ld % 8 == 0, b.ld % 8 == 0, a.aligned(16), b.aligned(16) else {
            throw .invalidArgument("gemmF16 needs K % 8 == 0 and 16-byte rows (K \(k), lda \(a.ld), ldb \(b.ld))")
        }
        if m == 0 || n == 0 { return }
        let ones = try unitScales(max(m, n))
        let cfg = config ?? gemmConfigOverride ?? defaultF16Config(m: m, n: n)
        let f = try function("lb_gemm8", in: KernelSources.gemmF16(cfg), sharedBytes: cfg.sharedBytes)
        try f.launch(grid: ((n + cfg.bn - 1) / cfg.bn, (m + cfg.bm - 1) / cfg.bm, 1), block: (cfg.threads, 1, 1),
                     sharedBytes: cfg.sharedBytes, [
                        a.argument, .int(2 * a.ld), b.argument, .int(2 * b.ld), .buffer(ones), .buffer(ones),
                        .buffer(bias), c.argument, .int(c.ld), .int(m), .int(n), .int(2 * k), .int(gelu ? 1 : 0)])
    }

    /// FP16 tile choice: like FP8 (f32 accumulators), 64×128 tiles with 128-byte (64-half) k steps,
    /// 128×128 once there are two waves of those.
    public func defaultF16Config(m: Int, n: Int) -> GemmConfig {
        let tiles128 = ((m + 127) / 128) * ((n + 127) / 128)
        return tiles128 >= 2 * context.device.multiprocessors ? .c128x128k128 : .c64x128k128
    }
}
