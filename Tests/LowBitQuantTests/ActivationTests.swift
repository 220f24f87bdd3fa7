import Foundation
import LowBitCore
import LowBitQuant
import Testing

@Suite struct ActivationTests {
    @Test func dynamicPerTokenScales() throws {
        let x = Tensor(shape: [2, 2, 3], values: [1, -2, 0.5, 0, 0, 0, 7, 3.5, -1, -0.1, 0.05, 0])
        let q8 = try TokenQuantized(quantizing: x)
        #expect(q8.tokens == 4 && q8.features == 3)
        #expect(q8.scales == [Float(2) / 127, 0, Float(7) / 127, Float(0.1) / 127])
        #expect(q8.values[0..<3] == [64, -127, 32] && q8.values[3..<6] == [0, 0, 0])
        let q4 = try TokenQuantized(quantizing: x, bits: .int4)
        #expect(q4.scales[2] == 1 && q4.values[6..<9] == [7, 4, -1]) // 3.5 is a tie: → 4
        #expect(try ActivationQuantizer.none.fakeQuantize(x).pointer == x.pointer)
        let fq = try ActivationQuantizer.dynamicPerToken(bits: .int4).fakeQuantize(x)
        #expect(fq.shape == x.shape && fq.toArray()[6..<9] == [7, 4, -1])
        #expect(throws: (any Error).self) { try TokenQuantized(quantizing: Tensor(zeros: [3, 0])) }
        #expect(try TokenQuantized(quantizing: Tensor(zeros: [0, 5])).values.isEmpty)
    }

    @Test func minMaxObserverOverBatches() throws {
        var rng = TestRNG(seed: 41)
        var obs = MinMaxObserver()
        var all: [Float] = []
        for n in [1, 17, 1023] {
            let x = rng.floats(n * 3, -float(n), 2)
            all += x
            try obs.observe(Tensor(shape: [n, 3], values: x), name: "x")
        }
        #expect(obs.range() == QuantRange(lower: all.min()!, upper: all.max()!))
        let aq = try #require(try obs.quantizer(bits: .int8, mapping: .asymmetric))
        guard case let .staticPerTensor(bits, mapping, scale, zero) = aq else { Issue.record("not static"); return }
        let p = try GroupParams(ranges: [obs.range()!], bits: .int8, mapping: .asymmetric)
        #expect(bits == .int8 && mapping == .asymmetric && scale == p.scales[0] && zero == p.zeroPoints![0])
    }

    @Test func percentileIsExactWhileTheSampleHoldsEverything() throws {
        var obs = PercentileObserver(percentile: 99.99)
        // 0...10000 in a scrambled order, in uneven batches.
        let values = (0...10000).map { Float(($0 * 7919) % 10001) }
        var start = 0
        for n in [1, 100, 4000, 5900] {
            try obs.observe(Tensor(shape: [n], values: Array(values[start..<(start + n)])), name: "x")
            start += n
        }
        #expect(obs.sample.seen == 10001 && obs.sample.stride == 1)
        #expect(obs.range() == QuantRange(lower: 1, upper: 9999)) // h = 0.0001·10000 = 1 and 0.9999·10000 = 9999
        var median = PercentileObserver(percentile: 50)
        try median.observe(Tensor(shape: [4], values: [4, 1, 3, 2]), name: "x")
        #expect(median.range() == QuantRange(lower: 2.5, upper: 2.5))
    }

    /// The sample keeps exactly the values numbered 0, stride, 2·stride, … however the input is batched.
    @Test func sampleIsDeterministicAndBatchIndependent() {
        var rng = TestRNG(seed: 43)
        let x = rng.floats(5000)
        var samples: [ActivationSample] = []
        for batch in [1, 7, 333, 5000] {
            var s = ActivationSample(capacity: 64)
            var i = 0
            while i < x.count {
                let n = min(batch, x.count - i)
                x[i..<(i + n)].withUnsafeBufferPointer { s.add($0) }
                i += n
            }
            samples.append(s)
        }
        #expect(samples.allSatisfy { $0 == samples[0] })
        let s = samples[0]
        #expect(s.values.count <= 64 && s.values.count > 32 && s.seen == 5000)
        #expect(s.values == Swift.stride(from: 0, to: 5000, by: s.stride).map { x[$0] })
    }

    @Test func mseObserverClipsOutliersAndKeepsUniformData() throws {
        var rng = TestRNG(seed: 47)
        // Laplace-like bulk with a few huge outliers: 4-bit MSE clipping must cut the range.
        var heavy = (0..<20000).map { _ -> Float in
            let u = rng.uniform(1e-6, 1)
            return (rng.next() & 1 == 0 ? 1 : -1) * -log(u)
        }
        heavy[5] = 60
        heavy[77] = -55
        var mse = MSEObserver(bits: .int4)
        try mse.observe(Tensor(shape: [200, 100], values: heavy), name: "x")
        let r = try #require(mse.range())
        #expect(r.upper < 0.5 * 60 && r.upper > 0, "clipped to \(r)")
        let errors = mse.clippingErrors(mse.observed!)
        #expect(errors.min()! < errors[0])
        // The score is the plain squared error of the reference quantizer on the sample.
        let p = try GroupParams(ranges: [mse.observed!], bits: .int4, mapping: .symmetric)
        let direct = heavy.reduce(0.0) { acc, v in
            let q = QuantReference.code(v, scale: p.scales[0], zero: 0, minimum: 0, lo: -7, hi: 7)
            let d = Double(v) - Double(QuantReference.dequantize(code: q, scale: p.scales[0], zero: 0, minimum: 0))
            return acc + d * d
        }
        #expect(errors[0] == direct)

        var uniform = MSEObserver(bits: .int8, mapping: .asymmetric)
        try uniform.observe(Tensor(shape: [4000], values: rng.floats(4000, -1, 3)), name: "x")
        let u = try #require(uniform.range())
        #expect(u.upper > 0.97 * 3 && u.lower < -0.97, "uniform data keeps ~its range: \(u)")
    }

    @Test func schemesAndQuantizersAreCodable() throws {
        let schemes = [QuantScheme(bits: .int4, mapping: .asymmetric, granularity: .perGroup(size: 128)),
                       QuantScheme(bits: .int8, granularity: .perTensor),
                       QuantScheme(bits: .int3, granularity: .perChannel),
                       QuantScheme(bits: .int2, granularity: .perRowGroup(rows: 4))]
        for s in schemes {
            #expect(try JSONDecoder().decode(QuantScheme.self, from: JSONEncoder().encode(s)) == s)
        }
        let aqs: [ActivationQuantizer] = [.none, .dynamicPerToken(bits: .int4),
                                          .staticPerTensor(bits: .int8, mapping: .asymmetric, scale: 0.02, zeroPoint: -3)]
        for a in aqs {
            #expect(try JSONDecoder().decode(ActivationQuantizer.self, from: JSONEncoder().encode(a)) == a)
        }
        #expect(Mapping.symmetric.codeRange(.int8) == -127...127 && Mapping.asymmetric.codeRange(.int8) == -128...127)
        #expect(Mapping.symmetric.codeRange(.int4) == -7...7 && Mapping.asymmetric.levels(.int4) == 15)
    }
}

private func float(_ n: Int) -> Float { Float(n) }
