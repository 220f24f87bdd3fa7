import CLowBitKernels
import Testing
import LowBitCore
#if canImport(Glibc)
import Glibc
#endif

/// Largest relative error of `f` (the kernel) against `exact` (Double libm) over `xs`,
/// counting |error| <= absFloor as zero (for results that underflow or cross zero).
private func maxRelError(_ xs: [Float], _ f: (Int, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?) -> Void,
                         _ exact: (Double) -> Double, absFloor: Double) -> (Double, Float) {
    var y = [Float](repeating: 0, count: xs.count)
    f(xs.count, xs, &y)
    var worst = 0.0, at: Float = 0
    for i in xs.indices {
        let e = exact(Double(xs[i]))
        let d = abs(Double(y[i]) - e)
        if d <= absFloor { continue }
        let r = d / abs(e)
        if !(r <= worst) { worst = r.isNaN ? .infinity : r; at = xs[i] }
    }
    return (worst, at)
}

/// Points spread evenly over [lo, hi] plus random ones, including both ends.
private func grid(_ lo: Float, _ hi: Float, _ n: Int, seed: UInt64) -> [Float] {
    var rng = TestRNG(seed: seed)
    return (0...n).map { lo + (hi - lo) * Float($0) / Float(n) } + rng.floats(n, lo, hi)
}

/// Accuracy of the vectorized exp, erf and tanh against libm (Double), for every level this
/// CPU runs. Measured on AVX2: exp 8e-8 (0.97 ulp), tanh 1.4e-7 (1.3 ulp), erf 1.8e-7
/// (2.5 ulp). Bounds: 1.5e-7 for exp, 2.4e-7 for tanh, 3.6e-7 for erf,
/// well inside the 1e-6 … 2e-6 budget of the model code; a wrong coefficient or a broken
/// range reduction shows up as 1e-5 or worse.
@Suite struct VectorMathTests {
    @Test(arguments: [Int32(0), 1, 2]) func expErfTanhAccuracy(isa: Int32) {
        guard supportedISAs.contains(isa) else { return }
        withISA(isa) {
            let (eExp, atExp) = maxRelError(grid(-87.3, 88.72, 200_000, seed: 11), lb_vexp, Glibc.exp, absFloor: 0)
            #expect(eExp <= 1.5e-7, "exp rel error \(eExp) at \(atExp)")
            // Results in the denormal range: absolute error below the smallest normal·2⁻²³.
            let (eDen, atDen) = maxRelError(grid(-103.9, -87.4, 20_000, seed: 12), lb_vexp, Glibc.exp, absFloor: 0x1p-149)
            #expect(eDen <= 1, "exp denormal range rel error \(eDen) at \(atDen)")
            let (eErf, atErf) = maxRelError(grid(-6, 6, 200_000, seed: 13) + grid(-1e-3, 1e-3, 1000, seed: 14),
                                            lb_verf, Glibc.erf, absFloor: 0)
            #expect(eErf <= 3.6e-7, "erf rel error \(eErf) at \(atErf)")
            let (eTanh, atTanh) = maxRelError(grid(-12, 12, 200_000, seed: 15) + grid(-1e-3, 1e-3, 1000, seed: 16),
                                              lb_vtanh, Glibc.tanh, absFloor: 0)
            #expect(eTanh <= 2.4e-7, "tanh rel error \(eTanh) at \(atTanh)")
        }
    }

    @Test func erfAgreesWithErff() {
        let xs = grid(-5, 5, 100_000, seed: 17)
        var y = [Float](repeating: 0, count: xs.count)
        lb_verf(xs.count, xs, &y)
        let worst = zip(xs, y).map { abs(Double($1) - Double(erff($0))) / max(abs(Double(erff($0))), 1e-30) }.max()!
        #expect(worst < 1e-6, "erf vs erff: \(worst)")
    }

    @Test func specialValues() {
        let inf = Float.infinity
        let xs: [Float] = [0, -0.0, inf, -inf, .nan, 89, -104.5, 1e-30, -1e-30, 88.72]
        var e = [Float](repeating: 0, count: xs.count), er = e, th = e
        lb_vexp(xs.count, xs, &e)
        lb_verf(xs.count, xs, &er)
        lb_vtanh(xs.count, xs, &th)
        #expect(e[0] == 1 && e[1] == 1 && e[2] == inf && e[3] == 0 && e[4].isNaN && e[5] == inf && e[6] == 0)
        #expect(e[7] == 1 && e[8] == 1 && e[9].isFinite && e[9] > 3.3e38)
        #expect(er[0] == 0 && er[2] == 1 && er[3] == -1 && er[4].isNaN && er[5] == 1 && er[6] == -1)
        #expect(abs(er[7] - 1.1283792e-30) < 1e-36 && er[1].sign == .minus)
        #expect(th[0] == 0 && th[1].sign == .minus && th[2] == 1 && th[3] == -1 && th[4].isNaN && th[5] == 1)
        #expect(th[7] == 1e-30 && th[8] == -1e-30)
    }

