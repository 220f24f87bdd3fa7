import CLowBitKernels
import LowBitCore

/// A normalization layer over the last dimension.
public enum Norm: Sendable {
    /// LayerNorm. gamma, beta: [n].
    case layerNorm(gamma: Tensor, beta: Tensor?, eps: Float)
    /// RMSNorm (Llama). weight: [n].
    case rmsNorm(weight: Tensor, eps: Float)

    public var size: Int {
        switch self {
        case .layerNorm(let g, _, _): g.count
        case .rmsNorm(let w, _): w.count
        }
    }
}

/// The MLP nonlinearity between `mlpIn` and `mlpOut`.
public enum Activation: String, Sendable, Codable {
    /// GELU with erf (BERT `gelu`).
    case gelu
    /// GELU, tanh approximation (GPT-2 `gelu_new`).
    case geluTanh
    /// silu(gate) · up over the fused `[gate; up]` output of `mlpIn` (Llama).
    case swiGLU
}

/// The non-linear-layer operations the model code is written against, in one place so that a
/// backend can replace them. All take and return `[tokens, features]` tensors; the `InPlace`
/// forms overwrite their argument, which the caller owns.
public enum Ops {
    /// x: [tokens, n] normalized in place.
    public static func normalizeInPlace(_ x: Tensor, _ norm: Norm) {
        let n = norm.size, rows = x.count / max(n, 1)
        precondition(x.shape.dims.last == n, "normalize: x \(x.shape) for a norm of size \(n)")
        switch norm {
        case .layerNorm(let g, let b, let eps):
            CPUKernels.layerNormRows(rows: rows, n: n, x: x.pointer, ldx: n, y: x.pointer, ldy: n, gamma: g.pointer,
                                     beta: b.map { UnsafePointer($0.pointer) }, eps: eps)
        case .rmsNorm(let w, let eps):
            CPUKernels.rmsNormRows(rows: rows, n: n, x: x.pointer, ldx: n, y: x.pointer, ldy: n, weight: w.pointer, eps: eps)
        }
    }

    /// x: [tokens, n] → normalized copy [tokens, n].
    public static func normalize(_ x: Tensor, _ norm: Norm) -> Tensor {
        let n = norm.size
        precondition(x.shape.dims.last == n, "normalize: x \(x.shape) for a norm of size \(n)")
        let y = Tensor(zeros: x.shape)
        switch norm {
        case .layerNorm(let g, let b, let eps):
            CPUKernels.layerNormRows(rows: x.count / max(n, 1), n: n, x: x.pointer, ldx: n, y: y.pointer, ldy: n,
                                     gamma: g.pointer, beta: b.map { UnsafePointer($0.pointer) }, eps: eps)
        case .rmsNorm(let w, let eps):
            CPUKernels.rmsNormRows(rows: x.count / max(n, 1), n: n, x: x.pointer, ldx: n, y: y.pointer, ldy: n,
                                   weight: w.pointer, eps: eps)
        }
        return y
    }

    /// x: [tokens, mlpIn.outFeatures] → [tokens, intermediate]. GELU forms work in place and
    /// return `x`; SwiGLU reads the fused `[gate | up]` halves of each row and returns a new tensor.
    public static func activate(_ x: Tensor, _ act: Activation) -> Tensor {
        switch act {
        case .gelu:
            CPUKernels.elementwise(count: x.count, x: x.pointer, y: x.pointer, lb_gelu)
            return x
        case .geluTanh:
            CPUKernels.elementwise(count: x.count, x: x.pointer, y: x.pointer, lb_gelu_tanh)
            return x
        case .swiGLU:
            let width = x.shape.dims.last ?? 0, half = width / 2, rows = x.count / max(width, 1)
            precondition(width % 2 == 0, "swiGLU: x \(x.shape) must hold [gate | up]")
            let y = Tensor(zeros: [rows, half])
            let xp = x.pointer, yp = y.pointer
            Parallel.forRanges(rows, minChunk: max(1, 16_384 / max(half, 1))) { r in
                for i in r { lb_silu_mul(half, xp + i * width, xp + i * width + half, yp + i * half) }
            }
            return y
        }
    }

    /// y += x (residual). x, y: same shape.
    public static func addInPlace(_ y: Tensor, _ x: Tensor) {
        precondition(x.count == y.count, "add: \(y.shape) += \(x.shape)")
        CPUKernels.elementwise(count: y.count, a: y.pointer, b: x.pointer, y: y.pointer, lb_add)
    }

    /// Embedding lookup: row t = tokens[ids[t]] (+ types[typeIDs[t]]) (+ positions[positions[t]]),
    /// summed in that order as transformers does. tokens: [vocab, hidden]; positions:
    /// [maxPositions, hidden]; types: [typeVocab, hidden] → [tokens, hidden].
    public static func embed(_ batch: TokenBatch, tokens: Tensor, positions: Tensor?, types: Tensor?) throws(ModelError) -> Tensor {
        let vocab = tokens.shape[0], hidden = tokens.shape[1]
        if let bad = batch.ids.first(where: { $0 < 0 || Int($0) >= vocab }) {
            throw .invalidInput("token id \(bad) is outside the vocabulary of \(vocab)")
        }
        if let positions, let bad = batch.positions.first(where: { $0 < 0 || Int($0) >= positions.shape[0] }) {
            throw .invalidInput("position \(bad) is beyond the model's \(positions.shape[0]) positions")
        }
        if let types, let t = batch.typeIDs, let bad = t.first(where: { $0 < 0 || Int($0) >= types.shape[0] }) {
            throw .invalidInput("token type id \(bad) is outside 0..<\(types.shape[0])")
        }
        let out = Tensor(zeros: [batch.tokenCount, hidden])
        let op = out.pointer, tp = UnsafePointer(tokens.pointer)
        for t in 0..<batch.tokenCount {
            let row = op + t * hidden
            row.update(from: tp + Int(batch.ids[t]) * hidden, count: hidden)
            if let types {
                let src = UnsafePointer(types.pointer) + Int(batch.typeIDs?[t] ?? 0) * hidden
                lb_add(hidden, row, src, row)
            }
            if let positions { lb_add(hidden, row, positions.pointer + Int(batch.positions[t]) * hidden, row) }
        }
        return out
    }
}
