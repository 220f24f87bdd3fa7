import LowBitCore
import LowBitModels
import LowBitQuant
import Testing
@testable import LowBitAlgorithms

struct MethodTests {
    /// The paper's table agrees with the numerical minimum of the expected-MSE model (2%).
    @Test(arguments: [Recipe.Distribution.laplace, .gaussian])
    func aciqTableMatchesNumericalOptimum(distribution: Recipe.Distribution) {
        for bits in 2...8 {
            let table = ACIQ.multiplier(bits: try! BitWidth(bits), distribution: distribution)
            let solved = ACIQ.optimalMultiplier(bits: bits, distribution: distribution)
            #expect(abs(table - solved) / solved < 0.02, "\(distribution) \(bits)-bit: table \(table), solved \(solved)")
        }
    }

    @Test func aciqClipBeatsMinMaxOnLaplaceAt4Bits() throws {
        let x = randomTensor([64, 1024], seed: 7) { $0.laplace(0.5) }
        let scheme = QuantScheme(bits: .int4, mapping: .symmetric, granularity: .perTensor)
        let minmax = try QuantizedWeight.fakeQuantized(x, scheme: scheme)
        let r = try ACIQ(distribution: .laplace).ranges(x, scheme: scheme, name: "x")
        let aciq = try QuantizedWeight.fakeQuantized(x, scheme: scheme, ranges: r)
        let (mMin, mACIQ) = (mse(x, minmax), mse(x, aciq))
        #expect(r[0].upper < 5.1 * 0.5 && r[0].upper > 4.9 * 0.5, "clip \(r[0]) vs 5.03·b = 2.515")
        #expect(mACIQ < 0.5 * mMin, "ACIQ MSE \(mACIQ) vs min-max \(mMin)")
        // Gaussian fit on Gaussian data also helps.
        let g = randomTensor([64, 1024], seed: 8)
        let rg = try ACIQ(distribution: .gaussian).ranges(g, scheme: scheme, name: "g")
        #expect(mse(g, try QuantizedWeight.fakeQuantized(g, scheme: scheme, ranges: rg)) < mse(g, try QuantizedWeight.fakeQuantized(g, scheme: scheme)))
    }

    /// Splitting changes no function in float: weight side (plain and quantization-aware) and activation side.
    @Test(arguments: [(1, 1, 0.5), (7, 33, 0.1), (17, 64, 1.0)])
    func ocsSplitComputesTheSameFunction(out: Int, inF: Int, ratio: Double) throws {
        let w = randomTensor([out, inF], seed: UInt64(out * 100 + inF))
        let x = randomTensor([5, inF], seed: 3)
        // An outlier in both.
        w.pointer[inF / 2] = 9
        x.pointer[inF - 1] = 40
        let y = FloatLinear(weight: w).forward(x)
        let extra = OCS.extraColumns(inFeatures: inF, ratio: ratio, granularity: .perChannel)
        let s = OCS.splitWeight(w, extra: extra)
        #expect(s.weight.shape == Shape([out, inF + extra]))
        let ys = FloatLinear(weight: s.weight).forward(OCS.expandInput(x, channels: s.channels, scales: s.scales))
        #expect(maxAbsDiff(y, ys) <= 1e-4 * max(1, y.toArray().map(abs).max()!), "weight split")
        let qa = try OCS.quantizationAware(s, original: w, scheme: QuantScheme(bits: .int4, granularity: .perChannel), name: "w")
        let yq = FloatLinear(weight: qa.weight).forward(OCS.expandInput(x, channels: s.channels, scales: nil))
        #expect(maxAbsDiff(y, yq) <= 1e-4 * max(1, y.toArray().map(abs).max()!), "QA weight split")
        let a = OCS.splitActivation(w, inputAbsMax: OCS.columnAbsMax(x), extra: extra)
        #expect(a.channels.filter { $0 == Int32(inF - 1) }.count >= 2, "the outlier input channel is split")
        let ya = FloatLinear(weight: a.weight).forward(OCS.expandInput(x, channels: a.channels, scales: a.scales))
        #expect(maxAbsDiff(y, ya) <= 1e-4 * max(1, y.toArray().map(abs).max()!), "activation split")
        // The QuantizedLinear gather path computes the same as expandInput.
        let q = try QuantizedLinear(weight: QuantizedWeight(quantizing: a.weight, scheme: QuantScheme(bits: .int8, granularity: .perChannel)),
                                    bias: nil, inFeatures: inF, inputChannels: a.channels, inputScales: a.scales)
        let yg = q.forward(x)
        let yr = FloatLinear(weight: q.weight.dequantized()).forward(OCS.expandInput(x, channels: a.channels, scales: a.scales))
        #expect(maxAbsDiff(yg, yr) <= 1e-4 * max(1, yr.toArray().map(abs).max()!))
    }

    /// OCS (weight side, 5 % more columns) has lower weight MSE than plain per-channel min-max
    /// (LQ) on every MiniLM linear layer at 4 bits.
    @Test func ocsBeatsLinearQuantizationOnEveryMiniLMLayer() throws {
        let model = try BertModel.load(path: Paths.require(Paths.minilm))
        let scheme = QuantScheme(bits: .int4, granularity: .perChannel)
        for site in model.linearSites() {
            let w = try #require(site.floatLinear).weight
            let input = SiteInput(name: site.name, role: site.role, weight: w, scheme: scheme, calibration: nil)
            let lq = try LinearQuantization().quantizeWeight(input).effectiveWeight(inFeatures: w.shape[1])
            let ocs = try OCS(expandRatio: 0.05).quantizeWeight(input)
            #expect(ocs.weight.inFeatures > w.shape[1])
            let (e1, e2) = (mse(w, lq), mse(w, ocs.effectiveWeight(inFeatures: w.shape[1])))
            #expect(e2 < e1, "\(site.name): OCS \(e2) vs LQ \(e1)")
        }
    }
}
