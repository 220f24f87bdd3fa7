import ArgumentParser
import Foundation
import LowBitCUDA

/// `lowbit cuda …`: the CUDA backend's device checks (`CUDACheck` in LowBitCUDA) — self-test,
/// kernel bench, NVRTC compile, device info, and the encoder grid / pack / agreement.
/// Exit status: 0 all passed; 1 a check failed (or another error); 2 CUDA not available (the
/// message on stderr); 64 bad arguments.
struct CUDACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cuda",
        abstract: "CUDA backend checks: self-test, kernel bench, NVRTC compile, device info, encoder grid, pack and agreement.",
        discussion: "Exit status: 0 all passed; 1 a check failed; 2 CUDA not available (message on stderr); 64 bad arguments.",
        subcommands: [SelfTest.self, Bench.self, Compile.self, Info.self, EncoderBench.self, EncoderProfile.self, EncoderPack.self, EncoderAgree.self])

    /// print, then flush (output is read through a pipe on the device machine).
    static func say(_ s: String) { print(s); fflush(nil) }

    /// Runs a check whose result is its failure count: failures → exit 1; a CUDA error goes to
    /// stderr with exit 2 when CUDA is not available, else 1; other errors to stderr, exit 1.
    static func check(_ body: () throws -> Int) throws {
        let failed: Int
        do { failed = try body() } catch let e as CUDAError {
            FileHandle.standardError.write(Data("\(e)\n".utf8))
            if case .notAvailable = e { throw ExitCode(2) }
            throw ExitCode(1)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(1)
        }
        if failed > 0 { throw ExitCode(1) }
    }

    struct SelfTest: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "selftest", abstract: "Every kernel against its CPU reference: a PASS/FAIL line per check, then 'N passed, M failed'.")
        @Flag(help: "Fewer shapes.") var quick = false
        @Option(help: "Only these check groups, comma-separated (\(CUDASelfTest.groups.joined(separator: ", "))).")
        var only: String?
        @Option(help: "Every check group but these, comma-separated.")
        var skip: String?
        /// The groups named in `list`; an unknown name is a usage error, so that a typo never
        /// passes as zero checks run.
        static func groups(_ list: String, option: String) throws -> Set<String> {
            let names = list.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            if let bad = names.first(where: { !CUDASelfTest.groups.contains($0) }) {
                throw ValidationError("--\(option): no check group '\(bad)' (groups: \(CUDASelfTest.groups.joined(separator: ", ")))")
            }
            return Set(names)
        }
        /// The groups to run (nil: all), from --only or --skip.
        func selectedGroups() throws -> Set<String>? {
            if only != nil && skip != nil { throw ValidationError("--only and --skip: give one of them") }
            if let skip { return Set(CUDASelfTest.groups).subtracting(try Self.groups(skip, option: "skip")) }
            return try only.map { try Self.groups($0, option: "only") }
        }
        func validate() throws { _ = try selectedGroups() }   // usage errors before CUDA is touched
        func run() throws {
            let groups = try selectedGroups()
            try CUDACommand.check { try CUDACheck.selfTest(quick: quick, only: groups, say: CUDACommand.say) }
        }
    }

    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bench", abstract: "Kernel timings: GEMM TOPS and % of peak, attention, row kernels, graph replay.",
            discussion: "Parts: \(CUDABench.partNames.joined(separator: ", ")); default: \(CUDABench.defaultParts.joined(separator: " ")).")
        @Argument(help: "Parts to run, in order.") var parts: [String] = []
        func validate() throws {
            if let bad = parts.first(where: { !CUDABench.partNames.contains($0) }) {
                throw ValidationError("unknown bench part '\(bad)'; parts: \(CUDABench.partNames.joined(separator: ", "))")
            }
        }
        func run() throws { try CUDACommand.check { try CUDACheck.bench(parts: parts, say: CUDACommand.say) } }
    }

    struct Compile: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "compile",
            abstract: "Compile every kernel unit with NVRTC into the kernel cache (no GPU needed; $LOWBIT_NVRTC, $LOWBIT_CUDA_CACHE).")
        @Option(help: "Target architecture.") var arch = "sm_90"
        func run() throws { try CUDACommand.check { try CUDACheck.compile(arch: arch, say: CUDACommand.say) } }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "info", abstract: "Device, NVRTC version and kernel cache.")
        func run() throws { try CUDACommand.check { try CUDACheck.info(say: CUDACommand.say); return 0 } }
    }
}
