import CLowBitKernels
import LowBitCore

/// The fast path of quantization: the C kernels of `lb_quant.h` (AVX2 or portable, chosen at
/// run time), split over `Parallel.threads` by rows. Results are bitwise equal to
/// `QuantReference` for any thread count and instruction-set level (min/max are exact in any
/// order; every element goes through the same float operations).
///
/// Matrices are contiguous row-major [layout.rows, layout.cols] buffers.
public enum QuantKernels {
    /// Rows per parallel chunk so that a chunk holds at least ~64 Ki elements.
    static func rowChunk(_ cols: Int) -> Int { max(1, 65_536 / max(cols, 1)) }

    /// Calls `body` on disjoint row ranges covering 0..<rows, concurrently; every worker
    /// runs the kernels at the calling thread's instruction-set level (tests force a level
    /// per thread, and worker threads would not inherit it).
    static func forRows(_ rows: Int, cols: Int, _ body: (Range<Int>) -> Void) {
        let level = lb_isa_current()
        Parallel.forRanges(rows, minChunk: rowChunk(cols)) { r in
            let before = lb_set_thread_isa(level)
            defer { lb_set_thread_isa(before) }
            body(r)
        }
    }

    /// Turns per-chunk "first bad flat index" slots (-1: none) into the first error.
    static func firstError(_ bad: [Int], x: UnsafePointer<Float>, cols: Int, tensor: String) -> QuantError? {
        guard let i = bad.first(where: { $0 >= 0 }) else { return nil }
        return QuantError.nonFinite(tensor: tensor, index: i, columns: cols, value: x[i])
    }

    /// [min, max] of each group, row-major over the group grid. x: [rows, cols].
    /// Throws on the first NaN/±Inf (row-major).
    public static func groupRanges(_ x: UnsafePointer<Float>, layout: GroupLayout,
                                   tensor: String = "tensor") throws(QuantError) -> [QuantRange] {
        let rows = layout.rows, cols = layout.cols, ng = layout.colGroups
        var mins = [Float](repeating: 0, count: rows * ng), maxs = mins
        var bad = [Int](repeating: -1, count: rows)
        mins.withUnsafeMutableBufferPointer { mn in
            maxs.withUnsafeMutableBufferPointer { mx in
                bad.withUnsafeMutableBufferPointer { bad in
                    forRows(rows, cols: cols) { r in
                        let r0 = r.lowerBound
                        let b = lb_quant_minmax_rows(r.count, cols, x + r0 * cols, cols, layout.groupCols,
                                                     mn.baseAddress! + r0 * ng, mx.baseAddress! + r0 * ng)
                        if b >= 0 { bad[r0] = r0 * cols + b }
                    }
                }
            }
        }
        if let e = firstError(bad, x: x, cols: cols, tensor: tensor) { throw e }
        // Merge the rows of each row group (exact: min/max do not round).
        var ranges = [QuantRange]()
        ranges.reserveCapacity(layout.count)
        for gr in 0..<layout.rowGroups {
            for gc in 0..<ng {
                var lo = mins[gr * layout.groupRows * ng + gc], hi = maxs[gr * layout.groupRows * ng + gc]
                for r in (gr * layout.groupRows)..<((gr + 1) * layout.groupRows) {
                    lo = min(lo, mins[r * ng + gc])
                    hi = max(hi, maxs[r * ng + gc])
                }
                ranges.append(QuantRange(lower: lo, upper: hi))
            }
        }
        return ranges
    }

    /// Quantizes x: [rows, cols] with `params` (one per group): writes codes [rows, cols]
    /// and/or dequantized values [rows, cols] (which may be x itself, for in-place fake
    /// quantization). Throws on a NaN/±Inf — the outputs are then partly written.
    public static func quantize(_ x: UnsafePointer<Float>, layout: GroupLayout, codeRange: ClosedRange<Int>,
                                params: GroupParams, codes: UnsafeMutablePointer<Int8>?,
                                dequantized: UnsafeMutablePointer<Float>?, tensor: String = "tensor") throws(QuantError) {
        guard params.count == layout.count else {
            throw QuantError.countMismatch(tensor: tensor, what: "scales", expected: layout.count, got: params.count)
        }
        let rows = layout.rows, cols = layout.cols
        let lo = Float(codeRange.lowerBound), hi = Float(codeRange.upperBound)
        let zeros = params.zeroFloats
        var bad = [Int](repeating: -1, count: rows)
        params.scales.withUnsafeBufferPointer { s in
            withOptionalPointer(zeros) { z in
                withOptionalPointer(params.mins) { m in
                    bad.withUnsafeMutableBufferPointer { bad in
                        forRows(rows, cols: cols) { r in
                            let r0 = r.lowerBound
                            let b = lb_quant_apply_rows(r.count, cols, x + r0 * cols, cols, r0, layout.groupRows,
                                                        layout.groupCols, s.baseAddress, z, m, lo, hi,
                                                        codes.map { $0 + r0 * cols }, cols,
                                                        dequantized.map { $0 + r0 * cols }, cols)
                            if b >= 0 { bad[r0] = r0 * cols + b }
                        }
                    }
                }
            }
        }
        if let e = firstError(bad, x: x, cols: cols, tensor: tensor) { throw e }
    }

    /// Dynamic symmetric per-token quantization of x: [tokens, features]: scales[t] =
    /// max|x[t]| / (2^(bits−1) − 1) ([tokens]), codes [tokens, features] and/or dequantized
    /// values [tokens, features] (may be x). Throws on the first NaN/±Inf.
    public static func quantizePerToken(_ x: UnsafePointer<Float>, tokens: Int, features: Int, bits: BitWidth,
                                        scales: UnsafeMutablePointer<Float>, codes: UnsafeMutablePointer<Int8>?,
                                        dequantized: UnsafeMutablePointer<Float>?,
                                        tensor: String = "activation") throws(QuantError) {
        _ = try GroupLayout(rows: tokens, cols: features, granularity: .perChannel, tensor: tensor)
        let qmax = Float(Mapping.symmetric.levels(bits))
        var bad = [Int](repeating: -1, count: tokens)
        bad.withUnsafeMutableBufferPointer { bad in
            forRows(tokens, cols: features) { r in
                let r0 = r.lowerBound
                let b = lb_quant_rows_dynamic(r.count, features, x + r0 * features, features, qmax, scales + r0,
                                              codes.map { $0 + r0 * features }, features,
                                              dequantized.map { $0 + r0 * features }, features)
                if b >= 0 { bad[r0] = r0 * features + b }
            }
        }
        if let e = firstError(bad, x: x, cols: features, tensor: tensor) { throw e }
    }
}

/// Calls body with a pointer to the array's elements, or nil.
func withOptionalPointer<R>(_ a: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let a else { return body(nil) }
    return a.withUnsafeBufferPointer { body($0.baseAddress) }
}
