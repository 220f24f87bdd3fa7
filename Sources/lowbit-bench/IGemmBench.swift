import CLowBitKernels
import Dispatch
import LowBitCore
import LowBitModels
import LowBitQuant

// lowbit-bench igemm [--quick]: INT8 GEMM with fused dequantization (lb_igemm_dequant) on the
// BERT/MiniLM linear shapes, as GOP/s (2 integer ops per multiply-add) and fraction of the
// measured VNNI peak; then the group-wise kernels (lb_igemm_group: W8 groups of 64 and W4
// groups of 128 × INT8 activations, 4-bit codes unpacked in registers; lb_wgemm_group: W4
// groups of 128 × float activations, GFLOP/s, against the VNNI peak too for scale).
//
// Peak: `lb_vnni_peak_probe` runs 12 independent chains of zmm vpdpbusd (each 16 lanes × 4
// multiply-adds = 64 MACs = 128 int ops, counted like the GEMM's 2·M·N·K); 12 chains cover its
// latency × pipes (4 already saturate Zen 4), so the loop is bound by vpdpbusd throughput alone. Best of ~2 ms runs repeated for 0.5 s (the GEMM figures are best
// calls too), on 1 thread and on all threads at once.
// GEMM times include the per-call packing of A (unsigned offset) but not the per-token
// quantization of x (timed separately as `IntegerLinear.forward`, which includes it).

func runIGemmBench(_ args: [String]) {
    let minTime = args.contains("--quick") ? 0.1 : 0.4
    let threads = Parallel.threads
    let isa = lb_isa_best()
    print("lowbit-bench igemm: kernel \(String(cString: lb_igemm_kernel_name(isa))), \(threads) thread(s)")
    let (p1, pAll) = measureVNNIPeak(threads: threads)
    if p1 > 0 {
        print(String(format: "VNNI peak (12 vpdpbusd zmm chains, 64 MAC = 128 op each, best 2 ms run): 1 thread %.1f GOP/s, %d threads %.1f GOP/s", p1, threads, pAll))
    } else {
        print("VNNI peak: this CPU has no AVX-512 VNNI; %peak columns show 0")
    }
    print("y[M,N] = dequant(int8 x[M,K] · int8 W[N,K]ᵀ) + b, GOP/s of the best call (median in brackets)")
    print("      M      N      K |   1 thread GOP/s     %peak |  \(threads) threads GOP/s    %peak | IntegerLinear.forward GOP/s")
    for m in [128, 4096] {
        for (n, k) in [(1152, 384), (1536, 384), (384, 1536)] {
            benchIGemm(m: m, n: n, k: k, peak1: p1, peakAll: pAll, minTime: minTime)
        }
    }
    print("Group-wise weights (lb_igemm_group / lb_wgemm_group), same columns; kernel W8 \(String(cString: lb_igemm_group_kernel_name(isa, 8))), W4 \(String(cString: lb_igemm_group_kernel_name(isa, 4))), FP32 acts \(String(cString: lb_wgemm_group_kernel_name(isa)))")
    print(" weights   acts      M      N      K |   1 thread GOP/s     %peak |  \(threads) threads GOP/s    %peak")
    for (bits, group, float) in [(8, 64, false), (4, 128, false), (4, 128, true)] {
        for m in [1, 128, 4096] {
            for (n, k) in [(1152, 384), (384, 1536)] {
                benchGroupGemm(bits: bits, group: group, floatInput: float, m: m, n: n, k: k, peak1: p1, peakAll: pAll, minTime: minTime)
            }
        }
    }
}

private func benchGroupGemm(bits: Int, group: Int, floatInput: Bool, m: Int, n: Int, k: Int, peak1: Double, peakAll: Double,
                            minTime: Double) {
    var seed: UInt32 = 4242
    func rnd() -> UInt32 { seed = seed &* 1_664_525 &+ 1_013_904_223; return seed >> 8 }
    let wt = Tensor(shape: [n, k], values: (0..<(n * k)).map { _ in Float(rnd() % 2001) / 1000 - 1 })
    let scheme = QuantScheme.groupwise(try! BitWidth(bits), groupSize: group)
    let w = GroupLinearWeight(weight: try! QuantizedWeight(quantizing: wt, scheme: scheme), bias: nil)!
    let a = (0..<(m * k)).map { _ in Int8(Int(rnd() % 255) - 127) }
    let x = (0..<(m * k)).map { _ in Float(rnd() % 2001) / 1000 - 1 }
    let sa = (0..<m).map { _ in Float(rnd() % 1000 + 1) * 1e-5 }
    let y = Tensor(zeros: [m, n])
    let ops = 2.0 * Double(m) * Double(n) * Double(k)
    let packed = w.packedPointer
    a.withUnsafeBufferPointer { ap in
        x.withUnsafeBufferPointer { xp in
            sa.withUnsafeBufferPointer { sp in
                let one = timeRepeated(minTime: minTime, minReps: 3) {
                    let rc = floatInput
                        ? lb_wgemm_group(m, n, k, group, Int32(bits), xp.baseAddress, k, packed, nil, y.pointer, n, 0, n)
                        : lb_igemm_group(m, n, k, group, Int32(bits), ap.baseAddress, k, sp.baseAddress, packed, nil, y.pointer, n, 0, n)
                    precondition(rc == 0)
                }
                let all = timeRepeated(minTime: minTime, minReps: 3) {
                    if floatInput { w.applyFloat(rows: m, x: xp.baseAddress!, ldx: k, y: y.pointer, ldy: n) }
                    else { w.apply(rows: m, codes: ap.baseAddress!, ldc: k, scales: sp.baseAddress!, y: y.pointer, ldy: n) }
                }
                let g1 = ops / one[0] / 1e9, gA = ops / all[0] / 1e9
                let label = "  W\(bits) g\(group)".padding(toLength: 10, withPad: " ", startingAt: 0) + (floatInput ? "FP32" : "INT8")
                print(label + String(format: "  %5d  %5d  %5d | %7.1f (%7.1f)  %5.0f%% | %7.1f (%7.1f)  %5.0f%%", m, n, k, g1, ops / median(one) / 1e9, peak1 > 0 ? 100 * g1 / peak1 : 0,
                             gA, ops / median(all) / 1e9, peakAll > 0 ? 100 * gA / peakAll : 0))
            }
        }
    }
}

