// lowbit-cuda-check: runs the CUDA kernels against their CPU references and times them.
//
//   lowbit-cuda-check selftest [--quick]   PASS/FAIL line per check, then "N passed, M failed"
//   lowbit-cuda-check bench [gemm|fp8|w4a8|attention|rows|graphs]...   (default: all)
//   lowbit-cuda-check compile [--arch sm_90]  compile every kernel variant with NVRTC into the kernel
//                                          cache (no GPU needed)
//   lowbit-cuda-check info                 device and library versions
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
        let results = test.runAll(quick: args.contains("--quick"))
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
            case "attention": try bench.attention()
            case "rows": try bench.rows()
            case "graphs": try bench.graphs()
            default: print("unknown bench part \(p)")
            }
        }
    } catch { fail(error) }
default:
    eprint("usage: lowbit-cuda-check [selftest [--quick] | bench [parts] | compile [--arch sm_90] | info]")
    exit(64)
}
