import Foundation
import LowBitCore
import LowBitIO
import LowBitModels
import LowBitTokenizers
import Testing

/// all-MiniLM-L6-v2 against sentence-transformers (Fixtures/minilm.json).
@Suite struct BertModelTests {
    /// Embeddings of 8 sentences of 3 to 256 tokens (one truncated) match sentence-transformers.
    @Test func embeddingsMatchSentenceTransformers() throws {
        let fixture = try MiniLMFixture.load()
        let embedder = Models.embedder
        #expect(fixture.sentences.map(embedder.ids) == fixture.ids, "token ids differ from sentence-transformers")
        let got = try embedder.embed(fixture.sentences, batchSize: 3)
        for (i, (g, want)) in zip(got, fixture.embeddings).enumerated() {
            #expect(g.count == 384)
            let c = cosine(g, want)
            #expect(c >= 0.99999, "sentence \(i): cosine \(c)")
            #expect(maxAbsDiff(g, want) < 2e-4, "sentence \(i)")
        }
    }

    /// A packed batch of unequal lengths gives each sequence the bits it gets alone.
    @Test func batchEqualsOneByOne() throws {
        let fixture = try MiniLMFixture.load()
        let embedder = Models.embedder
        let batched = try embedder.embed(ids: fixture.ids, batchSize: 32)
        for (i, ids) in fixture.ids.enumerated() {
            let alone = try embedder.embed(ids: [ids])[0]
            #expect(bitwiseEqual(batched[i], alone), "sentence \(i)")
        }
    }

    /// The padded API (ids/typeIDs/mask as transformers takes them) gives the packed numbers on
    /// kept tokens and zeros on padding, for right and left padding.
    @Test func paddedBatchEqualsPacked() throws {
        let model = Models.miniLM
        let a: [Int] = [101, 7592, 2088, 102], b: [Int] = [101, 1037, 2158, 2003, 2652, 1037, 2858, 1012, 102]
        let packed = try model.hiddenStates(TokenBatch(sequences: [a.map(Int32.init), b.map(Int32.init)]))
        let right = try model.hiddenStates(ids: [a + [0, 0, 0, 0, 0], b], mask: [[1, 1, 1, 1, 0, 0, 0, 0, 0], Array(repeating: 1, count: 9)])
        #expect(right.shape == [2, 9, 384])
        #expect(bitwiseEqual(right.rows(0, 1).toArray().prefix(4 * 384).map { $0 }, packed.rows(0, 4).toArray()))
        #expect(right.rows(0, 1).toArray().suffix(5 * 384).allSatisfy { $0 == 0 })
        #expect(bitwiseEqual(right.rows(1, 1).toArray(), packed.rows(4, 9).toArray()))
        // Left padding: positions are column indices, as in transformers.
        let left = try model.hiddenStates(ids: [[0, 0] + a], mask: [[0, 0, 1, 1, 1, 1]])
        let shifted = try model.hiddenStates(TokenBatch(ids: a.map(Int32.init), typeIDs: nil, positions: [2, 3, 4, 5], sequences: [0..<4]))
        #expect(bitwiseEqual(Array(left.toArray().suffix(4 * 384)), shifted.toArray()))
    }

    /// Bad input is an error, not a crash.
    @Test func rejectsBadInput() throws {
        let model = Models.miniLM
        #expect(throws: ModelError.self) { try model.hiddenStates(TokenBatch(tokens: [101, 40_000, 102])) }
        #expect(throws: ModelError.self) { try model.hiddenStates(TokenBatch(tokens: Array(repeating: 100, count: 513))) }
        #expect(throws: ModelError.self) { try model.hiddenStates(ids: [[101, 102], [101]]) }
    }

    /// Block-by-block execution equals the whole forward pass, and site names are stable.
    @Test func layeredAPI() throws {
        let model = Models.miniLM
        let batch = TokenBatch(sequences: [[101, 7592, 2088, 102], [101, 2748, 102]])
        var h = try model.embed(batch)
        for i in 0..<model.blockCount { h = model.runBlock(i, hidden: h, batch: batch) }
        #expect(bitwiseEqual(model.finalOutput(h).toArray(), try model.hiddenStates(batch).toArray()))
        let sites = model.linearSites()
        #expect(sites.count == 6 * 4)
        #expect(sites.prefix(4).map(\.name) == ["layers.0.qkv", "layers.0.attn_out", "layers.0.mlp_in", "layers.0.mlp_out"])
        #expect(sites[0].op.outFeatures == 3 * 384 && sites[2].op.outFeatures == 1536)
    }
}
