import CLowBitCUDAShim

/// Operand kinds LowBit runs through cuBLASLt.
public enum LtKind: String, Sendable, CaseIterable, CustomStringConvertible {
    /// fp16 × fp16 → fp16, f32 accumulation, bias fused by cuBLASLt.
    case fp16
    /// INT8 × INT8 → INT32 (IMMA); the dequantization epilogue is LowBit's own kernel.
    case int8
    /// FP8 e4m3 × e4m3 → fp16 with per-row × per-column f32 scales (outer-vector scaling) and bias.
    case fp8e4m3
    public var description: String { rawValue }
}

/// cuBLASLt on one context, loaded with `dlopen` (no link-time dependency): one handle, a
/// workspace, and a plan (descriptors + the heuristic's first algorithm) per GEMM shape.
///
/// LowBit's GEMM is C[M, N] = A[M, K]·B[N, K]ᵀ with row-major A (tokens × in), B (out × in) and C.
/// In cuBLASLt's column-major terms that is Cᵀ[N, M] = op(B)·A with B read transposed ("TN"):
/// cuBLAS's A is our B (K × N, ld = ldb, transposed), its B is our A (K × M, ld = lda), its D is
/// our C (N × M, ld = ldc). So cuBLAS's per-row scale vector (length N) holds the weights'
/// per-channel scales and its per-column one (length M) the tokens' scales, and its bias (length
/// N, one per row of Cᵀ) is our per-output-channel bias.
public final class CUBLASLt: @unchecked Sendable {
    public let context: CUDAContext
    /// cublasLtGetVersion(), e.g. 130000.
    public let version: Int
    let api: lb_cublaslt_api
    let handle: lb_cublasLtHandle
    let workspace: DeviceBuffer
    private let lock = Lock()
    private var plans: [PlanKey: Plan] = [:]
    /// INT32 scratch outputs (kept alive: graphs captured earlier may still point at them).
    private var scratch: [DeviceBuffer] = []

    public static let workspaceBytes = 32 << 20

    /// Loads cuBLASLt (`path` or the usual places) and creates a handle on `context`.
    public init(context: CUDAContext, path: String? = nil) throws(CUDAError) {
        try CUDALibraries.loadCuBLASLt(path: path)
        let api = lb_cublaslt_api_table().pointee
        self.api = api
        self.context = context
        try context.makeCurrent()
        var h: lb_cublasLtHandle? = nil
        try checkLt(api.cublasLtCreate!(&h), "cublasLtCreate")
        guard let h else { throw .notAvailable(reason: "cublasLtCreate returned no handle") }
        handle = h
        version = Int(api.cublasLtGetVersion!())
        workspace = try context.allocator.allocate(Self.workspaceBytes)
    }

    deinit {
        plans.removeAll()
        _ = api.cublasLtDestroy?(handle)
    }

    struct PlanKey: Hashable {
        var kind: LtKind, m: Int, n: Int, k: Int, lda: Int, ldb: Int, ldc: Int, bias: Bool, fastAccumulation: Bool
        /// Smallest power-of-two alignment (≤ 256) of the A, B, C pointers: the heuristic may pick
        /// vectorized algorithms only for what the pointers allow.
        var alignA: Int, alignB: Int, alignC: Int
    }

    /// The descriptors of one shape and the algorithm chosen for it.
    final class Plan {
        let api: lb_cublaslt_api
        var desc: lb_cublasLtMatmulDesc? = nil
        var a: lb_cublasLtMatrixLayout? = nil, b: lb_cublasLtMatrixLayout? = nil, c: lb_cublasLtMatrixLayout? = nil
        var algo = lb_cublasLtMatmulAlgo()
        init(api: lb_cublaslt_api) { self.api = api }
        deinit {
            if let desc { _ = api.cublasLtMatmulDescDestroy?(desc) }
            for l in [a, b, c] { if let l { _ = api.cublasLtMatrixLayoutDestroy?(l) } }
        }
    }

    static func alignment(_ address: UInt64) -> Int {
        var a = 256
        while a > 1 && address % UInt64(a) != 0 { a /= 2 }
        return a
    }

    private func setDesc<T: BitwiseCopyable>(_ desc: lb_cublasLtMatmulDesc, _ attr: Int32, _ value: T, _ what: String) throws(CUDAError) {
        var v = value
        try checkLt(api.cublasLtMatmulDescSetAttribute!(desc, attr, &v, MemoryLayout<T>.size), "cublasLtMatmulDescSetAttribute(\(what))")
    }

