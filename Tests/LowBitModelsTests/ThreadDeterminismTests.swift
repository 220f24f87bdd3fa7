import Foundation
import LowBitCore
import LowBitModels
import LowBitQuant
import Testing
import LowBitTestSupport

/// Results do not depend on LOWBIT_THREADS: this process's outputs are compared bit for bit
/// with those of child runs of the same test binary under LOWBIT_THREADS=1 and 3.
@Suite struct ThreadDeterminismTests {
    static let outputVariable = "LOWBIT_MODELS_DIGEST_OUT"

    /// FNV-1a over the bits of MiniLM embeddings, GPT-2 and SmolLM2 logits (full and cached), and
    /// W8A8 / W4A8 / W4A16 / W8A16 layers on the integer kernels and simulated.
    static func digests() throws -> [String: String] {
        func fnv(_ values: [Float]) -> String {
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for v in values { h = (h ^ UInt64(v.bitPattern)) &* 0x100_0000_01b3 }
            return String(h, radix: 16)
        }
        let mini = try MiniLMFixture.load()
        var out = ["minilm": fnv(try Models.embedder.embed(ids: mini.ids).flatMap { $0 })]
        for (name, model, file) in [("gpt2", Models.gpt2, "gpt2.json"), ("smollm2", Models.smolLM, "smollm2.json")] {
            let ids = try DecoderFixture.load(file).ids
            out[name] = fnv(try model.logits(tokens: ids, cache: nil).toArray())
            let cache = model.makeCache()
            var cached: [Float] = try model.lastLogits(tokens: Array(ids.prefix(8)), cache: cache)
            for t in ids[8..<12] { cached += try model.lastLogits(tokens: [t], cache: cache) }
            out[name + "-cached"] = fnv(cached)
        }
        // Integer kernels (split over output columns) and the simulated code-domain GEMM.
        let schemes: [(String, QuantScheme, ActivationQuantizer)] = [
            ("w8a8", QuantScheme(bits: .int8, granularity: .perChannel), .dynamicPerToken(bits: .int8)),
            ("w4a8", .groupwise(.int4, groupSize: 128), .dynamicPerToken(bits: .int8)),
            ("w4a16", .groupwise(.int4, groupSize: 128), .none),
            ("w8a16", QuantScheme(bits: .int8, granularity: .perChannel), .none)]  // the int8 LM head
        for (name, scheme, input) in schemes {
            let sim = try IntegerLinearTests.simulated(n: 200, k: 1024, seed: 5, scheme: scheme, input: input)
            var g = IntegerLinearTests.Gen(s: 9)
            for m in [1, 37] {
                let x = Tensor(shape: [m, 1024], values: (0..<(m * 1024)).map { _ in g.float() })
                let op: (any LinearOp)? = IntegerLinear.make(from: sim) ?? WeightOnlyLinear.make(from: sim)
                out["\(name)-\(m)-integer"] = fnv(try #require(op).forward(x).toArray())
                out["\(name)-\(m)-simulated"] = fnv(sim.forward(x).toArray())
            }
        }
        return out
    }

    /// Runs only inside the child processes started below.
    @Test(.enabled(if: ProcessInfo.processInfo.environment[outputVariable] != nil))
    func childWritesDigests() throws {
        let path = ProcessInfo.processInfo.environment[Self.outputVariable]!
        try JSONEncoder().encode(try Self.digests()).write(to: URL(fileURLWithPath: path))
    }

    #if os(Linux)
    @Test(.enabled(if: ProcessInfo.processInfo.environment[outputVariable] == nil))
    func sameBitsForAnyThreadCount() throws {
        let here = try Self.digests()
        for threads in [1, 3] where threads != Parallel.threads {
            let (status, output) = try runTestInChildProcess("ThreadDeterminismTests/childWritesDigests",
                                                             environment: ["LOWBIT_THREADS": String(threads)],
                                                             outputVariable: Self.outputVariable)
            #expect(status == 0, "child run with LOWBIT_THREADS=\(threads) failed")
            let child = try JSONDecoder().decode([String: String].self, from: try #require(output))
            #expect(child == here, "LOWBIT_THREADS=\(threads) vs \(Parallel.threads)")
        }
    }
    #endif
}
