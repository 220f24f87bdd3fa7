import Foundation
import Testing

/// `lowbit bench` run as a user runs it: the built binary on MiniLM and GPT-2 with tiny shapes.
/// Checks the report's fields and their relations, never the timings' values.
@Suite(.serialized)
struct BenchCommandTests {
    /// The value at a dotted path of a JSON object ("encoder.latency.median_ms").
    func at(_ json: [String: Any]?, _ path: String) -> Any? {
        var node: Any? = json
        for key in path.split(separator: ".") { node = (node as? [String: Any])?[String(key)] }
        return node
    }
    func int(_ json: [String: Any]?, _ path: String) -> Int? { (at(json, path) as? NSNumber)?.intValue }
    func double(_ json: [String: Any]?, _ path: String) -> Double? { (at(json, path) as? NSNumber)?.doubleValue }

    /// Latency statistics ordered as they must be, with `samples` runs.
    func checkLatency(_ json: [String: Any]?, _ path: String, samples: Int) {
        #expect(int(json, path + ".samples") == samples)
        guard let lo = double(json, path + ".p10_ms"), let mid = double(json, path + ".median_ms"),
              let hi = double(json, path + ".p90_ms"), let min = double(json, path + ".min_ms") else {
            Issue.record("\(path): latency fields missing"); return
        }
        #expect(min > 0 && min <= lo && lo <= mid && mid <= hi)
    }

    /// Memory fields: the weight files' size exactly, a plausible resident set.
    func checkMemory(_ json: [String: Any]?, weights: Int) {
        #expect(int(json, "memory.weight_file_bytes") == weights)
        let rss = int(json, "memory.rss_after_load_bytes") ?? 0, peak = int(json, "memory.peak_rss_bytes") ?? 0
        #expect(rss > 0 && peak >= rss)
        #if os(Linux)
        #expect(rss > weights / 2, "the float weights are resident after loading")
        #endif
    }

