import CLowBitKernels
import LowBitCore
import LowBitModels
import LowBitQuant
import Testing

/// The fused producers of per-token INT8 input (lb_fused.h, `Ops.normalizedLinear` /
/// `activatedLinear`) against the unfused sequence of the same kernels: the same floats, codes
/// and scales bit for bit, at every instruction-set level, and with an `IntegerLinear` after
/// them the same output as the simulated `QuantizedLinear` fed by the unfused ops.
struct FusedRowOpsTests {
    typealias Gen = IntegerLinearTests.Gen

    static func randoms(_ count: Int, _ g: inout Gen, scale: Float = 2) -> [Float] {
        (0..<count).map { i in g.float() * scale * (i % 37 == 5 ? 12 : 1) } // a few outlier columns
    }

    /// Unfused: s = x + res, t = norm(s), codes/scales of t (lb_quant_rows_dynamic).
    static func unfusedNorm(rows: Int, n: Int, x: [Float], res: [Float]?, kind: lb_norm_kind, gamma: [Float], beta: [Float])
        -> (s: [Float], t: [Float], codes: [Int8], scales: [Float]) {
        var s = x
        if let res { lb_add(rows * n, x, res, &s) }
        var t = [Float](repeating: 0, count: rows * n)
        switch kind {
        case LB_NORM_LAYER: lb_layernorm_rows(rows, n, s, n, &t, n, gamma, beta, 1e-5)
        case LB_NORM_RMS: lb_rmsnorm_rows(rows, n, s, n, &t, n, gamma, 1e-5)
        default: t = s
        }
        var codes = [Int8](repeating: 0, count: rows * n), scales = [Float](repeating: 0, count: rows)
        #expect(lb_quant_rows_dynamic(rows, n, t, n, 127, &scales, &codes, n, nil, 0) == -1)
        return (s, t, codes, scales)
    }

    @Test(arguments: [LB_NORM_LAYER, LB_NORM_RMS, LB_NORM_NONE])
    func normQuantRowsMatchesTheUnfusedKernels(kind: lb_norm_kind) {
        var g = Gen(s: UInt64(kind.rawValue) + 11)
        for (rows, n) in [(1, 1), (3, 7), (5, 33), (17, 389), (2, 1536)] {
            let x = Self.randoms(rows * n, &g), res = Self.randoms(rows * n, &g)
            let gamma = Self.randoms(n, &g, scale: 1), beta = Self.randoms(n, &g, scale: 0.5)
            for withResidual in [false, true] {
                let want = Self.unfusedNorm(rows: rows, n: n, x: x, res: withResidual ? res : nil, kind: kind, gamma: gamma, beta: beta)
                for isa in 0...Int(lb_isa_best()) {
                    let before = lb_set_thread_isa(Int32(isa))
                    defer { _ = lb_set_thread_isa(before) }
                    let level = "rows \(rows) n \(n) residual \(withResidual) level \(isa)"
                    let want = isa == Int(lb_isa_best()) ? want
                        : Self.unfusedNorm(rows: rows, n: n, x: x, res: withResidual ? res : nil, kind: kind, gamma: gamma, beta: beta)
                    // Pre-LN form: sum kept in x, t only quantized.
                    var xs = x, codes = [Int8](repeating: 0, count: rows * n), scales = [Float](repeating: 0, count: rows)
                    let rc = xs.withUnsafeMutableBufferPointer { xp in
                        lb_norm_quant_rows(rows, n, xp.baseAddress, n, withResidual ? res : nil, n, withResidual ? xp.baseAddress : nil, n,
                                           kind, gamma, beta, 1e-5, nil, 0, 127, &scales, &codes, n)
                    }
                    #expect(rc == -1)
                    #expect(xs == (withResidual ? want.s : x), "\(level): sum")
                    #expect(codes == want.codes && scales == want.scales, "\(level): codes")
                    // Post-LN form: x ← norm(x + res) in place, and quantized.
                    var xp2 = x, codes2 = [Int8](repeating: 0, count: rows * n), scales2 = [Float](repeating: 0, count: rows)
                    xp2.withUnsafeMutableBufferPointer { p in
                        _ = lb_norm_quant_rows(rows, n, p.baseAddress, n, withResidual ? res : nil, n, p.baseAddress, n, kind, gamma, beta,
                                               1e-5, p.baseAddress, n, 127, &scales2, &codes2, n)
                    }
                    #expect(xp2 == want.t && codes2 == want.codes && scales2 == want.scales, "\(level): in place")
                }
            }
        }
    }

    @Test func aNonFiniteRowIsReportedAndTheOtherRowsStillWritten() {
        let n = 20, rows = 4
        var g = Gen(s: 3)
        var x = Self.randoms(rows * n, &g)
        x[2 * n + 7] = .nan
        let res = Self.randoms(rows * n, &g)
        var sum = [Float](repeating: 0, count: rows * n), codes = [Int8](repeating: 0, count: rows * n), scales = [Float](repeating: 0, count: rows)
        let rc = lb_norm_quant_rows(rows, n, x, n, res, n, &sum, n, LB_NORM_RMS, nil, nil, 1e-6, nil, 0, 127, &scales, &codes, n)
        #expect((2 * n..<3 * n).contains(rc), "the index is of row 2's normalized values (all NaN here)")
        #expect(sum[(3 * n)...] == (x.indices.map { x[$0] + res[$0] })[(3 * n)...], "rows after the bad one are still summed")
    }

