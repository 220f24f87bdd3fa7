/// The Hopper GEMM (`gemmWgmma`) on the BERT shapes, every tile configuration, in the GEMM
/// bench's line format (kinds `wg-int8`, `wg-fp8` (promoted accumulation), `wg-fp8fast` (the
/// tensor cores' accumulation over all of K, as cuBLASLt's `lt-fp8fast`), `wg-fp16`;
/// dequantization, bias fused).
///
/// For a profiler run, three environment variables narrow it down (comma lists; unset: all):
/// LOWBIT_WGMMA_SHAPES (`MxNxK`), LOWBIT_WGMMA_KINDS (`wg-int8` …), LOWBIT_WGMMA_TILES (tile names).
/// LOWBIT_WGMMA_EPILOGUE changes the epilogue timed: `gelu` (erf GELU, fp16 out), `e4m3`
/// (unit-scale e4m3 codes out, `KernelOutput.e4m3`) or `gelu-e4m3` (both: the FP8 up projection's).
extension CUDABench {
    public func gemmWgmma(shapes: [(Int, Int, Int)] = CUDABench.bertShapes + CUDABench.bertLargeShapes) throws(CUDAError) {
        guard kernels.wgmmaAvailable else { print("## GEMM wgmma: not run (device is \(context.device.arch), needs sm_90)"); return }
        let epilogue = environment("LOWBIT_WGMMA_EPILOGUE") ?? ""
        guard ["", "gelu", "e4m3", "gelu-e4m3"].contains(epilogue) else {
            throw .invalidArgument("LOWBIT_WGMMA_EPILOGUE is '\(epilogue)'; it takes gelu, e4m3 or gelu-e4m3")
        }
        let gelu = epilogue.hasPrefix("gelu"), output: KernelOutput = epilogue.hasSuffix("e4m3") ? .e4m3 : .fp16
        let value = gelu ? "GELU(acc·sa·sb + bias)" : "acc·sa·sb + bias"
        print("## GEMM wgmma (TMA + wgmma, persistent; C \(output == .e4m3 ? "e4m3" : "fp16") = \(value)), \(context.device.name)")
        func only(_ name: String) -> Set<String>? { environment(name).map { Set($0.split(separator: ",").map(String.init)) } }
        let shapeSet = only("LOWBIT_WGMMA_SHAPES"), kindSet = only("LOWBIT_WGMMA_KINDS"), tileSet = only("LOWBIT_WGMMA_TILES")
        let variants: [(String, GemmOperands, FP8Accumulation)] = [
            ("wg-int8", .eightBit(.int8), .promoted), ("wg-fp8", .eightBit(.fp8e4m3), .promoted),
            ("wg-fp8fast", .eightBit(.fp8e4m3), .fast), ("wg-fp16", .fp16, .promoted)]
        defer { kernels.wgmmaConfigOverride = nil }
        for (m, n, k) in shapes where shapeSet?.contains("\(m)x\(n)x\(k)") ?? true {
            for (name, operands, accumulation) in variants where kindSet?.contains(name) ?? true {
                var ops = try timingOperands(operands, m: m, n: n, k: k)
                var results: [(WgmmaConfig, Double)] = []
                for cfg in WgmmaConfig.candidates(operands) where cfg.fp8Accumulation == accumulation && tileSet?.contains(cfg.name) ?? true {
                    kernels.wgmmaConfigOverride = cfg
                    let t = try time { () throws(CUDAError) in
                        let (a, b, c) = ops.take()
                        try kernels.gemmWgmma(operands, a: a, b: b, scaleA: ops.scaleA, scaleB: ops.scaleB, bias: ops.bias, c: c,
                                              gelu: gelu, output: output)
                    }
                    results.append((cfg, t))
                }
                kernels.wgmmaConfigOverride = nil
                guard let best = results.min(by: { $0.1 < $1.1 }) else { continue }
                let flops = 2.0 * Double(m) * Double(n) * Double(k)
                let peak = operands == .fp16 ? peakF16 : peak8bit
                let pct = peak.map { " (\(format3(100 * flops / best.1 / $0))% of peak)" } ?? ""
                let dflt = kernels.wgmmaDefaultConfig(operands, m: m, n: n, k: k)
                let all = results.map { "\($0.0.name) \(format3(flops / $0.1 / 1e12))" }.joined(separator: ", ")
                print("gemm \(name)\(epilogue.isEmpty ? "" : "+" + epilogue) M=\(m) N=\(n) K=\(k): \(format3(flops / best.1 / 1e12)) TOPS\(pct), \(format3(best.1 * 1e6)) µs, best \(best.0.name) (default \(dflt.name)) | \(all)")
            }
        }
    }
}
