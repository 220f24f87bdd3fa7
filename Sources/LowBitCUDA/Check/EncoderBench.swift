#if canImport(Glibc)
import Glibc
#endif
import LowBitCore

/// End-to-end encoder timings (`CUDAEncoderBenchmark.run`) printed one line per measurement:
///
///     encoder model=bert-base batch=8 seq=128 recipe=int8 ms=1.234
///     encoder model=bert-base batch=8 seq=128 recipe=tuned floor=int8 best=int8/int8/fp16/int8 ms=…
///     backend shape=int8|M1024|N2304|K768|- choice=cublasLt own_us=… lt_us=…
public final class CUDAEncoderBench {
    public let kernels: CUDAKernels
    public var print: (String) -> Void = { Swift.print($0) }

    public init(kernels: CUDAKernels) { self.kernels = kernels }

    /// models: "bert-base", "bert-large" (random weights) or paths.
    public func run(models: [String], batches: [Int], seqs: [Int], recipes: [EncoderRecipe],
                    tuneFloor: EncoderRecipe?, tuneCache: String?, fp8Accumulation: FP8Accumulation? = nil) throws {
        for model in models {
            let t0 = DispatchTimer()
            print("## encoder \(model), \(kernels.context.device.name), GEMM backend \(kernels.backendPolicy.rawValue)"
                  + (fp8Accumulation.map { ", FP8 accumulation \($0.rawValue)" } ?? ""))
            let result = try CUDAEncoderBenchmark.run(
                model: model, batches: batches, seqs: seqs, recipes: recipes, policy: kernels.backendPolicy,
                tuneFloor: tuneFloor, tuneCache: tuneCache, fp8Accumulation: fp8Accumulation, kernels: kernels) { row in
                    self.print(Self.line(model: model, row: row, tuneFloor: tuneFloor))
                }
            Self.backendLines(result).forEach(print)
            print("# \(model): \(t0.format())")
        }
    }
}

extension CUDAEncoderBench {
    /// A row as its log line ("encoder model=NAME batch=… seq=… recipe=… ms=…"; the tuned row
    /// "recipe=tuned floor=F best=CHOICE"); NAME is the model path's last component.
    public static func line(model: String, row: CUDAEncoderBenchmark.Row, tuneFloor: EncoderRecipe?) -> String {
        let name = model.split(separator: "/").last.map(String.init) ?? model
        let head = "encoder model=\(name) batch=\(row.batch) seq=\(row.seq)"
        if row.tuned { return "\(head) recipe=tuned floor=\(tuneFloor.map(\.description) ?? "?") best=\(row.recipe) ms=\(format3(row.ms))" }
        return "\(head) recipe=\(row.recipe) ms=\(format3(row.ms))"
    }

    /// The automatic backend's choices, one "backend shape=KEY choice=… own_us=… wgmma_us=… lt_us=…" line each,
    /// then the timed attention tiles, one "attention shape=KEY choice=TILE TILE_us=…" line each.
    public static func backendLines(_ result: CUDAEncoderBenchmark.Result) -> [String] {
        result.backendChoices.sorted(by: { $0.key < $1.key }).map { key, c in
            let own = c.ownMicros.map(format3) ?? "-", lt = c.ltMicros.map(format3) ?? "-", wg = c.wgmmaMicros.map(format3) ?? "-"
            return "backend shape=\(key) choice=\(c.backend) own_us=\(own) wgmma_us=\(wg)\(c.wgmmaConfig.map { " wgmma_tile=\($0)" } ?? "") lt_us=\(lt)\(c.ltError.map { " lt_error=\($0)" } ?? "")"
        } + result.attentionTiles.sorted(by: { $0.key < $1.key }).map { key, c in
            "attention shape=\(key) choice=\(c.tile.rawValue) " + AttentionTile.allCases.compactMap { t in
                c.micros[t].map { "\(t.rawValue)_us=\(format3($0))" }
            }.joined(separator: " ")
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
