import Foundation
import LowBitEval
import LowBitIO
import LowBitModels
import LowBitQuant
import LowBitTokenizers
import Testing
@testable import LowBitAlgorithms

/// Whole-model quantization of the real models, against their float selves. Calibration uses
/// the *-train texts only; evaluation uses lee50 documents and wiki-valid.
struct RealModelTests {
    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var ab = 0.0, aa = 0.0, bb = 0.0
        for i in a.indices { ab += Double(a[i] * b[i]); aa += Double(a[i] * a[i]); bb += Double(b[i] * b[i]) }
        return ab / (aa * bb).squareRoot()
    }

    static func meanCosine(_ a: [[Float]], _ b: [[Float]]) -> Double {
        zip(a, b).map { cosine($0, $1) }.reduce(0, +) / Double(a.count)
    }

    /// W8A8 on MiniLM: mean cosine to the float embeddings over the 50 Lee documents; the issue's
    /// target is ≥ 0.999.
    ///
    /// `w8a8-smooth` (SmoothQuant α = 0.5 on qkv and mlp_in, asymmetric per-token INT8 inputs,
    /// per-channel INT8 weights) reaches it: measured 0.99932 (README.md has the table).
    ///
    /// Pure ZeroQuant `w8a8` (symmetric per-token inputs) misses the target: measured 0.99737 (0.99744 before the simulated layer summed integer codes),
    /// held here as a regression guard at ≥ 0.997. MiniLM's LayerNorm outputs carry outlier
    /// channels that set the per-token scale (qkv input alone in INT8: 0.99806).
    @Test func w8a8MiniLMKeepsEmbeddings() throws {
        let (embedder, tokenizer) = try miniLM()
        let docs = try String(contentsOfFile: Paths.require(Paths.lee50), encoding: .utf8)
            .split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        #expect(docs.count == 50)
        let float = try embedder.embed(docs)
        let cal = try CalibrationText.sequences(path: Paths.text + "/wiki-train.txt", tokenizer: tokenizer, count: 8, length: 128)
        #expect(cal.count == 8 && cal.allSatisfy { $0.count == 128 })

        // The recipe that meets the target.
        #expect(throws: QuantizationError.self) { try quantize(model: embedder.model, recipe: Recipe.preset("w8a8-smooth"), calibration: nil) }
        let smoothReport = try quantize(model: embedder.model, recipe: Recipe.preset("w8a8-smooth"), calibration: cal)
        #expect(smoothReport.sites.filter { $0.activation.contains("smoothed") }.count == 12)
        let smooth = Self.meanCosine(float, try embedder.embed(docs))
        #expect(smooth >= 0.999, "w8a8-smooth mean cosine \(smooth)\n\(smoothReport.table())")

        // ZeroQuant's two schemes without smoothing — group-wise INT8 weights (groups of 64 along
        // inFeatures) and token-wise INT8 activations, here asymmetric (range per token) — also
        // reach the target: measured 0.99916 (README.md).
        let (grouped, _) = try miniLM()
        let zq = Recipe(name: "w8a8-g64-asym", weights: .init(bits: 8, granularity: "per_group:64"),
                        activations: .init(mode: .dynamicPerToken, bits: 8, mapping: .asymmetric))
        let zqReport = try quantize(model: grouped.model, recipe: zq, calibration: nil)
        let zqMean = Self.meanCosine(float, try grouped.embed(docs))
        #expect(zqMean >= 0.999, "group-64 weights + asymmetric per-token activations: mean cosine \(zqMean)\n\(zqReport.table())")

        // Pure ZeroQuant W8A8 preset (per-channel weights, symmetric per-token activations):
        // regression guard at its measured level.
        let (fresh, _) = try miniLM()
        var lines: [String] = []
        let report = try quantize(model: fresh.model, recipe: Recipe.preset("w8a8"), calibration: cal) { lines.append($0) }
        #expect(report.sites.count == 24 && lines.count == 24)
        #expect(fresh.model.linearSites().allSatisfy { $0.op is QuantizedLinear })
        #expect(report.sites.allSatisfy { ($0.weightSQNR ?? 99) > 30 && ($0.outputSQNR ?? 0) > 25 }, "\(report.table())")
        let mean = Self.meanCosine(float, try fresh.embed(docs))
        #expect(mean >= 0.997, "w8a8 mean cosine \(mean)\n\(report.table())")
        // The report is JSON-encodable and the table names the worst site first.
        let json = try JSONEncoder().encode(report)
        #expect(try JSONDecoder().decode(QuantizationReport.self, from: json) == report)
        #expect(report.table().split(separator: "\n")[2].hasPrefix(report.worstFirst()[0].name))
    }

    /// W8A8 (ZeroQuant) on the GPT-2 reference model: perplexity within 2 % of float on the whole
    /// of wiki-valid (166 windows of 512; ~35 s per model on 2 cores).
    @Test func w8a8GPT2KeepsPerplexity() throws {
        let path = try Paths.require(Paths.gpt2)
        let model = try DecoderModel.load(ModelSource.open(path))
        let tokenizer = try TokenizerLoader.load(modelPath: path)
        let eot = try #require(model.endOfTextToken)
        let tokens = PerplexityTask.tokens(of: try TextFile.read(Paths.text + "/wiki-valid.txt"), tokenizer: tokenizer, endOfText: eot)
        let task = PerplexityTask(context: 512)
        let float = try task.run(tokens: Array(tokens), model: CausalLMScorer(model: model, endOfTextToken: eot))
        let cal = try CalibrationText.sequences(path: Paths.text + "/wiki-train.txt", tokenizer: tokenizer, count: 8,
                                                length: 256, separator: eot)
        let report = try quantize(model: model, recipe: Recipe.preset("w8a8"), calibration: cal)
        #expect(report.keptFloat == ["head"])
        let quant = try task.run(tokens: Array(tokens), model: CausalLMScorer(model: model, endOfTextToken: eot))
        #expect(abs(quant.ppl - float.ppl) <= float.ppl * 0.02, "W8A8 ppl \(quant.ppl) vs float \(float.ppl)\n\(report.table())")
    }

    /// Static activations and LQ need calibration; with it, the static PTQ baseline, ACIQ and
    /// activation-side OCS run on MiniLM and keep the embeddings close.
    @Test func calibratedMethodsOnMiniLM() throws {
        let (embedder, tokenizer) = try miniLM()
        #expect(throws: QuantizationError.self) { try quantize(model: embedder.model, recipe: Recipe.preset("w8a8-static"), calibration: nil) }
        #expect(embedder.model.linearSites().allSatisfy { $0.op is FloatLinear }, "nothing replaced on error")
        let docs = ["The cat sat on the mat.", "Stocks fell sharply on Monday after the report."]
        let float = try embedder.embed(docs)
        let cal = try CalibrationText.sequences(path: Paths.text + "/news-train.txt", tokenizer: tokenizer, count: 4, length: 128)
        var ocs = try Recipe.preset("w8a8-static")
        ocs.method = .init(.ocs, expandRatio: 0.02, split: .activation)
        // ACIQ on weights only: its Laplace clip of static activations (9.89·b at 8 bits) cuts
        // MiniLM's outlier features and drops the cosine to ~0.87 (measured), so not asserted here.
        var aciq = try Recipe.preset("w8a16")
        aciq.method = .init(.aciq)
        for recipe in [try Recipe.preset("w8a8-static"), aciq, ocs] {
            let (fresh, _) = try miniLM()
            let report = try quantize(model: fresh.model, recipe: recipe, calibration: cal)
            let quant = try fresh.embed(docs)
            for (a, b) in zip(float, quant) { #expect(Self.cosine(a, b) > 0.98, "\(recipe.method.name): \(Self.cosine(a, b))\n\(report.table())") }
            if recipe.method.name == .ocs { #expect(report.sites.allSatisfy { $0.expandedIn > $0.inFeatures }) }
        }
    }
}
