import Foundation
import LowBitEval
import LowBitModels
import LowBitTokenizers
import Testing

/// The evaluation tools on the real models, against reference figures: the GPT-2 reference
/// model's perplexity from transformers (float64, scripts/make_ppl_fixtures.py) and the
/// all-MiniLM-L6-v2 figures of ../shared/data/README.md.
struct RealModelEvalTests {
    struct PPLFixture: Decodable {
        struct Text: Decodable { let tokens: Int; let ppl: Double }
        let ctx: Int
        let texts: [String: Text]
    }

    static let minilm = Paths.root + "/.models/all-MiniLM-L6-v2"

    static func embedder() throws -> SentenceEmbedderAdapter {
        guard var tok = try TokenizerLoader.load(modelPath: Paths.require(minilm)) as? WordPieceTokenizer else {
            throw EvalError(.malformed, path: minilm, "not a WordPiece tokenizer")
        }
        tok.truncation = nil
        let t = tok
        return SentenceEmbedderAdapter(SentenceEmbedder(model: try BertModel.load(path: minilm), tokenize: { t.encode($0) }))
    }

    @Test(arguments: ["kjv-valid", "wiki-valid"])
    func gpt2PerplexityMatchesTransformers(text: String) throws {
        let url = Bundle.module.url(forResource: "gpt2_ppl", withExtension: "json", subdirectory: "Fixtures")!
        let fixture = try JSONDecoder().decode(PPLFixture.self, from: Data(contentsOf: url))
        let expected = try #require(fixture.texts[text])
        let model = try loadCausalLM(path: Paths.require(Paths.gpt2))
        let tokenizer = try TokenizerLoader.load(modelPath: Paths.gpt2)
        let eot = try #require(model.endOfTextToken)
        let tokens = PerplexityTask.tokens(of: try TextFile.read(Paths.shared + "/data/text/\(text).txt"), tokenizer: tokenizer, endOfText: eot)
        let result = try PerplexityTask(context: fixture.ctx).run(tokens: tokens, model: CausalLMScorer(model: model, endOfTextToken: eot))
        #expect(result.tokens == expected.tokens)
        // 4 significant digits.
        #expect(abs(result.ppl - expected.ppl) / expected.ppl < 5e-5, "ppl \(result.ppl) vs transformers \(expected.ppl)")
    }

    @Test func miniLMLee50AndPangLee() throws {
        let model = try Self.embedder()
        let lee = try STSLee50Task(dataDirectory: Paths.require(Paths.labelled)).run(model: model)
        #expect(abs(lee.pearson - 0.6564) <= 0.001 && abs(lee.spearman - 0.5083) <= 0.001, "Lee-50 \(lee.pearson) / \(lee.spearman)")
        let sentiment = try SentimentTask(dataDirectory: Paths.labelled).run(model: model)
        #expect(abs(sentiment.accuracy - 0.715) <= 0.001, "Pang-Lee \(sentiment.accuracy)")
    }
}
