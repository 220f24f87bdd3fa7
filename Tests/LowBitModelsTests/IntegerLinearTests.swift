import CLowBitKernels
import Foundation
import LowBitCore
import LowBitModels
import LowBitQuant
import Testing

/// The INT8 GEMM (`lb_igemm_dequant`) against a plain int64 reference, at every instruction-set
/// level, and `IntegerLinear` against the simulated `QuantizedLinear`.
struct IntegerLinearTests {
    /// A deterministic generator (LCG; the high bits).
    struct Gen {
        var s: UInt64
        mutating func next() -> UInt32 { s = s &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407; return UInt32(s >> 33) }
        mutating func int8() -> Int8 { Int8(truncatingIfNeeded: next()) } // full range, −128 included
        mutating func float() -> Float { Float(next() % 2_000_001) / 1_000_000 - 1 }
    }

    /// The reference: Σ a·w in Int64, then the documented epilogue ((float(acc)·sw)·sa + b).
    static func reference(m: Int, n: Int, k: Int, a: [Int8], lda: Int, sa: [Float], w: [Int8], sw: [Float], bias: [Float]?) -> [Float] {
        var y = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var acc: Int64 = 0
                for t in 0..<k { acc += Int64(a[i * lda + t]) * Int64(w[j * k + t]) }
                var f = Float(Int32(acc))
                f = f * sw[j]
                f = f * sa[i]
                if let bias { f = f + bias[j] }
                y[i * n + j] = f
            }
        }
        return y
    }

    static let sizes = [1, 3, 17, 33, 64, 1023]

    @Test func igemmMatchesReferenceAtEveryLevel() {
        var g = Gen(s: 42)
        var checked = 0
        for m in Self.sizes {
            for n in Self.sizes {
                for k in Self.sizes where m * n * k <= 1 << 22 || (m == 1023 && n == 64 && k == 1023) {
                    let lda = k + (m % 2 == 1 ? 5 : 0)
                    let a = (0..<(m * lda)).map { _ in g.int8() }
                    let w = (0..<(n * k)).map { _ in g.int8() }
                    let sa = (0..<m).map { _ in abs(g.float()) * 0.01 }
                    let sw = (0..<n).map { _ in abs(g.float()) * 0.01 }
                    let bias: [Float]? = n % 2 == 1 ? (0..<n).map { _ in g.float() } : nil
                    let ref = Self.reference(m: m, n: n, k: k, a: a, lda: lda, sa: sa, w: w, sw: sw, bias: bias)
                    var packed = [UInt8](repeating: 0xEE, count: lb_igemm_pack_b_size(n, k))
                    lb_igemm_pack_b(n, k, w, &packed)
                    for isa in 0...Int(lb_isa_best()) {
                        let before = lb_set_thread_isa(Int32(isa))
                        defer { _ = lb_set_thread_isa(before) }
                        // Whole range, then split at panel boundaries (16, then the rest).
                        var y = [Float](repeating: .nan, count: m * n)
                        var rc = Self.call(m, n, k, a, lda, sa, packed, sw, bias, &y, 0, n)
                        #expect(rc == 0)
                        #expect(y == ref, "M \(m) N \(n) K \(k) level \(isa) (\(String(cString: lb_igemm_kernel_name(Int32(isa)))))")
                        if n > 16 {
                            var y2 = [Float](repeating: .nan, count: m * n)
                            rc = Self.call(m, n, k, a, lda, sa, packed, sw, bias, &y2, 16, n)
                            rc |= Self.call(m, n, k, a, lda, sa, packed, sw, bias, &y2, 0, 16)
                            #expect(rc == 0 && y2 == ref, "split, M \(m) N \(n) K \(k) level \(isa)")
                        }
                        checked += 1
                    }
                }
            }
        }
        #expect(checked > 100)
    }

    static func call(_ m: Int, _ n: Int, _ k: Int, _ a: [Int8], _ lda: Int, _ sa: [Float], _ packed: [UInt8], _ sw: [Float],
                     _ bias: [Float]?, _ y: inout [Float], _ n0: Int, _ n1: Int) -> Int32 {
        if let bias { return lb_igemm_dequant(m, n, k, a, lda, sa, packed, sw, bias, &y, n, n0, n1) }
        return lb_igemm_dequant(m, n, k, a, lda, sa, packed, sw, nil, &y, n, n0, n1)
    }

    @Test func igemmRejectsBadRangesAndHandlesKZero() {
        var packed = [UInt8](repeating: 0, count: lb_igemm_pack_b_size(40, 8))
        lb_igemm_pack_b(40, 8, [Int8](repeating: 1, count: 320), &packed)
        var y = [Float](repeating: 7, count: 40)
        let a = [Int8](repeating: 1, count: 8), sa: [Float] = [1], sw = [Float](repeating: 1, count: 40)
        #expect(lb_igemm_dequant(1, 40, 8, a, 8, sa, packed, sw, nil, &y, 40, 8, 40) == -1)
        #expect(lb_igemm_dequant(1, 40, 8, a, 8, sa, packed, sw, nil, &y, 40, 0, 20) == -1)
        #expect(lb_igemm_dequant(1, 40, 8, a, 8, sa, packed, sw, nil, &y, 40, 0, 41) == -1)
        #expect(y.allSatisfy { $0 == 7 })
        #expect(lb_igemm_dequant(1, 40, 8, a, 8, sa, packed, sw, nil, &y, 40, 0, 40) == 0)
        #expect(y.allSatisfy { $0 == 8 })
        var p0 = [UInt8](repeating: 0, count: max(lb_igemm_pack_b_size(3, 0), 1))
        lb_igemm_pack_b(3, 0, [], &p0)
        var y0: [Float] = [9, 9, 9]
        #expect(lb_igemm_dequant(1, 3, 0, [], 0, sa, p0, [1, 1, 1], [1, 2, 3], &y0, 3, 0, 3) == 0)
        #expect(y0 == [1, 2, 3])
    }

    static func simulated(n: Int, k: Int, seed: UInt64, scheme: QuantScheme = QuantScheme(bits: .int8, granularity: .perChannel),
                          input: ActivationQuantizer = .dynamicPerToken(bits: .int8)) throws -> QuantizedLinear {
        var g = Gen(s: seed)
        let w = Tensor(shape: [n, k], values: (0..<(n * k)).map { _ in g.float() * 0.2 })
        let b = Tensor(shape: [n], values: (0..<n).map { _ in g.float() })
        return try QuantizedLinear(weight: QuantizedWeight(quantizing: w, scheme: scheme), bias: b, input: input)
    }

    @Test(arguments: [(1, 17, 33), (3, 64, 1023), (17, 1023, 64), (64, 33, 3), (130, 384, 1536)])
    func integerMatchesSimulated(shape: (Int, Int, Int)) throws {
        let (m, n, k) = shape
        let sim = try Self.simulated(n: n, k: k, seed: UInt64(m * 7 + n))
        let int = try #require(IntegerLinear.make(from: sim))
        var g = Gen(s: UInt64(k))
        let x = Tensor(shape: [m, k], values: (0..<(m * k)).map { _ in g.float() * (1 + Float(g.next() % 4)) })
        // Same activation codes: the integer path's codes · scale are the simulated x̂.
        var codes = [Int8](repeating: 0, count: m * k), scales = [Float](repeating: 0, count: m)
        try QuantKernels.quantizePerToken(x.pointer, tokens: m, features: k, bits: .int8, scales: &scales, codes: &codes, dequantized: nil)
        let xq = try ActivationQuantizer.dynamicPerToken(bits: .int8).fakeQuantize(x).toArray()
        #expect((0..<(m * k)).allSatisfy { xq[$0] == Float(codes[$0]) * scales[$0 / k] })

        // The simulated layer sums the same integer codes exactly and applies the scales in the
        // same order: the same bits (the int64 reference shows both are the defined result).
        let ys = sim.forward(x).toArray(), yi = int.forward(x).toArray()
        let bias = sim.bias!.toArray()
        #expect(ys == yi, "simulated and integer differ: M \(m) N \(n) K \(k)")
        let ref = Self.reference(m: m, n: n, k: k, a: codes, lda: k, sa: scales, w: sim.weight.values, sw: sim.weight.scales, bias: bias)
        #expect(yi == ref)
        // Same bits for any thread split: a single-threaded direct call.
        let y1 = [Float](unsafeUninitializedCapacity: m * n) { buf, count in
            let w = int.weight as! Int8LinearWeight
            w.scales.withUnsafeBufferPointer { ws in
                _ = lb_igemm_dequant(m, n, k, codes, k, scales, w.packedPointer, ws.baseAddress, bias, buf.baseAddress, n, 0, n)
            }
            count = m * n
        }
        #expect(y1 == yi)
    }

    /// The simulated layer with a `.dynamicPerToken` input sums codes first (`CodeDomainGemm`);
    /// it must still be the fake-quant layer x̂ · ŵᵀ + b, up to float rounding, for every
    /// weight scheme (per-channel, per-tensor, group-wise, asymmetric, 4-bit) and odd shapes.
    @Test(arguments: [(1, 17, 32, 0), (3, 33, 1024, 1), (17, 64, 96, 2), (33, 3, 2048, 3), (5, 1023, 128, 4)])
    func codeDomainIsFakeQuant(shape: (Int, Int, Int, Int)) throws {
        let (m, n, k, s) = shape
        let schemes: [QuantScheme] = [QuantScheme(bits: .int8, granularity: .perChannel),
                                      QuantScheme(bits: .int8, granularity: .perTensor),
                                      .groupwise(.int8, groupSize: 32),
                                      QuantScheme(bits: .int8, mapping: .asymmetric, granularity: .perChannel),
                                      QuantScheme(bits: .int4, mapping: .asymmetric, granularity: .perGroup(size: 32))]
        let sim = try Self.simulated(n: n, k: k, seed: UInt64(m + k), scheme: schemes[s])
        var g = Gen(s: UInt64(n))
        let x = Tensor(shape: [m, k], values: (0..<(m * k)).map { _ in g.float() * (1 + Float(g.next() % 4)) })
        let xq = try ActivationQuantizer.dynamicPerToken(bits: .int8).fakeQuantize(x)
        let plain = PackedLinearWeight(weight: sim.weight.dequantized(), bias: sim.bias).apply(xq).toArray()
        let ys = sim.forward(x).toArray()
        let xa = xq.toArray(), wq = sim.weight.dequantized().toArray(), bias = sim.bias!.toArray()
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<n {
                var mag = Double(abs(bias[j]))
                for t in 0..<k { mag += Double(abs(xa[i * k + t] * wq[j * k + t])) }
                worst = max(worst, Double(abs(ys[i * n + j] - plain[i * n + j])) / (mag + 1e-30))
            }
        }
        #expect(worst <= 1e-5, "\(schemes[s]): worst |code-domain − fake-quant| / Σ|x̂·ŵ| = \(worst)")
    }

    @Test func makeRejectsOtherSchemes() throws {
        #expect(IntegerLinear.make(from: try Self.simulated(n: 8, k: 32, seed: 1)) != nil)
        #expect(IntegerLinear.make(from: try Self.simulated(n: 8, k: 32, seed: 1, scheme: QuantScheme(bits: .int8, granularity: .perTensor))) != nil)
        // Group-wise, asymmetric and 4-bit weights run on the group kernel.
        #expect(IntegerLinear.make(from: try Self.simulated(n: 8, k: 32, seed: 1, scheme: QuantScheme(bits: .int4, granularity: .perChannel)))?.weight is GroupLinearWeight)
        #expect(IntegerLinear.make(from: try Self.simulated(n: 8, k: 32, seed: 1, scheme: .groupwise(.int8, groupSize: 16)))?.weight is GroupLinearWeight)
        #expect(IntegerLinear.make(from: try Self.simulated(n: 8, k: 32, seed: 1, scheme: QuantScheme(bits: .int8, mapping: .asymmetric, granularity: .perChannel)))?.weight is GroupLinearWeight)
        // Groups the kernel cannot take (4-bit groups must be a multiple of 8 columns; 6-bit codes).
        #expect(IntegerLinear.make(from: try Self.simulated(n: 8, k: 36, seed: 1, scheme: .groupwise(.int4, groupSize: 4))) == nil)
        #expect(IntegerLinear.make(from: try Self.simulated(n: 8, k: 32, seed: 1, scheme: QuantScheme(bits: .int6, granularity: .perChannel))) == nil)
        #expect(IntegerLinear.make(from: try Self.simulated(n: 8, k: 32, seed: 1, input: .none)) == nil)
        #expect(IntegerLinear.make(from: try Self.simulated(n: 8, k: 32, seed: 1, input: .dynamicPerToken(bits: .int4))) == nil)
        #expect(IntegerLinear.make(from: try Self.simulated(n: 8, k: 32, seed: 1, input: .dynamicPerTokenAsymmetric(bits: .int8))) == nil)
        #expect(IntegerLinear.make(from: try Self.simulated(n: 8, k: 32, seed: 1,
                                                            input: .staticPerTensor(bits: .int8, mapping: .symmetric, scale: 0.1, zeroPoint: 0))) == nil)
        let s = try Self.simulated(n: 8, k: 32, seed: 1)
        let ocs = try QuantizedLinear(weight: s.weight, bias: s.bias, input: s.input, inFeatures: 31,
                                      inputChannels: (0..<32).map { Int32(min($0, 30)) })
        #expect(IntegerLinear.make(from: ocs) == nil)
        // Non-finite input: all-NaN output, no crash.
        let int = try #require(IntegerLinear.make(from: s))
        var v = [Float](repeating: 0.5, count: 64)
        v[40] = .infinity
        #expect(int.forward(Tensor(shape: [2, 32], values: v)).toArray().allSatisfy { $0.isNaN })
        #expect(int.forward(Tensor(zeros: [0, 32])).shape.dims == [0, 8])
    }
}
