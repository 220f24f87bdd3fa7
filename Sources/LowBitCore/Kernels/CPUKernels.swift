import CLowBitKernels

/// Fast FP32 CPU kernels for transformer inference (C in `CLowBitKernels`, AVX-512 / AVX2 /
/// portable chosen at run time). Tensor forms return new tensors; pointer forms write into
/// caller memory and allocate nothing. Row and element-wise operations are split over
/// `Parallel.threads`; each row or element is computed the same way whatever the split.
///
/// Slow references for every function live in `CPUReference`.
public enum CPUKernels {
    /// The instruction-set level the kernels use on this CPU ("avx512", "avx2", "portable").
    public static var isaName: String { String(cString: lb_isa_name(lb_isa_best())) }

    /// Rows per parallel chunk so that a chunk holds at least ~64 Ki elements.
    @inline(__always) public static func rowChunk(_ n: Int) -> Int { max(1, 65_536 / max(n, 1)) }
    static let elementChunk = 65_536

    // MARK: - Softmax

    /// Softmax over the last dimension of `scale·x + mask`.
    /// x: [..., rows, n]; mask: [n] (shared by all rows) or [rows, n] with the same row count as
    /// x flattened, additive (0 / -inf); `causalValid0`: nil for none, else row r keeps its
    /// first `causalValid0 + r` columns (others become 0). Fully masked rows become zeros.
    public static func softmax(_ x: Tensor, scale: Float = 1, mask: Tensor? = nil, causalValid0: Int? = nil) -> Tensor {
        let y = Tensor(zeros: x.shape)
        let n = x.shape.dims.last ?? 1, rows = x.count / max(n, 1)
        var maskLD = 0
        if let mask {
            precondition(mask.count == n || mask.count == rows * n, "softmax: mask \(mask.shape) for x \(x.shape)")
            maskLD = mask.count == n ? 0 : n
        }
        softmaxRows(rows: rows, n: n, x: x.pointer, ldx: n, y: y.pointer, ldy: n, scale: scale,
                    mask: mask.map { UnsafePointer($0.pointer) }, maskLD: maskLD, causalValid0: causalValid0)
        return y
    }

    /// Pointer form of `softmax`: x: [rows, n] (stride ldx) → y: [rows, n] (stride ldy); x may
    /// equal y. Row r uses mask + r·maskLD.
    public static func softmaxRows(rows: Int, n: Int, x: UnsafePointer<Float>, ldx: Int, y: UnsafeMutablePointer<Float>,
                                   ldy: Int, scale: Float = 1, mask: UnsafePointer<Float>? = nil, maskLD: Int = 0,
                                   causalValid0: Int? = nil) {
        precondition(causalValid0.map { $0 >= 0 } ?? true, "softmax: causalValid0 must be >= 0")
        Parallel.forRanges(rows, minChunk: rowChunk(n)) { r in
            let r0 = r.lowerBound
            lb_softmax_rows(r.count, n, x + r0 * ldx, ldx, y + r0 * ldy, ldy, scale,
                            mask.map { $0 + r0 * maskLD }, maskLD, causalValid0.map { $0 + r0 } ?? -1)
        }
    }

    // MARK: - Normalization

    /// LayerNorm over the last dimension. x: [..., n]; gamma, beta: [n] or nil.
    public static func layerNorm(_ x: Tensor, gamma: Tensor?, beta: Tensor?, eps: Float) -> Tensor {
        let n = x.shape.dims.last ?? 1
        precondition(gamma.map { $0.count == n } ?? true && beta.map { $0.count == n } ?? true, "layerNorm: gamma/beta must be [\(n)]")
        let y = Tensor(zeros: x.shape)
        layerNormRows(rows: x.count / max(n, 1), n: n, x: x.pointer, ldx: n, y: y.pointer, ldy: n,
                      gamma: gamma.map { UnsafePointer($0.pointer) }, beta: beta.map { UnsafePointer($0.pointer) }, eps: eps)
        return y
    }

