/// The Hopper GEMM with the encoder's add + layernorm in its epilogue (`lb_wgmma` built with
/// LN_FUSE, see `WgmmaLayerNorm`) — sm_90 only.
extension CUDAKernels {
    /// Why `gemmWgmmaLayerNorm` cannot run these operands, or nil if it can: `wgmmaUnsupported`'s
    /// reasons, then N a multiple of 128 with N / 128 ≤ 8 (one cluster holds a whole row), the
    /// residual 4-byte aligned with an even row stride.
    public func wgmmaLayerNormUnsupported(_ operands: GemmOperands, a: DeviceMatrix, b: DeviceMatrix, y: DeviceMatrix,
                                          residual: DeviceMatrix) -> String? {
        if let why = wgmmaUnsupported(operands, a: a, b: b, c: y) { return why }
        let n = b.rows
        guard n % 128 == 0, (1...8).contains(n / 128) else {
            return "the layernorm epilogue needs N = 128·c with c ≤ 8 blocks in a cluster (N is \(n))"
        }
        guard residual.aligned(4), residual.ld % 2 == 0 else { return "the layernorm epilogue needs a 4-byte aligned residual with an even ld" }
        return nil
    }

    /// y = LN(A·Bᵀ (dequantized, as `gemmWgmma`) + bias + residual)·γ + β per row, and with
    /// `quant` also y's per-token codes — `gemmWgmma` then `layerNorm(residual:)` in one kernel,
    /// without the GEMM's fp16 result between (so y can differ from that pair by the rounding of it).
    /// a: [M, K]; b: [N, K]; scaleA: [M], scaleB: [N] f32 (8-bit operands); bias: [N] fp16 or nil;
    /// residual, y: [M, N] fp16 (y must not overlap the residual); gamma, beta: [N] fp16;
    /// quant: codes [M, N] + scales [M]. `tile` nil: `layerNormTile`.
    public func gemmWgmmaLayerNorm(_ operands: GemmOperands, a: DeviceMatrix, b: DeviceMatrix, scaleA: DeviceBuffer?,
                                   scaleB: DeviceBuffer?, bias: DeviceBuffer?, residual: DeviceMatrix, gamma: DeviceBuffer,
                                   beta: DeviceBuffer, eps: Float, y: DeviceMatrix, quant: ActivationQuantization?,
                                   fp8Accumulation: FP8Accumulation = .fast, tile: WgmmaConfig? = nil) throws(CUDAError) {
        let (m, n, k) = try checkGemmOperands("gemmWgmmaLayerNorm", operands, a: a, b: b, bias: bias, c: y)
        guard residual.rows == m, residual.cols == n else {
            throw .invalidArgument("gemmWgmmaLayerNorm: residual is \(residual.rows)×\(residual.cols), expected \(m)×\(n)")
        }
        try residual.validate("residual", elementBytes: 2)
        guard gamma.byteCount >= 2 * n, beta.byteCount >= 2 * n else { throw .invalidArgument("gemmWgmmaLayerNorm: gamma/beta need \(n) fp16") }
        try checkQuant(quant, rows: m, n: n)
        if let why = wgmmaLayerNormUnsupported(operands, a: a, b: b, y: y, residual: residual) {
            throw .invalidArgument("gemmWgmmaLayerNorm: \(why)")
        }
        if m == 0 { return }
        let sa: DeviceBuffer, sb: DeviceBuffer
        if operands == .fp16 {
            sa = try unitScales(1); sb = sa
        } else {
            guard let scaleA, let scaleB, scaleA.byteCount >= 4 * m, scaleB.byteCount >= 4 * n else {
                throw .invalidArgument("gemmWgmmaLayerNorm: scaleA needs \(m) floats, scaleB \(n)")
            }
            sa = scaleA; sb = scaleB
        }
        let tiles = WgmmaLayerNorm.tiles(operands, fp8Accumulation: fp8Accumulation)
        let cfg = tile ?? layerNormTile(operands, fp8Accumulation: fp8Accumulation)
        guard tiles.contains(cfg) else { throw .invalidArgument("gemmWgmmaLayerNorm: tile \(cfg) is not one of \(tiles)") }
        var codes: GemmKind? = nil
        switch quant {
        case .int8?: codes = .int8
        case .fp8e4m3?: codes = .fp8e4m3
        case nil: break
        }
        var ln = WgmmaLayerNorm(cluster: n / cfg.bn, codes: codes)
        ln.ablation = layerNormAblation
        let elem = operands == .fp16 ? 2 : 1
        let mapA = try TensorMap(context: context, address: a.address, rows: m, rowBytes: k * elem, strideBytes: a.ld * elem, boxRows: 128)
        let mapB = try TensorMap(context: context, address: b.address, rows: n, rowBytes: k * elem, strideBytes: b.ld * elem,
                                 boxRows: cfg.bn)
        let smem = ln.sharedBytes(cfg)
        let unit = KernelSources.wgmmaName(cfg, operands: operands, layerNorm: ln)
        let f = try function("lb_wgmma", unitNamed: unit, sharedBytes: smem) {
            KernelSources.wgmma(cfg, operands: operands, layerNorm: ln)
        }
        // Persistent clusters, as many as run at once (each walks 128-row tiles): more would wait
        // for a free GPC and then run their whole share of tiles after the others.
        let mTiles = (m + 127) / 128
        let resident = try clustersAtOnce(f, unit: unit, cluster: ln.cluster, sharedBytes: smem)
        try f.launch(grid: (min(mTiles, resident) * ln.cluster, 1, 1), block: (384, 1, 1), sharedBytes: smem, [
            .tensorMap(mapA), .tensorMap(mapB), .tensorMap(mapA), .buffer(sa), .buffer(sb), .buffer(bias), y.argument, .int(y.ld),
            .int(m), .int(n), .int(k * elem), .int(0),
            residual.argument, .int(residual.ld), .buffer(gamma), .buffer(beta), .float32(eps),
            quant?.codes.argument ?? .pointer(0), .int(quant?.codes.ld ?? 0), .buffer(quant?.scales)])
    }

