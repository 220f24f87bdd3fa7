import CLowBitKernels
import LowBitCore

/// The producer side of ZeroQuant's fused quantization: the row pass before a linear layer
/// (residual add + norm, or the MLP activation) also writes the layer's per-token INT8 input
/// when the layer is an `IntegerLinear`, so the normalized / activated float tensor is never
/// written out and read back (lb_fused.h). For any other op the same pass writes floats and
/// the op runs as usual. Fused or not, the floats and codes are the same bits, so fusing
/// changes speed only.
extension Ops {
    /// op(norm(x + residual)), the norm input left in `x`:
    /// - `residual` nil: x is not modified (pre-LN before attention);
    /// - `residual` given: x ← x + residual (pre-LN residual, kept for the next add);
    /// - `residual` given and `normInPlace`: x ← norm(x + residual) (post-LN, BERT).
    ///
    /// x, residual: [tokens, n] → [tokens, op.outFeatures]
    public static func normalizedLinear(_ x: Tensor, adding residual: Tensor? = nil, _ norm: Norm,
                                        normInPlace: Bool = false, _ op: any LinearOp) -> Tensor {
        let n = norm.size, rows = x.count / max(n, 1)
        precondition(x.shape.dims.last == n && residual.map { $0.count == x.count } ?? true,
                     "normalizedLinear: x \(x.shape), residual \(residual?.shape.description ?? "none"), norm of size \(n)")
        let sum = residual == nil ? nil : x.pointer
        if let op = op as? IntegerLinear {
            let y = normInPlace ? x.pointer : nil
            return op.withInputCodes(rows: rows) { codes, scales in
                normRows(rows, n, x, residual, sum: sum, norm, y: y, codes: codes, scales: scales)
            } apply: { codes, scales, valid in
                op.forward(codes: codes, scales: scales, valid: valid, shapedLike: x.shape)
            }
        }
        let y = normInPlace ? x : Tensor(zeros: x.shape)
        _ = normRows(rows, n, x, residual, sum: sum, norm, y: y.pointer, codes: nil, scales: nil)
        return op.forward(y)
    }

    /// x ← norm(x + residual) (post-LN after the MLP). x, residual: [tokens, n].
    public static func addNormalizeInPlace(_ x: Tensor, _ residual: Tensor, _ norm: Norm) {
        let n = norm.size
        precondition(x.shape.dims.last == n && residual.count == x.count,
                     "addNormalize: x \(x.shape), residual \(residual.shape), norm of size \(n)")
        _ = normRows(x.count / max(n, 1), n, x, residual, sum: x.pointer, norm, y: x.pointer, codes: nil, scales: nil)
    }

    /// op(act(m)). m: [tokens, mlpIn.outFeatures] (GELU forms: overwritten by act(m) unless op is
    /// an `IntegerLinear`) → [tokens, op.outFeatures].
    public static func activatedLinear(_ m: Tensor, _ act: Activation, _ op: any LinearOp) -> Tensor {
        guard let op = op as? IntegerLinear else { return op.forward(activate(m, act)) }
        let width = m.shape.dims.last ?? 0, rows = m.count / max(width, 1)
        let n = act == .swiGLU ? width / 2 : width
        precondition(act != .swiGLU || width % 2 == 0, "swiGLU: m \(m.shape) must hold [gate | up]")
        var dims = m.shape.dims
        dims[dims.count - 1] = n
        let kind: lb_act_kind = switch act {
        case .gelu: LB_ACT_GELU
        case .geluTanh: LB_ACT_GELU_TANH
        case .swiGLU: LB_ACT_SWIGLU
        }
        let x = UnsafePointer(m.pointer)
        return op.withInputCodes(rows: rows) { codes, scales in
            rowChunks(rows, n) { r in
                lb_act_quant_rows(r.count, width, x + r.lowerBound * width, width, kind, nil, 0, 127,
                                  scales + r.lowerBound, codes + r.lowerBound * n, n)
            }
        } apply: { codes, scales, valid in
            op.forward(codes: codes, scales: scales, valid: valid, shapedLike: Shape(dims))
        }
    }

    /// lb_norm_quant_rows over row chunks in parallel; false when a quantized row held a NaN/±Inf.
    private static func normRows(_ rows: Int, _ n: Int, _ x: Tensor, _ residual: Tensor?, sum: UnsafeMutablePointer<Float>?,
                                 _ norm: Norm, y: UnsafeMutablePointer<Float>?, codes: UnsafeMutablePointer<Int8>?,
                                 scales: UnsafeMutablePointer<Float>?) -> Bool {
        let (kind, gamma, beta, eps): (lb_norm_kind, Tensor, Tensor?, Float) = switch norm {
        case .layerNorm(let g, let b, let eps): (LB_NORM_LAYER, g, b, eps)
        case .rmsNorm(let w, let eps): (LB_NORM_RMS, w, nil, eps)
        }
        let xp = UnsafePointer(x.pointer), rp = residual.map { UnsafePointer($0.pointer) }
        let gp = UnsafePointer(gamma.pointer), bp = beta.map { UnsafePointer($0.pointer) }
        return rowChunks(rows, n) { r in
            let o = r.lowerBound * n
            return lb_norm_quant_rows(r.count, n, xp + o, n, rp.map { $0 + o }, n, sum.map { $0 + o }, n, kind, gp, bp, eps,
                                      y.map { $0 + o }, n, 127, scales.map { $0 + r.lowerBound }, codes.map { $0 + o }, n)
        }
    }

    /// Runs `body` (a fused row kernel returning -1 or an error index) over row chunks of
    /// `CPUKernels.rowChunk(n)` rows in parallel; true when every chunk returned -1.
    private static func rowChunks(_ rows: Int, _ n: Int, _ body: (Range<Int>) -> Int) -> Bool {
        guard rows > 0 else { return true }
        // One result slot per row; a chunk writes only the slot of its first row.
        let results = UnsafeMutableBufferPointer<Int>.allocate(capacity: rows)
        defer { results.deallocate() }
        results.initialize(repeating: -1)
        let slots = results.baseAddress!
        Parallel.forRanges(rows, minChunk: CPUKernels.rowChunk(n)) { r in slots[r.lowerBound] = body(r) }
        return results.allSatisfy { $0 == -1 }
    }
}
