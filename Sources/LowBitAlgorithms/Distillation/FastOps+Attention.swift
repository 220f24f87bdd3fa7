import Foundation
import LowBitCore
import LowBitModels

extension FastOps {
    /// Attention probabilities of a batch: one [n, n] block per (sequence, head), sequence-major.
    public struct Probabilities: Sendable {
        /// Start of each sequence's blocks in `values`.
        let offsets: [Int]
        let heads: Int
        var values: [Float]

        init(sequences: [Range<Int>], heads: Int) {
            var offsets: [Int] = [], total = 0
            for s in sequences { offsets.append(total); total += heads * s.count * s.count }
            self.offsets = offsets
            self.heads = heads
            self.values = [Float](repeating: 0, count: total)
        }

    }

    /// Additive key mask of a sequence (0 visible, −inf padding), or nil when nothing is padded.
    static func keyMaskRow(_ mask: LayerOps.AttentionMask, rows: Range<Int>) -> [Float]? {
        guard let keys = mask.keyMask, keys[rows].contains(false) else { return nil }
        return keys[rows].map { $0 ? 0 : -Float.infinity }
    }

    /// qkv: [T, W] rows [q heads | k heads | v heads] → (out [T, heads·d], probabilities).
    /// Per (sequence, head): S = QKᵀ/√d (SGEMM), masked softmax, O = P·V (SGEMM). Tasks are the
    /// (sequence, kv head) pairs, in parallel. A query with no visible key outputs 0.
    public static func attention(_ qkv: [Float], shape: AttentionShape, mask: LayerOps.AttentionMask)
        -> (out: [Float], probabilities: Probabilities) {
        let h = shape.heads, kvh = shape.kvHeads, d = shape.headDim, ld = shape.qkvWidth, ldo = shape.outputWidth
        let tokens = qkv.count / ld, scale = 1 / Float(d).squareRoot(), group = h / kvh
        var out = [Float](repeating: 0, count: tokens * ldo)
        var probs = Probabilities(sequences: mask.sequences, heads: h)
        let seqs = mask.sequences, offsets = probs.offsets
        qkv.withUnsafeBufferPointer { qp in
            out.withUnsafeMutableBufferPointer { op in
                probs.values.withUnsafeMutableBufferPointer { pp in
                    let q = qp.baseAddress!, o = op.baseAddress!, pb = pp.baseAddress!
                    Parallel.forRanges(seqs.count * kvh) { tasks in
                        for task in tasks {
                            let si = task / kvh, kv = task % kvh, rows = seqs[si], n = rows.count, s0 = rows.lowerBound
                            guard n > 0 else { continue }
                            let keyMask = keyMaskRow(mask, rows: rows)
                            let ko = (h + kv) * d, vo = (h + kvh + kv) * d
                            for head in (kv * group)..<((kv + 1) * group) {
                                let p = pb + offsets[si] + head * n * n
                                CPUKernels.matmulNT(m: n, n: n, k: d, a: q + s0 * ld + head * d, lda: ld, b: q + s0 * ld + ko,
                                                    ldb: ld, c: p, ldc: n, alpha: scale)
                                softmax(p, n: n, keyMask: keyMask, causal: mask.causal)
                                CPUKernels.matmulNN(m: n, n: d, k: n, a: p, lda: n, b: q + s0 * ld + vo, ldb: ld,
                                                    c: o + s0 * ldo + head * d, ldc: ldo)
                            }
                        }
                    }
                }
            }
        }
        return (out, probs)
    }

    /// Row softmax of s: [n, n] in place; key j of query i counts if (not causal or j ≤ i) and
    /// not padding. A row with no visible key becomes 0.
    static func softmax(_ s: UnsafeMutablePointer<Float>, n: Int, keyMask: [Float]?, causal: Bool) {
        for i in 0..<n {
            let row = s + i * n, valid = causal ? i + 1 : n
            var mx = -Float.infinity
            for j in 0..<valid { row[j] += keyMask?[j] ?? 0; mx = max(mx, row[j]) }
            var sum: Float = 0
            if mx > -Float.infinity {
                for j in 0..<valid { row[j] = row[j] == -Float.infinity ? 0 : expf(row[j] - mx); sum += row[j] }
            }
            let inv: Float = sum > 0 ? 1 / sum : 0
            for j in 0..<valid { row[j] *= inv }
            for j in valid..<n { row[j] = 0 }
        }
    }

