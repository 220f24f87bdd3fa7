import CLowBitKernels
import Foundation
import LowBitCore
import LowBitModels
import LowBitQuant
import Testing

/// The group-wise INT8/INT4-weight GEMM (`lb_igemm_group`) against an int64 reference of its
/// definition (lb_igemm_group.h) at every instruction-set level, against LowBitQuant's
/// dequantize + float matmul, and `IntegerLinear` on it against the simulated layer.
struct GroupGemmTests {
    typealias Gen = IntegerLinearTests.Gen

    /// The definition: acc_g in Int64, F = acc_0·s_0, F = fma(acc_g, s_g, F) (then, with
    /// minimums, F = fma(r_g, m_g, F), r_g = Σ_g a in Int64), y = F·s_t + b.
    /// codes: [n, k]; scales, zeros, mins: [n, k / group].
    static func reference(m: Int, n: Int, k: Int, group: Int, a: [Int8], lda: Int, sa: [Float], codes: [Int8],
                          scales: [Float], zeros: [Int8]?, mins: [Float]? = nil, bias: [Float]?) -> [Float] {
        let groups = k / group
        var y = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var f: Float = 0
                for g in 0..<groups {
                    var acc: Int64 = 0, rs: Int64 = 0
                    let z = Int64(zeros?[j * groups + g] ?? 0)
                    for t in g * group..<(g + 1) * group {
                        acc += Int64(a[i * lda + t]) * (Int64(codes[j * k + t]) - z)
                        rs += Int64(a[i * lda + t])
                    }
                    let s = scales[j * groups + g]
                    f = g == 0 ? Float(Int32(acc)) * s : f.addingProduct(Float(Int32(acc)), s)
                    if let mins { f = f.addingProduct(Float(Int32(rs)), mins[j * groups + g]) }
                }
                var v = f * sa[i]
                if let bias { v = v + bias[j] }
                y[i * n + j] = v
            }
        }
        return y
    }

    /// (m, n, k, group, bits, asymmetric). Row counts exercise the 1-, 2-, 4- and 8-row kernels
    /// and the padded 3, 5–7 row remainders.
    static let cases: [(Int, Int, Int, Int, Int, Bool)] = [
        (1, 1, 8, 8, 4, false), (3, 17, 24, 8, 4, true), (17, 33, 384, 128, 4, false), (33, 3, 256, 128, 4, true),
        (1023, 17, 128, 32, 4, false), (9, 1023, 256, 128, 4, true), (2, 65, 1016, 1016, 4, false),
        (1, 3, 4, 4, 8, false), (17, 33, 192, 64, 8, true), (33, 17, 1020, 1020, 8, false), (3, 1023, 128, 64, 8, false),
        (1023, 5, 96, 32, 8, true), (12, 40, 256, 128, 4, false), (4, 20, 64, 32, 8, true), (6, 33, 64, 64, 4, true),
    ]

    @Test func groupGemmMatchesReferenceAtEveryLevel() {
        var g = Gen(s: 7)
        for (m, n, k, group, bits, asym) in Self.cases {
            let groups = k / group, lda = k + (m % 2 == 1 ? 3 : 0)
            let lo = bits == 8 ? -128 : -8, hi = bits == 8 ? 127 : 7
            let a = (0..<(m * lda)).map { _ in Int8(Int(g.next() % 255) - 127) }
            let codes = (0..<(n * k)).map { _ in Int8(lo + Int(g.next() % UInt32(hi - lo + 1))) }
            let zeros: [Int8]? = asym ? (0..<(n * groups)).map { _ in Int8(lo + Int(g.next() % UInt32(hi - lo + 1))) } : nil
            let scales = (0..<(n * groups)).map { _ in abs(g.float()) * 0.01 }
            let sa = (0..<m).map { _ in abs(g.float()) * 0.01 }
            let bias: [Float]? = n % 2 == 1 ? (0..<n).map { _ in g.float() } : nil
            let ref = Self.reference(m: m, n: n, k: k, group: group, a: a, lda: lda, sa: sa, codes: codes, scales: scales,
                                     zeros: zeros, bias: bias)
            var packed = [UInt8](repeating: 0xEE, count: lb_igemm_group_pack_size(n, k, group, Int32(bits)))
            #expect(!packed.isEmpty)
            let rc: Int32
            if bits == 8 {
                rc = lb_igemm_group_pack(n, k, group, 8, codes, scales, zeros, nil, &packed)
            } else {
                let int4 = try! PackedInt4(rows: n, cols: k, codes: codes)
                rc = lb_igemm_group_pack(n, k, group, 4, int4.bytes, scales, zeros, nil, &packed)
            }
            #expect(rc == 0)
            for isa in 0...Int(lb_isa_best()) {
                let before = lb_set_thread_isa(Int32(isa))
                defer { _ = lb_set_thread_isa(before) }
                let name = String(cString: lb_igemm_group_kernel_name(Int32(isa), Int32(bits)))
                if isa == 1 { #expect(name == (bits == 4 ? "avx2" : "portable")) } // the level under test
                var y = [Float](repeating: .nan, count: m * n)
                #expect(Self.call(m, n, k, group, bits, a, lda, sa, packed, bias, &y, 0, n) == 0)
                #expect(y == ref, "M \(m) N \(n) K \(k) group \(group) bits \(bits) asym \(asym) level \(isa) (\(name))")
                if n > 16 {
                    var y2 = [Float](repeating: .nan, count: m * n)
                    var rc2 = Self.call(m, n, k, group, bits, a, lda, sa, packed, bias, &y2, 16, n)
                    rc2 |= Self.call(m, n, k, group, bits, a, lda, sa, packed, bias, &y2, 0, 16)
                    #expect(rc2 == 0 && y2 == ref, "split, M \(m) N \(n) K \(k) level \(isa)")
                }
            }
        }
    }

    static func call(_ m: Int, _ n: Int, _ k: Int, _ group: Int, _ bits: Int, _ a: [Int8], _ lda: Int, _ sa: [Float],
                     _ packed: [UInt8], _ bias: [Float]?, _ y: inout [Float], _ n0: Int, _ n1: Int) -> Int32 {
        if let bias { return lb_igemm_group(m, n, k, group, Int32(bits), a, lda, sa, packed, bias, &y, n, n0, n1) }
        return lb_igemm_group(m, n, k, group, Int32(bits), a, lda, sa, packed, nil, &y, n, n0, n1)
    }

    @Test func groupGemmRejectsBadShapes() {
        #expect(lb_igemm_group_pack_size(16, 24, 12, 4) == 0) // 4-bit groups: multiples of 8
        #expect(lb_igemm_group_pack_size(16, 30, 6, 8) == 0) // 8-bit groups: multiples of 4
        #expect(lb_igemm_group_pack_size(16, 24, 16, 8) == 0) // group must divide K
        #expect(lb_igemm_group_pack_size(16, 32, 32, 5) == 0)
        var packed = [UInt8](repeating: 0, count: lb_igemm_group_pack_size(40, 8, 8, 8))
        #expect(lb_igemm_group_pack(40, 8, 8, 8, [Int8](repeating: 1, count: 320), [Float](repeating: 1, count: 40), nil, nil, &packed) == 0)
        var y = [Float](repeating: 7, count: 40)
        let a = [Int8](repeating: 1, count: 8)
        #expect(lb_igemm_group(1, 40, 8, 8, 8, a, 8, [1], packed, nil, &y, 40, 8, 40) == -1)
        #expect(lb_igemm_group(1, 40, 8, 8, 8, a, 8, [1], packed, nil, &y, 40, 0, 41) == -1)
        #expect(lb_igemm_group(1, 40, 8, 6, 8, a, 8, [1], packed, nil, &y, 40, 0, 40) == -1)
        #expect(y.allSatisfy { $0 == 7 })
        #expect(lb_igemm_group(1, 40, 8, 8, 8, a, 8, [1], packed, nil, &y, 40, 0, 40) == 0)
        #expect(y.allSatisfy { $0 == 8 })
    }

    /// Weights with float minimums (`LB_GROUP_MINS`, the affine mapping): lb_igemm_group and
    /// lb_wgemm_group give their definitions' bits at every level, on every odd shape of
    /// `cases`, for the affine zero point −U (`asym` false) and for arbitrary zero points.
    @Test func groupGemmsWithMinimumsMatchReferenceAtEveryLevel() throws {
        var g = Gen(s: 13)
        for (m, n, k, group, bits, asym) in Self.cases {
            let groups = k / group, lda = k + (m % 2 == 1 ? 3 : 0)
            let lo = bits == 8 ? -128 : -8, hi = bits == 8 ? 127 : 7
            let a = (0..<(m * lda)).map { _ in Int8(Int(g.next() % 255) - 127) }
            let x = (0..<(m * k)).map { _ in g.float() * 3 }
            let codes = (0..<(n * k)).map { _ in Int8(lo + Int(g.next() % UInt32(hi - lo + 1))) }
            let zeros = (0..<(n * groups)).map { _ in Int8(asym ? lo + Int(g.next() % UInt32(hi - lo + 1)) : lo) }
            let scales = (0..<(n * groups)).map { _ in abs(g.float()) * 0.01 }
            let mins = (0..<(n * groups)).map { i in -scales[i] * Float(hi - lo) * (0.3 + abs(g.float())) }
            let sa = (0..<m).map { _ in abs(g.float()) * 0.01 }
            let bias: [Float]? = n % 2 == 1 ? (0..<n).map { _ in g.float() } : nil
            let ref = Self.reference(m: m, n: n, k: k, group: group, a: a, lda: lda, sa: sa, codes: codes, scales: scales,
                                     zeros: zeros, mins: mins, bias: bias)
            let fref = Self.floatReference(m: m, n: n, k: k, group: group, x: x, codes: codes, scales: scales, zeros: zeros,
                                           mins: mins, bias: bias)
            let format = Int32(bits) | LB_GROUP_MINS
            #expect(lb_igemm_group_pack_size(n, k, group, format) == lb_igemm_group_pack_size(n, k, group, Int32(bits)) + ((n + 15) / 16) * groups * 64)
            var packed = [UInt8](repeating: 0xEE, count: lb_igemm_group_pack_size(n, k, group, format))
            let w: [UInt8] = bits == 8 ? codes.map { UInt8(bitPattern: $0) } : try PackedInt4(rows: n, cols: k, codes: codes).bytes
            #expect(lb_igemm_group_pack(n, k, group, format, w, scales, zeros, nil, &packed) == -1, "flag without minimums")
            #expect(lb_igemm_group_pack(n, k, group, Int32(bits), w, scales, zeros, mins, &packed) == -1, "minimums without flag")
            #expect(lb_igemm_group_pack(n, k, group, format, w, scales, zeros, mins, &packed) == 0)
            for isa in 0...Int(lb_isa_best()) {
                let before = lb_set_thread_isa(Int32(isa))
                defer { _ = lb_set_thread_isa(before) }
                let what = "M \(m) N \(n) K \(k) group \(group) bits \(bits) asym \(asym) level \(isa)"
                var y = [Float](repeating: .nan, count: m * n)
                #expect(Self.call(m, n, k, group, Int(format), a, lda, sa, packed, bias, &y, 0, n) == 0)
                #expect(y == ref, "igemm \(what) (\(String(cString: lb_igemm_group_kernel_name(Int32(isa), format))))")
                if n > 16 {
                    var y2 = [Float](repeating: .nan, count: m * n)
                    var rc2 = Self.call(m, n, k, group, Int(format), a, lda, sa, packed, bias, &y2, 16, n)
                    rc2 |= Self.call(m, n, k, group, Int(format), a, lda, sa, packed, bias, &y2, 0, 16)
                    #expect(rc2 == 0 && y2 == ref, "igemm split, \(what)")
                }
                var yf = [Float](repeating: .nan, count: m * n)
                let rc = bias.map { lb_wgemm_group(m, n, k, group, format, x, k, packed, $0, &yf, n, 0, n) }
                    ?? lb_wgemm_group(m, n, k, group, format, x, k, packed, nil, &yf, n, 0, n)
                #expect(rc == 0 && yf == fref, "wgemm \(what) (\(String(cString: lb_wgemm_group_kernel_name(Int32(isa)))))")
            }
        }
    }

    /// `IntegerLinear` on group-wise / 4-bit weights gives the simulated layer's bits, and both
    /// stay within float rounding of LowBitQuant's dequantize + float matmul (x̂ · ŵᵀ + b).
    @Test(arguments: [(1, 33, 256, 0), (17, 1023, 128, 1), (130, 384, 1536, 2), (3, 17, 96, 3), (64, 96, 384, 4),
                      (5, 47, 96, 5), (33, 130, 1024, 6), (2, 17, 520, 7)])
    func integerMatchesSimulated(shape: (Int, Int, Int, Int)) throws {
        let (m, n, k, s) = shape
        let schemes: [QuantScheme] = [.groupwise(.int4, groupSize: 128), QuantScheme(bits: .int4, mapping: .asymmetric, granularity: .perGroup(size: 128)),
                                      .groupwise(.int8, groupSize: 64), QuantScheme(bits: .int8, mapping: .asymmetric, granularity: .perGroup(size: 32)),
                                      QuantScheme(bits: .int4, granularity: .perChannel),
                                      QuantScheme(bits: .int4, mapping: .affine, granularity: .perGroup(size: 32)),
                                      QuantScheme(bits: .int8, mapping: .affine, granularity: .perGroup(size: 64)),
                                      QuantScheme(bits: .int4, mapping: .affine, granularity: .perChannel)]
        let sim = try IntegerLinearTests.simulated(n: n, k: k, seed: UInt64(m * 3 + n), scheme: schemes[s])
        let int = try #require(IntegerLinear.make(from: sim))
        #expect(int.weight is GroupLinearWeight)
        var g = Gen(s: UInt64(k + s))
        let x = Tensor(shape: [m, k], values: (0..<(m * k)).map { _ in g.float() * (1 + Float(g.next() % 4)) })
        let ys = sim.forward(x).toArray(), yi = int.forward(x).toArray()
        #expect(ys == yi, "\(schemes[s]) M \(m) N \(n) K \(k)")
        let xq = try ActivationQuantizer.dynamicPerToken(bits: .int8).fakeQuantize(x).toArray()
        let layout = sim.weight.layout
        let wq = QuantReference.dequantize(codes: sim.weight.values, layout: layout, params: sim.weight.params)
        let bias = sim.bias!.toArray()
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<n {
                var dot = Double(bias[j]), mag = Double(abs(bias[j]))
                for t in 0..<k { dot += Double(xq[i * k + t]) * Double(wq[j * k + t]); mag += Double(abs(xq[i * k + t] * wq[j * k + t])) }
                worst = max(worst, abs(Double(yi[i * n + j]) - dot) / (mag + 1e-30))
            }
        }
        #expect(worst <= 1e-6, "\(schemes[s]): worst |int − x̂·ŵ| / Σ|x̂·ŵ| = \(worst)")
    }

    /// lb_wgemm_group's definition in Swift: fma chains per group, then group scales (and, with
    /// minimums, fma of the group's plain-add sum of x and the minimum).
    static func floatReference(m: Int, n: Int, k: Int, group: Int, x: [Float], codes: [Int8], scales: [Float],
                               zeros: [Int8]?, mins: [Float]? = nil, bias: [Float]?) -> [Float] {
        let groups = k / group
        var y = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var f: Float = 0
                for g in 0..<groups {
                    let z = Int(zeros?[j * groups + g] ?? 0)
                    var acc: Float = 0, xs: Float = 0
                    for t in g * group..<(g + 1) * group {
                        acc = acc.addingProduct(x[i * k + t], Float(Int(codes[j * k + t]) - z))
                        xs = xs + x[i * k + t]
                    }
                    let s = scales[j * groups + g]
                    f = g == 0 ? acc * s : f.addingProduct(acc, s)
                    if let mins { f = f.addingProduct(xs, mins[j * groups + g]) }
                }
                y[i * n + j] = bias.map { f + $0[j] } ?? f
            }
        }
        return y
    }

    /// W4A16 / W8A16: the float-activation kernel gives its definition's bits at every level,
    /// and stays within float rounding of dequantize + float matmul.
    @Test func floatGroupGemmMatchesReferenceAtEveryLevel() throws {
        var g = Gen(s: 11)
        for (m, n, k, group, bits, asym) in Self.cases {
            let groups = k / group, lo = bits == 8 ? -128 : -8, hi = bits == 8 ? 127 : 7
            let x = (0..<(m * k)).map { _ in g.float() * 3 }
            let codes = (0..<(n * k)).map { _ in Int8(lo + Int(g.next() % UInt32(hi - lo + 1))) }
            let zeros: [Int8]? = asym ? (0..<(n * groups)).map { _ in Int8(lo + Int(g.next() % UInt32(hi - lo + 1))) } : nil
            let scales = (0..<(n * groups)).map { _ in abs(g.float()) * 0.01 }
            let bias: [Float]? = n % 2 == 1 ? (0..<n).map { _ in g.float() } : nil
            let ref = Self.floatReference(m: m, n: n, k: k, group: group, x: x, codes: codes, scales: scales, zeros: zeros, bias: bias)
            var packed = [UInt8](repeating: 0, count: lb_igemm_group_pack_size(n, k, group, Int32(bits)))
            if bits == 8 { _ = lb_igemm_group_pack(n, k, group, 8, codes, scales, zeros, nil, &packed) }
            else { _ = lb_igemm_group_pack(n, k, group, 4, try PackedInt4(rows: n, cols: k, codes: codes).bytes, scales, zeros, nil, &packed) }
            for isa in 0...Int(lb_isa_best()) {
                let before = lb_set_thread_isa(Int32(isa))
                defer { _ = lb_set_thread_isa(before) }
                var y = [Float](repeating: .nan, count: m * n)
                let rc = bias.map { lb_wgemm_group(m, n, k, group, Int32(bits), x, k, packed, $0, &y, n, 0, n) }
                    ?? lb_wgemm_group(m, n, k, group, Int32(bits), x, k, packed, nil, &y, n, 0, n)
                #expect(rc == 0)
                #expect(y == ref, "M \(m) N \(n) K \(k) group \(group) bits \(bits) level \(isa) (\(String(cString: lb_wgemm_group_kernel_name(Int32(isa)))))")
                if isa == 1 { #expect(String(cString: lb_wgemm_group_kernel_name(1)) == "avx2") }
            }
            // Against Double dot products of x and the dequantized weight (z, s per group).
            var worst = 0.0
            for i in 0..<min(m, 5) {
                for j in 0..<n {
                    var dot = Double(bias?[j] ?? 0), mag = abs(dot)
                    for t in 0..<k {
                        let p = j * groups + t / group
                        let wv = Double(Float(Int(codes[j * k + t]) - Int(zeros?[p] ?? 0)) * scales[p])
                        dot += Double(x[i * k + t]) * wv
                        mag += abs(Double(x[i * k + t]) * wv)
                    }
                    worst = max(worst, abs(Double(ref[i * n + j]) - dot) / (mag + 1e-30))
                }
            }
            #expect(worst <= 1e-5, "M \(m) N \(n) K \(k): worst relative \(worst)")
        }
    }

    /// `WeightOnlyLinear` (w4a16-g128, w8a16) against the simulated weight-only layer.
    @Test(arguments: [(1, 33, 256, 0), (17, 1023, 128, 1), (64, 96, 384, 2), (3, 65, 160, 3), (9, 17, 96, 4)])
    func weightOnlyMatchesSimulated(shape: (Int, Int, Int, Int)) throws {
        let (m, n, k, s) = shape
        let schemes: [QuantScheme] = [.groupwise(.int4, groupSize: 128), QuantScheme(bits: .int8, granularity: .perChannel),
                                      QuantScheme(bits: .int4, mapping: .asymmetric, granularity: .perGroup(size: 32)),
                                      QuantScheme(bits: .int4, mapping: .affine, granularity: .perGroup(size: 32)),
                                      QuantScheme(bits: .int8, mapping: .affine, granularity: .perGroup(size: 32))]
        let sim = try IntegerLinearTests.simulated(n: n, k: k, seed: UInt64(m + n), scheme: schemes[s], input: .none)
        #expect(IntegerLinear.make(from: sim) == nil)
        let op = try #require(WeightOnlyLinear.make(from: sim))
        var g = Gen(s: UInt64(k))
        let x = Tensor(shape: [m, k], values: (0..<(m * k)).map { _ in g.float() * 2 })
        let ys = sim.forward(x).toArray(), yw = op.forward(x).toArray()
        let xa = x.toArray(), wq = sim.weight.dequantized().toArray(), bias = sim.bias!.toArray()
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<n {
                var mag = Double(abs(bias[j]))
                for t in 0..<k { mag += Double(abs(xa[i * k + t] * wq[j * k + t])) }
                worst = max(worst, Double(abs(ys[i * n + j] - yw[i * n + j])) / (mag + 1e-30))
            }
        }
        #expect(worst <= 1e-5, "\(schemes[s]): worst |packed − simulated| / Σ|x·ŵ| = \(worst)")
    }
}
