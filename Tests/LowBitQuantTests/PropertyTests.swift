import LowBitCore
import LowBitQuant
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Properties every scheme must have, per bit width and mapping.
@Suite struct PropertyTests {
    static let schemes: [QuantScheme] = BitWidth.all.flatMap { b in
        Mapping.allCases.flatMap { m in
            [Granularity.perGroup(size: 17), .perChannel].map { QuantScheme(bits: b, mapping: m, granularity: $0) }
        }
    }

    /// |x − x̂| <= s/2 inside the clipping range (plus float rounding of x/s and (q−z)·s);
    /// outside it, x̂ is the end of the range's code grid.
    @Test(arguments: schemes) func errorBound(scheme: QuantScheme) throws {
        var rng = TestRNG(seed: UInt64(scheme.bits.value))
        let (rows, cols) = (6, 17 * 5)
        let x = rng.activationLike(rows * cols)
        let w = Tensor(shape: [rows, cols], values: x)
        let layout = try GroupLayout(rows: rows, cols: cols, granularity: scheme.granularity)
        let minMax = try MinMaxEstimator().ranges(w, layout: layout, name: "w")
        for ratio: Float in [1, 0.6] {
            let ranges = minMax.map { $0.scaled(by: ratio) }
            let q = try QuantizedWeight(quantizing: w, scheme: scheme, ranges: ranges)
            let dq = q.dequantized().toArray()
            let (lo, hi) = (Float(scheme.codeRange.lowerBound), Float(scheme.codeRange.upperBound))
            for r in 0..<rows {
                for c in 0..<cols {
                    let i = r * cols + c, g = layout.group(row: r, col: c)
                    let s = q.scales[g], z = q.params.zero(g), m = q.params.minimum(g)
                    let gridLo = (lo - z) * s + m, gridHi = (hi - z) * s + m
                    let slack = s * Float(1 << scheme.bits.value) * 0x1p-22 + x[i].magnitude.ulp + m.magnitude.ulp
                    if x[i] >= gridLo && x[i] <= gridHi {
                        #expect(abs(x[i] - dq[i]) <= s / 2 + slack, "\(scheme) ratio \(ratio) [\(r), \(c)]: \(x[i]) → \(dq[i]), s \(s)")
                    } else {
                        #expect(dq[i] == (x[i] < gridLo ? gridLo : gridHi), "\(scheme) saturation at [\(r), \(c)]")
                    }
                }
            }
        }
    }

    /// Re-quantizing dequantized values gives the same codes: always under the same
    /// parameters; under re-estimated min-max parameters for symmetric schemes, and for
    /// asymmetric ones whenever the group's maximum got the top code (see the README).
    @Test(arguments: schemes) func idempotence(scheme: QuantScheme) throws {
        var rng = TestRNG(seed: 100 + UInt64(scheme.bits.value))
        let (rows, cols) = (5, 17 * 3)
        let x = rng.activationLike(rows * cols)
        let layout = try GroupLayout(rows: rows, cols: cols, granularity: scheme.granularity)
        let q = try QuantizedWeight(quantizing: Tensor(shape: [rows, cols], values: x), scheme: scheme)
        let dq = q.dequantized()
        // Same parameters.
        var codes = [Int8](repeating: 0, count: x.count)
        try codes.withUnsafeMutableBufferPointer { c in
            try QuantKernels.quantize(dq.pointer, layout: layout, codeRange: scheme.codeRange, params: q.params,
                                      codes: c.baseAddress, dequantized: nil)
        }
        #expect(codes == q.values, "\(scheme): same params")
        // Re-estimated parameters.
        let q2 = try QuantizedWeight(quantizing: dq, scheme: scheme)
        let topCode = Int8(scheme.codeRange.upperBound)
        for g in 0..<layout.count {
            let rowsOfG = (g / layout.colGroups) * layout.groupRows..<(g / layout.colGroups + 1) * layout.groupRows
            let colsOfG = (g % layout.colGroups) * layout.groupCols..<(g % layout.colGroups + 1) * layout.groupCols
            let idx = rowsOfG.flatMap { r in colsOfG.map { r * cols + $0 } }
            let hasTop = idx.contains { q.values[$0] == topCode } || idx.allSatisfy { x[$0] <= 0 }
            guard scheme.mapping == .symmetric || hasTop else { continue }
            #expect(idx.allSatisfy { q2.values[$0] == q.values[$0] }, "\(scheme): group \(g) re-estimated")
        }
    }

