/// Which GELU a kernel computes.
public enum GeluForm: String, Sendable, Hashable, Codable, CaseIterable {
    /// 0.5·x·(1 + erf(x/√2)), as BERT defines it (a rational erf, ~2 ulp).
    case erf
    /// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) with the special-function unit's tanh: within
    /// 4.8·10⁻⁴ + 2.5·10⁻⁴·|x| of the erf form, at a third of its FP32 instructions. For values
    /// rounded to 8 bits next, where that error is far below a step.
    case tanh
}

/// Row kernels. For the row lengths of `RowPlan.all` with aligned rows (see `rowPlan`): the
/// register-resident kernels (`KernelSources.rows`, RowPlan.blockThreads threads per block, a
/// warp or less per row up to n = 1024, 2–4 warps beyond); otherwise one block per row (token),
/// the row staged in shared memory (n·4 bytes).
extension CUDAKernels {
    /// Threads per row block of the shared-memory kernels: one per 8 elements (the kernels' 16-byte accesses), in whole warps,
    /// 32…512. Small blocks let many rows run at once per SM; the row kernels are latency-bound
    /// (one block per row with 256 threads for n = 768 left 160 of them idle: 1.18 TB/s for
    /// layernorm → fp16 + INT8 at 16384×768 on an H100, 2026-11-23).
    static func rowThreads(_ n: Int) -> Int { min(512, max(32, ((n + 7) / 8 + 31) / 32 * 32)) }

    /// The register-resident geometry for rows of n elements with these operands, or nil (the
    /// shared-memory kernels): `registerRowKernels` on, a plan for n, fp16 views 16-byte aligned
    /// with ld % 8 == 0, code views 8-byte aligned with ld % 8 == 0, vectors and tables 16-byte aligned.
    func rowPlan(n: Int, halves: [DeviceMatrix?], codes: DeviceMatrix?, vectors: [DeviceBuffer?]) -> RowPlan? {
        guard registerRowKernels, let plan = RowPlan.forWidth(n) else { return nil }
        for case let m? in halves where !(m.aligned(16) && m.ld % 8 == 0) { return nil }
        if let c = codes, !(c.aligned(8) && c.ld % 8 == 0) { return nil }
        for case let b? in vectors where b.address % 16 != 0 { return nil }
        return plan
    }

    /// Launches the plan's kernel `name` over `rows` rows: ceil(rows / rowsPerBlock) blocks.
    private func launchRows(_ name: String, _ plan: RowPlan, rows: Int, _ args: [KernelArgument]) throws(CUDAError) {
        let f = try function(name, in: KernelSources.rows(plan))
        try f.launch(grid: ((rows + plan.rowsPerBlock - 1) / plan.rowsPerBlock, 1, 1), block: (RowPlan.blockThreads, 1, 1), args)
    }

    private func checkRow(_ n: Int) throws(CUDAError) {
        guard n > 0, n * 4 <= 48 * 1024 else { throw .invalidArgument("row length \(n): must be 1…12288") }
    }

    private func quantName(_ base: String, _ q: ActivationQuantization?) -> String {
        switch q {
        case nil: return base + "_f16"
        case .int8?: return base + "_q8"
        case .fp8e4m3?: return base + "_fp8"
        }
    }

    func checkQuant(_ q: ActivationQuantization?, rows: Int, n: Int) throws(CUDAError) {
        guard let q else { return }
        guard q.codes.rows == rows, q.codes.cols == n else {
            throw .invalidArgument("quantized output is \(q.codes.rows)×\(q.codes.cols), expected \(rows)×\(n)")
        }
        try q.codes.validate("quantized output", elementBytes: 1)
        guard q.scales.byteCount >= rows * 4 else { throw .invalidArgument("scales: need \(rows) floats") }
        if case .fp8e4m3 = q, !context.device.supportsFP8 {
            throw .invalidArgument("FP8 e4m3 needs compute capability 8.9 or newer")
        }
    }

