import LowBitCore
import LowBitQuant

/// Fake quantization with frozen parameters, differentiated by the straight-through
/// estimator (STE): forward x̂ = (clamp(rne((x − m)/s) + z, lo, hi) − z)·s + m as
/// `QuantReference` (m: the affine minimum, else 0); backward dL/dx = dL/dx̂ where the clamp
/// does not bind (lo ≤ rne((x − m)/s) + z ≤ hi), 0 where it
/// clips. (Testing the code, not x against (hi − z)·s, keeps a min-max group's extreme value,
/// which sits on the range edge up to the Float rounding of s, inside.)
///
/// Scales and zero points are set when the quantizer is made (from the float weights, from
/// given ranges, or from a `WeightGrid`), so training moves weights across a fixed grid; the
/// scales may themselves be trained (`scaleGradient`, the LSQ estimator).
public struct STEQuantizer: Sendable, Equatable {
    /// Group grid for a weight [rows, cols]; nil: one group for any tensor (static activations).
    public let layout: GroupLayout?
    /// Per group (settable: finite-difference checks and trained scales).
    public var scales: [Double]
    /// Per group (0 when symmetric).
    public let zeros: [Double]
    /// Per group (0 unless affine).
    public let mins: [Double]
    public let lo: Double
    public let hi: Double

    /// A weight quantizer for w: [rows, cols] under `scheme`; `ranges`: one clipping range per
    /// group, or nil for each group's min-max (as `QuantizedWeight.fakeQuantized`).
    public init(weight w: [Double], rows: Int, cols: Int, scheme: QuantScheme, ranges: [QuantRange]? = nil,
                name: String = "weight") throws(QuantError) {
        let layout = try GroupLayout(rows: rows, cols: cols, granularity: scheme.granularity, tensor: name)
        let ranges = if let ranges { ranges } else { try QuantReference.groupRanges(w.map { Float($0) }, layout: layout, tensor: name) }
        guard ranges.count == layout.count else {
            throw QuantError.countMismatch(tensor: name, what: "ranges", expected: layout.count, got: ranges.count)
        }
        let p = try GroupParams(ranges: ranges, bits: scheme.bits, mapping: scheme.mapping, tensor: name)
        self.layout = layout
        self.scales = p.scales.map(Double.init)
        self.zeros = (0..<p.count).map { Double(p.zero($0)) }
        self.mins = (0..<p.count).map { Double(p.minimum($0)) }
        self.lo = Double(scheme.codeRange.lowerBound)
        self.hi = Double(scheme.codeRange.upperBound)
    }

    /// The reference form of a fast `WeightGrid` (same scales, zero points and code range).
    public init(grid: WeightGrid) {
        self.layout = grid.layout
        self.scales = grid.scales.map(Double.init)
        self.zeros = (0..<grid.layout.count).map { Double(grid.zero($0)) }
        self.mins = (0..<grid.layout.count).map { Double(grid.minimum($0)) }
        self.lo = Double(grid.scheme.codeRange.lowerBound)
        self.hi = Double(grid.scheme.codeRange.upperBound)
    }

    /// A static per-tensor activation quantizer (`ActivationQuantizer.staticPerTensor`).
    public init(activationRange range: QuantRange, bits: BitWidth, mapping: Mapping,
                name: String = "activation") throws(QuantError) {
        let p = try GroupParams(ranges: [range], bits: bits, mapping: mapping, tensor: name)
        let codes = mapping.codeRange(bits)
        self.layout = nil
        self.scales = [Double(p.scales[0])]
        self.zeros = [Double(p.zero(0))]
        self.mins = [Double(p.minimum(0))]
        self.lo = Double(codes.lowerBound)
        self.hi = Double(codes.upperBound)
    }

    /// x: [rows, cols] → (x̂, mask) with mask[i] = x[i] not clipped.
    public func apply(_ x: [Double], cols: Int) -> (values: [Double], mask: [Bool]) {
        var y = [Double](repeating: 0, count: x.count), mask = [Bool](repeating: false, count: x.count)
        if let layout { precondition(x.count == layout.rows * layout.cols && cols == layout.cols, "STEQuantizer: shape") }
        for i in x.indices {
            let g = layout?.group(row: i / cols, col: i % cols) ?? 0
            let s = scales[g], z = zeros[g], m = mins[g]
            let t = s == 0 ? 0 : ((x[i] - m) / s).rounded(.toNearestOrEven)
            let q = min(max(t + z, lo), hi)
            y[i] = (q - z) * s + m
            mask[i] = q == t + z
        }
        return (y, mask)
    }

