#if canImport(Glibc)
import Glibc
#endif

/// The device checks behind `lowbit cuda …`, as library calls taking parsed options. Each prints
/// its lines through `say` and returns how many checks failed; CUDA errors are thrown
/// (`CUDAError.notAvailable` when the driver or NVRTC cannot be loaded).
public enum CUDACheck {
    /// `compile`: every kernel unit through NVRTC into the kernel cache (`KernelCompiler`'s
    /// cache directory, so a cache made here can travel); no GPU needed. Lines
    /// "PASS compile NAME (BYTES bytes, S s)" / "FAIL compile NAME: …", then "N passed, M failed".
    public static func compile(arch: String, say: (String) -> Void) throws(CUDAError) -> Int {
        let compiler = KernelCompiler(arch: arch)
        let units = KernelSources.all()
        var failed = 0
        for unit in units {
            do {
                let t0 = clock()
                let cubin = try compiler.cubin(unit)
                say("PASS compile \(unit.name) (\(cubin.count) bytes, \(Double(clock() - t0) / Double(CLOCKS_PER_SEC)) s)")
            } catch {
                if case .notAvailable = error { throw error }
                failed += 1
                say("FAIL compile \(unit.name): \(error)")
            }
        }
        say("\(units.count - failed) passed, \(failed) failed")
        return failed
    }

    /// `info`: the device (name, compute capability, SMs, driver), NVRTC version, kernel cache.
    public static func info(say: (String) -> Void) throws(CUDAError) {
        let ctx = try CUDAContext.shared()
        let v = try CUDALibraries.nvrtcVersion()
        say("device: \(ctx.device)")
        say("NVRTC \(v.major).\(v.minor), kernel cache: \(ctx.compiler.cacheDirectory ?? "none")")
    }

    /// `selftest`: every kernel against its CPU reference (`CUDASelfTest`), a PASS/FAIL line
    /// per check, then "N passed, M failed".
    public static func selfTest(quick: Bool, only: Set<String>? = nil, say: @escaping (String) -> Void) throws(CUDAError) -> Int {
        let kernels = try CUDAKernels.shared()
        let d = kernels.context.device
        say("device: \(d.name), sm_\(d.major)\(d.minor), \(d.multiprocessors) SMs, driver \(d.driverVersion)")
        let test = CUDASelfTest(kernels: kernels)
        test.onResult = { say($0.line) }
        let results = test.runAll(quick: quick, only: only)
        let failed = results.filter { !$0.passed }.count
        say("\(results.count - failed) passed, \(failed) failed")
        return failed
    }

    /// `bench`: the named parts of `CUDABench` (`CUDABench.partNames`; empty: `defaultParts`).
    /// An unknown name prints "unknown bench part NAME" and counts as a failure.
    public static func bench(parts: [String], say: @escaping (String) -> Void) throws(CUDAError) -> Int {
        let bench = CUDABench(kernels: try CUDAKernels.shared())
        bench.print = say
        var unknown = 0
        for part in parts.isEmpty ? CUDABench.defaultParts : parts {
            guard try bench.run(part: part) else {
                say("unknown bench part \(part)")
                unknown += 1
                continue
            }
        }
        return unknown
    }

    /// `encoder-bench`'s options: models "bert-base", "bert-large" (random weights) or paths.
    public struct EncoderBenchOptions: Sendable {
        public var models: [String], batches: [Int], seqs: [Int], recipes: [EncoderRecipe]
        public var tuneFloor: EncoderRecipe?, tuneCache: String?
        public var backend: GemmBackendPolicy
        /// nil: the encoder's default.
        public var fp8Accumulation: FP8Accumulation?

        public init(models: [String] = ["bert-base", "bert-large"], batches: [Int] = [1, 2, 4, 8, 16, 32, 64, 128],
                    seqs: [Int] = [128, 256], recipes: [EncoderRecipe] = [.fp16, .w8a8, .fp8, .w4a8],
                    tuneFloor: EncoderRecipe? = nil, tuneCache: String? = nil, backend: GemmBackendPolicy = .auto,
                    fp8Accumulation: FP8Accumulation? = nil) {
            self.models = models; self.batches = batches; self.seqs = seqs; self.recipes = recipes
            self.tuneFloor = tuneFloor; self.tuneCache = tuneCache; self.backend = backend; self.fp8Accumulation = fp8Accumulation
        }
    }

    /// `encoder-bench`: the encoder grid (`CUDAEncoderBench`), one line per measurement.
    public static func encoderBench(_ o: EncoderBenchOptions, say: @escaping (String) -> Void) throws {
        let kernels = try CUDAKernels.shared()
        kernels.backendPolicy = o.backend
        let bench = CUDAEncoderBench(kernels: kernels)
        bench.print = say
        try bench.run(models: o.models, batches: o.batches, seqs: o.seqs, recipes: o.recipes, tuneFloor: o.tuneFloor,
                      tuneCache: o.tuneCache, fp8Accumulation: o.fp8Accumulation)
    }

    /// `encoder-pack` (CPU): the GPU weights pack and CPU references (`CUDAEncoderAgreement.pack`).
    /// modelDir nil: a random-weights 2-layer BERT (vocabulary 2048; real models keep 8192 rows).
    public static func encoderPack(modelDir: String?, quantizedDir: String?, outDir: String, say: (String) -> Void) throws {
        try CUDAEncoderAgreement.pack(modelDir: modelDir, quantizedDir: quantizedDir, outDir: outDir,
                                      vocabRows: modelDir == nil ? 2048 : 8192, log: say)
    }

    /// `encoder-agree`: GPU vs the pack's CPU references, PASS/FAIL lines, then
    /// "encoder-agree: all passed" or "encoder-agree: N failed".
    public static func encoderAgree(packDir: String, backend: GemmBackendPolicy?, say: (String) -> Void) throws -> Int {
        let kernels = try CUDAKernels.shared()
        if let backend { kernels.backendPolicy = backend }
        let failed = try CUDAEncoderAgreement.agree(packDir: packDir, kernels: kernels, log: say)
        say(failed == 0 ? "encoder-agree: all passed" : "encoder-agree: \(failed) failed")
        return failed
    }
}
