/// cuBLASLt GEMMs on the BERT shapes, in the GEMM bench's line format (kind `lt-fp16`,
/// `lt-int8` (INT32 product + LowBit's dequantization pass), `lt-fp8` (outer-vector scales,
/// bias fused), `lt-fp8fast` (the same with Hopper's fast accumulation)).
extension CUDABench {
    public func gemmLt(shapes: [(Int, Int, Int)] = CUDABench.bertShapes + CUDABench.bertLargeShapes) throws(CUDAError) {
        let lt = try kernels.cublasLt()
        print("## GEMM through cuBLASLt \(lt.version), \(context.device.name)")
        let variants: [(String, GemmOperands, Bool)] = [("lt-fp16", .fp16, false), ("lt-int8", .eightBit(.int8), false),
                                                       ("lt-fp8", .eightBit(.fp8e4m3), false), ("lt-fp8fast", .eightBit(.fp8e4m3), true)]
        for (m, n, k) in shapes {
            for (name, operands, fast) in variants {
                var ops = try timingOperands(operands, m: m, n: n, k: k)
                let t: Double
                do {
                    t = try time { () throws(CUDAError) in
                        let (a, b, c) = ops.take()
                        try kernels.gemmLt(operands, a: a, b: b, scaleA: ops.scaleA, scaleB: ops.scaleB, bias: ops.bias, c: c,
                                           fp8Accumulation: fast ? .fast : .promoted)
                    }
                } catch {
                    if case .cublas = error { print("gemm \(name) M=\(m) N=\(n) K=\(k): not run: \(error)"); continue }
                    throw error
                }
                let flops = 2.0 * Double(m) * Double(n) * Double(k)
                let peak = operands == .fp16 ? peakF16 : peak8bit
                let pct = peak.map { " (\(format3(100 * flops / t / $0))% of peak)" } ?? ""
                print("gemm \(name) M=\(m) N=\(n) K=\(k): \(format3(flops / t / 1e12)) TOPS\(pct), \(format3(t * 1e6)) µs")
            }
        }
    }
}
