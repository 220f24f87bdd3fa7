import Foundation
import Testing

/// `lowbit cuda …` and `lowbit bench … --device cuda` as a user runs them. On a machine without
/// an NVIDIA driver the GPU commands end with exit 2 (`cuda …`) or 1 (`bench`) and one line
/// naming what is missing; argument mistakes end with 64 and a message, before CUDA is touched.
@Suite(.serialized)
struct CUDACommandTests {
    /// The NVRTC library LOWBIT_NVRTC names, if it exists (as NVRTCCompileTests are gated).
    static let nvrtc: String? = ProcessInfo.processInfo.environment["LOWBIT_NVRTC"].flatMap {
        FileManager.default.fileExists(atPath: $0) ? $0 : nil
    }

    @Test func infoWithoutGPU() throws {
        let r = try CLI.run(["cuda", "info"])
        if r.status == 0 {
            #expect(r.stdout.hasPrefix("device: "), "\(r.stdout)")
        } else {
            #expect(r.status == 2, "\(r.stderr)")
            #expect(r.stderr.hasPrefix("CUDA not available: driver (libcuda.so.1) could not be loaded"), "\(r.stderr)")
            #expect(r.stdout.isEmpty)
        }
    }

    /// The per-stage profile without a GPU: exit 2 and the missing driver named; with one, stage lines.
    @Test func encoderProfileWithoutGPU() throws {
        let r = try CLI.run(["cuda", "encoder-profile", "--batches", "2", "--seqs", "16", "--recipes", "int8"])
        if r.status == 0 {
            #expect(r.stdout.contains("stage=gelu-quantize") && r.stdout.contains("graph_ms="), "\(r.stdout)")
        } else {
            #expect(r.status == 2 && r.stderr.contains("CUDA not available"), "\(r.stderr)")
        }
    }

    @Test func selfTestWithoutGPU() throws {
        let r = try CLI.run(["cuda", "selftest", "--quick"])
        guard r.status != 0 else { return }   // a GPU: the self-test ran (and passed)
        #expect(r.status == 2 && r.stderr.contains("CUDA not available"), "\(r.stderr)")
    }

    /// Check groups are names from `CUDASelfTest.groups`: a typo is a usage error (64, before CUDA
    /// is touched), never a run of zero checks; --only and --skip exclude each other.
    @Test(arguments: [
        (["--only", "gemm-wgmma,atention"], "--only: no check group 'atention' (groups: runtime, rows,"),
        (["--skip", "ln"], "--skip: no check group 'ln' (groups: runtime, rows,"),
        (["--only", "rows", "--skip", "gemm"], "--only and --skip: give one of them"),
    ])
    func selfTestRefusesUnknownGroups(args: [String], message: String) throws {
        let r = try CLI.run(["cuda", "selftest"] + args)
        #expect(r.status == 64, "\(r.status) \(r.stderr)")
        #expect(r.stderr.contains(message), "\(r.stderr)")
    }

    /// bert-base with random weights runs only on the GPU; without one, a clear failure, not a crash.
    @Test func benchBertBase() throws {
        let r = try CLI.run(["bench", "bert-base", "--device", "cuda", "--batch", "1,2", "--seq", "16",
                             "--recipes", "fp16,int8,tuned", "--backend", "own", "--json"])
        if r.status == 0 {
            let json = try #require(r.json, "stdout is one JSON object: \(r.stdout)")
            let rows = try #require(json["rows"] as? [[String: Any]])
            #expect(rows.count == 2 * 3, "2 batches × (fp16, int8, tuned)")
            #expect(rows.filter { $0["tuned"] as? Bool == true }.count == 2)
            #expect(json["tune_floor"] as? String == "int8" && json["gemm_backend_policy"] as? String == "own")
        } else {
            #expect(r.status == 1, "an error exit, not a signal: \(r.status)")
            #expect(r.stderr.contains("CUDA not available"), "\(r.stderr)")
            #expect(r.stdout.isEmpty)
        }
        let cpu = try CLI.run(["bench", "bert-base"])
        #expect(cpu.status == 1 && cpu.stderr.contains("random weights run with --device cuda"), "\(cpu.stderr)")
    }

