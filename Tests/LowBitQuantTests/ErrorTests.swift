import Foundation
import LowBitCore
import LowBitQuant
import Testing

/// Bad input throws a `QuantError` that says what and where; nothing half-written.
@Suite struct ErrorTests {
    /// A [4, 33] matrix with `bad` at [2, col] (and a second one later, which must not be reported).
    static func poisoned(_ bad: Float, col: Int) -> Tensor {
        var rng = TestRNG(seed: 5)
        var x = rng.floats(4 * 33)
        x[2 * 33 + col] = bad
        x[3 * 33 + 1] = .nan
        return Tensor(shape: [4, 33], values: x)
    }

    static func isNonFinite(_ e: any Error, tensor: String, row: Int, col: Int) -> Bool {
        guard case let QuantError.nonFinite(t, r, c, _) = e else { return false }
        return t == tensor && r == row && c == col
    }

    /// Columns 5 (inside an 8-lane vector) and 32 (the scalar tail); NaN, +Inf, −Inf.
    @Test(arguments: [(Float.nan, 5), (.infinity, 32), (-.infinity, 5), (.nan, 32)])
    func nonFiniteInputIsRejectedEverywhere(bad: Float, col: Int) throws {
        for isa in supportedISAs {
            try withISA(isa) {
                let x = Self.poisoned(bad, col: col)
                let before = x.toArray()
                let check = { (what: String, body: () throws -> Void) in
                    let error = #expect(throws: QuantError.self, "isa \(isa) \(what) with \(bad) at col \(col)") { try body() }
                    #expect(error.map { Self.isNonFinite($0, tensor: "blk.2.ffn", row: 2, col: col) } == true,
                            "isa \(isa) \(what): \(String(describing: error))")
                }
                for scheme in [QuantScheme.groupwise(.int4, groupSize: 11),
                               QuantScheme(bits: .int8, mapping: .asymmetric, granularity: .perTensor)] {
                    check("QuantizedWeight") { _ = try QuantizedWeight(quantizing: x, scheme: scheme, name: "blk.2.ffn") }
                    check("explicit ranges") {
                        let n = try GroupLayout(rows: 4, cols: 33, granularity: scheme.granularity).count
                        _ = try QuantizedWeight(quantizing: x, scheme: scheme, ranges: Array(repeating: QuantRange(symmetricClip: 1), count: n),
                                                name: "blk.2.ffn")
                    }
                    check("fakeQuantized") { _ = try QuantizedWeight.fakeQuantized(x, scheme: scheme, name: "blk.2.ffn") }
                    check("in place") { try QuantizedWeight.fakeQuantizeInPlace(x, scheme: scheme, name: "blk.2.ffn") }
                    #expect(bitwiseEqual(x.toArray(), before), "in place left the tensor untouched")
                    let layout = try GroupLayout(rows: 4, cols: 33, granularity: scheme.granularity)
                    check("reference") { _ = try QuantReference.groupRanges(before, layout: layout, tensor: "blk.2.ffn") }
                }
                check("per token") { _ = try TokenQuantized(quantizing: x, bits: .int4, name: "blk.2.ffn") }
                check("dynamic fake quant") { _ = try ActivationQuantizer.dynamicPerToken(bits: .int8).fakeQuantize(x, name: "blk.2.ffn") }
                let stat = try ActivationQuantizer.staticPerTensor(range: QuantRange(lower: -1, upper: 1), bits: .int8, mapping: .asymmetric)
                check("static fake quant") { _ = try stat.fakeQuantize(x, name: "blk.2.ffn") }
                var mm = MinMaxObserver(), pct = PercentileObserver(), mse = MSEObserver(bits: .int8)
                check("min-max observer") { try mm.observe(x, name: "blk.2.ffn") }
                check("percentile observer") { try pct.observe(x, name: "blk.2.ffn") }
                check("MSE observer") { try mse.observe(x, name: "blk.2.ffn") }
                #expect(mm.range() == nil && pct.range() == nil && mse.range() == nil, "a failed batch is not counted")
            }
        }
    }

    @Test func invalidBitWidths() throws {
        for b in [-1, 0, 1, 9, 16] {
            #expect(throws: QuantError.invalidBitWidth(b)) { try BitWidth(b) }
        }
        #expect(try BitWidth(2) == .int2 && (try BitWidth(8)) == .int8)
        let json = Array(#"{"bits":9,"mapping":"symmetric","granularity":{"perTensor":{}},"rounding":"nearestEven"}"#.utf8)
        #expect(throws: (any Error).self) { try JSONDecoder().decode(QuantScheme.self, from: Data(json)) }
        #expect(QuantError.invalidBitWidth(9).description.contains("9"))
    }

    @Test func groupSizeMustDivide() throws {
        let w = Tensor(zeros: [4, 100])
        let e = QuantError.groupSizeMismatch(tensor: "attn.q", dimension: "inFeatures", size: 100, groupSize: 64)
        #expect(throws: e) { try QuantizedWeight(quantizing: w, scheme: .groupwise(.int4, groupSize: 64), name: "attn.q") }
        #expect(e.description.contains("64") && e.description.contains("100") && e.description.contains("attn.q"))
        #expect(throws: QuantError.groupSizeMismatch(tensor: "attn.q", dimension: "outFeatures", size: 4, groupSize: 3)) {
            try QuantizedWeight(quantizing: w, scheme: QuantScheme(bits: .int8, granularity: .perRowGroup(rows: 3)), name: "attn.q")
        }
        #expect(throws: QuantError.invalidGroupSize(tensor: "w", groupSize: 0)) {
            try GroupLayout(rows: 4, cols: 100, granularity: .perGroup(size: 0), tensor: "w")
        }
        #expect(throws: QuantError.shapeMismatch(tensor: "w", expected: "[outFeatures, inFeatures]", got: [400])) {
            try QuantizedWeight(quantizing: Tensor(zeros: [400]), scheme: .groupwise(.int8, groupSize: 4), name: "w")
        }
    }

    @Test func badRangesAndParameters() throws {
        let w = Tensor(shape: [1, 4], values: [1, 2, 3, 4])
        let scheme = QuantScheme(bits: .int8, mapping: .asymmetric, granularity: .perTensor)
        for r in [QuantRange(lower: 1, upper: -1), QuantRange(lower: .nan, upper: 1),
                  QuantRange(lower: -3e38, upper: 3e38)] {
            #expect(throws: (any Error).self) { try QuantizedWeight(quantizing: w, scheme: scheme, ranges: [r]) }
        }
        #expect(throws: QuantError.countMismatch(tensor: "weight", what: "ranges", expected: 1, got: 2)) {
            try QuantizedWeight(quantizing: w, scheme: scheme, ranges: [QuantRange(symmetricClip: 1), QuantRange(symmetricClip: 1)])
        }
        let bad = ActivationQuantizer.staticPerTensor(bits: .int8, mapping: .symmetric, scale: -1, zeroPoint: 0)
        #expect(throws: (any Error).self) { try bad.fakeQuantize(w) }
        let p = try GroupParams(scales: [1], zeroPoints: nil, codeRange: Mapping.symmetric.codeRange(.int4))
        #expect(throws: QuantError.codeOutOfRange(tensor: "weight", index: 2, value: -8, allowed: -7...7)) {
            try QuantizedWeight(outFeatures: 1, inFeatures: 4, scheme: QuantScheme(bits: .int4, granularity: .perTensor),
                                values: [0, 7, -8, 1], params: p)
        }
    }
}
