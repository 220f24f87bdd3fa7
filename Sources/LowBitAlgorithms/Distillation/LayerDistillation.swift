import Foundation
import LowBitCore
import LowBitModels
import LowBitQuant

/// Settings of layer-by-layer knowledge distillation (`distill`).
public struct DistillationOptions: Codable, Sendable, Equatable {
    /// Which tensors of a layer train. Norm parameters never do. Without `scales`, the weight
    /// scales are recomputed from the latent weights' min-max at every step, as the recipe does;
    /// with them, each group's scale is a trained parameter (LSQ; `WeightGrid`, `TrainedScales`)
    /// and the learned scales are the ones stored (`DistillationReport.learnedScales`).
    public enum Trained: String, Codable, Sendable, CaseIterable {
        case weights
        case weightsAndBiases = "weights+biases"
        case weightsAndScales = "weights+scales"
        case weightsBiasesAndScales = "weights+biases+scales"

        public var biases: Bool { self == .weightsAndBiases || self == .weightsBiasesAndScales }
        public var scales: Bool { self == .weightsAndScales || self == .weightsBiasesAndScales }
    }

    /// Adam steps per layer.
    public var steps = 50
    public var learningRate = 5e-5
    /// Sequences per step.
    public var batch = 4
    public var trained = Trained.weightsAndBiases
    /// Adam's learning rate for the scale multipliers σ = s / s_RTN (trained scales only): a
    /// relative step, so one value serves 4- and 8-bit grids.
    public var scaleLearningRate = 1e-3
    public var seed: UInt64 = 0
    /// Blocks to distill (nil: all); the others keep their float weights.
    public var layers: Range<Int>?

    public init(steps: Int = 50, learningRate: Double = 5e-5, batch: Int = 4, trained: Trained = .weightsAndBiases,
                scaleLearningRate: Double = 1e-3, seed: UInt64 = 0, layers: Range<Int>? = nil) {
        self.steps = steps
        self.learningRate = learningRate
        self.batch = batch
        self.trained = trained
        self.scaleLearningRate = scaleLearningRate
        self.seed = seed
        self.layers = layers
    }
}

/// What distillation did to one layer. Losses are the mean over all calibration tokens of the
/// squared error between the float layer's output and the fake-quantized layer's.
public struct LayerDistillationReport: Codable, Sendable, Equatable {
    public var layer: Int
    public var lossBefore: Double
    public var lossAfter: Double
    /// Floats of Adam state held while this layer trained (two per trained element).
    public var optimizerFloats: Int
    /// Trained elements (weights, biases, scales).
    public var trainedParameters: Int
    public var seconds: Double
    /// With trained scales: how far they moved from RTN's (σ = s / s_RTN), else nil.
    public var scaleMultiplier: ScaleMultiplierSummary? = nil
}

/// The LKD part of a quantization report.
public struct DistillationReport: Codable, Sendable, Equatable {
    public var method = "lkd"
    public var options: DistillationOptions
    public var sequences: Int
    public var tokens: Int
    public var layers: [LayerDistillationReport]
    public var seconds: Double
    /// With trained scales: each distilled site's learned weight parameters (scales, RTN's zero
    /// points), keyed by site name. Give them to `quantize(model:recipe:calibration:weightParams:)`
    /// so the stored codes use them. Not encoded (the quantized directory stores them as the
    /// sites' scales).
    public var learnedScales: [String: GroupParams] = [:]

    enum CodingKeys: String, CodingKey { case method, options, sequences, tokens, layers, seconds }
}

/// Why distillation cannot run.
public enum DistillationError: Error, Equatable, CustomStringConvertible, Sendable {
    case noCalibration
    case unsupportedRecipe(reason: String)
    case invalidOption(name: String, reason: String)
    case nonFinite(layer: Int, what: String)

    public var description: String {
        switch self {
        case .noCalibration: "lkd: no calibration sequences (give a non-empty text file)"
        case let .unsupportedRecipe(reason): "lkd: recipe not supported: \(reason)"
        case let .invalidOption(name, reason): "lkd: --\(name): \(reason)"
        case let .nonFinite(layer, what): "lkd: layer \(layer): \(what) is not finite (lower --lr?)"
        }
    }
}

