import LowBitCore
import LowBitQuant

/// Outlier channel splitting (Zhao, Hu, Dotzel, De Sa, Zhang, "Improving Neural Network
/// Quantization without Retraining using Outlier Channel Splitting", ICML 2019).
///
/// The layer is widened by `extra` input columns so that outliers shrink, keeping the function:
///
/// - **weight side**: repeatedly take the column holding the largest |w| in the layer, halve
///   it and append a copy (gather-map entry = the same input channel, input scale 1):
///   y = Σ_k x[map[k]] · w[:, k] is unchanged.
/// - **activation side**: repeatedly take the column whose input has the largest calibrated
///   |x|, halve its input scale and append a copy of the weight column with the same (halved)
///   input scale: each half sees x/2, the two weight columns are equal, the sum is unchanged.
///
/// The weight-side split is then made quantization-aware (the paper's QA splitting, in this
/// form): with the grid fixed by the split matrix's min-max ranges, every copy but the last
/// of a split channel is rounded onto its grid and the last one takes w minus their sum, so
/// the sum of the dequantized copies errs by at most half a step (not one step).
///
/// Extra columns: ⌈ratio · inFeatures⌉; with per-group weights, rounded up to a multiple of
/// the group size (groups run along the widened inFeatures).
public struct OCS: QuantizationMethod {
    public let expandRatio: Double
    public let split: Recipe.SplitSide
    public init(expandRatio: Double = 0.05, split: Recipe.SplitSide = .weight) {
        self.expandRatio = expandRatio
        self.split = split
    }
    public var name: String { "ocs" }
    public var requiresCalibration: Bool { split == .activation }

    /// A widened layer: w: [outFeatures, expandedIn]; channels, scales: [expandedIn].
    public struct Split: Sendable {
        public var weight: Tensor
        public var channels: [Int32]
        public var scales: [Float]?
    }

    /// Number of columns to add to a layer of `inFeatures` inputs.
    public static func extraColumns(inFeatures: Int, ratio: Double, granularity: Granularity) -> Int {
        var n = max(1, Int((ratio * Double(inFeatures)).rounded(.up)))
        if case let .perGroup(g) = granularity { n = (n + g - 1) / g * g }
        return n
    }

    /// Weight-side split of w: [out, in] into [out, in + extra] (float, not quantized).
    public static func splitWeight(_ w: Tensor, extra: Int) -> Split {
        var (cols, out) = columns(w)
        var colMax = cols.map { $0.reduce(Float(0)) { max($0, abs($1)) } }
        var map = (0..<Int32(cols.count)).map { $0 }
        for _ in 0..<extra {
            var k = 0
            for j in colMax.indices where colMax[j] > colMax[k] { k = j }
            for r in 0..<out { cols[k][r] *= 0.5 }
            cols.append(cols[k])
            colMax[k] *= 0.5
            colMax.append(colMax[k])
            map.append(map[k])
        }
        return Split(weight: matrix(cols, out), channels: map, scales: nil)
    }

    /// Activation-side split: `inputAbsMax` [in] is max |x| per input channel from calibration.
    public static func splitActivation(_ w: Tensor, inputAbsMax: [Float], extra: Int) -> Split {
        var (cols, out) = columns(w)
        var map = (0..<Int32(cols.count)).map { $0 }
        var scales = [Float](repeating: 1, count: cols.count)
        for _ in 0..<extra {
            var k = 0
            for j in map.indices where inputAbsMax[Int(map[j])] * scales[j] > inputAbsMax[Int(map[k])] * scales[k] { k = j }
            scales[k] *= 0.5
            cols.append(cols[k])
            scales.append(scales[k])
            map.append(map[k])
        }
        return Split(weight: matrix(cols, out), channels: map, scales: scales)
    }