    /// Creates the descriptors and asks the heuristic for an algorithm. The pointers are set
    /// before the heuristic runs: with outer-vector scale modes it rejects (INVALID_VALUE) a
    /// descriptor whose scale pointers are still null.
    private func makePlan(_ key: PlanKey, bias: UInt64?, rowScales: UInt64?, colScales: UInt64?) throws(CUDAError) -> Plan {
        let plan = Plan(api: api)
        let (abType, cType, compute, scaleType): (Int32, Int32, Int32, Int32)
        switch key.kind {
        case .fp16: (abType, cType, compute, scaleType) = (LB_CUDA_R_16F, LB_CUDA_R_16F, LB_CUBLAS_COMPUTE_32F, LB_CUDA_R_32F)
        case .int8: (abType, cType, compute, scaleType) = (LB_CUDA_R_8I, LB_CUDA_R_32I, LB_CUBLAS_COMPUTE_32I, LB_CUDA_R_32I)
        case .fp8e4m3: (abType, cType, compute, scaleType) = (LB_CUDA_R_8F_E4M3, LB_CUDA_R_16F, LB_CUBLAS_COMPUTE_32F, LB_CUDA_R_32F)
        }
        try checkLt(api.cublasLtMatmulDescCreate!(&plan.desc, compute, scaleType), "cublasLtMatmulDescCreate")
        let desc = plan.desc!
        try setDesc(desc, LB_CUBLASLT_MATMUL_DESC_TRANSA, Int32(LB_CUBLAS_OP_T), "TRANSA")
        try setDesc(desc, LB_CUBLASLT_MATMUL_DESC_TRANSB, Int32(LB_CUBLAS_OP_N), "TRANSB")
        if key.bias {
            try setDesc(desc, LB_CUBLASLT_MATMUL_DESC_EPILOGUE, UInt32(LB_CUBLASLT_EPILOGUE_BIAS), "EPILOGUE")
            try setDesc(desc, LB_CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, Int32(LB_CUDA_R_16F), "BIAS_DATA_TYPE")
        }
        if key.kind == .fp8e4m3 {
            let outer = Int32(LB_CUBLASLT_MATMUL_MATRIX_SCALE_OUTER_VEC_32F)
            try setDesc(desc, LB_CUBLASLT_MATMUL_DESC_A_SCALE_MODE, outer, "A_SCALE_MODE")
            try setDesc(desc, LB_CUBLASLT_MATMUL_DESC_B_SCALE_MODE, outer, "B_SCALE_MODE")
            try setDesc(desc, LB_CUBLASLT_MATMUL_DESC_FAST_ACCUM, Int8(key.fastAccumulation ? 1 : 0), "FAST_ACCUM")
            try setDesc(desc, LB_CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, colScales ?? 0, "A_SCALE_POINTER")
            try setDesc(desc, LB_CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, rowScales ?? 0, "B_SCALE_POINTER")
        }
        if let bias { try setDesc(desc, LB_CUBLASLT_MATMUL_DESC_BIAS_POINTER, bias, "BIAS_POINTER") }
        try checkLt(api.cublasLtMatrixLayoutCreate!(&plan.a, abType, UInt64(key.k), UInt64(key.n), Int64(key.ldb)), "cublasLtMatrixLayoutCreate(A)")
        try checkLt(api.cublasLtMatrixLayoutCreate!(&plan.b, abType, UInt64(key.k), UInt64(key.m), Int64(key.lda)), "cublasLtMatrixLayoutCreate(B)")
        try checkLt(api.cublasLtMatrixLayoutCreate!(&plan.c, cType, UInt64(key.n), UInt64(key.m), Int64(key.ldc)), "cublasLtMatrixLayoutCreate(C)")
        var pref: lb_cublasLtMatmulPreference? = nil
        try checkLt(api.cublasLtMatmulPreferenceCreate!(&pref), "cublasLtMatmulPreferenceCreate")
        defer { _ = api.cublasLtMatmulPreferenceDestroy?(pref) }
        var ws = UInt64(Self.workspaceBytes)
        try checkLt(api.cublasLtMatmulPreferenceSetAttribute!(pref, LB_CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, 8),
                    "cublasLtMatmulPreferenceSetAttribute(MAX_WORKSPACE_BYTES)")
        // MIN_ALIGNMENT_{A,B,C,D}_BYTES = 5…8 (uint32): cuBLAS's A is our B, its B our A.
        for (attr, align) in [(Int32(5), key.alignB), (6, key.alignA), (7, key.alignC), (8, key.alignC)] {
            var v = UInt32(align)
            try checkLt(api.cublasLtMatmulPreferenceSetAttribute!(pref, attr, &v, 4), "cublasLtMatmulPreferenceSetAttribute(MIN_ALIGNMENT)")
        }
        var result = lb_cublasLtMatmulHeuristicResult()
        var count: Int32 = 0
        try checkLt(api.cublasLtMatmulAlgoGetHeuristic!(handle, desc, plan.a, plan.b, plan.c, plan.c, pref, 1, &result, &count),
                    "cublasLtMatmulAlgoGetHeuristic(\(key.kind) M\(key.m) N\(key.n) K\(key.k))")
        guard count > 0, result.state == 0 else {
            throw .cublas(call: "cublasLtMatmulAlgoGetHeuristic(\(key.kind) M\(key.m) N\(key.n) K\(key.k))", code: result.state,
                          name: "no algorithm", message: "cuBLASLt has no algorithm for this layout")
        }
        plan.algo = result.algo
        return plan
    }

