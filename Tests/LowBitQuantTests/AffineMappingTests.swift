import LowBitCore
import LowBitQuant
import Testing

/// `Mapping.affine`: x̂ = u·s + m with a float minimum m per group (the rest of the format —
/// kernels against the reference, error bounds, packing — runs in the suites that iterate
/// `Mapping.allCases`).
@Suite struct AffineMappingTests {
    /// The parameter table of `Mapping`: s = (hi − lo) / (2^b − 1), m = lo (not widened to 0,
    /// not rounded to the grid), the zero point fixed at −2^(b−1); asymmetric for contrast.
    @Test func parametersFollowTheTable() {
        let r = QuantRange(lower: 0.3, upper: 1.8)
        let (s, z, m) = Mapping.affine.parameters(for: r, bits: .int4)
        #expect(s == (Float(1.8) - 0.3) / 15 && z == -8 && m == 0.3)
        // Asymmetric widens [0.3, 1.8] to [0, 1.8]: a coarser grid that must hold 0.
        let (sa, za, ma) = Mapping.asymmetric.parameters(for: r, bits: .int4)
        #expect(sa == Float(1.8) / 15 && za == -8 && ma == 0)
        #expect(Mapping.affine.codeRange(.int8) == -128...127 && Mapping.affine.levels(.int4) == 15)
        // A constant group: scale 0, every value is exactly m.
        let (s0, _, m0) = Mapping.affine.parameters(for: QuantRange(lower: -2.5, upper: -2.5), bits: .int4)
        #expect(s0 == 0 && m0 == -2.5)
        let (_, _, mz) = Mapping.affine.parameters(for: QuantRange(lower: -0.0, upper: 1), bits: .int4)
        #expect(mz.bitPattern == Float(0).bitPattern, "a −0 minimum is stored as +0")
    }

    /// A one-signed group keeps its full 2^b levels: affine error ≤ s/2 with s = (hi − lo)/15,
    /// where asymmetric spends levels on [0, lo].
    @Test func oneSidedGroupsUseEveryLevel() throws {
        var rng = TestRNG(seed: 5)
        let x = rng.floats(4 * 32, 1, 2)
        let w = Tensor(shape: [4, 32], values: x)
        let affine = try QuantizedWeight.fakeQuantized(w, scheme: QuantScheme(bits: .int4, mapping: .affine, granularity: .perGroup(size: 32)))
        let asym = try QuantizedWeight.fakeQuantized(w, scheme: QuantScheme(bits: .int4, mapping: .asymmetric, granularity: .perGroup(size: 32)))
        let ea = zip(affine.toArray(), x).map { ($0 - $1).magnitude }.max()!
        let es = zip(asym.toArray(), x).map { ($0 - $1).magnitude }.max()!
        #expect(ea <= 0.5 / 15 + 1e-6 && ea < es / 1.5, "affine \(ea), asymmetric \(es)")
    }

    /// Stored parts are validated: minimums exactly for affine, finite, and the implied zero points.
    @Test func storedPartsAreValidated() throws {
        let scheme = QuantScheme(bits: .int4, mapping: .affine, granularity: .perGroup(size: 2))
        let good = try GroupParams(affineScales: [0.5, 0.25], mins: [-1, 0.5], bits: .int4)
        let w = try QuantizedWeight(outFeatures: 1, inFeatures: 4, scheme: scheme, values: [-8, 7, 0, -1], params: good)
        #expect(w.dequantized().toArray() == [-1, 6.5, 2.5, 2.25])
        let noMins = try GroupParams(scales: [0.5, 0.25], zeroPoints: [-8, -8], codeRange: scheme.codeRange)
        #expect(throws: QuantError.countMismatch(tensor: "weight", what: "minimum arrays", expected: 1, got: 0)) {
            try QuantizedWeight(outFeatures: 1, inFeatures: 4, scheme: scheme, values: [0, 0, 0, 0], params: noMins)
        }
        let wrongZero = try GroupParams(scales: [0.5, 0.25], zeroPoints: [-8, -3], mins: [0, 0], codeRange: scheme.codeRange)
        #expect(throws: QuantError.codeOutOfRange(tensor: "weight", index: 1, value: -3, allowed: -8...(-8))) {
            try QuantizedWeight(outFeatures: 1, inFeatures: 4, scheme: scheme, values: [0, 0, 0, 0], params: wrongZero)
        }
        #expect(throws: QuantError.invalidRange(tensor: "w.mins", group: 1, min: .infinity, max: .infinity, reason: "minimum must be finite")) {
            try GroupParams(affineScales: [1, 1], mins: [0, .infinity], bits: .int4, tensor: "w.mins")
        }
        // Minimums on a non-affine weight are refused too.
        let asym = QuantScheme(bits: .int4, mapping: .asymmetric, granularity: .perGroup(size: 2))
        #expect(throws: QuantError.countMismatch(tensor: "weight", what: "minimum arrays", expected: 0, got: 1)) {
            try QuantizedWeight(outFeatures: 1, inFeatures: 4, scheme: asym, values: [0, 0, 0, 0], params: good)
        }
    }

    /// Activations have no affine form (the integer kernels take per-token scales only).
    @Test func activationsRejectAffine() {
        #expect(throws: QuantError.unsupportedMapping(tensor: "act", mapping: .affine, reason: "activations are symmetric or asymmetric")) {
            try ActivationQuantizer.staticPerTensor(range: QuantRange(lower: -1, upper: 1), bits: .int8, mapping: .affine, name: "act")
        }
        let direct = ActivationQuantizer.staticPerTensor(bits: .int8, mapping: .affine, scale: 0.1, zeroPoint: -128)
        #expect(throws: (any Error).self) { try direct.fakeQuantize(Tensor(shape: [1, 2], values: [0, 1])) }
    }
}