/// Layer-by-layer knowledge distillation (ZeroQuant's LKD) of `model`'s float weights, in place.
///
/// For block k = 0..<L (or `options.layers`): the input is the float model's hidden state
/// after blocks 0..<k (teacher chain, computed with the original weights); the teacher is the
/// float block k; the student is block k with its latent float weights fake-quantized in every
/// forward pass exactly as `recipe` will quantize them (`LinearTrainingQuant`: the site's
/// fitted scheme, `keep_float` sites left float, dynamic per-token inputs where the recipe
/// quantizes them). It minimizes MSE(teacher output, student output) with Adam on random
/// batches of `sequences`, then its trained float weights replace block k's (quantize the model
/// with `quantize(model:recipe:calibration:)` afterwards, the normal recipe path). Only one
/// layer's parameters, activations and optimizer state exist at a time, plus the hidden states
/// of the calibration sequences (in and out of the current block). Deterministic for a seed,
/// whatever the thread count.
///
/// With `options.trained` including scales, each quantized site's per-group weight scales train
/// too (LSQ from RTN's min-max scales; `TrainedScales`, `WeightGrid`), and the result's
/// `learnedScales` must be passed to `quantize(model:recipe:calibration:weightParams:)` so the
/// stored codes and scales are the learned grid.
///
/// Supported recipes: method `rtn` (min-max weights), activations `none` or `dynamic_per_token`,
/// no smoothing. `progress(report, layersDone, layersTotal)` is called after each layer.
public func distill(model: any LayeredModel, recipe: Recipe, sequences: [[Int32]], options: DistillationOptions,
                    progress: ((LayerDistillationReport, Int, Int) -> Void)? = nil) throws -> DistillationReport {
    let started = Date()
    try recipe.validate()
    guard recipe.method.name == .rtn else {
        throw DistillationError.unsupportedRecipe(reason: "method \(recipe.method.name.rawValue); LKD trains under rtn's min-max weight quantizer")
    }
    guard recipe.smoothing == nil else { throw DistillationError.unsupportedRecipe(reason: "smoothing") }
    guard recipe.activations.mode != .staticPerTensor else {
        throw DistillationError.unsupportedRecipe(reason: "static per-tensor activations (use none or dynamic_per_token)")
    }
    guard options.steps >= 0 else { throw DistillationError.invalidOption(name: "steps", reason: "must be >= 0") }
    guard options.batch > 0 else { throw DistillationError.invalidOption(name: "batch", reason: "must be > 0") }
    guard options.learningRate > 0, options.learningRate.isFinite else {
        throw DistillationError.invalidOption(name: "lr", reason: "must be a positive number")
    }
    guard options.scaleLearningRate > 0, options.scaleLearningRate.isFinite else {
        throw DistillationError.invalidOption(name: "scale-lr", reason: "must be a positive number")
    }
    let seqs = sequences.filter { !$0.isEmpty }
    guard !seqs.isEmpty else { throw DistillationError.noCalibration }
    let layers = options.layers ?? 0..<model.blockCount
    guard layers.lowerBound >= 0, layers.upperBound <= model.blockCount else {
        throw DistillationError.invalidOption(name: "layers", reason: "\(layers) outside 0..<\(model.blockCount)")
    }

    // Hidden states of the calibration sequences in fixed chunks of `batch` sequences.
    let chunks = stride(from: 0, to: seqs.count, by: options.batch).map { $0..<min(seqs.count, $0 + options.batch) }
    var hidden: [[Float]] = []
    for c in chunks { hidden.append(try model.embed(TokenBatch(sequences: Array(seqs[c]))).toArray()) }
    for k in 0..<layers.lowerBound { hidden = teacher(model, k, hidden, seqs, chunks) }

    var reports: [LayerDistillationReport] = []
    var learned: [String: GroupParams] = [:]
    for k in layers {
        let t0 = Date()
        let targets = teacher(model, k, hidden, seqs, chunks)
        var p = try LayerParametersOf<Float>(block: model.stack.blocks[k])
        var quant = try trainingQuant(recipe: recipe, model: model, layer: k, parameters: p)
        var scales = options.trained.scales
            ? try TrainedScales(quant: &quant, parameters: p, learningRate: options.scaleLearningRate, layer: k) : nil
        let names = p.tensorNames.filter { n in !n.hasPrefix("norm") && (options.trained.biases || n.hasSuffix(".weight")) }
        let before = try meanLoss(p, quant, hidden, targets, seqs, chunks)
        var adam = Adam(learningRate: options.learningRate)
        var rng = SplitMix64(seed: options.seed &+ UInt64(k) &* 0x9E37_79B9_7F4A_7C15)
        let rowsPerToken = p.config.hiddenSize
        for _ in 0..<options.steps {
            // A batch: `batch` sequences drawn uniformly with replacement.
            let picks = (0..<options.batch).map { _ in Int(rng.next() % UInt64(seqs.count)) }
            var x: [Float] = [], y: [Float] = []
            for s in picks {
                let ci = s / options.batch, local = s % options.batch
                let start = chunks[ci].lowerBound, offset = seqs[start..<(start + local)].reduce(0) { $0 + $1.count }
                let range = (offset * rowsPerToken)..<((offset + seqs[s].count) * rowsPerToken)
                x += hidden[ci][range]
                y += targets[ci][range]
            }
            let f = try FastLayerForward(parameters: p, input: x, batch: TokenBatch(sequences: picks.map { seqs[$0] }),
                                         quantization: quant)
            let g = FastLayerBackward.gradients(f, target: y)
            adam.update(&p, gradients: g.parameters, names: names)
            if scales != nil {
                scales!.update(gradients: g)
                scales!.apply(to: &quant)
            }
        }
        let after = try meanLoss(p, quant, hidden, targets, seqs, chunks)
        guard after.isFinite, names.allSatisfy({ p[tensor: $0]!.allSatisfy(\.isFinite) }) else {
            throw DistillationError.nonFinite(layer: k, what: "the trained weights or their loss")
        }
        for role in [LinearRole.qkv, .attentionOutput, .mlpIn, .mlpOut] {
            try model.replaceLinear(named: LinearSite.name(layer: k, role: role), with: p[role].floatLinear())
        }
        if let scales { learned.merge(try scales.params(quant, layer: k)) { $1 } }
        let r = LayerDistillationReport(layer: k, lossBefore: before, lossAfter: after,
                                        optimizerFloats: adam.stateCount + (scales?.optimizerFloats ?? 0),
                                        trainedParameters: names.reduce(0) { $0 + p[tensor: $1]!.count } + (scales?.count ?? 0),
                                        seconds: Date().timeIntervalSince(t0), scaleMultiplier: scales?.summary)
        reports.append(r)
        progress?(r, reports.count, layers.count)
        hidden = targets
    }
    return DistillationReport(options: options, sequences: seqs.count, tokens: seqs.reduce(0) { $0 + $1.count },
                              layers: reports, seconds: Date().timeIntervalSince(started), learnedScales: learned)
}

