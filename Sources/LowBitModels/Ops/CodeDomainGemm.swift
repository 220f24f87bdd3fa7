import LowBitCore
import LowBitQuant

/// The simulated GEMM of a layer whose input is quantized per token, symmetrically
/// (`.dynamicPerToken`): it computes, in float, exactly what the integer kernels define
/// (lb_igemm.h), so the simulated and the integer engine give the same bits.
///
/// `/// a: [tokens, inFeatures] activation codes (held as floats) with scales s_t: [tokens];
/// ///  w: [outFeatures, inFeatures] codes, groups along inFeatures with scales s[o, g], zero points z[o, g]
/// ///   and (affine) minimums m[o, g];
/// ///  acc[t, o, g] = Σ_{k ∈ g} a[t, k] · (w[o, k] − z[o, g]);  r[t, g] = Σ_{k ∈ g} a[t, k]  (exact integers)
/// ///  F = acc_0 · s[o, 0];  F = fma(acc_g, s[o, g], F) for g = 1, 2, …  (in order), each followed
/// ///   by F = fma(r_g, m[o, g], F) for affine weights
/// ///  y[t, o] = F · s_t (+ b[o]): [tokens, outFeatures]`
///
/// This is x̂ · ŵᵀ + b with x̂ = a · s_t and ŵ = (w − z) · s + m, summed in the integers first:
/// the same fake-quant layer, in the one summation order integer kernels can reproduce. Why
/// it matters: per-token activation codes flip at a rounding boundary on a 1e-7 difference, a
/// flipped code moves its value by a whole quantization step, and on MiniLM (outlier
/// LayerNorm channels set coarse per-token steps) a handful of flips in layer 0 grew to 30 %
/// of all codes by layer 5 (embedding cosine 0.9988 between two summation orders).
///
/// The integer sums are exact in float: each block of columns the SGEMM sums is short enough
/// that |partial sum| ≤ max|a| · max|w − z| · length < 2^24, and blocks of one group are
/// added in Double (exact) and rounded once, as the kernels' int32 → float conversion does.
struct CodeDomainGemm: Sendable {
    let outFeatures: Int
    let inFeatures: Int
    /// Columns per weight group (inFeatures for per-channel and per-tensor weights).
    let groupCols: Int
    /// Scales [outFeatures, groups], row-major.
    let scales: [Float]
    /// Minimums [outFeatures, groups] (affine weights), or nil.
    let mins: [Float]?
    /// Column blocks, in order; each lies in one group.
    let blocks: [Block]

    struct Block: @unchecked Sendable {
        let group: Int
        let columns: Range<Int>
        /// (w − z) of these columns as floats, packed for the SGEMM.
        let packed: PackedLinearWeight
    }

    /// weight: [outFeatures, inFeatures] codes; inputBits: the activation width (codes in ±(2^(bits−1) − 1)).
    init(weight: QuantizedWeight, inputBits: BitWidth) {
        let n = weight.outFeatures, k = weight.inFeatures, layout = weight.layout
        let gc = max(layout.groupCols, 1), groups = k == 0 ? 0 : k / gc
        var centered = [Float](repeating: 0, count: n * k)
        var scales = [Float](repeating: 0, count: n * groups)
        var mins: [Float]? = weight.mins == nil ? nil : [Float](repeating: 0, count: n * groups)
        var wMax: Int = 1
        for o in 0..<n {
            for g in 0..<groups {
                let p = layout.group(row: o, col: g * gc)
                scales[o * groups + g] = weight.scales[p]
                if let m = weight.mins { mins![o * groups + g] = m[p] }
                let z = Int(weight.zeroPoints?[p] ?? 0)
                for c in g * gc..<(g + 1) * gc {
                    let v = Int(weight.values[o * k + c]) - z
                    centered[o * k + c] = Float(v)
                    wMax = max(wMax, abs(v))
                }
            }
        }
        let aMax = max(Mapping.symmetric.levels(inputBits), 1)
        let maxLength = max(1, ((1 << 24) - 1) / (aMax * wMax))
        var blocks: [Block] = []
        for g in 0..<groups {
            var c0 = g * gc
            while c0 < (g + 1) * gc {
                let c1 = min((g + 1) * gc, c0 + maxLength)
                var slice = [Float](repeating: 0, count: n * (c1 - c0))
                for o in 0..<n { for c in c0..<c1 { slice[o * (c1 - c0) + c - c0] = centered[o * k + c] } }
                blocks.append(Block(group: g, columns: c0..<c1,
                                    packed: PackedLinearWeight(outFeatures: n, inFeatures: c1 - c0, weights: slice)))
                c0 = c1
            }
        }
        outFeatures = n
        inFeatures = k
        groupCols = gc
        self.scales = scales
        self.mins = mins
        self.blocks = blocks
    }

