/// The add + layernorm GEMM (`gemmWgmmaLayerNorm`) against the pair it replaces — the Hopper GEMM
/// into an fp16 scratch, then `layerNorm(residual:)` — on the BERT shapes whose N is the hidden
/// size (attention output, down projection), writing fp16 y and the codes of the same kind (the
/// separate GEMM on the fastest backend and tile, as `.auto` picks them), each of its tiles. One line per shape and kind: both times (µs), the ratio, the fused GEMM's TOPS.
extension CUDABench {
    public func gemmLayerNorm() throws(CUDAError) {
        guard kernels.wgmmaAvailable else { print("## GEMM + layernorm: not run (device is \(context.device.arch), needs sm_90)"); return }
        print("## GEMM + add + layernorm fused (cluster per row tile) vs GEMM then row kernel, \(context.device.name)")
        let shapes = (CUDABench.bertShapes + CUDABench.bertLargeShapes).filter { $0.0 >= 2048 && ($0.1 == 768 || $0.1 == 1024) }
        // The separate GEMM as the encoder runs it: the fastest backend and tile for the shape.
        let policy = kernels.backendPolicy
        kernels.backendPolicy = .auto
        defer { kernels.backendPolicy = policy }
        let variants: [(String, GemmOperands, FP8Accumulation)] = [
            ("int8", .eightBit(.int8), .fast), ("fp8fast", .eightBit(.fp8e4m3), .fast), ("fp16", .fp16, .fast)]
        // With $LOWBIT_LN_ABLATE, only the ablations (so that a profiler's launch count finds them).
        let ablationMasks = environment("LOWBIT_LN_ABLATE").map { list in
            [0] + list.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.filter { $0 > 0 }
        }
        for (m, n, k) in shapes where ablationMasks == nil {
            for (name, operands, mode) in variants {
                var p = try layerNormTimingOperands(operands, m: m, n: n, k: k)
                let separate = try time { () throws(CUDAError) in
                    let (a, b, c) = p.gemm.take()
                    try kernels.gemmAny(operands, a: a, b: b, scaleA: p.gemm.scaleA, scaleB: p.gemm.scaleB, bias: p.gemm.bias, c: c,
                                        fp8Accumulation: mode)
                    try kernels.layerNorm(c, residual: p.residual, gamma: p.gamma, beta: p.beta, eps: 1e-12, y: p.y, quant: p.quant)
                }
                var fused: [(WgmmaConfig, Double)] = []
                for tile in WgmmaLayerNorm.tiles(operands, fp8Accumulation: mode) {
                    fused.append((tile, try timeFused(operands, &p, fp8Accumulation: mode, tile: tile)))
                }
                guard let best = fused.min(by: { $0.1 < $1.1 }) else { continue }
                let flops = 2.0 * Double(m) * Double(n) * Double(k)
                let all = fused.map { "\($0.0.name) \(format3($0.1 * 1e6)) µs" }.joined(separator: ", ")
                print("gemm-ln \(name) M=\(m) N=\(n) K=\(k): fused \(format3(best.1 * 1e6)) µs (\(format3(flops / best.1 / 1e12)) TOPS, "
                      + "best \(best.0.name), default \(kernels.layerNormTile(operands, fp8Accumulation: mode).name)) vs separate "
                      + "\(format3(separate * 1e6)) µs: \(format3(separate / best.1))× | \(all)")
            }
        }
        if let ablationMasks { try gemmLayerNormAblations(variants, masks: ablationMasks) }
        // How many clusters ran at once per unit (`clustersAtOnce`): blocks in flight against the SMs.
        let sms = context.device.multiprocessors
        for (key, n) in kernels.lock.withLock({ kernels.clusterOccupancy }).sorted(by: { $0.key < $1.key }) {
            print("gemm-ln clusters at once \(key): \(n.clusters) × \(n.blocks) blocks = \(n.clusters * n.blocks) of \(sms) SMs")
        }
    }

    /// Where the fused kernel's time goes: `masks` (from $LOWBIT_LN_ABLATE, a comma list of
    /// `WgmmaLayerNorm.ablation` masks, e.g. "1,2,4,7,8,15", after 0), each timed on the
    /// BERT-base attention-output and down-projection shapes at 32768 rows, 8-bit operands, the
    /// default tile (the results of a mask other than 0 are wrong: timing only).
    func gemmLayerNormAblations(_ variants: [(String, GemmOperands, FP8Accumulation)], masks: [Int]) throws(CUDAError) {
        defer { kernels.layerNormAblation = 0 }
        for (m, n, k) in [(32768, 768, 768), (32768, 768, 3072)] {
            for (name, operands, mode) in variants where operands != .fp16 {
                var p = try layerNormTimingOperands(operands, m: m, n: n, k: k)
                var cells: [String] = []
                for mask in masks {
                    kernels.layerNormAblation = mask
                    cells.append("\(mask) \(format3(try timeFused(operands, &p, fp8Accumulation: mode, tile: nil) * 1e6))")
                }
                print("gemm-ln-ablate \(name) M=\(m) N=\(n) K=\(k) µs by mask (1 no exchange, 2 no residual, 4 no stores, 8 no layernorm): "
                      + cells.joined(separator: ", "))
            }
        }
    }

    /// One fused-layernorm timing's operands: the GEMM's (`timingOperands`), a random residual, y,
    /// γ = 1, β = 0, and for 8-bit operands per-token codes of the same kind with their scales.
    struct LayerNormTimingOperands {
        var gemm: GemmTimingOperands
        let residual: DeviceMatrix, y: DeviceMatrix, gamma: DeviceBuffer, beta: DeviceBuffer
        let quant: ActivationQuantization?
    }

    func layerNormTimingOperands(_ operands: GemmOperands, m: Int, n: Int, k: Int) throws(CUDAError) -> LayerNormTimingOperands {
        let gemm = try timingOperands(operands, m: m, n: n, k: k)
        let residual = DeviceMatrix(try context.upload(rng.halves(m * n, -1, 1)), rows: m, cols: n)
        let y = DeviceMatrix(try context.allocate(UInt16.self, count: m * n), rows: m, cols: n)
        let gamma = try context.upload([UInt16](repeating: 0x3C00, count: n)), beta = try context.upload([UInt16](repeating: 0, count: n))
        let codes = DeviceMatrix(try context.allocator.allocate(m * n), rows: m, cols: n)
        let scales = try context.allocate(Float.self, count: m)
        let quant: ActivationQuantization? = operands == .fp16 ? nil
            : operands == .eightBit(.int8) ? .int8(codes: codes, scales: scales) : .fp8e4m3(codes: codes, scales: scales)
        return LayerNormTimingOperands(gemm: gemm, residual: residual, y: y, gamma: gamma, beta: beta, quant: quant)
    }

    /// Seconds per `gemmWgmmaLayerNorm` call on `p` (`tile` nil: the default tile).
    func timeFused(_ operands: GemmOperands, _ p: inout LayerNormTimingOperands, fp8Accumulation: FP8Accumulation,
                   tile: WgmmaConfig?) throws(CUDAError) -> Double {
        try time { () throws(CUDAError) in
            let (a, b, _) = p.gemm.take()
            try kernels.gemmWgmmaLayerNorm(operands, a: a, b: b, scaleA: p.gemm.scaleA, scaleB: p.gemm.scaleB, bias: p.gemm.bias,
                                           residual: p.residual, gamma: p.gamma, beta: p.beta, eps: 1e-12, y: p.y, quant: p.quant,
                                           fp8Accumulation: fp8Accumulation, tile: tile)
        }
    }
}
