/// The Hopper GEMM (`lb_wgmma`: TMA + wgmma, persistent, dequantization fused) — sm_90 only.
extension CUDAKernels {
    /// Whether `gemmWgmma` can run here: compute capability 9.0 and a driver with TMA descriptors.
    public var wgmmaAvailable: Bool {
        context.device.major == 9 && context.device.minor == 0 && context.api.cuTensorMapEncodeTiled != nil
    }

    /// Why `gemmWgmma` cannot run these operands, or nil if it can: INT8 / FP8 / FP16 only,
    /// 16-byte-aligned operands with row strides that are multiples of 16 bytes, even ldc.
    public func wgmmaUnsupported(_ operands: GemmOperands, a: DeviceMatrix, b: DeviceMatrix, c: DeviceMatrix) -> String? {
        guard wgmmaAvailable else { return "wgmma needs an sm_90 GPU and a CUDA 12+ driver (device is sm_\(context.device.major)\(context.device.minor))" }
        if operands == .eightBit(.w4a8) { return "wgmma runs INT8, FP8 and FP16 operands, not W4A8" }
        let elem = operands == .fp16 ? 2 : 1
        guard a.cols > 0, (a.cols * elem) % 16 == 0, (a.ld * elem) % 16 == 0, (b.ld * elem) % 16 == 0,
              a.aligned(16), b.aligned(16), c.ld % 2 == 0, c.aligned(4) else {
            return "wgmma needs 16-byte rows and alignment (K \(a.cols), lda \(a.ld), ldb \(b.ld)) and an even ldc (\(c.ld))"
        }
        return nil
    }

    /// C = A·Bᵀ on the Hopper kernel, with `gemmLt`'s operands and result (`.fp16`: scales ignored,
    /// C = fp16(A·Bᵀ + bias); 8-bit: C = fp16(acc·sa[m]·sb[n] + bias[n]), INT8 bit-identical to
    /// `gemm`). a: [M, K]; b: [N, K]; scaleA: [M] f32; scaleB: [N] f32; bias: [N] fp16 or nil;
    /// c: [M, N] fp16, or with `output` `.e4m3` [M, N] unit-scale FP8 codes (`KernelOutput`; GELU
    /// then in its tanh form; staged and stored like fp16, as 64-byte rows).
    /// `config` nil: `wgmmaDefaultConfig`.
    public func gemmWgmma(_ operands: GemmOperands, a: DeviceMatrix, b: DeviceMatrix, scaleA: DeviceBuffer?, scaleB: DeviceBuffer?,
                          bias: DeviceBuffer?, c: DeviceMatrix, gelu: Bool = false, config: WgmmaConfig? = nil,
                          output: KernelOutput = .fp16) throws(CUDAError) {
        let (m, n, k) = try checkGemmOperands("gemmWgmma", operands, a: a, b: b, bias: bias, c: c, output: output)
        let elem = operands == .fp16 ? 2 : 1
        if let why = wgmmaUnsupported(operands, a: a, b: b, c: c) { throw .invalidArgument("gemmWgmma: \(why)") }
        if m == 0 || n == 0 { return }
        let sa: DeviceBuffer, sb: DeviceBuffer
        if operands == .fp16 {
            sa = try unitScales(1); sb = sa     // not read by the FP16 kernel
        } else {
            guard let scaleA, let scaleB, scaleA.byteCount >= 4 * m, scaleB.byteCount >= 4 * n else {
                throw .invalidArgument("gemmWgmma: scaleA needs \(m) floats, scaleB \(n)")
            }
            sa = scaleA; sb = scaleB
        }
        var cfg = config ?? wgmmaDefaultConfig(operands, m: m, n: n, k: k)
        guard WgmmaConfig.candidates(operands).contains(cfg) else {
            throw .invalidArgument("gemmWgmma: tile \(cfg) is not one for \(operands) (\(WgmmaConfig.candidates(operands)))")
        }
        // TMA stores need C 16-byte aligned with a row stride of a multiple of 16 bytes.
        let tmaStorable = c.aligned(16) && (output.bytes * c.ld) % 16 == 0
        if cfg.tmaStore && !tmaStorable { cfg = cfg.withoutTMAStore }
        let mapA = try TensorMap(context: context, address: a.address, rows: m, rowBytes: k * elem, strideBytes: a.ld * elem, boxRows: 128)
        let mapB = try TensorMap(context: context, address: b.address, rows: n, rowBytes: k * elem, strideBytes: b.ld * elem,
                                 boxRows: cfg.bn)
        // C as boxes of 64 rows × 64 elements (128 bytes fp16, 64 e4m3); without TMA stores the kernel never reads it.
        let mapC = cfg.tmaStore
            ? try TensorMap(context: context, address: c.address, rows: m, rowBytes: output.bytes * n, strideBytes: output.bytes * c.ld,
                            boxBytes: 64 * output.bytes, boxRows: 64)
            : mapA
        // The source is assembled once per configuration (~24 µs on a slow CPU: per launch it made
        // small GEMMs host-bound), then the loaded kernel is found by name.
        let f = try function("lb_wgmma", unitNamed: KernelSources.wgmmaName(cfg, operands: operands, output: output),
                             sharedBytes: cfg.sharedBytes) {
            KernelSources.wgmma(cfg, operands: operands, output: output)
        }
        // Persistent: at most one block per SM, each walking output tiles.
        let tiles = ((m + 127) / 128) * ((n + cfg.bn - 1) / cfg.bn)
        try f.launch(grid: (min(tiles, context.device.multiprocessors), 1, 1), block: (384, 1, 1), sharedBytes: cfg.sharedBytes, [
            .tensorMap(mapA), .tensorMap(mapB), .tensorMap(mapC), .buffer(sa), .buffer(sb), .buffer(bias), c.argument, .int(c.ld),
            .int(m), .int(n), .int(k * elem), .int(gelu ? 1 : 0)])
    }

    /// The tile for a shape when none is given (`gemmAny`'s `.auto` times them all instead):
    /// from the H100 sweeps of 2026-12-05 (19:03–19:10 UTC) and the A/B of 2026-12-06 (02:43 UTC):
    /// where K ≤ 1024, INT8 takes the ping-pong tile with TMA stores and FP8 / FP16 the 128 × 128
    /// tile with TMA stores; for deep K, ping-pong (FP8: 128 × 128 with its own stores, since the
    /// default is a promoted tile, which has no ping-pong; the `-fast` tiles only through
    /// `wgmmaConfigOverride` or the `config` argument). `wgmmaConfigOverride` wins.
    public func wgmmaDefaultConfig(_ operands: GemmOperands, m: Int, n: Int, k: Int) -> WgmmaConfig {
        if let forced = wgmmaConfigOverride, WgmmaConfig.candidates(operands).contains(forced) { return forced }
        let deep = k * (operands == .fp16 ? 2 : 1) >= 2048
        if operands == .eightBit(.fp8e4m3) { return deep ? .n128s6 : .n128s5tma }
        // INT8 at K ≤ 1024, in the 02:43 UTC A/B of 2026-12-06 (docs/benchmarks.md): a ping-pong tile
        // was the fastest in 19 of 20 measurements, this one on 7 of the 10 shapes; FP16 keeps the
        // tile of the earlier sweeps.
        if operands == .eightBit(.int8) && !deep { return .n128s4pptma }
        return deep ? .n128s6pp : .n128s5tma
    }
}
