import Foundation
import LowBitAlgorithms
import LowBitCore
import LowBitIO
import LowBitModels
import LowBitQuant
import LowBitTokenizers
import Testing
import LowBitTestSupport

@Suite struct DistillationTests {
    /// Two bias-corrected Adam steps on one weight (lr 0.1, β = 0.9 / 0.999, ε = 1e-8), by hand:
    ///   t=1, g=2:  m = 0.2, v = 0.004;  m̂ = 2, v̂ = 4;  w = 1 − 0.1·2/(2 + 1e-8) = 0.9000000005
    ///   t=2, g=−1: m = 0.08, v = 0.004996;  m̂ = 0.08/0.19 = 0.4210526, v̂ = 0.004996/0.001999 = 2.4992496;
    ///              w = 0.9 − 0.1·0.4210526/1.5809015 = 0.8733663
    /// A tensor not named stays put.
    @Test func adamHandComputed() {
        let cfg = oddLayer(.llama, seed: 1).p.config
        var p = oddLayer(.llama, seed: 1).p.converted(to: Float.self)
        p.norm1.weight[0] = 1
        let untouched = p.norm2.weight
        var g = p.zeroed()
        var adam = Adam(learningRate: 0.1)
        g.norm1.weight[0] = 2
        g.norm2.weight[0] = 5
        adam.update(&p, gradients: g, names: ["norm1.weight"])
        #expect(abs(Double(p.norm1.weight[0]) - 0.9000000005) < 1e-7)
        g.norm1.weight[0] = -1
        adam.update(&p, gradients: g, names: ["norm1.weight"])
        #expect(abs(Double(p.norm1.weight[0]) - 0.8733663) < 1e-6)
        #expect(p.norm2.weight == untouched)
        #expect(adam.step == 2 && adam.stateCount == 2 * cfg.hiddenSize)
    }

    static func gpt2() throws -> (DecoderModel, [[Int32]]) {
        let path = try Paths.require(Paths.gpt2)
        let model = try DecoderModel.load(ModelSource.open(path))
        let tok = try TokenizerLoader.load(modelPath: path)
        let seqs = try CalibrationText.sequences(path: Paths.text + "/wiki-train.txt", tokenizer: tok, count: 6, length: 32)
        return (model, seqs)
    }

    static let options = DistillationOptions(steps: 10, learningRate: 2e-5, batch: 2, seed: 7, layers: 1..<2)

    /// LKD on block 1 of the GPT-2 reference model (W4/8A8): the distillation loss falls, only
    /// block 1 changes, Adam holds two floats per trained element of that one block, and the
    /// recipe then quantizes the trained weights.
    @Test func gpt2LayerLossFalls() throws {
        let (model, seqs) = try Self.gpt2()
        let before0 = (model.stack.blocks[0][.mlpIn] as! FloatLinear).weight.toArray()
        let before1 = (model.stack.blocks[1][.mlpIn] as! FloatLinear).weight.toArray()
        let recipe = try Recipe.preset("w4/8a8")
        let report = try distill(model: model, recipe: recipe, sequences: seqs, options: Self.options)
        let r = try #require(report.layers.first)
        #expect(report.layers.count == 1 && r.layer == 1)
        #expect(r.lossAfter < r.lossBefore, "loss \(r.lossBefore) → \(r.lossAfter)")
        #expect((model.stack.blocks[0][.mlpIn] as! FloatLinear).weight.toArray() == before0)
        #expect((model.stack.blocks[1][.mlpIn] as! FloatLinear).weight.toArray() != before1)
        let layerParams = try LayerParameters(block: model.stack.blocks[1])
        let expected = layerParams.tensorNames.filter { !$0.hasPrefix("norm") }.reduce(0) { $0 + layerParams[tensor: $1]!.count }
        #expect(r.trainedParameters == expected && r.optimizerFloats == 2 * expected)
        try quantize(model: model, recipe: recipe, calibration: nil)
        #expect(model.stack.blocks[1][.mlpIn] is QuantizedLinear)
    }

