import CLowBitKernels
import LowBitCore

/// One SGEMM shape's throughput, single-threaded and on all threads.
struct GemmResult: Codable {
    var m: Int, n: Int, k: Int
    /// Best (fastest call) and median GFLOP/s; fractions are best / measured peak.
    var gflopsOneThread: Double
    var gflopsOneThreadMedian: Double
    var fractionOfPeakOneThread: Double
    var gflopsAllThreads: Double
    var gflopsAllThreadsMedian: Double
    var fractionOfPeakAllThreads: Double
}

/// MiniLM/BERT-base-like linear shapes (N, K) = (out, in): attention projections (384,384),
/// fused QKV (1152,384), MLP up (1536,384) and down (384,1536), for 128 and 4096 tokens,
/// plus a square 1024³.
let gemmShapes: [(Int, Int, Int)] = {
    var s: [(Int, Int, Int)] = []
    for m in [128, 4096] { for (n, k) in [(384, 384), (1152, 384), (1536, 384), (384, 1536)] { s.append((m, n, k)) } }
    s.append((1024, 1024, 1024))
    return s
}()

/// Times `y = x·Wᵀ + b` with packed W: one thread (a direct kernel call on this thread) and all
/// threads (`PackedLinearWeight.apply`, split over `Parallel.threads`). Best and median of
/// repeated calls: on a shared machine the best call is the one other processes disturbed
/// least, and it is what the peak (best of 3) is compared with.
func benchGemm(m: Int, n: Int, k: Int, peak: PeakResult, minTime: Double) -> GemmResult {
    var seed: UInt32 = 12345
    func rnd() -> Float { seed = seed &* 1_664_525 &+ 1_013_904_223; return Float(seed >> 8) / Float(1 << 24) - 0.5 }
    let x = Tensor(shape: [m, k], values: (0..<(m * k)).map { _ in rnd() })
    let w = Tensor(shape: [n, k], values: (0..<(n * k)).map { _ in rnd() })
    let b = Tensor(shape: [n], values: (0..<n).map { _ in rnd() })
    let layer = PackedLinearWeight(weight: w, bias: b)
    let y = Tensor(zeros: [m, n])
    let flops = 2.0 * Double(m) * Double(n) * Double(k)
    let one = timeRepeated(minTime: minTime, minReps: 3) {
        _ = lb_sgemm_packed(m, n, k, x.pointer, k, layer.packedPointer, layer.biasPointer, y.pointer, n, 0, n)
    }
    let all = timeRepeated(minTime: minTime, minReps: 3) { layer.apply(x, into: y) }
    let g1 = flops / one[0] / 1e9, gAll = flops / all[0] / 1e9
    return GemmResult(m: m, n: n, k: k, gflopsOneThread: g1, gflopsOneThreadMedian: flops / median(one) / 1e9,
                      fractionOfPeakOneThread: g1 / peak.gflopsOneThread, gflopsAllThreads: gAll,
                      gflopsAllThreadsMedian: flops / median(all) / 1e9,
                      fractionOfPeakAllThreads: gAll / peak.gflopsAllThreads)
}