    /// Values on the code grid, (k − z)·s + m for every code k, come back exactly, with code k.
    @Test(arguments: schemes) func representableValuesRoundTrip(scheme: QuantScheme) throws {
        var rng = TestRNG(seed: 200 + UInt64(scheme.bits.value))
        let codeRange = scheme.codeRange
        let cols = codeRange.count
        let scales: [Float] = [1, 0.0078125, rng.uniform(0.001, 0.1), rng.uniform(1, 300)]
        let zeros: [Int8]? = scheme.mapping == .asymmetric ? scales.indices.map { _ in
            Int8(codeRange.lowerBound + Int(rng.next() % UInt64(cols))) } : nil
        let params = scheme.mapping == .affine
            ? try GroupParams(affineScales: scales, mins: scales.map { -$0 * rng.uniform(0, Float(cols)) }, bits: scheme.bits)
            : try GroupParams(scales: scales, zeroPoints: zeros, codeRange: codeRange)
        let layout = try GroupLayout(rows: scales.count, cols: cols, granularity: .perChannel)
        let k = (0..<scales.count).flatMap { _ in codeRange.map { Int8($0) } }
        let x = QuantReference.dequantize(codes: k, layout: layout, params: params)
        let t = Tensor(shape: [scales.count, cols], values: x)
        var codes = [Int8](repeating: 0, count: x.count)
        let y = Tensor(zeros: t.shape)
        try codes.withUnsafeMutableBufferPointer { c in
            try QuantKernels.quantize(t.pointer, layout: layout, codeRange: codeRange, params: params,
                                      codes: c.baseAddress, dequantized: y.pointer)
        }
        #expect(codes == k, "\(scheme): codes")
        #expect(bitwiseEqual(y.toArray(), x), "\(scheme): values \(firstDifference(y.toArray(), x))")
    }

    /// Asymmetric: the range always includes 0, and 0.0 maps to the zero point and back to 0.
    @Test(arguments: BitWidth.all) func zeroIsExactForAsymmetric(bits: BitWidth) throws {
        var rng = TestRNG(seed: 300 + UInt64(bits.value))
        let cols = 33
        let rows: [[Float]] = [rng.floats(cols, 0.5, 3), rng.floats(cols, -7, -0.1), rng.floats(cols, -0.3, 9),
                               rng.floats(cols, -1e-3, 1e-3)].map { var r = $0; r[cols / 2] = 0; return r }
        let scheme = QuantScheme(bits: bits, mapping: .asymmetric, granularity: .perChannel)
        let q = try QuantizedWeight(quantizing: Tensor(shape: [rows.count, cols], values: rows.flatMap { $0 }), scheme: scheme)
        let dq = q.dequantized().toArray()
        for r in rows.indices {
            #expect(q.values[r * cols + cols / 2] == q.zeroPoints![r], "\(bits) row \(r): code of 0")
            #expect(dq[r * cols + cols / 2] == 0, "\(bits) row \(r): 0 → \(dq[r * cols + cols / 2])")
            #expect(q.scheme.codeRange.contains(Int(q.zeroPoints![r])))
        }
    }

