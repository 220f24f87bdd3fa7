/// The slow, obviously-correct definition of quantization: plain loops, one element at a
/// time, in the exact float operations of the format. `QuantKernels` (the fast path) is
/// tested bit for bit against these functions.
///
/// Per element of group (s, z, m) with code range [lo, hi]:
///
///     t = (s == 0) ? 0 : rne((x − m) / s)   // round to nearest, ties to even
///     q = min(max(t + z, lo), hi)           // stored code
///     x̂ = (q − z) · s + m                   // dequantized value
///
/// m is the affine minimum, 0 for the other mappings; with m = 0 the subtraction and the
/// addition change no bit (x − 0 = x, also for −0; (q − z) · s is never −0 since s ≥ 0 and
/// s = 0 forces q = z), so symmetric and asymmetric codes are those of x / s and (q − z) · s.
///
/// Matrices are row-major `[Float]` of `layout.rows × layout.cols` elements.
public enum QuantReference {
    /// The code of one element, as a float holding an integer in [lo, hi].
    @inlinable public static func code(_ x: Float, scale: Float, zero: Float, minimum: Float, lo: Float, hi: Float) -> Float {
        let t: Float = scale == 0 ? 0 : ((x - minimum) / scale).rounded(.toNearestOrEven)
        return min(max(t + zero, lo), hi)
    }

    /// The value a code stands for.
    @inlinable public static func dequantize(code: Float, scale: Float, zero: Float, minimum: Float) -> Float {
        (code - zero) * scale + minimum
    }

    /// The first non-finite element in row-major order, as an error, or nil.
    static func firstNonFinite(_ x: [Float], cols: Int, tensor: String) -> QuantError? {
        guard let i = x.firstIndex(where: { !$0.isFinite }) else { return nil }
        return QuantError.nonFinite(tensor: tensor, index: i, columns: cols, value: x[i])
    }

    static func checkCount(_ x: [Float], _ layout: GroupLayout, _ tensor: String) throws(QuantError) {
        guard x.count == layout.rows * layout.cols else {
            throw QuantError.countMismatch(tensor: tensor, what: "values", expected: layout.rows * layout.cols, got: x.count)
        }
    }

    /// [min, max] of each group, row-major over the group grid.
    /// x: [rows, cols]. Throws on the first NaN/±Inf (row-major).
    public static func groupRanges(_ x: [Float], layout: GroupLayout, tensor: String = "tensor") throws(QuantError) -> [QuantRange] {
        try checkCount(x, layout, tensor)
        if let e = firstNonFinite(x, cols: layout.cols, tensor: tensor) { throw e }
        var ranges = [QuantRange?](repeating: nil, count: layout.count)
        for r in 0..<layout.rows {
            for c in 0..<layout.cols {
                let g = layout.group(row: r, col: c), v = x[r * layout.cols + c]
                ranges[g] = ranges[g].map { QuantRange(lower: min($0.lower, v), upper: max($0.upper, v)) }
                    ?? QuantRange(lower: v, upper: v)
            }
        }
        return ranges.map { $0! }
    }

    /// Codes and dequantized values of x: [rows, cols] under `params` (one per group).
    /// Throws on the first NaN/±Inf (row-major).
    public static func quantize(_ x: [Float], layout: GroupLayout, codeRange: ClosedRange<Int>, params: GroupParams,
                                tensor: String = "tensor") throws(QuantError) -> (codes: [Int8], dequantized: [Float]) {
        try checkCount(x, layout, tensor)
        guard params.count == layout.count else {
            throw QuantError.countMismatch(tensor: tensor, what: "scales", expected: layout.count, got: params.count)
        }
        if let e = firstNonFinite(x, cols: layout.cols, tensor: tensor) { throw e }
        let lo = Float(codeRange.lowerBound), hi = Float(codeRange.upperBound)
        var codes = [Int8](repeating: 0, count: x.count)
        var y = [Float](repeating: 0, count: x.count)
        for r in 0..<layout.rows {
            for c in 0..<layout.cols {
                let g = layout.group(row: r, col: c), i = r * layout.cols + c
                let s = params.scales[g], z = params.zero(g), m = params.minimum(g)
                let q = code(x[i], scale: s, zero: z, minimum: m, lo: lo, hi: hi)
                codes[i] = Int8(q)
                y[i] = dequantize(code: q, scale: s, zero: z, minimum: m)
            }
        }
        return (codes, y)
    }

    /// Values of codes: [rows, cols] under `params`.
    public static func dequantize(codes: [Int8], layout: GroupLayout, params: GroupParams) -> [Float] {
        precondition(codes.count == layout.rows * layout.cols && params.count == layout.count,
                     "dequantize: \(codes.count) codes, \(params.count) scales for \(layout)")
        var y = [Float](repeating: 0, count: codes.count)
        for r in 0..<layout.rows {
            for c in 0..<layout.cols {
                let g = layout.group(row: r, col: c), i = r * layout.cols + c
                y[i] = dequantize(code: Float(codes[i]), scale: params.scales[g], zero: params.zero(g), minimum: params.minimum(g))
            }
        }
        return y
    }

    /// Dynamic symmetric per-token quantization of x: [tokens, features]: each row gets
    /// scale = max|x_row| / (2^(bits−1) − 1), then codes and dequantized values.
    public static func quantizePerToken(_ x: [Float], tokens: Int, features: Int, bits: BitWidth,
                                        tensor: String = "activation") throws(QuantError)
        -> (codes: [Int8], scales: [Float], dequantized: [Float]) {
        let layout = try GroupLayout(rows: tokens, cols: features, granularity: .perChannel, tensor: tensor)
        let ranges = try groupRanges(x, layout: layout, tensor: tensor)
        let params = try GroupParams(ranges: ranges, bits: bits, mapping: .symmetric, tensor: tensor)
        let (codes, y) = try quantize(x, layout: layout, codeRange: Mapping.symmetric.codeRange(bits),
                                      params: params, tensor: tensor)
        return (codes, params.scales, y)
    }
}