    @Test(arguments: [
        (["bench", "bert-base", "--device", "cuda", "--recipes", "fp16,int3"], "--recipes: unknown recipe 'int3'"),
        (["bench", "bert-base", "--device", "cuda", "--recipes", "fp16,,int8"], "--recipes: 'fp16,,int8' has an empty item"),
        (["bench", "bert-base", "--device", "cuda", "--tune-floor", "int2"], "--tune-floor: unknown recipe 'int2'"),
        (["bench", "bert-base", "--device", "cuda", "--batch", "1,x"], "--batch: 'x' in '1,x' is not an integer"),
        (["bench", "bert-base", "--device", "cuda", "--batch", "1,0"], "--batch must be at least 1, got 0"),
        (["bench", "bert-base", "--device", "cuda", "--seq", "128,2"], "--seq must be at least 3"),
        (["bench", "bert-base", "--device", "cuda", "--backend", "fast"], "'fast' is invalid for '--backend"),
        (["bench", "bert-base", "--batch", "1,2"], "lists of --batch / --seq values run with --device cuda"),
        (["bench", "bert-base", "--recipes", "int8"], "--recipes is a --device cuda option"),
        (["cuda", "bench", "gemm", "nosuchpart"], "unknown bench part 'nosuchpart'; parts: gemm"),
        (["cuda", "encoder-bench", "--seqs", "128,abc"], "--seqs: 'abc' in '128,abc' is not an integer"),
        (["cuda", "encoder-bench", "--recipes", "fp16,int9"], "--recipes: unknown recipe 'int9'"),
        (["cuda", "encoder-profile", "--recipes", "int8,tuned"], "--recipes: name recipes to profile; 'tuned' is not one"),
        (["cuda", "encoder-profile", "--batches", "0"], "--batches must be at least 1, got 0"),
        (["cuda", "encoder-pack", "/tmp/only-one"], "give MODEL_DIR OUT_DIR, or --random OUT_DIR"),
        (["cuda", "encoder-agree"], "Missing expected argument '<pack>'"),
    ] as [([String], String)])
    func badArguments(args: [String], message: String) throws {
        let r = try CLI.run(args)
        #expect(r.status == 64, "\(args): \(r.stderr)")
        #expect(r.stderr.contains(message), "\(args): \(r.stderr)")
        #expect(r.stdout.isEmpty)
    }

    /// Every kernel unit compiles for sm_90 into a fresh cache; an unknown architecture fails
    /// every unit with exit 1. Needs NVRTC only (LOWBIT_NVRTC), no GPU.
    @Test(.enabled(if: nvrtc != nil, "NVRTC not found (set LOWBIT_NVRTC to a libnvrtc.so)"))
    func compile() throws {
        let cache = CLI.temporaryPath("cuda-cache")
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let r = try CLI.run(["cuda", "compile", "--arch", "sm_90"], environment: ["LOWBIT_CUDA_CACHE": cache])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        let passed = lines.filter { $0.hasPrefix("PASS compile ") }.count
        #expect(passed > 0 && lines.last == "\(passed) passed, 0 failed", "\(r.stdout)")
        let cubins = try FileManager.default.contentsOfDirectory(atPath: cache).filter { $0.hasSuffix(".cubin") }
        #expect(cubins.count == passed, "one cached CUBIN per unit")

        let bad = try CLI.run(["cuda", "compile", "--arch", "sm_1"], environment: ["LOWBIT_CUDA_CACHE": cache])
        #expect(bad.status == 1)
        #expect(bad.stdout.split(separator: "\n").last == "0 passed, \(passed) failed", "\(bad.stdout)")
    }

    @Test func compileWithoutNVRTC() throws {
        let r = try CLI.run(["cuda", "compile"], environment: ["LOWBIT_NVRTC": "/nonexistent/libnvrtc.so"])
        guard r.status != 0 else { return }   // NVRTC found elsewhere (a CUDA install)
        #expect(r.status == 2 && r.stderr.hasPrefix("CUDA not available: NVRTC"), "\(r.stderr)")
    }
}
