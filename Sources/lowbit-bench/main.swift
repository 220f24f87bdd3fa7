import CLowBitKernels
import Foundation
import LowBitCore

// lowbit-bench: measures the machine's FP32 FMA peak, then SGEMM throughput on transformer
// linear-layer shapes as GFLOP/s and fraction of that peak, on one thread and on all threads.
//
//   lowbit-bench [--json] [--quick] [--shape M,N,K]
//   lowbit-bench minilm [MODEL_DIR] [--batch B] [--tokens T] [--json]   (see ModelBench.swift)
//   lowbit-bench decode [MODEL] [--prompt P] [--tokens N]                (see ModelBench.swift)
//   lowbit-bench igemm [--quick]                  INT8 GEMM GOP/s vs VNNI peak (see IGemmBench.swift)
//   lowbit-bench parallel [--json]                dispatch overhead and read bandwidth (ParallelBench.swift)
//     --json         print one JSON object instead of the table (nothing else on stdout)
//     --quick        shorter timing runs (noisier numbers)
//     --shape M,N,K  time this SGEMM shape only (instead of the sweep)
// Threads: LOWBIT_THREADS, else all online cores. A full run takes about 15–25 s.

func fail(_ message: String) -> Never {
    FileHandle.standardError.write("lowbit-bench: \(message)\n".data(using: .utf8)!)
    exit(2)
}

var argv = Array(CommandLine.arguments.dropFirst())
if argv.first == "minilm" { runModelBench(Array(argv.dropFirst())); exit(0) }
if argv.first == "decode" { runDecodeBench(Array(argv.dropFirst())); exit(0) }
if argv.first == "igemm" { runIGemmBench(Array(argv.dropFirst())); exit(0) }
if argv.first == "parallel" { runParallelBench(Array(argv.dropFirst())); exit(0) }
var shapes = gemmShapes
if let i = argv.firstIndex(of: "--shape") {
    guard i + 1 < argv.count else { fail("--shape needs M,N,K") }
    let dims = argv[i + 1].split(separator: ",").compactMap { Int($0) }
    guard dims.count == 3, dims.allSatisfy({ $0 > 0 }) else { fail("--shape needs three positive integers M,N,K") }
    shapes = [(dims[0], dims[1], dims[2])]
    argv.removeSubrange(i...(i + 1))
}
let args = Set(argv)
if args.contains("--help") || args.contains("-h") {
    print("usage: lowbit-bench [--json] [--quick] [--shape M,N,K] | minilm [DIR] [--batch B] [--tokens T] [--json] | decode [MODEL] [--prompt P] [--tokens N]   (threads: LOWBIT_THREADS, default all cores)")
    exit(0)
}
let unknown = args.subtracting(["--json", "--quick"])
if !unknown.isEmpty { fail("unknown argument(s) \(unknown.sorted().joined(separator: " "))") }
let json = args.contains("--json")
let minTime = args.contains("--quick") ? 0.1 : 0.4

struct Report: Codable {
    var isa: String
    var cpuFeatures: UInt32
    var threads: Int
    var peakMethod: String
    var peak: PeakResult
    var gemm: [GemmResult]
    var kernels: [KernelResult]
}

let threads = Parallel.threads
let method = "10 independent FMA chains on the widest vector registers per thread, 2 flop/lane/FMA; "
    + "1 thread, then all threads at once; best of 3 runs of ~0.3 s"
if !json {
    print("lowbit-bench: FP32 kernels, level \(String(cString: lb_isa_name(lb_isa_best()))), "
          + "features 0x\(String(lb_cpu_features(), radix: 16)), \(threads) thread(s)")
    print("Peak: \(method)")
}
let peak = measurePeak(threads: threads)
if !json {
    print(String(format: "  1 thread : %7.1f GFLOP/s (%d-lane FMA)", peak.gflopsOneThread, peak.lanes))
    print(String(format: "  %d threads: %7.1f GFLOP/s", threads, peak.gflopsAllThreads))
    print("SGEMM y[M,N] = x[M,K]·W[N,K]ᵀ + b, W packed; GFLOP/s of the best call (median in brackets)")
    print("      M      N      K |   1 thread GFLOP/s   %peak |  \(threads) threads GFLOP/s   %peak")
}
var results: [GemmResult] = []
for (m, n, k) in shapes {
    let r = benchGemm(m: m, n: n, k: k, peak: peak, minTime: minTime)
    results.append(r)
    if !json {
        print(String(format: "  %5d  %5d  %5d | %7.1f (%7.1f)  %5.0f%% | %7.1f (%7.1f)  %5.0f%%", m, n, k, r.gflopsOneThread,
                     r.gflopsOneThreadMedian, 100 * r.fractionOfPeakOneThread, r.gflopsAllThreads,
                     r.gflopsAllThreadsMedian, 100 * r.fractionOfPeakAllThreads))
    }
}
let kernels = shapes.count == gemmShapes.count ? benchKernels(minTime: minTime / 2) : []
if !json && !kernels.isEmpty {
    print("Other kernels, \(threads) thread(s), best call, outputs preallocated")
    for r in kernels {
        print("  " + r.name.padding(toLength: 26, withPad: " ", startingAt: 0) + r.shape.padding(toLength: 24, withPad: " ", startingAt: 0)
              + String(format: "%8.1f ", r.value) + r.unit)
    }
}
if json {
    let report = Report(isa: String(cString: lb_isa_name(lb_isa_best())), cpuFeatures: lb_cpu_features(),
                        threads: threads, peakMethod: method, peak: peak, gemm: results, kernels: kernels)
    let enc = JSONEncoder()
    enc.outputFormatting = [.prettyPrinted, .sortedKeys]
    print(String(data: try! enc.encode(report), encoding: .utf8)!)
}
