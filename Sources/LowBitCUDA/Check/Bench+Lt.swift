/// cuBLASLt GEMMs on the BERT shapes, in the GEMM bench's line format (kind `lt-fp16`,
/// `lt-int8` (INT32 product + LowBit's dequantization pass), `lt-fp8` (outer-vector scales,
/// bias fused), `lt-fp8fast` (the same with Hopper's fast accumulation)).
extension CUDABench {
    public func gemmLt(shapes: [(Int, Int, Int)] = CUDABench.bertShapes + CUDABench.bertLargeShapes) throws(CUDAError) {
        let lt = try kernels.cublasLt()
        print("## GEMM through cuBLASLt \(lt.version), \(context.device.name)")
        let variants: [(String, GemmOperands, Bool)] = [("lt-fp16", .fp16, false), ("lt-int8", .eightBit(.int8), false),
                                                       ("lt-fp8", .eightBit(.fp8e4m3), false), ("lt-fp8fast", .eightBit(.fp8e4m3), true)]
        let saved = kernels.ltFastAccumulation
        defer { kernels.ltFastAccumulation = saved }
        for (m, n, k) in shapes {
            for (name, operands, fast) in variants {
                let elem = operands == .fp16 ? 2 : 1
                let setBytes = elem * (m * k + n * k) + 2 * m * n
                let sets = max(1, min(4, 2 * context.device.l2Bytes / setBytes + 1))
                let bad: (UInt8) -> Bool = { $0 & 0x7F == 0x7F || ($0 >> 3) & 0xF > 10 }
                let aHost: [UInt8] = operands == .fp16 ? [] : randomBytes(m * k, avoiding: bad)
                let bHost: [UInt8] = operands == .fp16 ? [] : randomBytes(n * k, avoiding: bad)
                var bufs: [(DeviceBuffer, DeviceBuffer, DeviceBuffer)] = []
                for _ in 0..<sets {
                    let a = operands == .fp16 ? try context.upload(rng.halves(m * k, -1, 1)) : try context.upload(aHost)
                    let b = operands == .fp16 ? try context.upload(rng.halves(n * k, -1, 1)) : try context.upload(bHost)
                    bufs.append((a, b, try context.allocate(UInt16.self, count: m * n)))
                }
                let sa = try context.upload([Float](repeating: 0.01, count: m)), sb = try context.upload([Float](repeating: 0.01, count: n))
                let bias = try context.upload([UInt16](repeating: 0x3C00, count: n))
                kernels.ltFastAccumulation = fast
                var i = 0
                let t: Double
                do {
                    t = try time { () throws(CUDAError) in
                        let (a, b, c) = bufs[i % sets]
                        i += 1
                        try kernels.gemmLt(operands, a: DeviceMatrix(a, rows: m, cols: k), b: DeviceMatrix(b, rows: n, cols: k),
                                           scaleA: sa, scaleB: sb, bias: bias, c: DeviceMatrix(c, rows: m, cols: n))
                    }
                } catch {
                    if case .cublas = error { print("gemm \(name) M=\(m) N=\(n) K=\(k): not run: \(error)"); continue }
                    throw error
                }
                let ops = 2.0 * Double(m) * Double(n) * Double(k)
                let peak = operands == .fp16 ? peakF16 : peak8bit
                let pct = peak.map { " (\(format3(100 * ops / t / $0))% of peak)" } ?? ""
                print("gemm \(name) M=\(m) N=\(n) K=\(k): \(format3(ops / t / 1e12)) TOPS\(pct), \(format3(t * 1e6)) µs")
            }
        }
    }
}
