import LowBitCore
import LowBitModels
import LowBitQuant

/// One linear site as a method sees it.
public struct SiteInput: Sendable {
    public let name: String
    public let role: LinearRole
    /// w: [outFeatures, inFeatures]
    public let weight: Tensor
    /// The weight scheme, its group size already fitted to this layer.
    public let scheme: QuantScheme
    /// x: [rows, inFeatures], the float inputs seen in calibration, or nil.
    public let calibration: Tensor?

    public init(name: String, role: LinearRole, weight: Tensor, scheme: QuantScheme, calibration: Tensor?) {
        self.name = name
        self.role = role
        self.weight = weight
        self.scheme = scheme
        self.calibration = calibration
    }

    public var outFeatures: Int { weight.shape[0] }
    public var inFeatures: Int { weight.shape[1] }
}

/// What a method makes of a site's weight: the quantized weight, and for OCS the gather map and
/// input scales of the widened layer (the fields `QuantizedLinear` takes).
public struct WeightResult: Sendable {
    /// w: [outFeatures, expandedIn] quantized.
    public var weight: QuantizedWeight
    /// [expandedIn] → input column, or nil (no split).
    public var inputChannels: [Int32]?
    /// [expandedIn] input multipliers, or nil (all 1).
    public var inputScales: [Float]?

    public init(weight: QuantizedWeight, inputChannels: [Int32]? = nil, inputScales: [Float]? = nil) {
        self.weight = weight
        self.inputChannels = inputChannels
        self.inputScales = inputScales
    }

    /// The float weight [outFeatures, inFeatures] the layer effectively applies: the dequantized
    /// columns, times their input scales, summed back onto their input channels.
    public func effectiveWeight(inFeatures: Int) -> Tensor {
        let dq = weight.dequantized()
        guard inputChannels != nil || inputScales != nil else { return dq }
        let out = weight.outFeatures, width = weight.inFeatures
        let map = inputChannels ?? (0..<Int32(width)).map { $0 }
        let scales = inputScales ?? [Float](repeating: 1, count: width)
        let w = Tensor(zeros: [out, inFeatures])
        let src = dq.pointer, dst = w.pointer
        for r in 0..<out {
            for k in 0..<width { dst[r * inFeatures + Int(map[k])] += src[r * width + k] * scales[k] }
        }
        return w
    }
}

/// A post-training quantization method: picks a site's weight ranges (and may reshape the
/// layer), and may pick static activation ranges. One type per method: `RTN`, `LinearQuantization`,
/// `ACIQ`, `OCS`.
public protocol QuantizationMethod: Sendable {
    /// The recipe name (`rtn`, `lq`, `aciq`, `ocs`).
    var name: String { get }
    /// True when the method cannot run without calibration inputs.
    var requiresCalibration: Bool { get }
    /// Quantizes one site's weight.
    func quantizeWeight(_ site: SiteInput) throws -> WeightResult
    /// A static activation clipping range for x: [rows, expandedIn] (the layer's widened input),
    /// or nil to use the recipe's observer.
    func activationRange(_ x: Tensor, bits: BitWidth, mapping: Mapping) -> QuantRange?
}

extension QuantizationMethod {
    public func activationRange(_ x: Tensor, bits: BitWidth, mapping: Mapping) -> QuantRange? { nil }
}

extension Recipe.Method {
    /// The method object this recipe entry names.
    public func makeMethod() -> any QuantizationMethod {
        switch name {
        case .rtn: RTN()
        case .lq: LinearQuantization()
        case .aciq: ACIQ(distribution: distribution)
        case .ocs: OCS(expandRatio: expandRatio, split: split)
        }
    }
}

/// Calls `body(group, values)` for each group of w: [layout.rows, layout.cols], groups in
/// layout order, values row-major inside the group.
func forEachGroup(_ w: Tensor, _ layout: GroupLayout, _ body: (Int, [Float]) -> Void) {
    let p = w.pointer
    var values: [Float] = []
    values.reserveCapacity(layout.groupRows * layout.groupCols)
    for gr in 0..<layout.rowGroups {
        for gc in 0..<layout.colGroups {
            values.removeAll(keepingCapacity: true)
            for r in (gr * layout.groupRows)..<((gr + 1) * layout.groupRows) {
                let base = r * layout.cols + gc * layout.groupCols
                values.append(contentsOf: UnsafeBufferPointer(start: p + base, count: layout.groupCols))
            }
            body(gr * layout.colGroups + gc, values)
        }
    }
}