private func measureVNNIPeak(threads: Int) -> (Double, Double) {
    guard lb_vnni_peak_probe(1) > 0 else { return (0, 0) }
    // Short runs (~2 ms), best of many over ~0.5 s: on a loaded machine a long run is cut by
    // the scheduler, and the GEMM figures are best calls of a few ms too.
    let t0 = now()
    _ = lb_vnni_peak_probe(100_000)
    let iters = max(10_000, UInt64(100_000 * 0.002 / max(now() - t0, 1e-6)))
    func run(_ nThreads: Int) -> Double {
        var best = 0.0
        let start = now()
        while now() - start < 0.5 {
            let s = now()
            DispatchQueue.concurrentPerform(iterations: nThreads) { _ in _ = lb_vnni_peak_probe(iters) }
            best = max(best, Double(iters) * 12 * 128 * Double(nThreads) / (now() - s) / 1e9)
        }
        return best
    }
    return (run(1), run(threads))
}

private func benchIGemm(m: Int, n: Int, k: Int, peak1: Double, peakAll: Double, minTime: Double) {
    var seed: UInt32 = 777
    func rnd() -> UInt32 { seed = seed &* 1_664_525 &+ 1_013_904_223; return seed >> 8 }
    let a = (0..<(m * k)).map { _ in Int8(Int(rnd() % 255) - 127) }
    let aScales = (0..<m).map { _ in Float(rnd() % 1000 + 1) * 1e-5 }
    let wt = Tensor(shape: [n, k], values: (0..<(n * k)).map { _ in Float(rnd() % 2001) / 1000 - 1 })
    let bias = Tensor(shape: [n], values: (0..<n).map { _ in Float(rnd() % 100) / 100 })
    let qw = try! QuantizedWeight(quantizing: wt, scheme: QuantScheme(bits: .int8, granularity: .perChannel))
    let w = Int8LinearWeight(weight: qw, bias: bias)!
    let y = Tensor(zeros: [m, n])
    let ops = 2.0 * Double(m) * Double(n) * Double(k)
    let x = Tensor(shape: [m, k], values: (0..<(m * k)).map { _ in Float(rnd() % 2001) / 1000 - 1 })
    let layer = IntegerLinear(weight: w)
    a.withUnsafeBufferPointer { ap in
        aScales.withUnsafeBufferPointer { sp in
            let one = timeRepeated(minTime: minTime, minReps: 3) {
                w.apply1(rows: m, codes: ap.baseAddress!, scales: sp.baseAddress!, y: y.pointer)
            }
            let all = timeRepeated(minTime: minTime, minReps: 3) {
                w.apply(rows: m, codes: ap.baseAddress!, ldc: k, scales: sp.baseAddress!, y: y.pointer, ldy: n)
            }
            let fwd = timeRepeated(minTime: minTime, minReps: 3) { _ = layer.forward(x) }
            let g1 = ops / one[0] / 1e9, gA = ops / all[0] / 1e9
            print(String(format: "  %5d  %5d  %5d | %7.1f (%7.1f)  %5.0f%% | %7.1f (%7.1f)  %5.0f%% | %7.1f", m, n, k,
                         g1, ops / median(one) / 1e9, peak1 > 0 ? 100 * g1 / peak1 : 0,
                         gA, ops / median(all) / 1e9, peakAll > 0 ? 100 * gA / peakAll : 0, ops / fwd[0] / 1e9))
        }
    }
}

extension Int8LinearWeight {
    /// One direct kernel call on this thread (all columns).
    func apply1(rows: Int, codes: UnsafePointer<Int8>, scales: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        let rc = self.scales.withUnsafeBufferPointer { ws in
            lb_igemm_dequant(rows, outFeatures, inFeatures, codes, inFeatures, scales,
                             packedPointer, ws.baseAddress, nil, y, outFeatures, 0, outFeatures)
        }
        precondition(rc == 0)
    }
}
