import CLowBitKernels
import Testing
import LowBitCore

/// Tolerance: a float dot product of k terms evaluated by fma chains, added block by block,
/// is within (k + 2)·2⁻²⁴·Σ|xᵢwᵢ| of the exact value (standard forward error bound, with one
/// extra rounding for the bias and one for the block sums). A wrong index, a missed tail
/// element or a stale accumulator gives errors of the order of Σ|xᵢwᵢ| itself, far above it.
private func expectClose(_ y: [Float], _ ref: [Float], _ absSum: [Double], k: Int, extra: Int = 0,
                         _ what: @autoclosure () -> String) {
    var worst = 0.0, at = 0
    for i in y.indices {
        let bound = Double(k + 2 + extra) * 0x1p-24 * absSum[i] + 1e-30
        let r = abs(Double(y[i]) - Double(ref[i])) / bound
        if !(r <= worst) { worst = r.isNaN ? .infinity : r; at = i }
    }
    #expect(worst <= 1, "\(what()): worst error \(worst)× bound at \(at): \(y[at]) vs \(ref[at])")
}

/// Shapes (M, N, K): every combination of the odd sizes, 1023 in each dimension, and two big
/// ones that cross every cache block (MC <= 168 rows, NC <= 768 columns, KC = 384).
private let linearShapes: [(Int, Int, Int)] = {
    let odd = [1, 3, 17, 33]
    var s: [(Int, Int, Int)] = []
    for m in odd { for n in odd { for k in odd { s.append((m, n, k)) } } }
    s += [(1023, 17, 33), (17, 1023, 33), (17, 33, 1023), (3, 1023, 1023), (1023, 33, 17)]
    s += [(200, 784, 400), (40, 384, 1536)]
    return s
}()

@Suite struct SGEMMTests {
    @Test func linearMatchesReferenceOnOddAndBigShapes() {
        var rng = TestRNG(seed: 1)
        for (idx, (m, n, k)) in linearShapes.enumerated() {
            let x = rng.floats(m * k), w = rng.floats(n * k)
            let bias: [Float]? = idx % 2 == 0 ? rng.floats(n) : nil
            let layer = PackedLinearWeight(outFeatures: n, inFeatures: k, weights: w, bias: bias)
            let y = layer.apply(Tensor(shape: [m, k], values: x)).toArray()
            let ref = CPUReference.linear(m: m, n: n, k: k, x: x, w: w, bias: bias)
            let absSum = CPUReference.linearAbsSum(m: m, n: n, k: k, x: x, w: w, bias: bias)
            expectClose(y, ref, absSum, k: k, "linear M=\(m) N=\(n) K=\(k)")
        }
    }

