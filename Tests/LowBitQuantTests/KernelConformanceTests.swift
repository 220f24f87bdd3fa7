import LowBitCore
import Testing
import LowBitQuant

/// The fast path (C kernels, at every instruction-set level this CPU runs) against
/// `QuantReference`, bit for bit, on random data and odd shapes.
@Suite struct KernelConformanceTests {
    static func granularities(_ rows: Int, _ cols: Int) -> [Granularity] {
        [.perTensor, .perChannel] + divisors(of: cols).map { .perGroup(size: $0) }
            + divisors(of: rows, among: [1, 3, 17]).map { .perRowGroup(rows: $0) }
    }

    @Test(arguments: [Int32(0), 1, 2]) func weightQuantizationMatchesReference(isa: Int32) throws {
        guard supportedISAs.contains(isa) else { return }
        var rng = TestRNG(seed: 7)
        try withISA(isa) {
            for rows in [1, 3, 17] { for cols in oddSizes {
                let x = rng.activationLike(rows * cols)
                for g in Self.granularities(rows, cols) { for bits in [2, 3, 4, 8] { for mapping in Mapping.allCases {
                    let scheme = QuantScheme(bits: try BitWidth(bits), mapping: mapping, granularity: g)
                    let layout = try GroupLayout(rows: rows, cols: cols, granularity: g)
                    let fast = try fastQuantize(x, layout: layout, scheme: scheme)
                    let ref = try referenceQuantize(x, layout: layout, scheme: scheme)
                    let what = "isa \(isa) [\(rows), \(cols)] \(scheme)"
                    #expect(fast.ranges == ref.ranges, "\(what): ranges")
                    #expect(bitwiseEqual(fast.params.scales, ref.params.scales) && fast.params.zeroPoints == ref.params.zeroPoints
                            && bitwiseEqual(fast.params.mins ?? [], ref.params.mins ?? []) && (fast.params.mins == nil) == (mapping != .affine),
                            "\(what): params")
                    #expect(fast.codes == ref.codes, "\(what): codes")
                    #expect(bitwiseEqual(fast.dq, ref.dq), "\(what): dequantized \(firstDifference(fast.dq, ref.dq))")
                }}}
            }}
        }
    }

    /// Explicit ranges narrower and wider than the data (clipping and slack), 5–7 bits.
    @Test(arguments: [Int32(0), 1, 2]) func clippedRangesMatchReference(isa: Int32) throws {
        guard supportedISAs.contains(isa) else { return }
        var rng = TestRNG(seed: 11)
        try withISA(isa) {
            for cols in [33, 1023] {
                let rows = 5
                let x = rng.floats(rows * cols, -3, 2)
                for ratio: Float in [0.3, 0.71, 1.5] { for bits in [5, 6, 7] { for mapping in Mapping.allCases {
                    let scheme = QuantScheme(bits: try BitWidth(bits), mapping: mapping, granularity: .perGroup(size: 33))
                    let layout = try GroupLayout(rows: rows, cols: cols, granularity: scheme.granularity)
                    let ranges = try QuantReference.groupRanges(x, layout: layout).map { $0.scaled(by: ratio) }
                    let fast = try fastQuantize(x, layout: layout, scheme: scheme, ranges: ranges)
                    let ref = try referenceQuantize(x, layout: layout, scheme: scheme, ranges: ranges)
                    #expect(fast.codes == ref.codes && bitwiseEqual(fast.dq, ref.dq),
                            "isa \(isa) cols \(cols) ratio \(ratio) \(scheme): \(firstDifference(fast.dq, ref.dq))")
                }}}
            }
        }
    }

    /// Values on and next to the rounding ties, (k + ½)·s and its neighbouring floats, with
    /// scales that are not powers of two: where a kernel that computed x·(1/s) instead of x/s,
    /// or rounded ties differently, would give other codes.
    @Test(arguments: [Int32(0), 1, 2]) func tiesMatchReference(isa: Int32) throws {
        guard supportedISAs.contains(isa) else { return }
        var rng = TestRNG(seed: 37)
        try withISA(isa) {
            for mapping in Mapping.allCases { for bits in [BitWidth.int4, .int8] {
                let (rows, cols) = (64, 1023)
                let ranges = (0..<rows).map { _ in QuantRange(lower: -rng.uniform(0.01, 10), upper: rng.uniform(0.01, 10)) }
                let scheme = QuantScheme(bits: bits, mapping: mapping, granularity: .perChannel)
                let params = try GroupParams(ranges: ranges, bits: bits, mapping: mapping)
                let span = scheme.codeRange.count
                let x: [Float] = (0..<(rows * cols)).map { i in
                    let s = params.scales[i / cols], k = Float(Int(rng.next() % UInt64(span)) - span / 2)
                    let tie = (k + 0.5) * s
                    switch rng.next() % 3 { case 0: return tie.nextDown; case 1: return tie; default: return tie.nextUp }
                }
                let layout = try GroupLayout(rows: rows, cols: cols, granularity: .perChannel)
                let fast = try fastQuantize(x, layout: layout, scheme: scheme, ranges: ranges)
                let ref = try referenceQuantize(x, layout: layout, scheme: scheme, ranges: ranges)
                #expect(fast.codes == ref.codes && bitwiseEqual(fast.dq, ref.dq),
                        "isa \(isa) \(scheme): \(firstDifference(fast.dq, ref.dq))")
            }}
        }
    }

    @Test(arguments: [Int32(0), 1, 2]) func perTokenMatchesReference(isa: Int32) throws {
        guard supportedISAs.contains(isa) else { return }
        var rng = TestRNG(seed: 13)
        try withISA(isa) {
            for tokens in [1, 3, 17, 33] { for features in oddSizes { for bits in [BitWidth.int8, .int4] {
                var x = rng.activationLike(tokens * features)
                if tokens > 2 { for f in 0..<features { x[features + f] = 0 } } // an all-zero token
                let t = Tensor(shape: [tokens, features], values: x)
                let q = try TokenQuantized(quantizing: t, bits: bits)
                let fake = try ActivationQuantizer.dynamicPerToken(bits: bits).fakeQuantize(t).toArray()
                let ref = try QuantReference.quantizePerToken(x, tokens: tokens, features: features, bits: bits)
                let what = "isa \(isa) [\(tokens), \(features)] \(bits)"
                #expect(q.values == ref.codes && bitwiseEqual(q.scales, ref.scales), "\(what): codes/scales")
                #expect(bitwiseEqual(fake, ref.dequantized), "\(what): fake quant \(firstDifference(fake, ref.dequantized))")
                #expect(bitwiseEqual(q.dequantized().toArray(), ref.dequantized), "\(what): dequantized()")
            }}}
        }
    }

    @Test(arguments: [Int32(0), 1, 2]) func staticPerTensorMatchesReference(isa: Int32) throws {
        guard supportedISAs.contains(isa) else { return }
        var rng = TestRNG(seed: 17)
        try withISA(isa) {
            for features in oddSizes { for mapping in Mapping.allCases where mapping != .affine { // weights only
                let tokens = 9
                let x = rng.floats(tokens * features, -2, 5)
                let range = QuantRange(lower: -1.5, upper: 3.25) // clips some values
                let aq = try ActivationQuantizer.staticPerTensor(range: range, bits: .int8, mapping: mapping)
                let fake = try aq.fakeQuantize(Tensor(shape: [3, 3, features], values: x)).toArray()
                let layout = try GroupLayout(rows: tokens, cols: features, granularity: .perTensor)
                let scheme = QuantScheme(bits: .int8, mapping: mapping, granularity: .perTensor)
                let ref = try referenceQuantize(x, layout: layout, scheme: scheme, ranges: [range])
                #expect(bitwiseEqual(fake, ref.dq), "isa \(isa) features \(features) \(mapping): \(firstDifference(fake, ref.dq))")
            }}
        }
    }

    /// The Tensor-level weight API: codes, dequantized(), fakeQuantized and in-place agree.
    @Test func weightAPIsAgree() throws {
        var rng = TestRNG(seed: 19)
        let (rows, cols) = (17, 1023)
        let x = rng.activationLike(rows * cols)
        for scheme in [QuantScheme.groupwise(.int4, groupSize: 33),
                       QuantScheme(bits: .int8, mapping: .asymmetric, granularity: .perChannel),
                       QuantScheme(bits: .int3, mapping: .asymmetric, granularity: .perRowGroup(rows: 17))] {
            let w = Tensor(shape: [rows, cols], values: x)
            let q = try QuantizedWeight(quantizing: w, scheme: scheme)
            let layout = try GroupLayout(rows: rows, cols: cols, granularity: scheme.granularity)
            let ref = try referenceQuantize(x, layout: layout, scheme: scheme)
            #expect(q.values == ref.codes && q.params == ref.params, "\(scheme): codes/params")
            #expect(bitwiseEqual(q.dequantized().toArray(), ref.dq), "\(scheme): dequantized()")
            #expect(bitwiseEqual(try QuantizedWeight.fakeQuantized(w, scheme: scheme).toArray(), ref.dq), "\(scheme): fakeQuantized")
            let inPlace = w.copy()
            try QuantizedWeight.fakeQuantizeInPlace(inPlace, scheme: scheme)
            #expect(bitwiseEqual(inPlace.toArray(), ref.dq), "\(scheme): in place")
            #expect(w.toArray() == x, "input untouched")
        }
    }
}
