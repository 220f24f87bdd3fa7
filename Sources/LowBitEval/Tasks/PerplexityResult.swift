/// What `lowbit eval --task ppl` reports. JSON keys are snake_case; the reference-only keys are
/// left out when there is no reference.
public struct PerplexityResult: Codable, Equatable, Sendable {
    /// `exp(mean negative log-likelihood)` over the scored tokens.
    public var ppl: Double
    /// Number of scored tokens (each window's length minus one).
    public var tokens: Int
    /// Number of windows.
    public var windows: Int
    /// Window length in tokens.
    public var ctx: Int
    /// Mean negative log-likelihood in nats (`log ppl`).
    public var nllMean: Double
    /// The reference model's perplexity on the same windows.
    public var referencePpl: Double?
    /// Mean over tokens of `KL(reference ‖ model)`, in nats.
    public var klMean: Double?
    /// 99th percentile of the per-token KL (linear interpolation; see `Metrics.percentile`).
    public var klP99: Double?
    /// Largest per-token KL.
    public var klMax: Double?
    /// Fraction of tokens where both models' most likely next token is the same.
    public var top1Agreement: Double?
    /// Wall-clock seconds of scoring (tokenization excluded).
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case ppl, tokens, windows, ctx, seconds
        case nllMean = "nll_mean", referencePpl = "reference_ppl", klMean = "kl_mean", klP99 = "kl_p99"
        case klMax = "kl_max", top1Agreement = "top1_agreement"
    }
}
