import CLowBitKernels
import Dispatch

/// FP32 FMA peak of this machine, measured rather than taken from a data sheet.
///
/// Method: `lb_fma_peak_probe` runs ten independent chains of fused multiply-adds on the
/// widest vector registers of the kernels' level (zmm for AVX-512, ymm for AVX2). Ten
/// independent chains cover FMA latency (4–5 cycles) × FMA pipes (2), so the loop is bound by
/// FMA throughput alone; each FMA counts 2 flops per lane. The probe runs on 1 thread, then on
/// `threads` threads at once (one per core in use), so the all-threads figure includes any
/// clock drop under full load. A GEMM's "fraction of peak" divides by the figure for the same
/// thread count.
struct PeakResult: Codable {
    var isa: String
    var lanes: Int
    var gflopsOneThread: Double
    var gflopsAllThreads: Double
    var threads: Int
}

func measurePeak(threads: Int) -> PeakResult {
    let isa = lb_isa_best()
    // Calibrate the iteration count to ~0.3 s per run.
    let t0 = now()
    _ = lb_fma_peak_probe(isa, 1_000_000)
    let dt = max(now() - t0, 1e-4)
    let iters = max(1_000_000, UInt64(1_000_000 * 0.3 / dt))

    func run(_ nThreads: Int) -> Double {
        var best = 0.0
        for _ in 0..<3 {
            let start = now()
            DispatchQueue.concurrentPerform(iterations: nThreads) { _ in _ = lb_fma_peak_probe(isa, iters) }
            let flops = Double(probeFlops(isa, iters)) * Double(nThreads)
            best = max(best, flops / (now() - start) / 1e9)
        }
        return best
    }
    let lanes = isa == LB_ISA_AVX512 ? 16 : isa == LB_ISA_AVX2 ? 8 : 1
    return PeakResult(isa: String(cString: lb_isa_name(isa)), lanes: lanes, gflopsOneThread: run(1),
                      gflopsAllThreads: run(threads), threads: threads)
}

/// Flops one probe call does (10 chains × iters × lanes × 2), without running it.
func probeFlops(_ isa: Int32, _ iters: UInt64) -> UInt64 {
    let lanes: UInt64 = isa == LB_ISA_AVX512 ? 16 : isa == LB_ISA_AVX2 ? 8 : 1
    return iters * 10 * lanes * 2
}