    /// Pointer form of `layerNorm`: x: [rows, n] (stride ldx) → y: [rows, n] (stride ldy); x may equal y.
    public static func layerNormRows(rows: Int, n: Int, x: UnsafePointer<Float>, ldx: Int, y: UnsafeMutablePointer<Float>,
                                     ldy: Int, gamma: UnsafePointer<Float>?, beta: UnsafePointer<Float>?, eps: Float) {
        Parallel.forRanges(rows, minChunk: rowChunk(n)) { r in
            lb_layernorm_rows(r.count, n, x + r.lowerBound * ldx, ldx, y + r.lowerBound * ldy, ldy, gamma, beta, eps)
        }
    }

    /// RMSNorm over the last dimension (Llama). x: [..., n]; weight: [n] or nil.
    public static func rmsNorm(_ x: Tensor, weight: Tensor?, eps: Float) -> Tensor {
        let n = x.shape.dims.last ?? 1
        precondition(weight.map { $0.count == n } ?? true, "rmsNorm: weight must be [\(n)]")
        let y = Tensor(zeros: x.shape)
        rmsNormRows(rows: x.count / max(n, 1), n: n, x: x.pointer, ldx: n, y: y.pointer, ldy: n,
                    weight: weight.map { UnsafePointer($0.pointer) }, eps: eps)
        return y
    }

    /// Pointer form of `rmsNorm`: x: [rows, n] (stride ldx) → y: [rows, n] (stride ldy); x may equal y.
    public static func rmsNormRows(rows: Int, n: Int, x: UnsafePointer<Float>, ldx: Int, y: UnsafeMutablePointer<Float>,
                                   ldy: Int, weight: UnsafePointer<Float>?, eps: Float) {
        Parallel.forRanges(rows, minChunk: rowChunk(n)) { r in
            lb_rmsnorm_rows(r.count, n, x + r.lowerBound * ldx, ldx, y + r.lowerBound * ldy, ldy, weight, eps)
        }
    }

    // MARK: - Element-wise

    /// GELU, exact (erf). Any shape.
    public static func gelu(_ x: Tensor) -> Tensor { unary(x, lb_gelu) }
    /// GELU, tanh approximation (`gelu_new`). Any shape.
    public static func geluTanh(_ x: Tensor) -> Tensor { unary(x, lb_gelu_tanh) }
    /// SiLU x·σ(x). Any shape.
    public static func silu(_ x: Tensor) -> Tensor { unary(x, lb_silu) }

    /// silu(gate) · up (Llama MLP). gate, up: same shape.
    public static func siluMul(gate: Tensor, up: Tensor) -> Tensor { binary(gate, up, lb_silu_mul) }
    /// a + b (residual). a, b: same shape.
    public static func add(_ a: Tensor, _ b: Tensor) -> Tensor { binary(a, b, lb_add) }

    /// Applies `f(count, x, y)` over `count` elements in parallel chunks (x may equal y), e.g.
    /// `elementwise(count: n, x: p, y: p, lb_gelu)` for an in-place GELU.
    public static func elementwise(count: Int, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                                   _ f: (Int, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?) -> Void) {
        withoutActuallyEscaping(f) { f in
            nonisolated(unsafe) let f = f
            Parallel.forRanges(count, minChunk: elementChunk) { r in f(r.count, x + r.lowerBound, y + r.lowerBound) }
        }
    }

    static func unary(_ x: Tensor, _ f: (Int, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?) -> Void) -> Tensor {
        let y = Tensor(zeros: x.shape)
        elementwise(count: x.count, x: x.pointer, y: y.pointer, f)
        return y
    }

    /// Applies `f(count, a, b, y)` over `count` elements in parallel chunks (y may equal a or b).
    public static func elementwise(count: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                                   _ f: (Int, UnsafePointer<Float>?, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?) -> Void) {
        withoutActuallyEscaping(f) { f in
            nonisolated(unsafe) let f = f
            Parallel.forRanges(count, minChunk: elementChunk) { r in
                f(r.count, a + r.lowerBound, b + r.lowerBound, y + r.lowerBound)
            }
        }
    }

    static func binary(_ a: Tensor, _ b: Tensor,
                       _ f: (Int, UnsafePointer<Float>?, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?) -> Void) -> Tensor {
        precondition(a.shape == b.shape, "element-wise: shapes \(a.shape) and \(b.shape) differ")
        let y = Tensor(zeros: a.shape)
        elementwise(count: a.count, a: a.pointer, b: b.pointer, y: y.pointer, f)
        return y
    }
}
