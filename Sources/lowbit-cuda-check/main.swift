// lowbit-cuda-check: runs the CUDA kernels against their CPU references and times them.
//
//   lowbit-cuda-check selftest [--quick] [--only gemm,gemm-wgmma,…]   PASS/FAIL line per check, then "N passed, M failed"
//   lowbit-cuda-check bench [gemm|fp8|w4a8|large|lt|wgmma|attention|rows|graphs]...   (default: all but large, lt)
//   lowbit-cuda-check compile [--arch sm_90]  compile every kernel variant with NVRTC into the kernel
//                                          cache (no GPU needed)
//   lowbit-cuda-check info                 device and library versions
//   lowbit-cuda-check encoder-bench [--models bert-base,bert-large,PATH] [--batches 1,2,…] [--seqs 128,256]
//                     [--recipes fp16,int8,fp8,w4a8] [--tune-floor int8] [--tune-cache FILE]
//                     [--backend own|cublasLt|auto]   (GEMM backend; auto: the faster per shape, default)
//                                          BERT forward passes (random weights) as CUDA graphs, ms per batch
//   lowbit-cuda-check encoder-pack MODEL_DIR|--random OUT_DIR [--quantized QUANT_DIR]
//                                          (CPU) GPU weights pack (+ the quantized directory's W8A8 codes)
//                                          and CPU reference embeddings / per-layer states
//   lowbit-cuda-check encoder-agree PACK_DIR [--backend own|cublasLt|auto]   GPU vs CPU, PASS/FAIL
//
// Exit status: 0 all passed; 1 a check failed; 2 CUDA not available (message on stderr).
#if canImport(Glibc)
import Glibc
#endif
import LowBitCUDA

/// Writes to standard error (fd 2).
func eprint(_ s: String) { (s + "\n").withCString { _ = write(2, $0, strlen($0)) } }

/// print, then flush (output is read through a pipe on the device machine).
func say(_ s: String) { print(s); fflush(nil) }

func fail(_ e: CUDAError) -> Never {
    eprint("\(e)")
    if case .notAvailable = e { exit(2) }
    exit(1)
}

var args = Array(CommandLine.arguments.dropFirst())
let mode = args.isEmpty ? "selftest" : args.removeFirst()

