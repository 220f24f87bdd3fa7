import LowBitCore
import LowBitModels
import LowBitQuant

/// The weight-scale half of LKD with `--train …+scales`, for one block: each quantized linear
/// gets a `WeightGrid` initialised to RTN's (min-max of the float weights), and its scales
/// train as multipliers of that start, s = s₀ · σ (σ starts at 1), with their own Adam at
/// `scaleLearningRate`: Adam's steps are about lr in σ, i.e. a relative change of the scale
/// that does not depend on the bit width or the layer's weight magnitude. σ is kept ≥
/// `minimumMultiplier` so a scale stays positive. Zero points stay at their RTN values.
struct TrainedScales {
    static let minimumMultiplier: Float = 1e-3

    /// Per quantized linear: RTN's scales s₀.
    private var initial: [LinearRole: [Float]] = [:]
    /// σ per quantized linear, keyed by role name (Adam's tensor names).
    private var multipliers: [String: [Float]] = [:]
    private var adam: Adam

    /// Puts a min-max grid on every linear of `quant` with a weight scheme (`keep_float` sites have none).
    init(quant: inout LayerTrainingQuant, parameters p: LayerParametersOf<Float>, learningRate: Double, layer k: Int) throws {
        adam = Adam(learningRate: learningRate)
        for role in Self.roles {
            guard let scheme = quant[role].weight else { continue }
            let l = p[role]
            let grid = try WeightGrid(minMaxOf: l.weight, out: l.outFeatures, in: l.inFeatures, scheme: scheme,
                                      name: LinearSite.name(layer: k, role: role) + ".weight")
            quant[role].grid = grid
            initial[role] = grid.scales
            multipliers[role.rawValue] = [Float](repeating: 1, count: grid.scales.count)
        }
    }

    static let roles: [LinearRole] = [.qkv, .attentionOutput, .mlpIn, .mlpOut]

    /// Trained scale elements (σ) in this block.
    var count: Int { multipliers.values.reduce(0) { $0 + $1.count } }
    var optimizerFloats: Int { adam.stateCount }

    /// Writes s = s₀ · σ into the grids of `quant`.
    func apply(to quant: inout LayerTrainingQuant) {
        for (role, s0) in initial {
            let sigma = multipliers[role.rawValue]!
            quant[role].grid!.scales = zip(s0, sigma).map { $0 * $1 }
        }
    }

    /// One Adam step on σ from the scale gradients of a backward pass (∂L/∂σ = s₀ · ∂L/∂s).
    mutating func update(gradients g: LayerGradientsOf<Float>) {
        var gs: [String: [Float]] = [:]
        for (role, s0) in initial {
            guard let ds = g.scales[role] else { preconditionFailure("TrainedScales: no scale gradient for \(role)") }
            gs[role.rawValue] = zip(s0, ds).map { $0 * $1 }
        }
        adam.update(&multipliers, gradients: gs)
        for k in multipliers.keys { multipliers[k] = multipliers[k]!.map { max($0, Self.minimumMultiplier) } }
    }

    /// The learned grids of `quant` as stored parameters, keyed by site name.
    func params(_ quant: LayerTrainingQuant, layer k: Int) throws -> [String: GroupParams] {
        var out: [String: GroupParams] = [:]
        for role in initial.keys {
            let name = LinearSite.name(layer: k, role: role)
            out[name] = try quant[role].grid!.params(name: name + ".scales")
        }
        return out
    }

    /// min / mean / max of σ over the block (nil: nothing trained).
    var summary: ScaleMultiplierSummary? {
        let all = Self.roles.compactMap { multipliers[$0.rawValue] }.flatMap { $0 }
        guard let lo = all.min(), let hi = all.max() else { return nil }
        return ScaleMultiplierSummary(min: Double(lo), mean: all.reduce(0.0) { $0 + Double($1) } / Double(all.count), max: Double(hi))
    }
}

/// How far trained weight scales moved from RTN's: σ = s / s₀ over a block's groups.
public struct ScaleMultiplierSummary: Codable, Sendable, Equatable {
    public var min: Double
    public var mean: Double
    public var max: Double
}