    /// r[t, g] = Σ_{k ∈ g} a[t, k], summed exactly (Int) and rounded to Float once, as the
    /// kernels' int32 → float conversion does: [rows, groups]. a: [rows, k] integer codes as floats.
    static func groupSums(rows: Int, k: Int, groupCols: Int, codes a: UnsafePointer<Float>) -> [Float] {
        let groups = k / groupCols
        var r = [Float](repeating: 0, count: rows * groups)
        for t in 0..<rows {
            for g in 0..<groups {
                var sum = 0
                for c in g * groupCols..<(g + 1) * groupCols { sum += Int(a[t * k + c]) }
                r[t * groups + g] = Float(sum)
            }
        }
        return r
    }

    /// a: [rows, inFeatures] integer codes as floats (row stride inFeatures); tokenScales: [rows];
    /// bias: [outFeatures] or nil; y: [rows, outFeatures] (contiguous), overwritten.
    func apply(rows: Int, codes a: UnsafePointer<Float>, tokenScales: UnsafePointer<Float>,
               bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>) {
        let n = outFeatures, k = inFeatures, groups = k / groupCols, count = rows * n
        guard count > 0 else { return }
        guard k > 0 else {
            for t in 0..<rows { for o in 0..<n { y[t * n + o] = bias.map { $0[o] } ?? 0 } }
            return
        }
        let part = UnsafeMutablePointer<Float>.allocate(capacity: count)
        let acc = UnsafeMutablePointer<Double>.allocate(capacity: count)
        defer { part.deallocate(); acc.deallocate() }
        let rowSums = mins == nil ? [] : Self.groupSums(rows: rows, k: k, groupCols: groupCols, codes: a)
        var i = 0
        for g in 0..<groups {
            // acc_g, exact: one block's SGEMM result as it is, several blocks summed in Double.
            let first = i
            while i < blocks.count, blocks[i].group == g { i += 1 }
            let single = i - first == 1
            for b in blocks[first..<i] {
                b.packed.apply(rows: rows, x: a + b.columns.lowerBound, ldx: k, y: part, ldy: n)
                if single { break }
                let firstBlock = b.columns.lowerBound == blocks[first].columns.lowerBound
                Parallel.forRanges(count, minChunk: 1 << 14) { r in
                    for j in r { acc[j] = (firstBlock ? 0 : acc[j]) + Double(part[j]) }
                }
            }
            let isFirst = g == 0
            scales.withUnsafeBufferPointer { s in
                let s = s.baseAddress!
                Parallel.forRanges(rows, minChunk: max(1, (1 << 14) / max(n, 1))) { r in
                    for t in r {
                        for o in 0..<n {
                            let v = single ? part[t * n + o] : Float(acc[t * n + o]), sg = s[o * groups + g]
                            y[t * n + o] = isFirst ? v * sg : y[t * n + o].addingProduct(v, sg)
                        }
                        if let m = mins {
                            let rg = rowSums[t * groups + g]
                            for o in 0..<n { y[t * n + o] = y[t * n + o].addingProduct(rg, m[o * groups + g]) }
                        }
                    }
                }
            }
        }
        Parallel.forRanges(rows, minChunk: max(1, (1 << 14) / max(n, 1))) { r in
            for t in r {
                let st = tokenScales[t]
                for o in 0..<n {
                    let f = y[t * n + o] * st
                    y[t * n + o] = bias.map { f + $0[o] } ?? f
                }
            }
        }
    }
}
