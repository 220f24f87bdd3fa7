import Foundation
import LowBitEval
import LowBitIO
import LowBitModels
import LowBitQuant
import LowBitTokenizers
import Testing
@testable import LowBitAlgorithms

/// Integer execution of a whole quantized model against its simulation.
struct IntegerModelTests {
    /// GPT-2 reference model, `w8a8` (ZeroQuant): every simulated site replaced by an
    /// `IntegerLinear` (INT8 × INT8 GEMM) gives the simulated perplexity on the first 4096
    /// tokens of kjv-valid to 3 significant digits (measured 54.0332 simulated, 54.0363 integer).
    @Test func w8a8GPT2IntegerMatchesSimulated() throws {
        let path = try Paths.require(Paths.gpt2)
        let model = try DecoderModel.load(ModelSource.open(path))
        let tokenizer = try TokenizerLoader.load(modelPath: path)
        let eot = try #require(model.endOfTextToken)
        let tokens = Array(PerplexityTask.tokens(of: try TextFile.read(Paths.text + "/kjv-valid.txt"), tokenizer: tokenizer,
                                                 endOfText: eot).prefix(4096))
        #expect(tokens.count == 4096)
        let cal = try CalibrationText.sequences(path: Paths.text + "/wiki-train.txt", tokenizer: tokenizer, count: 8,
                                                length: 256, separator: eot)
        _ = try quantize(model: model, recipe: Recipe.preset("w8a8"), calibration: cal)
        let task = PerplexityTask(context: 512)
        let simulated = try task.run(tokens: tokens, model: CausalLMScorer(model: model, endOfTextToken: eot))
        var replaced = 0
        for site in model.linearSites() {
            guard let q = site.op as? QuantizedLinear else { continue }
            let int = try #require(IntegerLinear.make(from: q), "\(site.name): \(q.weight.scheme) \(q.input)")
            try model.replaceLinear(named: site.name, with: int)
            replaced += 1
        }
        #expect(replaced == 4 * model.blockCount)
        #expect(model.linearSites().allSatisfy { !($0.op is QuantizedLinear) })
        let integer = try task.run(tokens: tokens, model: CausalLMScorer(model: model, endOfTextToken: eot))
        print("w8a8 GPT-2 kjv-valid[0..<4096] ppl: simulated \(simulated.ppl), integer \(integer.ppl)")
        #expect(abs(integer.ppl - simulated.ppl) <= simulated.ppl * 5e-4,
                "integer ppl \(integer.ppl) vs simulated \(simulated.ppl)")
        #expect(String(format: "%.3g", integer.ppl) == String(format: "%.3g", simulated.ppl))
    }
}
