import CLowBitKernels
import Foundation
import LowBitCore

/// Head layout of multi-head attention with grouped key-value heads (GQA; kvHeads = heads for MHA).
public struct AttentionShape: Sendable, Equatable {
    public var heads: Int
    public var kvHeads: Int
    public var headDim: Int

    public init(heads: Int, kvHeads: Int, headDim: Int) {
        precondition(heads > 0 && kvHeads > 0 && heads % kvHeads == 0 && headDim > 0, "AttentionShape: bad heads")
        self.heads = heads
        self.kvHeads = kvHeads
        self.headDim = headDim
    }

    /// Width of the fused qkv projection: (heads + 2·kvHeads) · headDim.
    public var qkvWidth: Int { (heads + 2 * kvHeads) * headDim }
    /// Width of the attention output: heads · headDim.
    public var outputWidth: Int { heads * headDim }
}

extension Ops {
    /// Scaled dot-product attention over each sequence of `batch`, per head, in parallel over
    /// (sequence, head) pairs; padding is never computed.
    ///
    /// qkv: [tokens, (heads + 2·kvHeads)·headDim], each row `[q heads | k heads | v heads]`
    /// (rotary embedding already applied) → [tokens, heads·headDim].
    /// Query head h reads key-value head h / (heads / kvHeads). `causal`: token j of a sequence
    /// sees keys 0...j (plus everything cached). With `cache`, the batch must hold one sequence:
    /// its keys and values are appended to `cache`, and queries attend to all cached keys.
    public static func attention(qkv: Tensor, shape: AttentionShape, batch: TokenBatch, causal: Bool,
                                 cache: KVCache.Layer?) -> Tensor {
        let h = shape.heads, kvh = shape.kvHeads, d = shape.headDim, ld = shape.qkvWidth, ldo = shape.outputWidth
        precondition(qkv.shape.dims == [batch.tokenCount, ld], "attention: qkv \(qkv.shape) for \(batch.tokenCount) tokens, width \(ld)")
        let out = Tensor(zeros: [batch.tokenCount, ldo])
        let base = UnsafePointer(qkv.pointer), op = out.pointer
        var past = 0
        if let cache {
            precondition(batch.sequences.count == 1, "attention: a KV cache serves one sequence")
            precondition(cache.width == kvh * d, "attention: cache width \(cache.width) for \(kvh)·\(d)")
            past = cache.count
            cache.append(keys: base + h * d, values: base + (h + kvh) * d, rows: batch.tokenCount, ld: ld)
        }
        let cachedKeys = cache.map { UnsafePointer($0.keys) }, cachedValues = cache.map { UnsafePointer($0.values) }
        let scale = 1 / Float(d).squareRoot(), group = h / kvh
        let sequences = batch.sequences, maxLen = batch.maxSequenceLength
        let scratchCount = lb_attention_scratch_floats(maxLen + past, d)
        Parallel.forBalancedRanges(sequences.count * h, minChunk: 1, oversplit: 4) { units in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(scratchCount, 1))
            defer { scratch.deallocate() }
            for u in units {
                let rows = sequences[u / h], head = u % h, kv = head / group, nq = rows.count
                guard nq > 0 else { continue }
                let q = base + rows.lowerBound * ld + head * d
                let k: UnsafePointer<Float>, v: UnsafePointer<Float>, ldkv: Int, nk: Int
                if let cachedKeys, let cachedValues {
                    (k, v, ldkv, nk) = (cachedKeys + kv * d, cachedValues + kv * d, kvh * d, past + nq)
                } else {
                    k = base + rows.lowerBound * ld + (h + kv) * d
                    v = base + rows.lowerBound * ld + (h + kvh + kv) * d
                    (ldkv, nk) = (ld, nq)
                }
                lb_attention_head(nq, nk, d, q, ld, k, v, ldkv, op + rows.lowerBound * ldo + head * d, ldo, scale,
                                  causal ? past + 1 : -1, scratch)
            }
        }
        return out
    }
}
