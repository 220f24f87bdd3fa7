import Foundation
import LowBitCore
import LowBitModels

// lowbit-bench minilm [MODEL_DIR] [--batch B] [--tokens T] [--json]
// Times all-MiniLM-L6-v2 sentence embedding (encoder + mean pooling + normalize) on a batch of
// B sequences of T tokens each (default 32 × 128), the same synthetic ids as
// scripts/bench_minilm_torch.py, and prints the best and median wall time per batch and a
// digest of the output bits (equal digests for any LOWBIT_THREADS show determinism).

struct ModelBenchResult: Codable {
    var model: String, threads: Int, batch: Int, tokens: Int
    var bestSeconds: Double, medianSeconds: Double, runs: Int
    var tokensPerSecond: Double, gflopsBest: Double
    var digest: String
}

/// Ids of sequence b: [CLS] then T-2 ids from a fixed formula, then [SEP] (as the torch script).
func syntheticMiniLMIDs(batch: Int, tokens: Int) -> [[Int]] {
    (0..<batch).map { b in [101] + (1..<(tokens - 1)).map { j in 1000 + (b * 7919 + j * 131) % 20000 } + [102] }
}

/// FLOPs of one BERT forward over `tokens` tokens per sequence: linear layers + attention.
func bertFlops(model: BertModel, batch: Int, tokens: Int) -> Double {
    let e = Double(model.hiddenSize), i = Double(model.stack.blocks[0].config.intermediateSize)
    let t = Double(tokens), n = Double(batch * tokens)
    let linear = 2 * n * (4 * e * e + 2 * e * i)
    let attention = 2 * 2 * Double(batch) * t * t * e
    return Double(model.blockCount) * (linear + attention)
}

func runModelBench(_ argv: [String]) {
    var args = argv, batch = 32, tokens = 128, json = false
    var path = "./.models/all-MiniLM-L6-v2"
    func value(_ flag: String) -> Int? {
        guard let i = args.firstIndex(of: flag) else { return nil }
        guard i + 1 < args.count, let v = Int(args[i + 1]), v > 0 else { fail("\(flag) needs a positive integer") }
        args.removeSubrange(i...(i + 1))
        return v
    }
    batch = value("--batch") ?? batch
    tokens = value("--tokens") ?? tokens
    if let i = args.firstIndex(of: "--json") { json = true; args.remove(at: i) }
    if let p = args.first, !p.hasPrefix("-") { path = p; args.removeFirst() }
    if !args.isEmpty { fail("minilm: unknown argument(s) \(args.joined(separator: " "))") }
    guard tokens >= 2 else { fail("--tokens must be at least 2") }

    let model: BertModel
    do { model = try BertModel.load(path: path) } catch { fail("\(error) (run scripts/fetch-models.sh)") }
    let embedder = SentenceEmbedder(model: model, tokenize: { _ in [] })
    let ids = syntheticMiniLMIDs(batch: batch, tokens: tokens)
    var output: [[Float]] = []
    let times = timeRepeated(minTime: 3, minReps: 5) {
        output = try! embedder.embed(ids: ids, batchSize: batch)
    }
    var digest: UInt64 = 0xcbf2_9ce4_8422_2325 // FNV-1a over the output bits
    for v in output.joined() { digest = (digest ^ UInt64(v.bitPattern)) &* 0x100_0000_01b3 }
    let flops = bertFlops(model: model, batch: batch, tokens: tokens)
    let r = ModelBenchResult(model: (path as NSString).lastPathComponent, threads: Parallel.threads, batch: batch, tokens: tokens,
                             bestSeconds: times[0], medianSeconds: median(times), runs: times.count,
                             tokensPerSecond: Double(batch * tokens) / times[0], gflopsBest: flops / times[0] / 1e9,
                             digest: String(digest, radix: 16))
    if json {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(String(data: try! enc.encode(r), encoding: .utf8)!)
    } else {
        print("lowbit-bench minilm: \(r.model), \(batch) × \(tokens) tokens, \(r.threads) thread(s), \(r.runs) runs")
        print(String(format: "  best %.1f ms, median %.1f ms per batch; %.0f tokens/s; %.1f GFLOP/s (best)",
                     r.bestSeconds * 1e3, r.medianSeconds * 1e3, r.tokensPerSecond, r.gflopsBest))
        print("  output digest \(r.digest)")
    }
}

// lowbit-bench decode [MODEL] [--prompt P] [--tokens N]
// Loads a decoder (default the SmolLM2 GGUF), prefills P synthetic tokens, then decodes N tokens
// greedily with the KV cache; prints load time, prefill and decode tokens/s.
func runDecodeBench(_ argv: [String]) {
    var args = argv, prompt = 128, steps = 64
    var path = "./.models/SmolLM2-135M-Instruct.Q4_1.gguf"
    func value(_ flag: String) -> Int? {
        guard let i = args.firstIndex(of: flag) else { return nil }
        guard i + 1 < args.count, let v = Int(args[i + 1]), v > 0 else { fail("\(flag) needs a positive integer") }
        args.removeSubrange(i...(i + 1))
        return v
    }
    prompt = value("--prompt") ?? prompt
    steps = value("--tokens") ?? steps
    if let p = args.first, !p.hasPrefix("-") { path = p; args.removeFirst() }
    if !args.isEmpty { fail("decode: unknown argument(s) \(args.joined(separator: " "))") }
    let t0 = now()
    let model: any CausalLM
    do { model = try loadCausalLM(path: path) } catch { fail("\(error)") }
    let loadTime = now() - t0
    guard prompt + steps <= model.contextLength else { fail("--prompt + --tokens exceed the context \(model.contextLength)") }
    let ids = (0..<prompt).map { Int32(100 + ($0 * 131) % max(1, model.vocabularySize - 200)) }
    _ = try! model.lastLogits(tokens: ids, cache: model.makeCache()) // warm-up
    let cache = model.makeCache()
    var sampler = TokenSampler(SamplingOptions())
    let t1 = now()
    var next = sampler.next(try! model.lastLogits(tokens: ids, cache: cache))
    let t2 = now()
    for _ in 1..<steps { next = sampler.next(try! model.lastLogits(tokens: [next], cache: cache)) }
    let t3 = now()
    print("lowbit-bench decode: \((path as NSString).lastPathComponent), \(Parallel.threads) thread(s)")
    print(String(format: "  load %.2f s; prefill %d tokens %.1f ms (%.0f tokens/s); decode %d tokens %.1f ms (%.1f tokens/s)",
                 loadTime, prompt, (t2 - t1) * 1e3, Double(prompt) / (t2 - t1), steps - 1, (t3 - t2) * 1e3,
                 Double(steps - 1) / (t3 - t2)))
}