    /// y = LN(x + residual)·γ + β per row, optionally quantized per token.
    /// x, residual: [rows, n] fp16; gamma, beta: [n] fp16; y: [rows, n] fp16 (optional);
    /// quant: codes [rows, n] + scales [rows] (optional). At least one output.
    public func layerNorm(_ x: DeviceMatrix, residual: DeviceMatrix? = nil, gamma: DeviceBuffer, beta: DeviceBuffer,
                          eps: Float, y: DeviceMatrix?, quant: ActivationQuantization? = nil) throws(CUDAError) {
        let rows = x.rows, n = x.cols
        try checkRow(n)
        try x.validate("x", elementBytes: 2)
        if let r = residual {
            guard r.rows == rows, r.cols == n else { throw .invalidArgument("residual \(r.rows)×\(r.cols) vs x \(rows)×\(n)") }
            try r.validate("residual", elementBytes: 2)
        }
        if let y {
            guard y.rows == rows, y.cols == n else { throw .invalidArgument("y \(y.rows)×\(y.cols) vs x \(rows)×\(n)") }
            try y.validate("y", elementBytes: 2)
        }
        guard y != nil || quant != nil else { throw .invalidArgument("layerNorm: no output") }
        guard gamma.byteCount >= 2 * n, beta.byteCount >= 2 * n else { throw .invalidArgument("gamma/beta: need \(n) fp16") }
        try checkQuant(quant, rows: rows, n: n)
        if rows == 0 { return }
        let head: [KernelArgument] = [x.argument, .int(x.ld), residual?.argument ?? .pointer(0), .int(residual?.ld ?? 0),
                                      .buffer(gamma), .buffer(beta), .float32(eps), .int(n)]
        let tail: [KernelArgument] = [y?.argument ?? .pointer(0), .int(y?.ld ?? 0),
                                      quant?.codes.argument ?? .pointer(0), .int(quant?.codes.ld ?? 0), .buffer(quant?.scales)]
        if let plan = rowPlan(n: n, halves: [x, residual, y], codes: quant?.codes, vectors: [gamma, beta]) {
            return try launchRows(quantName("lb_rows_layernorm", quant), plan, rows: rows, head + [.int(rows)] + tail)
        }
        let f = try function(quantName("lb_layernorm", quant), in: KernelSources.norm())
        try f.launch(grid: (rows, 1, 1), block: (Self.rowThreads(n), 1, 1), sharedBytes: n * 4, head + tail)
    }

    /// BERT embeddings then layernorm: row t = word[ids[t]] + position[t % seq] + type[types[t]].
    /// ids, types: [rows] i32 (types optional: type row 0); tables fp16 [*, n]; gamma, beta: [n].
    /// Ids are not range-checked on the device: the caller validates them.
    public func embeddingLayerNorm(ids: DeviceBuffer, types: DeviceBuffer?, rows: Int, seq: Int,
                                   word: DeviceBuffer, position: DeviceBuffer, type: DeviceBuffer,
                                   gamma: DeviceBuffer, beta: DeviceBuffer, n: Int, eps: Float,
                                   y: DeviceMatrix?, quant: ActivationQuantization? = nil) throws(CUDAError) {
        try checkRow(n)
        guard seq > 0, ids.byteCount >= rows * 4, (types?.byteCount ?? rows * 4) >= rows * 4 else {
            throw .invalidArgument("embeddings: ids/types need \(rows) i32, seq > 0")
        }
        guard position.byteCount >= min(seq, rows) * n * 2 else { throw .invalidArgument("position table shorter than seq") }
        if case .fp8e4m3? = quant { throw .invalidArgument("embeddingLayerNorm: FP8 output not provided") }
        try checkQuant(quant, rows: rows, n: n)
        if let y { try y.validate("y", elementBytes: 2) }
        if rows == 0 { return }
        let head: [KernelArgument] = [.buffer(ids), .buffer(types), .int(seq), .buffer(word), .buffer(position), .buffer(type),
                                      .buffer(gamma), .buffer(beta), .float32(eps), .int(n)]
        let tail: [KernelArgument] = [y?.argument ?? .pointer(0), .int(y?.ld ?? 0),
                                      quant?.codes.argument ?? .pointer(0), .int(quant?.codes.ld ?? 0), .buffer(quant?.scales)]
        if let plan = rowPlan(n: n, halves: [y], codes: quant?.codes, vectors: [word, position, type, gamma, beta]) {
            return try launchRows(quantName("lb_rows_embed_layernorm", quant), plan, rows: rows, head + [.int(rows)] + tail)
        }
        let f = try function(quantName("lb_embed_layernorm", quant), in: KernelSources.norm())
        try f.launch(grid: (rows, 1, 1), block: (Self.rowThreads(n), 1, 1), sharedBytes: n * 4, head + tail)
    }