    /// An INT32 [rows, cols] scratch matrix for the INT8 path (grown on demand; old ones are kept).
    func int32Scratch(count: Int) throws(CUDAError) -> DeviceBuffer {
        if let last = lock.withLock({ scratch.last }), last.byteCount >= 4 * count { return last }
        let b = try context.allocator.allocate(4 * count)
        lock.withLock { scratch.append(b) }
        return b
    }

    /// Queues D = op(B)·A in cuBLASLt's terms, i.e. our C[M, N] = A[M, K]·B[N, K]ᵀ (see the type's
    /// comment). a: [M, K] (row stride lda), b: [N, K] (ldb), c: [M, N] (ldc) — fp16, fp16, fp16
    /// for `.fp16`; INT8, INT8, INT32 for `.int8`; e4m3, e4m3, fp16 for `.fp8e4m3`. bias: [N]
    /// fp16 (not for `.int8`); rowScales: [M] f32 and colScales: [N] f32 (`.fp8e4m3` only).
    func matmul(_ kind: LtKind, m: Int, n: Int, k: Int, a: UInt64, lda: Int, b: UInt64, ldb: Int, c: UInt64, ldc: Int,
                bias: UInt64?, rowScales: UInt64? = nil, colScales: UInt64? = nil, fastAccumulation: Bool = false) throws(CUDAError) {
        let key = PlanKey(kind: kind, m: m, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc, bias: bias != nil,
                          fastAccumulation: kind == .fp8e4m3 && fastAccumulation,
                          alignA: Self.alignment(a), alignB: Self.alignment(b), alignC: Self.alignment(c))
        try context.makeCurrent()
        try lock.withLock { () throws(CUDAError) in
            let plan: Plan
            if let p = plans[key] {
                plan = p
            } else {
                plan = try makePlan(key, bias: bias, rowScales: rowScales, colScales: colScales)
                plans[key] = plan
            }
            let desc = plan.desc!
            if let bias { try setDesc(desc, LB_CUBLASLT_MATMUL_DESC_BIAS_POINTER, bias, "BIAS_POINTER") }
            if kind == .fp8e4m3 {
                guard let rowScales, let colScales else { throw .invalidArgument("cuBLASLt FP8 GEMM needs both scale vectors") }
                try setDesc(desc, LB_CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, colScales, "A_SCALE_POINTER")
                try setDesc(desc, LB_CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, rowScales, "B_SCALE_POINTER")
            }
            let stream = context.stream.handle
            // alpha = 1, beta = 0 in the scale type: INT32 for INT8, f32 otherwise (same 4 bytes wide).
            var one: UInt32 = kind == .int8 ? 1 : Float(1).bitPattern, zero: UInt32 = 0
            let rc = withUnsafePointer(to: &plan.algo) { algo in
                api.cublasLtMatmul!(handle, desc, &one, UnsafeRawPointer(bitPattern: UInt(b)), plan.a,
                                    UnsafeRawPointer(bitPattern: UInt(a)), plan.b, &zero, UnsafeRawPointer(bitPattern: UInt(c)),
                                    plan.c, UnsafeMutableRawPointer(bitPattern: UInt(c)), plan.c, algo,
                                    UnsafeMutableRawPointer(bitPattern: UInt(workspace.address)), Self.workspaceBytes, stream)
            }
            try checkLt(rc, "cublasLtMatmul(\(kind) M\(m) N\(n) K\(k))")
        }
    }
}