    /// Quantization-aware version of a weight-side split of `original` (see the type's doc):
    /// returns the adjusted widened weight and the grid ranges to quantize it with.
    public static func quantizationAware(_ s: Split, original: Tensor, scheme: QuantScheme,
                                         name: String) throws(QuantError) -> (weight: Tensor, ranges: [QuantRange]) {
        let out = s.weight.shape[0], width = s.weight.shape[1], inF = original.shape[1]
        let layout = try GroupLayout(rows: out, cols: width, granularity: scheme.granularity, tensor: name)
        let ranges = try MinMaxEstimator().ranges(s.weight, layout: layout, name: name)
        let params = try GroupParams(ranges: ranges, bits: scheme.bits, mapping: scheme.mapping, tensor: name)
        let lo = Float(scheme.codeRange.lowerBound), hi = Float(scheme.codeRange.upperBound)
        var copies = [[Int]](repeating: [], count: inF)
        for (k, c) in s.channels.enumerated() { copies[Int(c)].append(k) }
        let e = s.weight.copy(), p = e.pointer, w = original.pointer
        for c in 0..<inF where copies[c].count > 1 {
            let ks = copies[c]
            for r in 0..<out {
                var acc: Float = 0
                for k in ks.dropLast() {
                    let g = layout.group(row: r, col: k), sc = params.scales[g], z = params.zero(g)
                    let m = params.minimum(g)
                    let q = QuantReference.code(p[r * width + k], scale: sc, zero: z, minimum: m, lo: lo, hi: hi)
                    let v = QuantReference.dequantize(code: q, scale: sc, zero: z, minimum: m)
                    p[r * width + k] = v
                    acc += v
                }
                p[r * width + ks.last!] = w[r * inF + c] - acc
            }
        }
        return (e, ranges)
    }

    /// x: [rows, in] → [rows, expandedIn], column k = x[:, channels[k]] · scales[k].
    public static func expandInput(_ x: Tensor, channels: [Int32], scales: [Float]?) -> Tensor {
        let rows = x.shape[0], n = x.shape[1], width = channels.count
        let y = Tensor(zeros: [rows, width])
        let src = x.pointer, dst = y.pointer
        for r in 0..<rows {
            for k in 0..<width { dst[r * width + k] = src[r * n + Int(channels[k])] * (scales?[k] ?? 1) }
        }
        return y
    }

    public func quantizeWeight(_ site: SiteInput) throws -> WeightResult {
        let name = site.name + ".weight"
        // Validate finiteness (names the bad element) before splitting.
        _ = try QuantizedWeight(quantizing: site.weight, scheme: QuantScheme(bits: .int8, granularity: .perTensor), name: name)
        let extra = Self.extraColumns(inFeatures: site.inFeatures, ratio: expandRatio, granularity: site.scheme.granularity)
        switch split {
        case .weight:
            let s = Self.splitWeight(site.weight, extra: extra)
            let (w, ranges) = try Self.quantizationAware(s, original: site.weight, scheme: site.scheme, name: name)
            let q = try QuantizedWeight(quantizing: w, scheme: site.scheme, ranges: ranges, name: name)
            return WeightResult(weight: q, inputChannels: s.channels, inputScales: nil)
        case .activation:
            guard let x = site.calibration else { throw QuantizationError.noCalibrationData(site: site.name) }
            let s = Self.splitActivation(site.weight, inputAbsMax: Self.columnAbsMax(x), extra: extra)
            let q = try QuantizedWeight(quantizing: s.weight, scheme: site.scheme, name: name)
            return WeightResult(weight: q, inputChannels: s.channels, inputScales: s.scales)
        }
    }

    /// max |x[:, j]| per column of x: [rows, cols].
    public static func columnAbsMax(_ x: Tensor) -> [Float] {
        let rows = x.shape[0], cols = x.shape[1], p = x.pointer
        var m = [Float](repeating: 0, count: cols)
        for r in 0..<rows { for j in 0..<cols { m[j] = max(m[j], abs(p[r * cols + j])) } }
        return m
    }

    static func columns(_ w: Tensor) -> ([[Float]], Int) {
        let out = w.shape[0], inF = w.shape[1], p = w.pointer
        return ((0..<inF).map { c in (0..<out).map { p[$0 * inF + c] } }, out)
    }

    static func matrix(_ cols: [[Float]], _ out: Int) -> Tensor {
        let width = cols.count, t = Tensor(zeros: [out, width]), p = t.pointer
        for (k, col) in cols.enumerated() { for r in 0..<out { p[r * width + k] = col[r] } }
        return t
    }
}