    /// dOut: [T, heads·d] → dqkv: [T, W]. Per (sequence, head): dP = dO·Vᵀ, dS = P∘(dP − rowsum(P∘dP))/√d,
    /// dQ = dS·K, dK += dSᵀ·Q, dV += Pᵀ·dO (SGEMM); k and v gradients sum over the query heads
    /// of their group in head order.
    public static func attentionBackward(_ dOut: [Float], qkv: [Float], probabilities: Probabilities,
                                         shape: AttentionShape, mask: LayerOps.AttentionMask) -> [Float] {
        let h = shape.heads, kvh = shape.kvHeads, d = shape.headDim, ld = shape.qkvWidth, ldo = shape.outputWidth
        let scale = 1 / Float(d).squareRoot(), group = h / kvh, seqs = mask.sequences, offsets = probabilities.offsets
        var dqkv = [Float](repeating: 0, count: qkv.count)
        qkv.withUnsafeBufferPointer { qp in
            dOut.withUnsafeBufferPointer { gp in
                probabilities.values.withUnsafeBufferPointer { pp in
                    dqkv.withUnsafeMutableBufferPointer { dp in
                        let q = qp.baseAddress!, g = gp.baseAddress!, pb = pp.baseAddress!, dq = dp.baseAddress!
                        Parallel.forRanges(seqs.count * kvh) { tasks in
                            for task in tasks {
                                let si = task / kvh, kv = task % kvh, rows = seqs[si], n = rows.count, s0 = rows.lowerBound
                                guard n > 0 else { continue }
                                let ko = (h + kv) * d, vo = (h + kvh + kv) * d
                                var ds = [Float](repeating: 0, count: n * n), t = [Float](repeating: 0, count: n * n)
                                var acc = [Float](repeating: 0, count: n * d)
                                for head in (kv * group)..<((kv + 1) * group) {
                                    let p = pb + offsets[si] + head * n * n
                                    let go = g + s0 * ldo + head * d, qo = q + s0 * ld + head * d
                                    ds.withUnsafeMutableBufferPointer { dsp in
                                        t.withUnsafeMutableBufferPointer { tp in
                                            acc.withUnsafeMutableBufferPointer { ap in
                                                let s = dsp.baseAddress!, tt = tp.baseAddress!, a = ap.baseAddress!
                                                // dV += Pᵀ·dO
                                                transpose(p, rows: n, cols: n, ld: n, into: tt)
                                                CPUKernels.matmulNN(m: n, n: d, k: n, a: tt, lda: n, b: go, ldb: ldo, c: a, ldc: d)
                                                addBlock(a, rows: n, cols: d, into: dq + s0 * ld + vo, ld: ld)
                                                // dS
                                                CPUKernels.matmulNT(m: n, n: n, k: d, a: go, lda: ldo, b: q + s0 * ld + vo, ldb: ld,
                                                                    c: s, ldc: n)
                                                for i in 0..<n {
                                                    var dot: Float = 0
                                                    for j in 0..<n { dot += p[i * n + j] * s[i * n + j] }
                                                    for j in 0..<n { s[i * n + j] = p[i * n + j] * (s[i * n + j] - dot) * scale }
                                                }
                                                // dQ = dS·K (this head's columns only)
                                                CPUKernels.matmulNN(m: n, n: d, k: n, a: s, lda: n, b: q + s0 * ld + ko, ldb: ld,
                                                                    c: dq + s0 * ld + head * d, ldc: ld)
                                                // dK += dSᵀ·Q
                                                transpose(s, rows: n, cols: n, ld: n, into: tt)
                                                CPUKernels.matmulNN(m: n, n: d, k: n, a: tt, lda: n, b: qo, ldb: ld, c: a, ldc: d)
                                                addBlock(a, rows: n, cols: d, into: dq + s0 * ld + ko, ld: ld)
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return dqkv
    }

    /// y[r, c] += a[r, c] for a: [rows, cols] (contiguous), y with row stride ld.
    static func addBlock(_ a: UnsafePointer<Float>, rows: Int, cols: Int, into y: UnsafeMutablePointer<Float>, ld: Int) {
        for r in 0..<rows { for c in 0..<cols { y[r * ld + c] += a[r * cols + c] } }
    }
}
