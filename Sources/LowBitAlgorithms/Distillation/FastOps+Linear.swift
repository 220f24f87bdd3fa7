import LowBitCore
import LowBitModels
import LowBitQuant

/// The ops of one transformer layer in Float for training (LKD): every matrix product runs on
/// the package's SGEMM (`CPUKernels.matmulNT` / `matmulNN`), split into fixed row chunks that
/// run in parallel, so results do not depend on the thread count. Element-wise parts are plain
/// loops over buffers. `LayerOps` (Double, plain loops) is the reference each op is tested
/// against. T = tokens; all matrices row-major.
public enum FastOps {
    /// Rows per parallel GEMM chunk (fixed: the split must not depend on the thread count).
    static let rowChunk = 64

    /// C[M, N] (ldc) = A[M, K] (lda) · op(B), op(B) = Bᵀ with B: [N, K] (`transposedB`) or B: [K, N].
    /// Row chunks of C run in parallel; each element is computed the same way for any split.
    static func gemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                     transposedB: Bool, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            for r in 0..<m { (c + r * ldc).update(repeating: 0, count: n) }
            return
        }
        let chunks = (m + rowChunk - 1) / rowChunk
        Parallel.forRanges(chunks) { range in
            for chunk in range {
                let r0 = chunk * rowChunk, rows = min(rowChunk, m - r0)
                if transposedB {
                    CPUKernels.matmulNT(m: rows, n: n, k: k, a: a + r0 * lda, lda: lda, b: b, ldb: ldb, c: c + r0 * ldc, ldc: ldc)
                } else {
                    CPUKernels.matmulNN(m: rows, n: n, k: k, a: a + r0 * lda, lda: lda, b: b, ldb: ldb, c: c + r0 * ldc, ldc: ldc)
                }
            }
        }
    }

    /// x: [rows, cols] → xᵀ: [cols, rows].
    static func transpose(_ x: UnsafePointer<Float>, rows: Int, cols: Int, ld: Int, into y: UnsafeMutablePointer<Float>) {
        for r in 0..<rows { for c in 0..<cols { y[c * rows + r] = x[r * ld + c] } }
    }

    // MARK: - Linear

    /// What `linearBackward` needs: the input and weight as multiplied (x̂, Ŵ); with a
    /// trained-scale grid, the grid and the latent weight W (its STE backward).
    public struct LinearCache: Sendable {
        public let tokens: Int
        /// x̂: [T, in]
        public let input: [Float]
        /// Ŵ: [out, in]
        public let weight: [Float]
        public let grid: WeightGrid?
        /// W: [out, in] when `grid` is set, else empty.
        public let latentWeight: [Float]
    }

    /// y = x̂·Ŵᵀ + b with x̂, Ŵ fake-quantized by `q` (the library's quantizers). x: [T, in] → [T, out].
    /// Throws `QuantError` on non-finite values.
    public static func linear(_ x: [Float], tokens: Int, _ p: LinearParametersOf<Float>, _ q: LinearTrainingQuant,
                              name: String = "linear") throws -> (y: [Float], cache: LinearCache) {
        let n = p.inFeatures, m = p.outFeatures
        precondition(x.count == tokens * n, "linear: x \(x.count) for [\(tokens), \(n)]")
        let xq = try q.quantizeInput(x, tokens: tokens, features: n, name: name + ".input")
        let wq = try q.quantizeWeight(p.weight, out: m, in: n, name: name + ".weight")
        var y = [Float](repeating: 0, count: tokens * m)
        xq.withUnsafeBufferPointer { xp in
            wq.withUnsafeBufferPointer { wp in
                y.withUnsafeMutableBufferPointer { yp in
                    gemm(m: tokens, n: m, k: n, a: xp.baseAddress!, lda: n, b: wp.baseAddress!, ldb: n, transposedB: true,
                         c: yp.baseAddress!, ldc: m)
                    if let bias = p.bias {
                        for t in 0..<tokens { for o in 0..<m { yp[t * m + o] += bias[o] } }
                    }
                }
            }
        }
        return (y, LinearCache(tokens: tokens, input: xq, weight: wq, grid: q.grid, latentWeight: q.grid == nil ? [] : p.weight))
    }

    /// dy: [T, out] → dx = dy·Ŵ: [T, in], dW = dyᵀ·x̂: [out, in], db = Σ_t dy: [out] (nil without
    /// bias), d(scales) per group (with a trained-scale grid, else nil). Without a grid the STE
    /// passes gradients through both quantizers unchanged: the recipe's weight ranges are each
    /// group's min-max and dynamic activation ranges each token's, so nothing is clipped (see
    /// `LinearTrainingQuant`); with one, `WeightGrid.backward` masks dW and gives d(scales).
    public static func linearBackward(_ dy: [Float], _ c: LinearCache, _ p: LinearParametersOf<Float>)
        -> (dx: [Float], dWeight: [Float], dBias: [Float]?, dScales: [Float]?) {
        let n = p.inFeatures, m = p.outFeatures, tokens = c.tokens
        var dx = [Float](repeating: 0, count: tokens * n), dw = [Float](repeating: 0, count: m * n)
        var dyT = [Float](repeating: 0, count: m * tokens)
        dy.withUnsafeBufferPointer { g in
            dyT.withUnsafeMutableBufferPointer { transpose(g.baseAddress!, rows: tokens, cols: m, ld: m, into: $0.baseAddress!) }
            c.weight.withUnsafeBufferPointer { w in
                dx.withUnsafeMutableBufferPointer { d in
                    gemm(m: tokens, n: n, k: m, a: g.baseAddress!, lda: m, b: w.baseAddress!, ldb: n, transposedB: false,
                         c: d.baseAddress!, ldc: n)
                }
            }
        }
        dyT.withUnsafeBufferPointer { g in
            c.input.withUnsafeBufferPointer { x in
                dw.withUnsafeMutableBufferPointer { d in
                    gemm(m: m, n: n, k: tokens, a: g.baseAddress!, lda: tokens, b: x.baseAddress!, ldb: n, transposedB: false,
                         c: d.baseAddress!, ldc: n)
                }
            }
        }
        let db: [Float]? = p.bias == nil ? nil : rowSums(dyT, rows: m, cols: tokens)
        guard let grid = c.grid else { return (dx, dw, db, nil) }
        let (dwMasked, ds) = grid.backward(c.latentWeight, outputGradient: dw)
        return (dx, dwMasked, db, ds)
    }

    /// Σ over each row of x: [rows, cols], accumulated in Double in column order.
    static func rowSums(_ x: [Float], rows: Int, cols: Int) -> [Float] {
        var s = [Float](repeating: 0, count: rows)
        for r in 0..<rows {
            var acc = 0.0
            for c in 0..<cols { acc += Double(x[r * cols + c]) }
            s[r] = Float(acc)
        }
        return s
    }
}