    func fileSize(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as! NSNumber).intValue
    }

    @Test func encoderJSON() throws {
        let r = try CLI.run(["bench", TestPaths.miniLM, "--batch", "2", "--seq", "16", "--warmup", "0", "--repeats", "3",
                             "--threads", "1", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try #require(r.json, "stdout is one JSON object: \(r.stdout)")
        #expect(at(j, "kind") as? String == "encoder")
        #expect(at(j, "architecture") as? String == "bert")
        #expect(at(j, "engine") as? String == "simulated")
        #expect(at(j, "quantized") as? Bool == false)
        #expect(int(j, "threads") == 1)
        #expect(int(j, "warmup") == 0 && int(j, "repeats") == 3)
        #expect((at(j, "text") as? String)?.hasSuffix("lee50-docs.txt") == true, "the default text is the Lee-50 documents")
        #expect(at(j, "decoder") == nil)
        #expect(int(j, "encoder.batch") == 2 && int(j, "encoder.seq") == 16)
        checkLatency(j, "encoder.latency", samples: 3)
        let sentences = try #require(double(j, "encoder.sentences_per_second"))
        let tokens = try #require(double(j, "encoder.tokens_per_second"))
        let median = try #require(double(j, "encoder.latency.median_ms"))
        #expect(abs(sentences - 2e3 / median) <= 1e-9 * sentences, "throughput is at the median latency")
        #expect(abs(tokens - 16 * sentences) <= 1e-9 * tokens)
        #expect(int(j, "linear_sites.total") == 24 && int(j, "linear_sites.float") == 24)
        #expect(int(j, "linear_sites.integer") == 0 && int(j, "linear_sites.simulated") == 0)
        #expect(int(j, "linear_sites.by_op.FloatLinear") == 24)
        checkMemory(j, weights: try fileSize(TestPaths.miniLM + "/model.safetensors"))
    }

    @Test func decoderJSON() throws {
        let text = CLI.temporaryPath("text") + ".txt"
        try "In the beginning was the word.\n\nAnd the word was short, so it is read again.\n".write(toFile: text, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: text) }
        let r = try CLI.run(["bench", TestPaths.gpt2, "--prompt-tokens", "40", "--gen-tokens", "3", "--warmup", "0", "--repeats", "2",
                             "--text", text, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try #require(r.json, "stdout is one JSON object: \(r.stdout)")
        #expect(at(j, "kind") as? String == "decoder")
        #expect(at(j, "architecture") as? String == "gpt2")
        #expect(at(j, "text") as? String == text)
        #expect(at(j, "encoder") == nil)
        #expect(int(j, "decoder.prompt_tokens") == 40 && int(j, "decoder.gen_tokens") == 3)
        checkLatency(j, "decoder.prefill", samples: 2)
        checkLatency(j, "decoder.generation", samples: 2)
        let gen = try #require(double(j, "decoder.generation_tokens_per_second"))
        let median = try #require(double(j, "decoder.generation.median_ms"))
        #expect(abs(gen - 3e3 / median) <= 1e-9 * gen)
        #expect(abs((double(j, "decoder.generation_ms_per_token") ?? 0) - median / 3) <= 1e-9 * median)
        #expect(int(j, "linear_sites.float") == int(j, "linear_sites.total"))
        #expect(int(j, "linear_sites.total") == 6 * 4 + 1, "6 blocks × 4 sites + head")
        checkMemory(j, weights: try fileSize(TestPaths.gpt2 + "/model.safetensors"))
    }

    /// The same quantized directory counts as integer sites under --engine integer and as simulated
    /// ones under the default engine.
    @Test func quantizedDirectorySites() throws {
        let dir = CLI.temporaryPath("w8a8")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let q = try CLI.run(["quantize", TestPaths.miniLM, "--recipe", "w8a8", "--out", dir])
        try #require(q.status == 0, "\(q.stderr)")
        for engine in ["integer", "simulated"] {
            let r = try CLI.run(["bench", dir, "--batch", "1", "--seq", "8", "--warmup", "0", "--repeats", "1", "--engine", engine, "--json"])
            #expect(r.status == 0, "\(r.stderr)")
            let j = try #require(r.json)
            #expect(at(j, "quantized") as? Bool == true && at(j, "engine") as? String == engine)
            #expect(int(j, "linear_sites.total") == 24 && int(j, "linear_sites.float") == 0)
            #expect(int(j, engine == "integer" ? "linear_sites.integer" : "linear_sites.simulated") == 24, "\(j["linear_sites"] ?? "")")
            #expect(int(j, "memory.weight_file_bytes") == (try fileSize(dir + "/model.safetensors")))
        }
    }

    @Test func humanTable() throws {
        let r = try CLI.run(["bench", TestPaths.miniLM, "--batch", "1", "--seq", "8", "--warmup", "0", "--repeats", "1"])
        #expect(r.status == 0, "\(r.stderr)")
        for piece in ["bert encoder", "24 float of 24", "1 × 8", "sentences/s", "median ms", "peak RSS"] {
            #expect(r.stdout.contains(piece), "table lacks \(piece): \(r.stdout)")
        }
    }

    /// Bad arguments end with one clear line on stderr, nothing on stdout, and a failing status
    /// (64: usage error found before loading; 1: found with the model).
    @Test(arguments: [
        (["--batch", "0"], Int32(64), "--batch must be at least 1"),
        (["--seq", "2"], 64, "--seq must be at least 3"),
        (["--repeats", "0"], 64, "--repeats must be at least 1"),
        (["--warmup=-1"], 64, "--warmup must be at least 0"),
        (["--threads", "0"], 64, "--threads must be at least 1"),
        (["--batch", "1", "--gen-tokens", "4"], 64, "not both"),
        (["--engine", "fast"], 64, "'fast' is invalid"),
        (["--prompt-tokens", "4"], 1, "is a bert encoder: give --batch/--seq"),
        (["--engine", "integer"], 1, "--engine integer runs a quantized directory"),
        (["--seq", "600"], 1, "--seq 600 is longer than the model's 512 positions"),
        (["--text", "/nonexistent/text.txt"], 1, "/nonexistent/text.txt: cannot read the file"),
        (["--device", "tpu"], 64, "'tpu' is invalid"),
        (["--device", "cuda", "--engine", "integer"], 64, "--engine integer is a CPU engine"),
    ] as [([String], Int32, String)])
    func badArguments(args: [String], status: Int32, message: String) throws {
        let r = try CLI.run(["bench", TestPaths.miniLM] + args)
        #expect(r.status == status, "\(args): \(r.stderr)")
        #expect(r.stderr.contains(message), "\(args): \(r.stderr)")
        #expect(r.stdout.isEmpty)
    }

    @Test func badModels() throws {
        let missing = try CLI.run(["bench", "/nonexistent/model", "--json"])
        #expect(missing.status == 1 && missing.stderr.contains("/nonexistent/model: no such file or directory"))
        let decoder = try CLI.run(["bench", TestPaths.gpt2, "--batch", "2"])
        #expect(decoder.status == 1 && decoder.stderr.contains("is a gpt2 decoder: give --prompt-tokens/--gen-tokens"))
        let long = try CLI.run(["bench", TestPaths.gpt2, "--prompt-tokens", "100000", "--gen-tokens", "1"])
        #expect(long.status == 1 && long.stderr.contains("exceed the model's context"), "\(long.stderr)")
        #expect(missing.stdout.isEmpty && decoder.stdout.isEmpty && long.stdout.isEmpty)
        let gpuDecoder = try CLI.run(["bench", TestPaths.gpt2, "--device", "cuda"])
        #expect(gpuDecoder.status == 1 && gpuDecoder.stderr.contains("--device cuda runs encoders"), "\(gpuDecoder.stderr)")
    }

    /// Without an NVIDIA driver `--device cuda` fails with one line naming what is missing;
    /// with one, it prints the GPU rows (the device run in docs/benchmarks.md covers that case).
    @Test func cudaDevice() throws {
        let r = try CLI.run(["bench", TestPaths.miniLM, "--device", "cuda", "--batch", "2", "--seq", "16", "--json"])
        if r.status == 0 {
            let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
            let rows = json?["rows"] as? [[String: Any]]
            #expect(rows?.count == 1 && (rows?.first?["batch"] as? Int) == 2 && (rows?.first?["seq"] as? Int) == 16)
        } else {
            #expect(r.status == 1 && r.stderr.contains("CUDA not available"), "\(r.stderr)")
            #expect(r.stdout.isEmpty)
        }
    }
}
