import Foundation
import LowBitCore

/// How the next token is picked.
public struct SamplingOptions: Sendable, Equatable, Codable {
    /// Most tokens to generate.
    public var maxTokens: Int
    /// 0: greedy (argmax, lowest id on ties); > 0: sample from softmax(logits / temperature).
    public var temperature: Float
    /// Sample only among the `topK` most likely tokens (0: all).
    public var topK: Int
    /// Nucleus sampling: keep the most likely tokens whose probabilities (after temperature and
    /// top-k) first reach `topP` in total (1: all).
    public var topP: Float
    /// Seed of the sampler: the same seed, model and prompt give the same text.
    public var seed: UInt64
    /// Stop after the model's end-of-text token (not emitted as text).
    public var stopAtEndOfText: Bool

    public init(maxTokens: Int = 128, temperature: Float = 0, topK: Int = 0, topP: Float = 1, seed: UInt64 = 0,
                stopAtEndOfText: Bool = true) {
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.seed = seed
        self.stopAtEndOfText = stopAtEndOfText
    }
}

/// Picks tokens from logits: greedy, or temperature / top-k / top-p sampling from a seeded generator.
public struct TokenSampler: Sendable {
    public let options: SamplingOptions
    private var rng: SplitMix64

    public init(_ options: SamplingOptions) {
        self.options = options
        rng = SplitMix64(seed: options.seed)
    }

    /// Uniform Double in [0, 1).
    mutating func uniform() -> Double { rng.nextUnit() }

    /// logits: [vocab] → the chosen id.
    public mutating func next(_ logits: [Float]) -> Int32 {
        precondition(!logits.isEmpty, "TokenSampler: empty logits")
        if options.temperature <= 0 {
            var best = 0
            for i in logits.indices where logits[i] > logits[best] { best = i }
            return Int32(best)
        }
        var ids = Array(logits.indices)
        let nucleus = options.topP > 0 && options.topP < 1
        if (options.topK > 0 && options.topK < logits.count) || nucleus {
            ids.sort { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
        }
        if options.topK > 0 && options.topK < logits.count { ids.removeSubrange(options.topK...) }
        let t = Double(options.temperature)
        let top = ids.map { Double(logits[$0]) }.max()!
        var weights = ids.map { exp((Double(logits[$0]) - top) / t) }
        if nucleus {
            // ids are sorted by probability: keep the shortest prefix reaching topP of the mass.
            let total = weights.reduce(0, +)
            var mass = 0.0, keep = 0
            while keep < weights.count {
                mass += weights[keep]
                keep += 1
                if mass >= Double(options.topP) * total { break }
            }
            ids.removeSubrange(keep...)
            weights.removeSubrange(keep...)
        }
        var r = uniform() * weights.reduce(0, +)
        for (i, w) in zip(ids, weights) {
            r -= w
            if r < 0 { return Int32(i) }
        }
        return Int32(ids.last!)
    }
}

/// Text generation with a KV cache, streaming decoded text as it becomes complete.
public enum Generator {
    /// What a generation produced.
    public struct Result: Sendable {
        public var promptTokens: Int
        /// Generated ids (the end-of-text token included if it stopped there).
        public var tokens: [Int32]
        public var text: String
        /// Why it stopped: `endOfText`, `maxTokens`, `contextFull` or `stopped` (the callback said so).
        public var stopReason: String
    }

    /// Continues `prompt`, calling `onText` with each new piece of text (pieces are only cut
    /// where the decoded text is valid UTF-8). Return false from `onText` to stop.
    ///
    /// The tokenizer is passed as functions: `encode: { tok.encode($0) }`, `decode: { tok.decode($0, skipSpecialTokens: true) }`.
    public static func generate(model: any CausalLM, prompt: String, encode: (String) -> [Int], decode: ([Int]) -> String,
                                options: SamplingOptions = SamplingOptions(),
                                onText: (String) -> Bool = { _ in true }) throws(ModelError) -> Result {
        let promptIDs = encode(prompt).map { Int32(clamping: $0) }
        guard !promptIDs.isEmpty else { throw .invalidInput("the prompt encodes to no tokens") }
        let cache = model.makeCache()
        var sampler = TokenSampler(options)
        var generated: [Int32] = [], emitted: [Unicode.Scalar] = [], reason = "maxTokens"
        func text() -> String { decode(generated.filter { $0 != model.endOfTextToken }.map(Int.init)) }
        /// The scalars of `text` after those already emitted, or nil if there are none or the
        /// decoder rewrote earlier text (pieces are then held back).
        func newPiece(_ text: String) -> String? {
            let scalars = Array(text.unicodeScalars)
            guard scalars.count > emitted.count, scalars.starts(with: emitted) else { return nil }
            defer { emitted = scalars }
            var piece = String.UnicodeScalarView()
            piece.append(contentsOf: scalars[emitted.count...])
            return String(piece)
        }
        var input = promptIDs
        while generated.count < options.maxTokens {
            guard cache.count + input.count <= model.contextLength else { reason = "contextFull"; break }
            let next = sampler.next(try model.lastLogits(tokens: input, cache: cache))
            generated.append(next)
            if options.stopAtEndOfText, next == model.endOfTextToken { reason = "endOfText"; break }
            let t = text()
            // An incomplete UTF-8 sequence decodes to U+FFFD: wait for the next token.
            if t.unicodeScalars.last?.value != 0xFFFD, let piece = newPiece(t), !onText(piece) {
                reason = "stopped"
                break
            }
            input = [next]
        }
        let final = text()
        if reason != "stopped", let piece = newPiece(final) { _ = onText(piece) }
        return Result(promptTokens: promptIDs.count, tokens: generated, text: final, stopReason: reason)
    }
}
