import Foundation
import LowBitCore
import LowBitIO
import LowBitModels
import LowBitTokenizers
import Testing

/// GPT-2 (gpt2-kjvwiki-6l) and Llama (SmolLM2-135M GGUF) against transformers
/// (Fixtures/gpt2.json, Fixtures/smollm2.json).
@Suite struct DecoderModelTests {
    /// GPT-2: three windows (KJV, wiki, news); SmolLM2: one, from transformers loading the GGUF.
    static let cases: [(String, String)] = [
        ("gpt2", "gpt2.json"), ("gpt2", "gpt2_wiki.json"), ("gpt2", "gpt2_news.json"), ("smollm2", "smollm2.json"),
    ]

    static func model(_ name: String) -> DecoderModel { name == "gpt2" ? Models.gpt2 : Models.smolLM }

    /// Top-20 logits of 4 rows and the log-probability of every next token match transformers
    /// within 1e-4 (GPT-2, F32 checkpoint) or 1e-3 (SmolLM2 via transformers' GGUF loader) of the
    /// logit scale; the top-1 token is the same on those rows.
    @Test(arguments: cases) func logitsMatchTransformers(_ name: String, _ file: String) throws {
        let f = try DecoderFixture.load(file)
        let model = Self.model(name)
        let logits = try model.logits(tokens: f.ids, cache: nil)
        #expect(logits.shape == [f.ids.count, model.vocabularySize])
        let tol = (name == "gpt2" ? 1e-4 : 1e-3) * f.maxAbsLogit
        var worst: Float = 0
        for top in f.top {
            let r = row(logits, top.row)
            let argmax = r.indices.max { r[$0] < r[$1] || (r[$0] == r[$1] && $0 > $1) }!
            #expect(argmax == top.ids[0], "\(name) row \(top.row): top-1 \(argmax), transformers \(top.ids[0])")
            for (id, want) in zip(top.ids, top.logits) { worst = max(worst, abs(r[id] - want)) }
        }
        var worstLP = 0.0
        for t in 0..<(f.ids.count - 1) {
            worstLP = max(worstLP, abs(logSoftmax(row(logits, t))[Int(f.ids[t + 1])] - f.nextTokenLogProbs[t]))
        }
        #expect(worst <= tol, "\(name): max |Δlogit| \(worst) over top-20s (tolerance \(tol))")
        #expect(worstLP <= Double(tol), "\(name): max |Δlog p(next)| \(worstLP)")
        print("\(name): max |Δlogit| \(worst), max |Δlog p| \(worstLP), logit scale \(f.maxAbsLogit)")
    }

    /// Decoding with a KV cache (one token at a time, and in uneven chunks) equals the full pass.
    @Test(arguments: cases) func kvCacheEqualsFullRecompute(_ name: String, _ file: String) throws {
        let f = try DecoderFixture.load(file)
        let model = Self.model(name)
        let ids = Array(f.ids.prefix(24))
        let full = try model.logits(tokens: ids, cache: nil)
        for chunks in [Array(repeating: 1, count: ids.count), [5, 1, 7, 11]] {
            let cache = model.makeCache()
            var at = 0, worst: Float = 0
            for n in chunks {
                let l = try model.logits(tokens: Array(ids[at..<(at + n)]), cache: cache)
                for j in 0..<n { worst = max(worst, maxAbsDiff(row(l, j), row(full, at + j))) }
                at += n
            }
            #expect(cache.count == ids.count)
            #expect(worst <= 1e-4 * f.maxAbsLogit, "\(name) chunks \(chunks): max |Δ| \(worst)")
        }
        let cache = model.makeCache()
        _ = try model.logits(tokens: Array(ids.prefix(10)), cache: cache)
        let last = try model.lastLogits(tokens: Array(ids[10..<24]), cache: cache)
        #expect(maxAbsDiff(last, row(full, 23)) <= 1e-4 * f.maxAbsLogit)
    }

    /// Several sequences packed in one batch give each the bits it gets alone.
    @Test(arguments: cases) func packedSequencesEqualOneByOne(_ name: String, _ file: String) throws {
        let f = try DecoderFixture.load(file)
        let model = Self.model(name)
        let a = Array(f.ids.prefix(17)), b = Array(f.ids.suffix(9)), c = Array(f.ids.prefix(1))
        let packed = try model.logits(TokenBatch(sequences: [a, b, c]))
        var at = 0
        for s in [a, b, c] {
            let alone = try model.logits(tokens: s, cache: nil)
            #expect(bitwiseEqual(packed.rows(at, s.count).toArray(), alone.toArray()), "\(name) sequence of \(s.count)")
            at += s.count
        }
    }

    /// Running blocks one by one from captured inputs equals the whole pass.
    @Test func layeredAPIEqualsForward() throws {
        let model = Models.smolLM
        let batch = TokenBatch(tokens: [504, 3575, 282, 4649, 314])
        var h = try model.embed(batch)
        var inputs: [Tensor] = []
        for i in 0..<model.blockCount {
            inputs.append(h)
            h = model.runBlock(i, hidden: h, batch: batch)
        }
        #expect(bitwiseEqual(model.finalOutput(h).toArray(), try model.logits(tokens: batch.ids, cache: nil).toArray()))
        // Block 7 alone, from its captured input, gives block 8's input.
        #expect(bitwiseEqual(model.runBlock(7, hidden: inputs[7], batch: batch).toArray(), inputs[8].toArray()))
    }

    /// Site names, roles and shapes; fused qkv [q; k; v] (GQA) and mlp_in [gate; up].
    @Test func linearSites() {
        let sites = Models.smolLM.linearSites()
        #expect(sites.count == 30 * 4 + 1)
        #expect(sites.last?.name == "head" && sites.last?.role == .head && sites.last?.layer == nil)
        let qkv = sites[4 * 3]
        #expect(qkv.name == "layers.3.qkv" && qkv.layer == 3 && qkv.role == .qkv)
        #expect(qkv.op.inFeatures == 576 && qkv.op.outFeatures == (9 + 2 * 3) * 64)
        #expect(sites[2].op.outFeatures == 2 * 1536 && sites[3].op.inFeatures == 1536)
        #expect(sites.allSatisfy { $0.floatLinear != nil })
        let g = Models.gpt2.linearSites()
        #expect(g.map(\.name).contains("layers.5.mlp_out") && g.count == 6 * 4 + 1)
    }
}