    /// Every level runs the same operations in the same order, so levels agree bit for bit
    /// (on this CPU: the portable fmaf kernel against AVX2 and, where present, AVX-512).
    @Test func levelsAgreeBitwise() {
        var rng = TestRNG(seed: 2)
        for (m, n, k) in [(1, 1, 1), (3, 17, 33), (17, 33, 3), (33, 3, 17), (33, 47, 300), (7, 100, 513), (20, 1023, 17)] {
            let x = rng.floats(m * k), w = rng.floats(n * k), bias = rng.floats(n)
            let layer = PackedLinearWeight(outFeatures: n, inFeatures: k, weights: w, bias: bias)
            var outs: [[Float]] = []
            for isa in supportedISAs {
                var y = [Float](repeating: 0, count: m * n)
                withISA(isa) { #expect(lb_sgemm_packed(m, n, k, x, k, layer.packedPointer, layer.biasPointer, &y, n, 0, n) == 0) }
                outs.append(y)
            }
            for i in 1..<outs.count {
                #expect(bitwiseEqual(outs[0], outs[i]), "level \(supportedISAs[i]) differs from \(supportedISAs[0]) at M=\(m) N=\(n) K=\(k)")
            }
        }
    }

    /// Results do not depend on how the work is split: column splits at any panel boundary and
    /// row splits give the same bits as one call (what LOWBIT_THREADS changes).
    @Test func splitsAreBitwiseDeterministic() {
        var rng = TestRNG(seed: 3)
        let m = 37, n = 200, k = 900 // 13 panels (last partial), 3 K blocks of <= LB_SGEMM_KC
        let x = rng.floats(m * k), w = rng.floats(n * k), bias = rng.floats(n)
        let layer = PackedLinearWeight(outFeatures: n, inFeatures: k, weights: w, bias: bias)
        var whole = [Float](repeating: 0, count: m * n)
        #expect(lb_sgemm_packed(m, n, k, x, k, layer.packedPointer, layer.biasPointer, &whole, n, 0, n) == 0)
        let columnSplits: [[Int]] = [[0, 16, 48, 200], [0, 96, 192, 200], Array(stride(from: 0, to: 200, by: 16)) + [200]]
        for cuts in columnSplits {
            var y = [Float](repeating: .nan, count: m * n)
            for (lo, hi) in zip(cuts, cuts.dropFirst()) {
                #expect(lb_sgemm_packed(m, n, k, x, k, layer.packedPointer, layer.biasPointer, &y, n, lo, hi) == 0)
            }
            #expect(bitwiseEqual(whole, y), "column split \(cuts)")
        }
        for cuts in [[0, 5, 37], [0, 1, 2, 20, 36, 37], [0, 18, 37]] {
            var y = [Float](repeating: .nan, count: m * n)
            for (lo, hi) in zip(cuts, cuts.dropFirst()) {
                y.withUnsafeMutableBufferPointer { yb in
                    x.withUnsafeBufferPointer { xb in
                        _ = lb_sgemm_packed(hi - lo, n, k, xb.baseAddress! + lo * k, k, layer.packedPointer, layer.biasPointer,
                                            yb.baseAddress! + lo * n, n, 0, n)
                    }
                }
            }
            #expect(bitwiseEqual(whole, y), "row split \(cuts)")
        }
        let threaded = layer.apply(Tensor(shape: [m, k], values: x)).toArray()
        #expect(bitwiseEqual(whole, threaded), "PackedLinearWeight.apply with \(Parallel.threads) threads")
    }

    /// Only columns [n_begin, n_end) of C are written; strides are honoured; bad ranges refused.
    @Test func writesOnlyItsColumnsAndRejectsBadRanges() {
        var rng = TestRNG(seed: 4)
        let m = 9, n = 53, k = 21, ldc = 60, lda = 25
        let x = rng.floats(m * lda), w = rng.floats(n * k)
        let layer = PackedLinearWeight(outFeatures: n, inFeatures: k, weights: w)
        let sentinel = Float(-12345)
        var c = [Float](repeating: sentinel, count: m * ldc)
        #expect(lb_sgemm_packed(m, n, k, x, lda, layer.packedPointer, nil, &c, ldc, 16, 48) == 0)
        let xs = (0..<m).flatMap { i in x[(i * lda)..<(i * lda + k)] }
        let ref = CPUReference.linear(m: m, n: n, k: k, x: xs, w: w, bias: nil)
        for i in 0..<m {
            for j in 0..<ldc {
                if (16..<48).contains(j) {
                    #expect(abs(c[i * ldc + j] - ref[i * n + j]) <= 1e-5, "C[\(i),\(j)]")
                } else {
                    #expect(c[i * ldc + j] == sentinel, "C[\(i),\(j)] outside the range was written")
                }
            }
        }
        for (lo, hi) in [(8, 32), (0, 20), (0, 64), (48, 32)] {
            #expect(lb_sgemm_packed(m, n, k, x, lda, layer.packedPointer, nil, &c, ldc, lo, hi) == -1, "range \(lo)..<\(hi)")
        }
    }

    @Test func matmulNTAndNNMatchReferenceWithStrides() {
        var rng = TestRNG(seed: 5)
        let sizes = [1, 3, 17, 33]
        var cases: [(Int, Int, Int)] = []
        for m in sizes { for n in sizes { for k in sizes { cases.append((m, n, k)) } } }
        cases += [(1023, 3, 17), (5, 1023, 64), (7, 9, 1023), (128, 128, 64)]
        for (idx, (m, n, k)) in cases.enumerated() {
            let pad = idx % 3 // row strides larger than the rows
            let lda = k + pad, ldbT = k + pad, ldbN = n + pad, ldc = n + pad
            let a = rng.floats(m * lda), bT = rng.floats(n * ldbT), bN = rng.floats(k * ldbN)
            let alpha: Float = idx % 2 == 0 ? 0.125 : 0.3
            var c1 = [Float](repeating: 0, count: m * ldc), c2 = c1
            CPUKernels.matmulNT(m: m, n: n, k: k, a: a, lda: lda, b: bT, ldb: ldbT, c: &c1, ldc: ldc, alpha: alpha)
            CPUKernels.matmulNN(m: m, n: n, k: k, a: a, lda: lda, b: bN, ldb: ldbN, c: &c2, ldc: ldc)
            let ac = (0..<m).flatMap { i in a[(i * lda)..<(i * lda + k)] }
            let bTc = (0..<n).flatMap { j in bT[(j * ldbT)..<(j * ldbT + k)] }
            let bNc = (0..<k).flatMap { t in bN[(t * ldbN)..<(t * ldbN + n)] }
            let bNT = (0..<n).flatMap { j in (0..<k).map { t in bNc[t * n + j] } }
            let pick = { (c: [Float]) in (0..<m).flatMap { i in c[(i * ldc)..<(i * ldc + n)] } }
            let refNT = CPUReference.matmulNT(m: m, n: n, k: k, a: ac, b: bTc, alpha: alpha)
            let sumNT = CPUReference.linearAbsSum(m: m, n: n, k: k, x: ac, w: bTc, bias: nil).map { $0 * Double(alpha) }
            expectClose(pick(c1), refNT, sumNT, k: k, extra: 1, "matmulNT M=\(m) N=\(n) K=\(k)")
            let refNN = CPUReference.matmulNN(m: m, n: n, k: k, a: ac, b: bNc)
            let sumNN = CPUReference.linearAbsSum(m: m, n: n, k: k, x: ac, w: bNT, bias: nil)
            expectClose(pick(c2), refNN, sumNN, k: k, "matmulNN M=\(m) N=\(n) K=\(k)")
        }
    }

    @Test func batchedTensorMatmul() {
        var rng = TestRNG(seed: 6)
        let b = 3, m = 5, n = 7, k = 33
        let a = rng.floats(b * m * k), bt = rng.floats(b * n * k), bn = rng.floats(b * k * n)
        let s = CPUKernels.matmulNT(Tensor(shape: [b, m, k], values: a), Tensor(shape: [b, n, k], values: bt), alpha: 0.5)
        let o = CPUKernels.matmulNN(Tensor(shape: [b, m, k], values: a), Tensor(shape: [b, k, n], values: bn))
        #expect(s.shape == [b, m, n] && o.shape == [b, m, n])
        for i in 0..<b {
            let ai = Array(a[(i * m * k)..<((i + 1) * m * k)])
            let r1 = CPUReference.matmulNT(m: m, n: n, k: k, a: ai, b: Array(bt[(i * n * k)..<((i + 1) * n * k)]), alpha: 0.5)
            let r2 = CPUReference.matmulNN(m: m, n: n, k: k, a: ai, b: Array(bn[(i * k * n)..<((i + 1) * k * n)]))
            #expect(worstRatio(Array(s.toArray()[(i * m * n)..<((i + 1) * m * n)]), r1, abs: 1e-5, rel: 1e-5).ratio <= 1)
            #expect(worstRatio(Array(o.toArray()[(i * m * n)..<((i + 1) * m * n)]), r2, abs: 1e-5, rel: 1e-5).ratio <= 1)
        }
    }
}
