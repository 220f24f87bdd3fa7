import CLowBitKernels

extension CPUKernels {
    /// C = alpha · A · Bᵀ, batched over leading dimensions (attention scores Q·Kᵀ).
    /// a: [..., M, K]; b: [..., N, K] with the same leading dimensions → [..., M, N].
    /// Batches run in parallel; each batch is single-threaded.
    public static func matmulNT(_ a: Tensor, _ b: Tensor, alpha: Float = 1) -> Tensor {
        let (batch, m, k) = splitMatrix(a), (batchB, n, kb) = splitMatrix(b)
        precondition(batch == batchB && k == kb, "matmulNT: a \(a.shape), b \(b.shape)")
        var dims = a.shape.dims
        dims[dims.count - 1] = n
        let c = Tensor(zeros: Shape(dims))
        let ap = UnsafePointer(a.pointer), bp = UnsafePointer(b.pointer), cp = c.pointer
        Parallel.forRanges(batch) { r in
            for i in r { lb_sgemm_nt(m, n, k, ap + i * m * k, k, bp + i * n * k, k, cp + i * m * n, n, alpha) }
        }
        return c
    }

    /// C = A · B, batched over leading dimensions (attention output P·V).
    /// a: [..., M, K]; b: [..., K, N] with the same leading dimensions → [..., M, N].
    public static func matmulNN(_ a: Tensor, _ b: Tensor) -> Tensor {
        let (batch, m, k) = splitMatrix(a), (batchB, kb, n) = splitMatrix(b)
        precondition(batch == batchB && k == kb, "matmulNN: a \(a.shape), b \(b.shape)")
        var dims = a.shape.dims
        dims[dims.count - 1] = n
        let c = Tensor(zeros: Shape(dims))
        let ap = UnsafePointer(a.pointer), bp = UnsafePointer(b.pointer), cp = c.pointer
        Parallel.forRanges(batch) { r in
            for i in r { lb_sgemm_nn(m, n, k, ap + i * m * k, k, bp + i * k * n, n, cp + i * m * n, n) }
        }
        return c
    }

    /// Pointer form, single-threaded: C[M, N] (ldc) = alpha · A[M, K] (lda) · B[N, K] (ldb)ᵀ.
    /// Strides let a head's slice of a [tokens, heads·headDim] tensor be used in place.
    public static func matmulNT(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
                                ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float = 1) {
        lb_sgemm_nt(m, n, k, a, lda, b, ldb, c, ldc, alpha)
    }

    /// Pointer form, single-threaded: C[M, N] (ldc) = A[M, K] (lda) · B[K, N] (ldb).
    public static func matmulNN(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
                                ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int) {
        lb_sgemm_nn(m, n, k, a, lda, b, ldb, c, ldc)
    }

    /// (batch, rows, cols) of a tensor of rank >= 2 viewed as a batch of matrices.
    static func splitMatrix(_ t: Tensor) -> (Int, Int, Int) {
        precondition(t.shape.rank >= 2, "matmul: need rank >= 2, got \(t.shape)")
        let d = t.shape.dims
        let rows = d[d.count - 2], cols = d[d.count - 1]
        return (d.dropLast(2).reduce(1, *), rows, cols)
    }
}
