/// The Hopper GEMM (`gemmWgmma`) on the BERT shapes, every tile configuration, in the GEMM
/// bench's line format (kinds `wg-int8`, `wg-fp8`, `wg-fp16`; dequantization, bias fused).
extension CUDABench {
    public func gemmWgmma(shapes: [(Int, Int, Int)] = CUDABench.bertShapes + CUDABench.bertLargeShapes) throws(CUDAError) {
        guard kernels.wgmmaAvailable else { print("## GEMM wgmma: not run (device is \(context.device.arch), needs sm_90)"); return }
        print("## GEMM wgmma (TMA + wgmma, persistent; C fp16 = acc·sa·sb + bias), \(context.device.name)")
        let variants: [(String, GemmOperands)] = [("wg-int8", .eightBit(.int8)), ("wg-fp8", .eightBit(.fp8e4m3)), ("wg-fp16", .fp16)]
        defer { kernels.wgmmaConfigOverride = nil }
        for (m, n, k) in shapes {
            for (name, operands) in variants {
                let elem = operands == .fp16 ? 2 : 1
                let setBytes = elem * (m * k + n * k) + 2 * m * n
                let sets = max(1, min(4, 2 * context.device.l2Bytes / setBytes + 1))
                let bad: (UInt8) -> Bool = { $0 & 0x7F == 0x7F || ($0 >> 3) & 0xF > 10 }
                var bufs: [(DeviceBuffer, DeviceBuffer, DeviceBuffer)] = []
                for _ in 0..<sets {
                    let a = operands == .fp16 ? try context.upload(rng.halves(m * k, -1, 1)) : try context.upload(randomBytes(m * k, avoiding: bad))
                    let b = operands == .fp16 ? try context.upload(rng.halves(n * k, -1, 1)) : try context.upload(randomBytes(n * k, avoiding: bad))
                    bufs.append((a, b, try context.allocate(UInt16.self, count: m * n)))
                }
                let sa = try context.upload([Float](repeating: 0.01, count: m)), sb = try context.upload([Float](repeating: 0.01, count: n))
                let bias = try context.upload([UInt16](repeating: 0x3C00, count: n))
                var results: [(WgmmaConfig, Double)] = []
                for cfg in WgmmaConfig.candidates(operands) {
                    kernels.wgmmaConfigOverride = cfg
                    var i = 0
                    let t = try time { () throws(CUDAError) in
                        let (a, b, c) = bufs[i % sets]
                        i += 1
                        try kernels.gemmWgmma(operands, a: DeviceMatrix(a, rows: m, cols: k), b: DeviceMatrix(b, rows: n, cols: k),
                                              scaleA: sa, scaleB: sb, bias: bias, c: DeviceMatrix(c, rows: m, cols: n))
                    }
                    results.append((cfg, t))
                }
                kernels.wgmmaConfigOverride = nil
                let best = results.min { $0.1 < $1.1 }!
                let ops = 2.0 * Double(m) * Double(n) * Double(k)
                let peak = operands == .fp16 ? peakF16 : peak8bit
                let pct = peak.map { " (\(format3(100 * ops / best.1 / $0))% of peak)" } ?? ""
                let dflt = kernels.wgmmaDefaultConfig(operands, m: m, n: n)
                let all = results.map { "\($0.0.name) \(format3(ops / $0.1 / 1e12))" }.joined(separator: ", ")
                print("gemm \(name) M=\(m) N=\(n) K=\(k): \(format3(ops / best.1 / 1e12)) TOPS\(pct), \(format3(best.1 * 1e6)) µs, best \(best.0.name) (default \(dflt.name)) | \(all)")
            }
        }
    }
}
