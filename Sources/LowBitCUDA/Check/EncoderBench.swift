#if canImport(Glibc)
import Glibc
#endif
import LowBitCore

/// End-to-end encoder timings: BERT configs with random weights over a (batch, seq) grid, each
/// recipe as one CUDA graph replay (CUDA events, median of 7 samples ≥ 5 ms), plus the
/// autotuned recipe under a floor. Prints one line per measurement:
///
///     encoder model=bert-base batch=8 seq=128 recipe=int8 ms=1.234 [eager_ms=…]
///     encoder model=bert-base batch=8 seq=128 recipe=tuned floor=int8 best=int8/int8/fp16/int8 ms=… cached=0
public final class CUDAEncoderBench {
    public let kernels: CUDAKernels
    public var print: (String) -> Void = { Swift.print($0) }
    let timer: CUDABench

    public init(kernels: CUDAKernels) {
        self.kernels = kernels
        timer = CUDABench(kernels: kernels)
    }

    public func run(models: [EncoderConfig], batches: [Int], seqs: [Int], recipes: [EncoderRecipe],
                    tuneFloor: EncoderRecipe?, tuner: EncoderAutotuner?) throws {
        let device = kernels.context.device.name
        for config in models {
            let t0 = DispatchTimer()
            let encoder = try CUDAEncoder(weights: .random(config), kernels: kernels)
            print("## encoder \(config), random weights, \(device) (set-up \(t0.format()))")
            var rng = CUDAReference.RNG(seed: 11)
            for seq in seqs {
                for batch in batches {
                    try encoder.prepare(batch: batch, seq: seq)
                    try encoder.setInputs(ids: (0..<(batch * seq)).map { _ in Int32(rng.int(1000...(config.vocab - 1))) })
                    var measured: [EncoderRecipe: Double] = [:]
                    let measure = { (r: EncoderRecipe) throws(CUDAError) -> Double in
                        if let t = measured[r] { return t }
                        encoder.recipe = r
                        let graph = try encoder.captureGraph()
                        let t = try self.timer.time { () throws(CUDAError) in try graph.launch() } * 1000
                        measured[r] = t
                        return t
                    }
                    for r in recipes {
                        let t = try measure(r)
                        var line = "encoder model=\(config.name) batch=\(batch) seq=\(seq) recipe=\(r) ms=\(format3(t))"
                        if batch * seq <= 256 {
                            let eager = try timer.time { () throws(CUDAError) in try encoder.forward() } * 1000
                            line += " eager_ms=\(format3(eager))"
                        }
                        print(line)
                    }
                    if let floor = tuneFloor, let tuner {
                        let best = try tuner.best(model: config.name, device: device + "|gemm=\(kernels.backendPolicy.rawValue)",
                                                  batch: batch, seq: seq, floor: floor) {
                            try measure($0)
                        }
                        // A remembered choice is timed again in this run.
                        let ms = best.cached ? try measure(best.recipe) : best.ms
                        print("encoder model=\(config.name) batch=\(batch) seq=\(seq) recipe=tuned floor=\(floor) best=\(best.recipe) ms=\(format3(ms)) cached=\(best.cached ? 1 : 0)")
                    }
                }
            }
        }
        try tuner?.save()
        for (key, c) in kernels.gemmBackendChoices.sorted(by: { $0.key < $1.key }) {
            let own = c.ownMicros.map(format3) ?? "-", lt = c.ltMicros.map(format3) ?? "-"
            print("backend shape=\(key) choice=\(c.backend) own_us=\(own) lt_us=\(lt)\(c.ltError.map { " lt_error=\($0)" } ?? "")")
        }
    }
}

/// Wall-clock seconds since creation (set-up times in logs).
struct DispatchTimer {
    var start = timespec()
    init() { clock_gettime(CLOCK_MONOTONIC, &start) }
    func seconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec - start.tv_sec) + Double(now.tv_nsec - start.tv_nsec) / 1e9
    }
    func format() -> String { "\(format3(seconds())) s" }
}