    /// All-zero rows: scale 0, no division by zero, exact zeros back. Constant rows: every
    /// element gets the same extreme code, and comes back within one float rounding of the
    /// constant (exact when c·(1/levels)·levels rounds back to c; see the README).
    @Test(arguments: schemes) func zeroAndConstantRows(scheme: QuantScheme) throws {
        let cols = 17 * 2
        let constants: [Float] = [0, -0.0, 0.1, -3.7, 1e-3, 1.99, 123.456, 64]
        let x = constants.flatMap { [Float](repeating: $0, count: cols) }
        let q = try QuantizedWeight(quantizing: Tensor(shape: [constants.count, cols], values: x), scheme: scheme)
        let dq = q.dequantized().toArray()
        for (r, c) in constants.enumerated() {
            let row = Array(dq[(r * cols)..<((r + 1) * cols)])
            #expect(row.allSatisfy { $0.bitPattern == row[0].bitPattern }, "\(scheme) row \(r): constant")
            if c == 0 {
                #expect(row[0].bitPattern == Float(0).bitPattern, "\(scheme): zero row → \(row[0])")
            } else {
                #expect(abs(row[0] - c) <= c.magnitude.ulp, "\(scheme): \(c) → \(row[0])")
            }
        }
        // Powers of two times the level count are exact.
        let exact = Float(scheme.mapping.levels(scheme.bits)) * 0.125
        let qe = try QuantizedWeight(quantizing: Tensor(shape: [1, cols], values: [Float](repeating: -exact, count: cols)), scheme: scheme)
        #expect(qe.dequantized().toArray().allSatisfy { $0 == -exact }, "\(scheme): \(-exact)")
    }

    /// Ties round to even, in units of the scale (s = 1 and s = 0.25).
    @Test func roundsTiesToEven() throws {
        let units: [Float] = [2.5, 3.5, -2.5, -3.5, 0.5, -0.5, 1.5, 2.4, 2.6, 127]
        let expected: [Int8] = [2, 4, -2, -4, 0, 0, 2, 2, 3, 127]
        for s: Float in [1, 0.25] {
            let w = Tensor(shape: [1, units.count], values: units.map { $0 * s })
            let scheme = QuantScheme(bits: .int8, granularity: .perTensor)
            let q = try QuantizedWeight(quantizing: w, scheme: scheme, ranges: [QuantRange(symmetricClip: 127 * s)])
            #expect(q.scales == [s])
            #expect(q.values == expected, "s = \(s)")
            let token = try TokenQuantized(quantizing: w)
            #expect(token.scales == [s] && token.values == expected, "per token, s = \(s)")
            #expect(QuantReference.code(2.5 * s, scale: s, zero: 0, minimum: 0, lo: -127, hi: 127) == 2)
            // Affine: rounding of (x − m) / s, here m = −8·s, zero point −128 (u = t).
            #expect(QuantReference.code(2.5 * s - 8 * s, scale: s, zero: -128, minimum: -8 * s, lo: -128, hi: 127) == 2 - 128)
        }
    }

    @Test func sqnrTracksBitWidth() throws {
        var rng = TestRNG(seed: 400)
        let w = Tensor(shape: [16, 256], values: rng.floats(16 * 256))
        var last = -Double.infinity
        for bits in BitWidth.all {
            let dq = try QuantizedWeight.fakeQuantized(w, scheme: .groupwise(bits, groupSize: 64))
            let db = sqnr(reference: w, approximation: dq)
            // Uniform data on a restricted symmetric grid of step 2·amax/(2^b − 2): 20·log10(2^b − 2) dB.
            let expected = 20 * log10(Double((1 << bits.value) - 2))
            #expect(db > expected - 1 && db > last + 4, "\(bits): \(db) dB, expected ~\(expected)")
            last = db
        }
        #expect(sqnr(reference: [1, 1, 1, 1], approximation: [1.1, 0.9, 1.1, 0.9]).isApproximatelyEqual(to: 20, tol: 1e-5))
        #expect(sqnr(reference: [1, 2], approximation: [1, 2]) == .infinity)
        #expect(sqnr(reference: [0, 0], approximation: [0, 1]) == -.infinity)
        #expect(sqnr(reference: [Float.nan], approximation: [1]).isNaN)
    }
}

extension Double {
    func isApproximatelyEqual(to other: Double, tol: Double) -> Bool { abs(self - other) <= tol }
}