    @Test(arguments: [LB_ACT_GELU, LB_ACT_GELU_TANH, LB_ACT_SWIGLU])
    func actQuantRowsMatchesTheUnfusedKernels(act: lb_act_kind) {
        var g = Gen(s: UInt64(act.rawValue) + 5)
        for (rows, width) in [(1, 2), (3, 14), (9, 66), (4, 3072)] {
            let n = act == LB_ACT_SWIGLU ? width / 2 : width
            let x = Self.randoms(rows * width, &g, scale: 4)
            var t = [Float](repeating: 0, count: rows * n)
            for r in 0..<rows {
                x.withUnsafeBufferPointer { xp in
                    t.withUnsafeMutableBufferPointer { tp in
                        let xr = xp.baseAddress! + r * width, tr = tp.baseAddress! + r * n
                        switch act {
                        case LB_ACT_GELU: lb_gelu(n, xr, tr)
                        case LB_ACT_GELU_TANH: lb_gelu_tanh(n, xr, tr)
                        default: lb_silu_mul(n, xr, xr + n, tr)
                        }
                    }
                }
            }
            var codes = [Int8](repeating: 0, count: rows * n), scales = [Float](repeating: 0, count: rows)
            _ = lb_quant_rows_dynamic(rows, n, t, n, 127, &scales, &codes, n, nil, 0)
            var fc = [Int8](repeating: 0, count: rows * n), fs = [Float](repeating: 0, count: rows), fy = [Float](repeating: 0, count: rows * n)
            #expect(lb_act_quant_rows(rows, width, x, width, act, &fy, n, 127, &fs, &fc, n) == -1)
            #expect(fy == t && fc == codes && fs == scales, "rows \(rows) width \(width)")
        }
    }

    /// `Ops`' fused forms with an `IntegerLinear` after them give the bits of the unfused ops
    /// followed by the simulated layer, for every norm placement and activation.
    @Test func opsFusedFormsMatchTheUnfusedOpsWithTheSimulatedLayer() throws {
        var g = Gen(s: 77)
        let rows = 23, n = 96, width = 2 * 64
        let norms: [Norm] = [
            .layerNorm(gamma: Tensor(shape: [n], values: Self.randoms(n, &g, scale: 1)),
                       beta: Tensor(shape: [n], values: Self.randoms(n, &g, scale: 0.3)), eps: 1e-12),
            .rmsNorm(weight: Tensor(shape: [n], values: Self.randoms(n, &g, scale: 1)), eps: 1e-6),
        ]
        let sim = try IntegerLinearTests.simulated(n: 40, k: n, seed: 9)
        let int = try #require(IntegerLinear.make(from: sim))
        for norm in norms {
            let x = Self.randoms(rows * n, &g), res = Self.randoms(rows * n, &g)
            // pre-LN, no residual
            let want0 = sim.forward(Ops.normalize(Tensor(shape: [rows, n], values: x), norm)).toArray()
            #expect(Ops.normalizedLinear(Tensor(shape: [rows, n], values: x), norm, int).toArray() == want0)
            // pre-LN with residual: x ← x + res
            let s = Tensor(shape: [rows, n], values: x)
            Ops.addInPlace(s, Tensor(shape: [rows, n], values: res))
            let want1 = sim.forward(Ops.normalize(s, norm)).toArray()
            let x1 = Tensor(shape: [rows, n], values: x)
            #expect(Ops.normalizedLinear(x1, adding: Tensor(shape: [rows, n], values: res), norm, int).toArray() == want1)
            #expect(x1.toArray() == s.toArray())
            // post-LN: x ← norm(x + res)
            Ops.normalizeInPlace(s, norm)
            let want2 = sim.forward(s).toArray()
            let x2 = Tensor(shape: [rows, n], values: x)
            #expect(Ops.normalizedLinear(x2, adding: Tensor(shape: [rows, n], values: res), norm, normInPlace: true, int).toArray() == want2)
            #expect(x2.toArray() == s.toArray())
            // The float path of the same call equals it too (the op is not integer).
            let x3 = Tensor(shape: [rows, n], values: x)
            #expect(Ops.normalizedLinear(x3, adding: Tensor(shape: [rows, n], values: res), norm, normInPlace: true, sim).toArray() == want2)
        }
        let simOut = try IntegerLinearTests.simulated(n: 24, k: 64, seed: 4)
        let intOut = try #require(IntegerLinear.make(from: simOut))
        for act in [Activation.gelu, .geluTanh, .swiGLU] {
            let w = act == .swiGLU ? width : 64
            let m = Self.randoms(rows * w, &g, scale: 3)
            let want = simOut.forward(Ops.activate(Tensor(shape: [rows, w], values: m), act)).toArray()
            #expect(Ops.activatedLinear(Tensor(shape: [rows, w], values: m), act, intOut).toArray() == want, "\(act)")
        }
    }
}