    /// ∂L/∂s per group given dX̂ = ∂L/∂x̂ at x: [rows, cols], straight-through on the rounding
    /// (LSQ): Σ over the group of dx̂ · (t − u) where not clipped, dx̂ · (q − z) where clipped
    /// (u = (x − m)/s, t = rne(u), q the clamped code). The exact derivative of x̂ = (q − z)·s + m in s is q − z
    /// everywhere (codes are locally constant); the STE adds −u on unclipped elements, the
    /// derivative of treating rne as the identity. Groups with s = 0 get 0.
    public func scaleGradient(_ x: [Double], cols: Int, outputGradient dx: [Double]) -> [Double] {
        precondition(x.count == dx.count, "STEQuantizer.scaleGradient: shapes")
        var ds = [Double](repeating: 0, count: scales.count)
        for i in x.indices {
            let g = layout?.group(row: i / cols, col: i % cols) ?? 0
            let s = scales[g], z = zeros[g]
            if s == 0 { continue }
            let u = (x[i] - mins[g]) / s, t = u.rounded(.toNearestOrEven), q = min(max(t + z, lo), hi)
            ds[g] += dx[i] * (q == t + z ? t - u : q - z)
        }
        return ds
    }
}

/// Which parts of each linear layer of a block are fake-quantized during training.
public struct LinearFakeQuant: Sendable, Equatable {
    /// On the weight [out, in] (fixed grid; see `STEQuantizer`), or nil.
    public var weight: STEQuantizer?
    /// On the input activations [T, in] (static per-tensor), or nil.
    public var input: STEQuantizer?
    /// Dynamic per-token quantization of the input ([T, in], after `input` if both are set):
    /// the library's `ActivationQuantizer` applied to the values rounded to Float. Its ranges
    /// are each token's own, so nothing is clipped and the STE passes gradients unchanged.
    public var tokenInput: ActivationQuantizer

    public init(weight: STEQuantizer? = nil, input: STEQuantizer? = nil, tokenInput: ActivationQuantizer = .none) {
        self.weight = weight
        self.input = input
        self.tokenInput = tokenInput
    }

    /// The reference form of a training quantization for weights w: [out, in]: the weight
    /// grid from w's min-max groups (as `QuantizedWeight`) or q's trained-scale grid, the same
    /// dynamic input quantizer.
    public init(_ q: LinearTrainingQuant, weight w: [Double], out: Int, in n: Int, name: String = "weight") throws(QuantError) {
        if let grid = q.grid {
            self.init(weight: STEQuantizer(grid: grid), tokenInput: q.input)
        } else {
            self.init(weight: try q.weight.map { s throws(QuantError) in try STEQuantizer(weight: w, rows: out, cols: n, scheme: s, name: name) },
                      tokenInput: q.input)
        }
    }

    public static let none = LinearFakeQuant()
}

/// Fake quantization of the four linear layers of a block (default: none, the float layer).
public struct LayerFakeQuant: Sendable, Equatable {
    public var qkv = LinearFakeQuant.none
    public var attentionOutput = LinearFakeQuant.none
    public var mlpIn = LinearFakeQuant.none
    public var mlpOut = LinearFakeQuant.none

    public init(qkv: LinearFakeQuant = .none, attentionOutput: LinearFakeQuant = .none,
                mlpIn: LinearFakeQuant = .none, mlpOut: LinearFakeQuant = .none) {
        self.qkv = qkv
        self.attentionOutput = attentionOutput
        self.mlpIn = mlpIn
        self.mlpOut = mlpOut
    }

    public static let none = LayerFakeQuant()

    /// Weight quantizers for all four linears of `p` under one scheme (min-max ranges).
    public static func weights(of p: LayerParameters, scheme: QuantScheme) throws(QuantError) -> LayerFakeQuant {
        func q(_ l: LinearParameters, _ name: String) throws(QuantError) -> LinearFakeQuant {
            LinearFakeQuant(weight: try STEQuantizer(weight: l.weight, rows: l.outFeatures, cols: l.inFeatures,
                                                        scheme: scheme, name: name))
        }
        return LayerFakeQuant(qkv: try q(p.qkv, "qkv"), attentionOutput: try q(p.attentionOutput, "attn_out"),
                                 mlpIn: try q(p.mlpIn, "mlp_in"), mlpOut: try q(p.mlpOut, "mlp_out"))
    }
}
