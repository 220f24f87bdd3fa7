import Foundation
import CLowBitKernels
import Testing
import LowBitCore

/// `lb_attention_head` (one sequence, one head) against a Double reference, at every level this
/// CPU runs, on odd shapes: query rows below and above the 4-row block (the decode form and
/// the transposed-key form), key counts around the 32-key padding, head widths that are not a
/// multiple of the vector width, causal and not, and row strides wider than the rows.
///
/// Tolerance: outputs are convex combinations of v (|v| ≤ 1), within 2e-6 absolute + 1e-5
/// relative: float dot products of ≤ 80 terms, exp ~2 ulp, and the float sums of ≤ 70 terms.
@Suite struct AttentionKernelTests {
    static func reference(nq: Int, nk: Int, d: Int, q: [Float], ldq: Int, k: [Float], v: [Float], ldkv: Int,
                          scale: Float, causalValid0: Int) -> [Float] {
        var out = [Float](repeating: 0, count: nq * d)
        for i in 0..<nq {
            let valid = causalValid0 < 0 ? nk : max(0, min(nk, causalValid0 + i))
            guard valid > 0 else { continue }
            var s = (0..<valid).map { j in (0..<d).reduce(0.0) { $0 + Double(q[i * ldq + $1]) * Double(k[j * ldkv + $1]) } * Double(scale) }
            let m = s.max()!
            s = s.map { exp($0 - m) }
            let total = s.reduce(0, +)
            for c in 0..<d { out[i * d + c] = Float((0..<valid).reduce(0.0) { $0 + s[$1] / total * Double(v[$1 * ldkv + c]) }) }
        }
        return out
    }

    @Test(arguments: [Int32(0), 1, 2]) func matchesReference(isa: Int32) {
        guard supportedISAs.contains(isa) else { return }
        var rng = TestRNG(seed: 17)
        withISA(isa) {
            for (nq, nk, d) in [(1, 1, 1), (1, 70, 64), (3, 33, 32), (4, 4, 8), (5, 31, 17), (9, 64, 80), (13, 13, 32), (2, 100, 3)] {
                for causal in [-1, 1, nk - nq + 1] where causal != 0 || nk >= nq {
                    let ldq = d + 3, ldkv = d + 5, ldo = d + 1
                    let q = rng.floats(nq * ldq, -2, 2), k = rng.floats(nk * ldkv, -2, 2), v = rng.floats(nk * ldkv, -1, 1)
                    var out = [Float](repeating: .nan, count: nq * ldo)
                    var scratch = [Float](repeating: .nan, count: lb_attention_scratch_floats(nk, d))
                    lb_attention_head(nq, nk, d, q, ldq, k, v, ldkv, &out, ldo, 0.37, causal, &scratch)
                    let ref = Self.reference(nq: nq, nk: nk, d: d, q: q, ldq: ldq, k: k, v: v, ldkv: ldkv, scale: 0.37, causalValid0: causal)
                    let got = (0..<nq).flatMap { i in out[(i * ldo)..<(i * ldo + d)] }
                    let (r, at) = worstRatio(got, ref, abs: 2e-6, rel: 1e-5)
                    #expect(r <= 1, "nq \(nq) nk \(nk) d \(d) causal \(causal) level \(isa): \(got[at]) vs \(ref[at])")
                    // The padding columns of each output row are untouched.
                    #expect((0..<nq).allSatisfy { i in out[i * ldo + d].isNaN }, "wrote past the head width")
                }
            }
        }
    }
}
