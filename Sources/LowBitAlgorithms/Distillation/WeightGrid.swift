import LowBitCore
import LowBitQuant

/// A weight quantization grid whose scales are trainable parameters (LSQ, Esser et al. 2020):
/// the fast (Float) form. Zero points and affine minimums stay where they were initialised.
/// Per element of group g (s = scales[g], z = its zero point, m its minimum (affine, else 0),
/// codes [lo, hi]), exactly `QuantReference`'s formula:
///
///     u = (w − m) / s;  t = rne(u);  q = clamp(t + z, lo, hi);  ŵ = (q − z)·s + m
///
/// Backward, straight-through on the rounding (the LSQ estimator), with c = (q == t + z) (not
/// clipped):
///
///     ∂ŵ/∂w = c;   ∂ŵ/∂s = c ? t − u : q − z
///
/// A group with s = 0 maps everything to 0 and gets no gradient. `STEQuantizer` is the Double
/// reference of the same grid (`STEQuantizer(grid:)`).
public struct WeightGrid: Sendable, Equatable {
    public let scheme: QuantScheme
    /// The group grid of the weight [out, in].
    public let layout: GroupLayout
    /// s per group, [rowGroups, colGroups] row-major.
    public var scales: [Float]
    /// Stored zero point per group (asymmetric, affine), or nil (symmetric).
    public let zeroPoints: [Int8]?
    /// Float minimum per group (affine), or nil.
    public let mins: [Float]?

    /// The grid `RTN` puts on w: [out, in] (each group's min-max), the initial value of
    /// trained scales. `scheme`: fitted to the layer (`fitted`).
    public init(minMaxOf w: [Float], out: Int, in n: Int, scheme: QuantScheme, name: String = "weight") throws(QuantError) {
        let layout = try GroupLayout(rows: out, cols: n, granularity: scheme.granularity, tensor: name)
        let ranges = try QuantReference.groupRanges(w, layout: layout, tensor: name)
        let p = try GroupParams(ranges: ranges, bits: scheme.bits, mapping: scheme.mapping, tensor: name)
        self.init(scheme: scheme, layout: layout, params: p)
    }

    /// A grid from given parameters (their count must match the layout).
    public init(scheme: QuantScheme, layout: GroupLayout, params: GroupParams) {
        precondition(params.count == layout.count && (params.zeroPoints != nil) == scheme.mapping.hasZeroPoint
                     && (params.mins != nil) == scheme.mapping.hasMinimum,
                     "WeightGrid: \(params.count) parameters for \(layout.count) groups")
        self.scheme = scheme
        self.layout = layout
        self.scales = params.scales
        self.zeroPoints = params.zeroPoints
        self.mins = params.mins
    }

    /// The grid as stored quantization parameters (what `quantize(weightParams:)` takes).
    /// Throws if a scale became negative or non-finite.
    public func params(name: String = "weight") throws(QuantError) -> GroupParams {
        try GroupParams(scales: scales, zeroPoints: zeroPoints, mins: mins, codeRange: scheme.codeRange, tensor: name)
    }

    @inline(__always) func zero(_ g: Int) -> Float { zeroPoints.map { Float($0[g]) } ?? 0 }
    @inline(__always) func minimum(_ g: Int) -> Float { mins?[g] ?? 0 }

    /// Calls body(i, g) for every element index i of a [rows, cols] weight with its group g, in row-major order.
    @inline(__always) func forEach(_ body: (Int, Int) -> Void) {
        for r in 0..<layout.rows {
            for c in 0..<layout.cols { body(r * layout.cols + c, layout.group(row: r, col: c)) }
        }
    }

    /// w: [out, in] → ŵ (`QuantReference.quantize` under these parameters, bit for bit).
    /// Throws on NaN/±Inf in w.
    public func fakeQuantize(_ w: [Float], name: String = "weight") throws(QuantError) -> [Float] {
        guard w.count == layout.rows * layout.cols else {
            throw QuantError.countMismatch(tensor: name, what: "values", expected: layout.rows * layout.cols, got: w.count)
        }
        if let i = w.firstIndex(where: { !$0.isFinite }) {
            throw QuantError.nonFinite(tensor: name, row: i / layout.cols, column: i % layout.cols, value: w[i])
        }
        let lo = Float(scheme.codeRange.lowerBound), hi = Float(scheme.codeRange.upperBound)
        var y = [Float](repeating: 0, count: w.count)
        forEach { i, g in
            let s = scales[g], z = zero(g), m = minimum(g)
            y[i] = QuantReference.dequantize(code: QuantReference.code(w[i], scale: s, zero: z, minimum: m, lo: lo, hi: hi),
                                             scale: s, zero: z, minimum: m)
        }
        return y
    }

    /// The straight-through backward: dŴ = ∂L/∂ŵ: [out, in] at latent weights w → ∂L/∂w (masked)
    /// and ∂L/∂s per group (accumulated in Double, row-major: independent of threads).
    public func backward(_ w: [Float], outputGradient dW: [Float]) -> (weight: [Float], scales: [Float]) {
        precondition(w.count == dW.count && w.count == layout.rows * layout.cols, "WeightGrid.backward: shapes")
        let lo = Float(scheme.codeRange.lowerBound), hi = Float(scheme.codeRange.upperBound)
        var dw = dW, ds = [Double](repeating: 0, count: layout.count)
        forEach { i, g in
            let s = scales[g], z = zero(g)
            guard s != 0 else { return }
            let u = (w[i] - minimum(g)) / s, t = u.rounded(.toNearestOrEven), q = min(max(t + z, lo), hi)
            if q == t + z {
                ds[g] += Double(dW[i]) * Double(t - u)
            } else {
                ds[g] += Double(dW[i]) * Double(q - z)
                dw[i] = 0
            }
        }
        return (dw, ds.map { Float($0) })
    }
}
