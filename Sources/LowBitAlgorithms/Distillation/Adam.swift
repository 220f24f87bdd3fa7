/// Adam (Kingma & Ba 2015) with bias correction, over named Float tensors: for each element,
///
///     m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²
///     w ← w − lr · (m / (1 − β1ᵗ)) / (√(v / (1 − β2ᵗ)) + ε)
///
/// Plain loops (the update is O(parameters), small beside the layer's GEMMs). Holds its two
/// moment tensors per trained tensor: for LKD, one layer's worth at a time.
public struct Adam: Sendable {
    public let learningRate: Double
    public let beta1: Double, beta2: Double, epsilon: Double
    /// Steps taken (t).
    public private(set) var step = 0
    private var m: [String: [Float]] = [:], v: [String: [Float]] = [:]

    public init(learningRate: Double, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    /// Floats of optimizer state held (2 per trained element once each tensor has been stepped).
    public var stateCount: Int { m.values.reduce(0) { $0 + $1.count } + v.values.reduce(0) { $0 + $1.count } }

    /// One update of `names` in p from the gradients g (same shapes).
    public mutating func update(_ p: inout LayerParametersOf<Float>, gradients g: LayerParametersOf<Float>, names: [String]) {
        step += 1
        let c1 = 1 - pow(beta1, step), c2 = 1 - pow(beta2, step)
        for name in names {
            var w = p[tensor: name]!
            let grad = g[tensor: name]!
            var mm = m[name] ?? [Float](repeating: 0, count: w.count), vv = v[name] ?? [Float](repeating: 0, count: w.count)
            Self.apply(&w, grad, &mm, &vv, lr: learningRate, b1: beta1, b2: beta2, c1: c1, c2: c2, eps: epsilon)
            p[tensor: name] = w
            (m[name], v[name]) = (mm, vv)
        }
    }

    /// One update of named flat tensors (e.g. LKD's scale multipliers) from gradients of the
    /// same names and shapes; names absent from `g` are left alone.
    public mutating func update(_ w: inout [String: [Float]], gradients g: [String: [Float]]) {
        step += 1
        let c1 = 1 - pow(beta1, step), c2 = 1 - pow(beta2, step)
        for name in w.keys.sorted() {
            guard let grad = g[name] else { continue }
            var mm = m[name] ?? [Float](repeating: 0, count: grad.count), vv = v[name] ?? [Float](repeating: 0, count: grad.count)
            Self.apply(&w[name]!, grad, &mm, &vv, lr: learningRate, b1: beta1, b2: beta2, c1: c1, c2: c2, eps: epsilon)
            (m[name], v[name]) = (mm, vv)
        }
    }

    static func apply(_ w: inout [Float], _ g: [Float], _ m: inout [Float], _ v: inout [Float], lr: Double, b1: Double,
                      b2: Double, c1: Double, c2: Double, eps: Double) {
        precondition(w.count == g.count, "Adam: gradient \(g.count) for \(w.count) weights")
        for i in w.indices {
            let gi = Double(g[i])
            let mi = b1 * Double(m[i]) + (1 - b1) * gi, vi = b2 * Double(v[i]) + (1 - b2) * gi * gi
            m[i] = Float(mi)
            v[i] = Float(vi)
            w[i] = Float(Double(w[i]) - lr * (mi / c1) / ((vi / c2).squareRoot() + eps))
        }
    }
}

/// x^n for a step count.
private func pow(_ x: Double, _ n: Int) -> Double {
    var r = 1.0
    for _ in 0..<n { r *= x }
    return r
}