/// The float block k's outputs for each chunk of hidden states (the model's own forward).
func teacher(_ model: any LayeredModel, _ k: Int, _ hidden: [[Float]], _ seqs: [[Int32]], _ chunks: [Range<Int>]) -> [[Float]] {
    chunks.indices.map { i in
        let batch = TokenBatch(sequences: Array(seqs[chunks[i]]))
        let x = Tensor(shape: [batch.tokenCount, model.hiddenSize], values: hidden[i])
        return model.runBlock(k, hidden: x, batch: batch).toArray()
    }
}

/// Mean squared error over all calibration tokens of the student (p under `quant`) vs targets.
func meanLoss(_ p: LayerParametersOf<Float>, _ quant: LayerTrainingQuant, _ hidden: [[Float]], _ targets: [[Float]],
              _ seqs: [[Int32]], _ chunks: [Range<Int>]) throws -> Double {
    var sum = 0.0, count = 0
    for i in chunks.indices {
        let f = try FastLayerForward(parameters: p, input: hidden[i], batch: TokenBatch(sequences: Array(seqs[chunks[i]])),
                                     quantization: quant)
        sum += f.loss(target: targets[i]) * Double(targets[i].count)
        count += targets[i].count
    }
    return sum / Double(max(count, 1))
}

/// How the recipe will quantize block k's four sites, as a training quantization.
func trainingQuant(recipe: Recipe, model: any LayeredModel, layer k: Int, parameters p: LayerParametersOf<Float>) throws
    -> LayerTrainingQuant {
    var q = LayerTrainingQuant.none
    let sites = model.linearSites().filter { $0.layer == k }
    for site in sites {
        guard let plan = try recipe.plan(for: site) else { continue }
        let l = p[site.role]
        var input = ActivationQuantizer.none
        if plan.quantizeInput, recipe.activations.mode == .dynamicPerToken {
            let bits = try BitWidth(recipe.activations.bits)
            input = recipe.activations.mapping == .asymmetric ? .dynamicPerTokenAsymmetric(bits: bits) : .dynamicPerToken(bits: bits)
        }
        q[site.role] = LinearTrainingQuant(weight: try fitted(plan.scheme, out: l.outFeatures, in: l.inFeatures), input: input)
    }
    return q
}