switch mode {
case "compile":
    let arch = args.firstIndex(of: "--arch").map { args[$0 + 1] } ?? "sm_90"
    // Compiles through the cache ($LOWBIT_CUDA_CACHE, …), so a cache made here can travel.
    let compiler = KernelCompiler(arch: arch)
    var failed = 0
    for unit in KernelSources.all() {
        do {
            let t0 = clock()
            let cubin = try compiler.cubin(source: unit.source, name: unit.name, options: unit.options)
            say("PASS compile \(unit.name) (\(cubin.count) bytes, \(Double(clock() - t0) / Double(CLOCKS_PER_SEC)) s)")
        } catch {
            failed += 1
            say("FAIL compile \(unit.name): \(error)")
            if case .notAvailable = error { fail(error) }
        }
    }
    print("\(KernelSources.all().count - failed) passed, \(failed) failed")
    exit(failed == 0 ? 0 : 1)
case "info":
    do {
        let ctx = try CUDAContext.shared()
        let v = try CUDALibraries.nvrtcVersion()
        print("device: \(ctx.device)")
        print("NVRTC \(v.major).\(v.minor), kernel cache: \(ctx.compiler.cacheDirectory ?? "none")")
    } catch { fail(error) }
case "selftest":
    do {
        let kernels = try CUDAKernels.shared()
        let d = kernels.context.device
        print("device: \(d.name), sm_\(d.major)\(d.minor), \(d.multiprocessors) SMs, driver \(d.driverVersion)")
        let test = CUDASelfTest(kernels: kernels)
        test.onResult = { say($0.line) }
        let only = args.firstIndex(of: "--only").map { Set(args[$0 + 1].split(separator: ",").map(String.init)) }
        let results = test.runAll(quick: args.contains("--quick"), only: only)
        let failed = results.filter { !$0.passed }.count
        print("\(results.count - failed) passed, \(failed) failed")
        exit(failed == 0 ? 0 : 1)
    } catch { fail(error) }
case "bench":
    do {
        let bench = CUDABench(kernels: try CUDAKernels.shared())
        bench.print = say
        let parts = args.isEmpty ? ["gemm", "fp8", "w4a8", "attention", "rows", "graphs"] : args
        for p in parts {
            switch p {
            case "gemm": try bench.gemm(kind: .int8)
            case "fp8": try bench.gemm(kind: .fp8e4m3)
            case "w4a8": try bench.gemm(kind: .w4a8)
            case "large":
                for kind in GemmKind.allCases { try bench.gemm(kind: kind, shapes: CUDABench.bertLargeShapes) }
            case "attention": try bench.attention()
            case "rows": try bench.rows()
            case "graphs": try bench.graphs()
            case "lt": try bench.gemmLt()
            case "wgmma": try bench.gemmWgmma()
            default: print("unknown bench part \(p)")
            }
        }
    } catch { fail(error) }
case "bench-f16":
    do {
        let bench = CUDABench(kernels: try CUDAKernels.shared())
        bench.print = say
        try bench.gemmF16()
    } catch { fail(error) }
case "encoder-bench":
    func opt(_ name: String) -> String? { args.firstIndex(of: name).flatMap { $0 + 1 < args.count ? args[$0 + 1] : nil } }
    func ints(_ name: String, _ d: [Int]) -> [Int] { opt(name).map { $0.split(separator: ",").compactMap { Int($0) } } ?? d }
    let models = (opt("--models") ?? "bert-base,bert-large").split(separator: ",").map(String.init)
    let recipes = (opt("--recipes") ?? "fp16,int8,fp8,w4a8").split(separator: ",").compactMap { EncoderRecipe(String($0)) }
    let floor = opt("--tune-floor").flatMap { EncoderRecipe($0) }
    guard let policy = GemmBackendPolicy(rawValue: opt("--backend") ?? "auto") else {
        eprint("--backend must be one of \(GemmBackendPolicy.allCases.map(\.rawValue))"); exit(64)
    }
    do {
        let kernels = try CUDAKernels.shared()
        kernels.backendPolicy = policy
        let bench = CUDAEncoderBench(kernels: kernels)
        bench.print = say
        try bench.run(models: models, batches: ints("--batches", [1, 2, 4, 8, 16, 32, 64, 128]), seqs: ints("--seqs", [128, 256]),
                      recipes: recipes, tuneFloor: floor, tuneCache: opt("--tune-cache"))
    } catch let e as CUDAError { fail(e) } catch { eprint("\(error)"); exit(1) }
case "encoder-pack":
    guard args.count >= 2 else {
        eprint("usage: lowbit-cuda-check encoder-pack MODEL_DIR|--random OUT_DIR [--quantized QUANT_DIR]"); exit(64)
    }
    do {
        let random = args[0] == "--random"
        let quantized = args.firstIndex(of: "--quantized").flatMap { $0 + 1 < args.count ? args[$0 + 1] : nil }
        try CUDAEncoderAgreement.pack(modelDir: random ? nil : args[0], quantizedDir: quantized, outDir: args[1],
                                      vocabRows: random ? 2048 : 8192, log: say)
    } catch { eprint("\(error)"); exit(1) }
case "encoder-agree":
    guard args.count >= 1 else { eprint("usage: lowbit-cuda-check encoder-agree PACK_DIR [--backend own|cublasLt|auto]"); exit(64) }
    do {
        let kernels = try CUDAKernels.shared()
        if let i = args.firstIndex(of: "--backend"), i + 1 < args.count {
            guard let p = GemmBackendPolicy(rawValue: args[i + 1]) else { eprint("unknown --backend \(args[i + 1])"); exit(64) }
            kernels.backendPolicy = p
        }
        let failed = try CUDAEncoderAgreement.agree(packDir: args[0], kernels: kernels, log: say)
        say(failed == 0 ? "encoder-agree: all passed" : "encoder-agree: \(failed) failed")
        exit(failed == 0 ? 0 : 1)
    } catch let e as CUDAError { fail(e) } catch { eprint("\(error)"); exit(1) }
default:
    eprint("usage: lowbit-cuda-check [selftest [--quick] | bench [parts] | bench-f16 | compile [--arch sm_90] | info | encoder-bench [options] | encoder-pack MODEL OUT | encoder-agree PACK]")
    exit(64)
}