    /// LKD with trained scales (`weights+biases+scales`) on block 1, W4/8A8: the loss falls, the
    /// scales move from RTN's, and `quantize(weightParams:)` stores exactly the learned grid:
    /// each site's scales and zero points are the learned ones and its dequantized weight is the
    /// training forward's fake quantization of the trained weights, bit for bit. The integer
    /// engine then gives block 1 the simulated output exactly (INT8 activations: both sum codes).
    @Test func gpt2LearnedScalesAreStored() throws {
        let (model, seqs) = try Self.gpt2()
        let recipe = try Recipe.preset("w4/8a8")
        var o = Self.options
        o.trained = .weightsBiasesAndScales
        o.scaleLearningRate = 1e-2
        let report = try distill(model: model, recipe: recipe, sequences: seqs, options: o)
        let r = try #require(report.layers.first)
        #expect(r.lossAfter < r.lossBefore, "loss \(r.lossBefore) → \(r.lossAfter)")
        let m = try #require(r.scaleMultiplier)
        #expect(m.min < 1 && m.max > 1 && m.min >= 0.5 && m.max <= 1.5, "\(m)")
        #expect(Set(report.learnedScales.keys) == Set(["qkv", "attn_out", "mlp_in", "mlp_out"].map { "layers.1." + $0 }))
        let json = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
        #expect(json.contains("weights+biases+scales") && json.contains("scaleMultiplier") && !json.contains("learnedScales"))

        var trained: [LinearRole: [Float]] = [:], schemes: [LinearRole: QuantScheme] = [:]
        for role in [LinearRole.qkv, .attentionOutput, .mlpIn, .mlpOut] {
            let f = model.stack.blocks[1][role] as! FloatLinear
            trained[role] = f.weight.toArray()
            let site = model.linearSites().first { $0.layer == 1 && $0.role == role }!
            schemes[role] = try fitted(try #require(try recipe.plan(for: site)).scheme, out: f.outFeatures, in: f.inFeatures)
        }
        try quantize(model: model, recipe: recipe, calibration: nil, weightParams: report.learnedScales)
        for role in [LinearRole.qkv, .attentionOutput, .mlpIn, .mlpOut] {
            let name = LinearSite.name(layer: 1, role: role)
            let op = try #require(model.stack.blocks[1][role] as? QuantizedLinear)
            let learned = try #require(report.learnedScales[name])
            #expect(op.weight.params == learned, "\(name)")
            let grid = WeightGrid(scheme: schemes[role]!, layout: op.weight.layout, params: learned)
            #expect(op.weight.dequantized().toArray() == (try grid.fakeQuantize(trained[role]!)), "\(name)")
        }
        let batch = TokenBatch(sequences: [Array(seqs[0].prefix(16)), Array(seqs[1].prefix(9))])
        let hidden = try model.embed(batch)
        let simulated = model.runBlock(1, hidden: hidden, batch: batch).toArray()
        _ = try model.useIntegerKernels()
        #expect(model.runBlock(1, hidden: hidden, batch: batch).toArray() == simulated)
    }

    static let digestVariable = "LOWBIT_LKD_DIGEST_OUT"

    /// FNV-1a over the bits of block 1's four trained weights and biases, and with trained
    /// scales (`weights+biases+scales`, a second run) their learned scales too.
    static func trainedDigest(seed: UInt64 = 7) throws -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ values: [Float]) { for v in values { h = (h ^ UInt64(v.bitPattern)) &* 0x100_0000_01b3 } }
        for trained in [DistillationOptions.Trained.weightsAndBiases, .weightsBiasesAndScales] {
            let (model, seqs) = try gpt2()
            var o = options
            o.seed = seed
            o.trained = trained
            let report = try distill(model: model, recipe: try Recipe.preset("w4/8a8"), sequences: seqs, options: o)
            for role in [LinearRole.qkv, .attentionOutput, .mlpIn, .mlpOut] {
                let f = model.stack.blocks[1][role] as! FloatLinear
                mix(f.weight.toArray() + (f.bias?.toArray() ?? []))
                mix(report.learnedScales[LinearSite.name(layer: 1, role: role)]?.scales ?? [])
            }
        }
        return String(h, radix: 16)
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment[digestVariable] != nil))
    func childWritesDigest() throws {
        try Data(try Self.trainedDigest().utf8).write(to: URL(fileURLWithPath: ProcessInfo.processInfo.environment[Self.digestVariable]!))
    }

    /// Same seed → bit-identical trained weights, here and in child runs under LOWBIT_THREADS=1
    /// and 2; another seed → different weights.
    #if os(Linux)
    @Test(.enabled(if: ProcessInfo.processInfo.environment[digestVariable] == nil))
    func deterministicForAnyThreadCount() throws {
        let here = try Self.trainedDigest()
        #expect(try Self.trainedDigest() == here)
        #expect(try Self.trainedDigest(seed: 8) != here)
        for threads in [1, 2] {
            let (status, output) = try runTestInChildProcess("DistillationTests/childWritesDigest",
                                                             environment: ["LOWBIT_THREADS": String(threads)],
                                                             outputVariable: Self.digestVariable)
            #expect(status == 0, "child run with LOWBIT_THREADS=\(threads) failed")
            #expect(String(decoding: output ?? Data(), as: UTF8.self) == here, "LOWBIT_THREADS=\(threads)")
        }
    }
    #endif

    @Test func typedErrors() throws {
        let (model, seqs) = try Self.gpt2()
        let w48 = try Recipe.preset("w4/8a8")
        #expect(throws: DistillationError.noCalibration) {
            try distill(model: model, recipe: w48, sequences: [[]], options: Self.options)
        }
        #expect(throws: DistillationError.self) { try distill(model: model, recipe: try Recipe.preset("w8a8-static"), sequences: seqs,
                                                              options: Self.options) }
        #expect(throws: DistillationError.self) { try distill(model: model, recipe: try Recipe.preset("w8a8-smooth"), sequences: seqs,
                                                              options: Self.options) }
        var bad = Self.options
        bad.learningRate = -1
        #expect(throws: DistillationError.invalidOption(name: "lr", reason: "must be a positive number")) {
            try distill(model: model, recipe: w48, sequences: seqs, options: bad)
        }
        bad = Self.options
        bad.scaleLearningRate = .nan
        #expect(throws: DistillationError.invalidOption(name: "scale-lr", reason: "must be a positive number")) {
            try distill(model: model, recipe: w48, sequences: seqs, options: bad)
        }
        // Learned parameters only go to rtn sites the recipe quantizes.
        let params = try WeightGrid(minMaxOf: (model.stack.blocks[0][.mlpIn] as! FloatLinear).weight.toArray(), out: 1536, in: 384,
                                    scheme: QuantScheme.groupwise(.int4, groupSize: 128)).params()
        #expect(throws: QuantizationError.self) {
            try quantize(model: model, recipe: try Recipe.preset("w8a8-smooth"), calibration: seqs, weightParams: ["layers.0.mlp_in": params])
        }
        #expect(throws: QuantizationError.self) {
            try quantize(model: model, recipe: w48, calibration: nil, weightParams: ["layers.9.mlp_in": params])
        }
        #expect(throws: QuantError.self) {
            try quantize(model: model, recipe: w48, calibration: nil, weightParams: ["layers.0.qkv": params])
        }
    }
}