    /// v = GELU(x + bias) per row (bias optional; `form` `.erf` or `.tanh`); y = fp16(v) (optional),
    /// then optional quantization. x: [rows, n] fp16; bias: [n] fp16.
    public func biasGelu(_ x: DeviceMatrix, bias: DeviceBuffer?, y: DeviceMatrix?,
                         quant: ActivationQuantization? = nil, form: GeluForm = .erf) throws(CUDAError) {
        let rows = x.rows, n = x.cols
        try checkRow(n)
        try x.validate("x", elementBytes: 2)
        if let y { try y.validate("y", elementBytes: 2) }
        guard y != nil || quant != nil else { throw .invalidArgument("biasGelu: no output") }
        try checkQuant(quant, rows: rows, n: n)
        if rows == 0 { return }
        let head: [KernelArgument] = [x.argument, .int(x.ld), .buffer(bias), .int(n)]
        let tail: [KernelArgument] = [y?.argument ?? .pointer(0), .int(y?.ld ?? 0),
                                      quant?.codes.argument ?? .pointer(0), .int(quant?.codes.ld ?? 0), .buffer(quant?.scales)]
        let tanh = form == .tanh ? "_tanh" : ""
        if let plan = rowPlan(n: n, halves: [x, y], codes: quant?.codes, vectors: [bias]) {
            return try launchRows(quantName("lb_rows_bias_gelu" + tanh, quant), plan, rows: rows, head + [.int(rows)] + tail)
        }
        let f = try function(quantName("lb_bias_gelu" + tanh, quant), in: KernelSources.norm())
        try f.launch(grid: (rows, 1, 1), block: (Self.rowThreads(n), 1, 1), sharedBytes: n * 4, head + tail)
    }

    /// Token-wise quantization of x: [rows, n] fp16 into `quant` (codes [rows, n], scales [rows]),
    /// with the rules of `layerNorm`'s quantized output.
    public func quantizeRows(_ x: DeviceMatrix, quant: ActivationQuantization) throws(CUDAError) {
        let rows = x.rows, n = x.cols
        guard n > 0, n <= 12288 else { throw .invalidArgument("quantizeRows: row length \(n) must be 1…12288") }
        try x.validate("x", elementBytes: 2)
        guard quant.codes.rows == rows, quant.codes.cols == n else {
            throw .invalidArgument("quantizeRows: codes are \(quant.codes.rows)×\(quant.codes.cols), expected \(rows)×\(n)")
        }
        try quant.codes.validate("codes", elementBytes: 1)
        guard quant.scales.byteCount >= 4 * rows else { throw .invalidArgument("quantizeRows: scales need \(rows) floats") }
        if rows == 0 { return }
        let fp8: Bool
        switch quant { case .int8: fp8 = false; case .fp8e4m3: fp8 = true }
        let tail: [KernelArgument] = [quant.codes.argument, .int(quant.codes.ld), .buffer(quant.scales)]
        if let plan = rowPlan(n: n, halves: [x], codes: quant.codes, vectors: []) {
            return try launchRows(fp8 ? "lb_rows_quant_fp8" : "lb_rows_quant_q8", plan, rows: rows,
                                  [x.argument, .int(x.ld), .int(n), .int(rows)] + tail)
        }
        let f = try function(fp8 ? "lb_quant_rows_fp8" : "lb_quant_rows_q8", in: KernelSources.encoder())
        try f.launch(grid: (rows, 1, 1), block: (Self.rowThreads(n), 1, 1), sharedBytes: n * 4,
                     [x.argument, .int(x.ld), .int(n)] + tail)
    }

    /// y = a + b, `count` fp16 elements (any of them may alias).
    public func add(_ a: DeviceBuffer, _ b: DeviceBuffer, into y: DeviceBuffer, count: Int) throws(CUDAError) {
        guard count >= 0, a.byteCount >= 2 * count, b.byteCount >= 2 * count, y.byteCount >= 2 * count else {
            throw .invalidArgument("add: buffers shorter than \(count) fp16")
        }
        if count == 0 { return }
        let f = try function("lb_add_f16", in: KernelSources.norm())
        let blocks = min((count / 8 + 255) / 256 + 1, context.device.multiprocessors * 8)
        try f.launch(grid: (blocks, 1, 1), block: (256, 1, 1), [.buffer(a), .buffer(b), .buffer(y), .int64(Int64(count))])
    }
}