    /// Activations against Double references: relative error <= 1e-6 wherever the result is
    /// not tiny (|y| >= 1e-30), far negative tails of GELU and SiLU included. For gelu_tanh the
    /// float argument 2u = 2√(2/π)(x + 0.044715x³) carries ~5 roundings, an absolute error of
    /// 5·2⁻²⁴·|2u| that e^{-2u} turns into a relative one (the function's conditioning; the
    /// float formula of PyTorch has the same), so its bound grows with |2u| accordingly.
    @Test(arguments: [Int32(0), 1, 2]) func activationsMatchReference(isa: Int32) {
        guard supportedISAs.contains(isa) else { return }
        withISA(isa) {
            let xs = grid(-30, 30, 100_000, seed: 18) + grid(-3, 3, 50_000, seed: 19)
            let twoU = { (x: Float) -> Double in
                let d = Double(x)
                return abs(2 * (2 / Double.pi).squareRoot() * (d + 0.044715 * d * d * d))
            }
            let cases: [(String, (Int, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?) -> Void, (Float) -> Float, (Float) -> Double)] = [
                ("gelu", lb_gelu, CPUReference.gelu, { _ in 1e-6 }),
                ("gelu_tanh", lb_gelu_tanh, CPUReference.geluTanh, { 1e-6 + 6 * 0x1p-24 * twoU($0) }),
                ("silu", lb_silu, CPUReference.silu, { _ in 1e-6 }),
            ]
            for (name, f, ref, tol) in cases {
                var y = [Float](repeating: 0, count: xs.count)
                f(xs.count, xs, &y)
                var worst = 0.0, at: Float = 0
                for i in xs.indices {
                    let r = Double(ref(xs[i]))
                    let d = abs(Double(y[i]) - r)
                    if d <= 1e-30 { continue }
                    let ratio = d / (abs(r) * tol(xs[i]))
                    if !(ratio <= worst) { worst = ratio.isNaN ? .infinity : ratio; at = xs[i] }
                }
                #expect(worst <= 1, "\(name): error \(worst)× bound at x = \(at) (level \(isa))")
            }
        }
    }

    /// A lane's result does not depend on the vector length or position (tails are computed
    /// with the same operations), so element-wise outputs split anywhere agree bit for bit.
    @Test func elementwiseIndependentOfLengthAndPosition() {
        var rng = TestRNG(seed: 20)
        let xs = rng.floats(1023, -8, 8), up = rng.floats(1023)
        let fns: [(Int, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?) -> Void] = [lb_gelu, lb_gelu_tanh, lb_silu, lb_vexp, lb_verf, lb_vtanh]
        for f in fns {
            var whole = [Float](repeating: 0, count: xs.count)
            f(xs.count, xs, &whole)
            var pieces = [Float](repeating: 0, count: xs.count)
            var start = 0
            for len in [1, 3, 17, 33, 1, 200, 768] where start < xs.count {
                let l = min(len, xs.count - start)
                xs.withUnsafeBufferPointer { xb in pieces.withUnsafeMutableBufferPointer { yb in
                    f(l, xb.baseAddress! + start, yb.baseAddress! + start) } }
                start += l
            }
            #expect(bitwiseEqual(whole, pieces))
        }
        var sm = [Float](repeating: 0, count: xs.count)
        lb_silu_mul(xs.count, xs, up, &sm)
        var s = [Float](repeating: 0, count: xs.count)
        lb_silu(xs.count, xs, &s)
        let ref = zip(xs, up).map { CPUReference.silu($0) * $1 }
        #expect(worstRatio(sm, ref, abs: 1e-30, rel: 2e-6).ratio <= 1)
        var sum = [Float](repeating: 0, count: xs.count)
        lb_add(xs.count, xs, up, &sum)
        #expect(bitwiseEqual(sum, zip(xs, up).map { $0 + $1 }))
    }

    @Test func tensorWrappers() {
        var rng = TestRNG(seed: 21)
        // 70 007 elements: more than one parallel chunk, and a vector tail.
        let x = Tensor(shape: [7, 10_001], values: rng.floats(70_007, -4, 4))
        let u = Tensor(shape: x.shape, values: rng.floats(x.count))
        let xs = x.toArray(), us = u.toArray()
        #expect(worstRatio(CPUKernels.gelu(x).toArray(), xs.map(CPUReference.gelu), abs: 1e-30, rel: 1e-6).ratio <= 1)
        #expect(worstRatio(CPUKernels.geluTanh(x).toArray(), xs.map(CPUReference.geluTanh), abs: 1e-30, rel: 5e-6).ratio <= 1)
        #expect(worstRatio(CPUKernels.silu(x).toArray(), xs.map(CPUReference.silu), abs: 1e-30, rel: 1e-6).ratio <= 1)
        #expect(worstRatio(CPUKernels.siluMul(gate: x, up: u).toArray(), zip(xs, us).map { CPUReference.silu($0) * $1 },
                           abs: 1e-30, rel: 2e-6).ratio <= 1)
        #expect(bitwiseEqual(CPUKernels.add(x, u).toArray(), zip(xs, us).map { $0 + $1 }))
    }
}