    /// The tile `gemmWgmmaLayerNorm` takes when none is given: `layerNormTileOverride`, else
    /// cooperative for 8-bit operands and ping-pong for FP16, the faster ones in `cuda bench ln`
    /// (H100, 2026-12-07 14:12 UTC: INT8 ping-pong 1.1–1.6× slower than cooperative, FP8 within
    /// 3 %, FP16 ping-pong up to 10 % faster at M ≥ 16384).
    public func layerNormTile(_ operands: GemmOperands, fp8Accumulation: FP8Accumulation) -> WgmmaConfig {
        let tiles = WgmmaLayerNorm.tiles(operands, fp8Accumulation: fp8Accumulation)
        if let forced = layerNormTileOverride, tiles.contains(forced) { return forced }
        return operands == .fp16 ? tiles.first { $0.pingPong } ?? tiles[0] : tiles.first { !$0.pingPong } ?? tiles[0]
    }

    /// Clusters of `cluster` blocks of `f` that fit on the device at once (the driver's occupancy
    /// query, remembered per kernel and size); without the query, the SMs in whole clusters of 8
    /// per 16 (H100's GPCs hold 16–18 SMs, and a cluster stays inside one).
    func clustersAtOnce(_ f: CUDAFunction, unit: String, cluster: Int, sharedBytes: Int) throws(CUDAError) -> Int {
        let key = "\(unit)/\(f.name)"
        if let n = lock.withLock({ clusterOccupancy[key] }) { return n.clusters }
        let sms = context.device.multiprocessors
        let n = try f.maxActiveClusters(cluster: cluster, block: (384, 1, 1), sharedBytes: sharedBytes)
            ?? max(1, (sms / 16) * (16 / cluster))
        let kept = max(1, n)
        lock.withLock { clusterOccupancy[key] = (kept, cluster) }
        return kept
    }
}