/// How one linear is fake-quantized while it trains: exactly the quantizers the recipe path
/// applies afterwards (`QuantizedWeight` with the site's fitted scheme and min-max ranges, as
/// `RTN`; the recipe's dynamic per-token `ActivationQuantizer`), recomputed from the current
/// latent weights at every forward pass. Neither clips (min-max weight groups, per-token
/// activation ranges), so the straight-through estimator is the identity on both.
///
/// With `grid` set (trained scales), the weight is fake-quantized on that grid instead of its
/// current min-max one; weights may then clip, and the STE masks them (`WeightGrid`).
public struct LinearTrainingQuant: Sendable, Equatable {
    /// The weight scheme, or nil (float weight: `keep_float`).
    public var weight: QuantScheme?
    /// `.none`, `.dynamicPerToken` or `.dynamicPerTokenAsymmetric`.
    public var input: ActivationQuantizer
    /// Trained-scale grid for the weight (its scheme is `weight`), or nil (min-max every pass).
    public var grid: WeightGrid?

    public init(weight: QuantScheme? = nil, input: ActivationQuantizer = .none, grid: WeightGrid? = nil) {
        precondition({ if case .staticPerTensor = input { return false } else { return true } }(),
                     "LinearTrainingQuant: static activations are not supported")
        precondition(grid == nil || grid?.scheme == weight, "LinearTrainingQuant: the grid's scheme must be the weight scheme")
        self.weight = weight
        self.input = input
        self.grid = grid
    }

    public static let none = LinearTrainingQuant()

    /// x: [tokens, features] → x̂ (x itself without an input quantizer).
    func quantizeInput(_ x: [Float], tokens: Int, features: Int, name: String) throws -> [Float] {
        if input == .none || tokens == 0 { return x }
        return try input.fakeQuantize(Tensor(shape: [tokens, features], values: x), name: name).toArray()
    }

    /// w: [out, in] → Ŵ (w itself without a weight scheme).
    func quantizeWeight(_ w: [Float], out: Int, in n: Int, name: String) throws -> [Float] {
        if let grid { return try grid.fakeQuantize(w, name: name) }
        guard let weight else { return w }
        return try QuantizedWeight.fakeQuantized(Tensor(shape: [out, n], values: w), scheme: weight, name: name).toArray()
    }
}

/// The training quantization of a block's four linears (default: none, the float layer).
public struct LayerTrainingQuant: Sendable, Equatable {
    public var qkv = LinearTrainingQuant.none
    public var attentionOutput = LinearTrainingQuant.none
    public var mlpIn = LinearTrainingQuant.none
    public var mlpOut = LinearTrainingQuant.none

    public init(qkv: LinearTrainingQuant = .none, attentionOutput: LinearTrainingQuant = .none,
                mlpIn: LinearTrainingQuant = .none, mlpOut: LinearTrainingQuant = .none) {
        self.qkv = qkv
        self.attentionOutput = attentionOutput
        self.mlpIn = mlpIn
        self.mlpOut = mlpOut
    }

    public static let none = LayerTrainingQuant()

    public subscript(role: LinearRole) -> LinearTrainingQuant {
        get {
            switch role {
            case .qkv: qkv
            case .attentionOutput: attentionOutput
            case .mlpIn: mlpIn
            case .mlpOut: mlpOut
            case .head: .none
            }
        }
        set {
            switch role {
            case .qkv: qkv = newValue
            case .attentionOutput: attentionOutput = newValue
            case .mlpIn: mlpIn = newValue
            case .mlpOut: mlpOut = newValue
            case .head: break
            }
        }
    }
}
