import CLowBitKernels
import Testing
import LowBitCore

private let rowLengths = [1, 3, 17, 33, 1023]

/// Row operations against the Double references, at every level this CPU runs.
///
/// Tolerances: softmax entries are within 1e-6 relative (+1e-9 absolute for entries that are
/// ~0) — exp is ~2 ulp, the float sum of n ≤ 1023 positive terms adds ≲ n·2⁻²⁴·(partial sums
/// in 8–16 lanes) ≈ 4e-6 worst case but ≈ 1e-7 in practice. Norm outputs are O(1) and within
/// 2e-6 absolute (+1e-6 relative): float mean/variance over n terms in vector lanes.
@Suite struct RowOpsTests {
    @Test(arguments: [Int32(0), 1, 2]) func softmaxMatchesReference(isa: Int32) {
        guard supportedISAs.contains(isa) else { return }
        var rng = TestRNG(seed: 31)
        withISA(isa) {
            for n in rowLengths {
                let rows = 5
                let x = rng.floats(rows * n, -8, 8)
                let shared = (0..<n).map { j -> Float in j % 5 == 4 ? -.infinity : rng.uniform(-2, 0) }
                let perRow = rng.floats(rows * n, -3, 0)
                let variants: [(Float, [Float]?, Int, Int?)] = [
                    (1, nil, 0, nil), (0.125, shared, 0, nil), (0.3, perRow, n, nil),
                    (1, nil, 0, 1), (0.5, shared, 0, max(0, n - 3)), (1, nil, 0, 0),
                ]
                for (scale, mask, maskLD, causal) in variants {
                    var y = [Float](repeating: .nan, count: rows * n)
                    lb_softmax_rows(rows, n, x, n, &y, n, scale, mask, maskLD, causal ?? -1)
                    let ref = CPUReference.softmax(rows: rows, n: n, x: x, scale: scale, mask: mask, causalValid0: causal)
                    let (r, at) = worstRatio(y, ref, abs: 1e-9, rel: 1e-6)
                    #expect(r <= 1, "softmax n=\(n) scale=\(scale) mask=\(mask != nil) causal=\(String(describing: causal)): \(y[at]) vs \(ref[at])")
                }
                // In place.
                var inplace = x
                inplace.withUnsafeMutableBufferPointer { b in lb_softmax_rows(rows, n, b.baseAddress!, n, b.baseAddress!, n, 1, nil, 0, -1) }
                #expect(worstRatio(inplace, CPUReference.softmax(rows: rows, n: n, x: x), abs: 1e-9, rel: 1e-6).ratio <= 1)
            }
        }
    }

    @Test func softmaxFullyMaskedRowIsZeroAndLargeValuesAreStable() {
        let n = 19
        let mask = [Float](repeating: -.infinity, count: n)
        var y = [Float](repeating: .nan, count: n)
        lb_softmax_rows(1, n, [Float](repeating: 1, count: n), n, &y, n, 1, mask, 0, -1)
        #expect(y.allSatisfy { $0 == 0 })
        let big: [Float] = (0..<n).map { Float($0) * 1000 } // exp would overflow without the max shift
        lb_softmax_rows(1, n, big, n, &y, n, 1, nil, 0, -1)
        #expect(y[n - 1] == 1 && y[0..<(n - 1)].allSatisfy { $0 == 0 })
        let t = CPUKernels.softmax(Tensor(shape: [2, 3, n], values: (0..<(6 * n)).map { Float($0 % 7) }), scale: 0.5, causalValid0: 1)
        let rows = t.toArray()
        for r in 0..<6 {
            let valid = min(n, 1 + r)
            let s = rows[(r * n)..<(r * n + valid)].reduce(0, +)
            #expect(abs(s - 1) < 1e-6 && rows[(r * n + valid)..<(r * n + n)].allSatisfy { $0 == 0 })
        }
    }

    @Test(arguments: [Int32(0), 1, 2]) func normsMatchReference(isa: Int32) {
        guard supportedISAs.contains(isa) else { return }
        var rng = TestRNG(seed: 32)
        withISA(isa) {
            for n in rowLengths {
                let rows = 4
                // Offset rows (mean 3) check that the variance is not computed as E[x²] - E[x]².
                let x = rng.floats(rows * n, 2, 4)
                let gamma = rng.floats(n, 0.5, 1.5), beta = rng.floats(n)
                for (g, b) in [(gamma, beta), (nil, nil)] as [([Float]?, [Float]?)] {
                    var y = [Float](repeating: .nan, count: rows * n)
                    lb_layernorm_rows(rows, n, x, n, &y, n, g, b, 1e-5)
                    let ref = CPUReference.layerNorm(rows: rows, n: n, x: x, gamma: g, beta: b, eps: 1e-5)
                    let (r, at) = worstRatio(y, ref, abs: 2e-6, rel: 1e-6)
                    #expect(r <= 1, "layerNorm n=\(n): \(y[at]) vs \(ref[at])")
                }
                for w in [gamma, nil] as [[Float]?] {
                    var y = [Float](repeating: .nan, count: rows * n)
                    lb_rmsnorm_rows(rows, n, x, n, &y, n, w, 1e-6)
                    let ref = CPUReference.rmsNorm(rows: rows, n: n, x: x, weight: w, eps: 1e-6)
                    let (r, at) = worstRatio(y, ref, abs: 2e-6, rel: 1e-6)
                    #expect(r <= 1, "rmsNorm n=\(n): \(y[at]) vs \(ref[at])")
                }
            }
        }
    }

    /// Tensor wrappers (parallel over rows) give the same bits as one single-threaded call.
    @Test func tensorWrappersMatchSingleCall() {
        var rng = TestRNG(seed: 33)
        let rows = 300, n = 384
        let x = Tensor(shape: [3, 100, n], values: rng.floats(rows * n, -3, 3))
        let g = Tensor(shape: [n], values: rng.floats(n)), b = Tensor(shape: [n], values: rng.floats(n))
        var y = [Float](repeating: 0, count: rows * n)
        lb_layernorm_rows(rows, n, x.pointer, n, &y, n, g.pointer, b.pointer, 1e-12)
        #expect(bitwiseEqual(CPUKernels.layerNorm(x, gamma: g, beta: b, eps: 1e-12).toArray(), y))
        lb_rmsnorm_rows(rows, n, x.pointer, n, &y, n, g.pointer, 1e-5)
        #expect(bitwiseEqual(CPUKernels.rmsNorm(x, weight: g, eps: 1e-5).toArray(), y))
        let mask = Tensor(shape: [n], values: (0..<n).map { $0 < 300 ? 0 : -.infinity })
        lb_softmax_rows(rows, n, x.pointer, n, &y, n, 0.125, mask.pointer, 0, -1)
        #expect(bitwiseEqual(CPUKernels.softmax(x, scale: 0.125, mask: mask).toArray(), y))
        lb_softmax_rows(rows, n, x.pointer, n, &y, n, 1, nil, 0, 5)
        #expect(bitwiseEqual(CPUKernels.softmax(x, causalValid0: 5).toArray(), y))
    }
}
