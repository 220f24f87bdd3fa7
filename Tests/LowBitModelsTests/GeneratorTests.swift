import Foundation
import LowBitCore
import LowBitModels
import LowBitTokenizers
import Testing

@Suite struct GeneratorTests {
    /// Greedy decoding of SmolLM2 continues a factual prompt as expected and streams pieces
    /// that add up to the result text.
    @Test func greedySmolLM2() throws {
        let tok = Models.smolLMTokenizer
        var pieces: [String] = []
        let r = try Generator.generate(
            model: Models.smolLM, prompt: "The capital of France is", encode: { tok.encode($0) },
            decode: { tok.decode($0, skipSpecialTokens: true) }, options: SamplingOptions(maxTokens: 8),
            onText: { pieces.append($0); return true })
        #expect(r.tokens.count == 8 && r.stopReason == "maxTokens")
        #expect(pieces.joined() == r.text)
        #expect(r.text.contains("Paris"), "got \(r.text)")
    }

    /// Same seed, same text; top-k 1 is greedy; the callback can stop generation.
    @Test func seededSampling() throws {
        let tok = Models.smolLMTokenizer
        func run(_ o: SamplingOptions) throws -> Generator.Result {
            try Generator.generate(model: Models.gpt2, prompt: "And the LORD said", encode: { tok.encode($0) },
                                   decode: { tok.decode($0, skipSpecialTokens: true) }, options: o)
        }
        let gptTok = try TokenizerLoader.load(modelPath: TestPaths.gpt2)
        func gpt(_ o: SamplingOptions, stopAfter: Int = .max) throws -> Generator.Result {
            var n = 0
            return try Generator.generate(model: Models.gpt2, prompt: "And the LORD said", encode: { gptTok.encode($0) },
                                          decode: { gptTok.decode($0, skipSpecialTokens: true) }, options: o,
                                          onText: { _ in n += 1; return n < stopAfter })
        }
        _ = run
        let a = try gpt(SamplingOptions(maxTokens: 12, temperature: 0.9, topK: 40, seed: 7))
        let b = try gpt(SamplingOptions(maxTokens: 12, temperature: 0.9, topK: 40, seed: 7))
        #expect(a.tokens == b.tokens)
        let greedy = try gpt(SamplingOptions(maxTokens: 12))
        let top1 = try gpt(SamplingOptions(maxTokens: 12, temperature: 1.5, topK: 1, seed: 3))
        #expect(greedy.tokens == top1.tokens)
        let stopped = try gpt(SamplingOptions(maxTokens: 12), stopAfter: 2)
        #expect(stopped.stopReason == "stopped" && stopped.tokens.count <= 12)
    }

    /// The sampler follows the distribution: over many draws, frequencies match softmax(logits / T).
    @Test func samplerFrequencies() {
        var s = TokenSampler(SamplingOptions(temperature: 1, seed: 42))
        let logits: [Float] = [0, log(2), log(4), -.infinity]
        var counts = [0, 0, 0, 0]
        for _ in 0..<7000 { counts[Int(s.next(logits))] += 1 }
        #expect(counts[3] == 0)
        #expect(abs(Double(counts[0]) / 7000 - 1.0 / 7) < 0.02 && abs(Double(counts[2]) / 7000 - 4.0 / 7) < 0.02)
    }

    /// Top-p keeps the smallest most-likely set reaching p: with probabilities 4/7, 2/7, 1/7,
    /// p = 0.5 leaves only the first token and p = 0.8 the first two, in their 2:1 ratio.
    @Test func nucleusSampling() {
        let logits: [Float] = [log(2), 0, log(4)]
        var half = TokenSampler(SamplingOptions(temperature: 1, topP: 0.5, seed: 1))
        #expect((0..<500).allSatisfy { _ in half.next(logits) == 2 })
        var most = TokenSampler(SamplingOptions(temperature: 1, topP: 0.8, seed: 9))
        var counts = [0, 0, 0]
        for _ in 0..<6000 { counts[Int(most.next(logits))] += 1 }
        #expect(counts[1] == 0)
        #expect(abs(Double(counts[2]) / 6000 - 2.0 / 3) < 0.02)
    }

    /// Decoding past the context is refused, not crashed.
    @Test func contextOverflowIsAnError() throws {
        let model = Models.gpt2
        #expect(throws: ModelError.self) { try model.logits(tokens: Array(repeating: 5, count: 513), cache: nil) }
        let cache = model.makeCache()
        _ = try model.logits(tokens: Array(repeating: 5, count: 510), cache: cache)
        #expect(throws: ModelError.self) { try model.logits(tokens: [1, 2, 3], cache: cache) }
        #expect(cache.count == 510)
    }
}

/// A stand-in decoder whose greedy continuation of token t is t + 1.
final class CountingLM: CausalLM, @unchecked Sendable {
    let vocabularySize = 8, contextLength = 64
    let endOfTextToken: Int32? = 7
    func makeCache() -> KVCache { KVCache(layers: 1, width: 1, capacity: contextLength) }
    func logits(tokens: [Int32], cache: KVCache?) throws(ModelError) -> Tensor {
        var v = [Float](repeating: 0, count: tokens.count * vocabularySize)
        for (i, t) in tokens.enumerated() { v[i * vocabularySize + (Int(t) + 1) % vocabularySize] = 1 }
        return Tensor(shape: [tokens.count, vocabularySize], values: v)
    }
}

@Suite struct StreamingTests {
    /// Pieces never split a UTF-8 sequence, survive combining marks, and add up to the text.
    @Test func piecesAreWholeScalars() throws {
        // 1, 2: the two bytes of "é"; 3 "e" then 4 a combining acute accent; 5 " "; 6 "x"; 7 end.
        let bytes: [[UInt8]] = [[0x61], [0xC3], [0xA9], [0x65], [0xCC, 0x81], [0x20], [0x78], []]
        var pieces: [String] = []
        let r = try Generator.generate(
            model: CountingLM(), prompt: "a", encode: { _ in [0] },
            decode: { ids in String(decoding: ids.flatMap { bytes[$0] }, as: UTF8.self) },
            options: SamplingOptions(maxTokens: 20), onText: { pieces.append($0); return true })
        #expect(r.stopReason == "endOfText" && r.tokens == [1, 2, 3, 4, 5, 6, 7])
        #expect(r.text == "\u{E9}e\u{301} x")
        #expect(pieces.joined() == r.text)
        #expect(!pieces.contains { $0.unicodeScalars.contains { $0.value == 0xFFFD } })
    }
}
