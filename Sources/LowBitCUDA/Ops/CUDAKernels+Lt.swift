/// GEMMs through cuBLASLt beside LowBit's own kernels (`mma.sync` on any tensor-core GPU, `wgmma`
/// + TMA on Hopper), and the per-shape choice between them (`gemmAny`).
public enum GemmBackend: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// LowBit's `mma.sync` kernels (`gemm`, `gemmF16`): dequantization, bias and GELU fused.
    case own
    /// LowBit's Hopper kernel (`gemmWgmma`: TMA, wgmma, persistent): the same fused epilogue; sm_90 only.
    case wgmma
    /// cuBLASLt (`gemmLt`): bias fused by cuBLASLt (FP16, FP8), INT8 dequantization and GELU as
    /// a separate pass.
    case cublasLt
    public var description: String { rawValue }
}

/// How `gemmAny` picks a backend.
public enum GemmBackendPolicy: String, Sendable, CaseIterable {
    /// Always LowBit's `mma.sync` kernels.
    case own
    /// LowBit's Hopper kernel where it can run the GEMM, else the `mma.sync` kernels.
    case wgmma
    /// Always cuBLASLt (W4A8, which it cannot run, stays on the own kernel).
    case cublasLt
    /// Per shape: every backend that can run it is timed on first use (outside graph capture)
    /// and the fastest is kept.
    case auto
}

/// One `.auto` decision: the backend and the timings (µs; nil where a backend could not run).
public struct GemmBackendChoice: Sendable, Codable {
    public var backend: GemmBackend
    public var ownMicros: Double?, wgmmaMicros: Double?, ltMicros: Double?
    /// The fastest `wgmma` tile (each candidate is timed), the one run when `backend` is `.wgmma`.
    public var wgmmaConfig: WgmmaConfig?
    /// Why cuBLASLt could not run this shape, if it could not.
    public var ltError: String?
}

/// The element a kernel writes its result as.
public enum KernelOutput: String, Sendable, Hashable, Codable, CaseIterable {
    /// fp16 values.
    case fp16
    /// FP8 e4m3 codes of the values at unit scale (code = e4m3(v), round to nearest even,
    /// saturating to ±448): a GEMM's or attention's result handed to an FP8 GEMM with no row
    /// kernel between; that GEMM reads them with row scales of 1. (Per-token scales need a row's
    /// absolute maximum before its first code, which a kernel writing part of the row cannot know.)
    case e4m3
    /// Bytes per element.
    public var bytes: Int { self == .fp16 ? 2 : 1 }
}

/// The GEMM operand precision `gemmAny` runs: FP16 operands or an 8-bit `GemmKind`.
public enum GemmOperands: Sendable, Hashable, CustomStringConvertible {
    case fp16
    case eightBit(GemmKind)
    public var description: String {
        switch self { case .fp16: return "fp16"; case .eightBit(let k): return k.rawValue }
    }
}

extension CUDAKernels {
    /// The context's cuBLASLt (loaded once; `notAvailable` when libcublasLt cannot be loaded).
    public func cublasLt() throws(CUDAError) -> CUBLASLt {
        try lock.withLock { () throws(CUDAError) -> CUBLASLt in
            if ltState == nil {
                do throws(CUDAError) { ltState = .success(try CUBLASLt(context: context)) } catch { ltState = .failure(error) }
            }
            return try ltState!.get()
        }
    }

    /// C = A·Bᵀ through cuBLASLt, with `gemm`/`gemmF16`'s operands and result:
    /// `.fp16`: a [M, K] fp16, b [N, K] fp16, C = fp16(A·Bᵀ + bias) (scales ignored);
    /// `.eightBit(.int8)`: INT8 codes, INT32 product, then `lb_dequant_i32` (C = fp16(acc·sa·sb + bias));
    /// `.eightBit(.fp8e4m3)`: e4m3 codes, scales and bias applied by cuBLASLt (outer-vector scaling).
    /// GELU, when asked for, is an in-place pass over C afterwards (except INT8, where it is fused
    /// into the dequantization). scaleA: [M] f32; scaleB: [N] f32; bias: [N] fp16 or nil; c: [M, N] fp16.
    /// fp8Accumulation `.fast`: FP8 with Hopper's fast accumulation (`CUBLASLT_MATMUL_DESC_FAST_ACCUM`).
    public func gemmLt(_ operands: GemmOperands, a: DeviceMatrix, b: DeviceMatrix, scaleA: DeviceBuffer?, scaleB: DeviceBuffer?,
                       bias: DeviceBuffer?, c: DeviceMatrix, gelu: Bool = false,
                       fp8Accumulation: FP8Accumulation = .promoted) throws(CUDAError) {
        let (m, n, k) = try checkGemmOperands("gemmLt", operands, a: a, b: b, bias: bias, c: c)
        let elem = operands == .fp16 ? 2 : 1
        guard k > 0, (k * elem) % 16 == 0, (a.ld * elem) % 16 == 0, (b.ld * elem) % 16 == 0, c.ld % 8 == 0 else {
            throw .invalidArgument("gemmLt: cuBLASLt needs 16-byte rows (K \(k), lda \(a.ld), ldb \(b.ld), ldc \(c.ld))")
        }
        if m == 0 || n == 0 { return }
        let lt = try cublasLt()
        switch operands {
        case .fp16:
            try lt.matmul(.fp16, m: m, n: n, k: k, a: a.address, lda: a.ld, b: b.address, ldb: b.ld, c: c.address, ldc: c.ld,
                          bias: bias?.address)
            if gelu { try biasGelu(c, bias: nil, y: c) }
        case .eightBit(let kind):
            guard let scaleA, let scaleB, scaleA.byteCount >= 4 * m, scaleB.byteCount >= 4 * n else {
                throw .invalidArgument("gemmLt: scaleA needs \(m) floats, scaleB \(n)")
            }
            switch kind {
            case .int8:
                let acc = try lt.int32Scratch(count: m * n)
                try lt.matmul(.int8, m: m, n: n, k: k, a: a.address, lda: a.ld, b: b.address, ldb: b.ld, c: acc.address, ldc: n,
                              bias: nil)
                let f = try function("lb_dequant_i32", in: KernelSources.encoder())
                let blocks = min((m * n / 4 + 255) / 256 + 1, context.device.multiprocessors * 16)
                try f.launch(grid: (blocks, 1, 1), block: (256, 1, 1), [
                    .buffer(acc), .int(n), .buffer(scaleA), .buffer(scaleB), .buffer(bias), c.argument, .int(c.ld),
                    .int(m), .int(n), .int(gelu ? 1 : 0)])
            case .fp8e4m3:
                try lt.matmul(.fp8e4m3, m: m, n: n, k: k, a: a.address, lda: a.ld, b: b.address, ldb: b.ld, c: c.address,
                              ldc: c.ld, bias: bias?.address, rowScales: scaleA.address, colScales: scaleB.address,
                              fastAccumulation: fp8Accumulation == .fast)
                if gelu { try biasGelu(c, bias: nil, y: c) }
            case .w4a8:
                throw .invalidArgument("gemmLt: cuBLASLt has no INT4-weight GEMM")
            }
        }
    }

    /// The shape checks `gemmLt` and `gemmWgmma` share: a [M, K] and b [N, K] of `operands`' element
    /// size, c [M, N] of `output`'s element, all inside their buffers; bias (if any) N fp16. Returns (M, N, K).
    func checkGemmOperands(_ caller: String, _ operands: GemmOperands, a: DeviceMatrix, b: DeviceMatrix, bias: DeviceBuffer?,
                           c: DeviceMatrix, output: KernelOutput = .fp16) throws(CUDAError) -> (m: Int, n: Int, k: Int) {
        let m = a.rows, k = a.cols, n = b.rows
        let elem = operands == .fp16 ? 2 : 1
        guard b.cols == k else { throw .invalidArgument("\(caller): A is \(m)×\(k) but B is \(n)×\(b.cols)") }
        guard c.rows == m, c.cols == n else { throw .invalidArgument("\(caller): C is \(c.rows)×\(c.cols), expected \(m)×\(n)") }
        try a.validate("A", elementBytes: elem)
        try b.validate("B", elementBytes: elem)
        try c.validate("C", elementBytes: output.bytes)
        guard (bias?.byteCount ?? 2 * n) >= 2 * n else { throw .invalidArgument("\(caller): bias needs \(n) fp16") }
        return (m, n, k)
    }

    /// C = A·Bᵀ on the backend `backendPolicy` gives for this shape; returns the one used.
    /// FP8 with `fp8Accumulation` `.promoted` runs on the `mma.sync` kernel (f32 accumulation) or
    /// cuBLASLt's default; `.fast` also allows the tensor cores' own accumulation over all of K
    /// (cuBLASLt's fast accumulation, the Hopper kernel's `-fast` tiles), as inference stacks run
    /// FP8 forward passes (Transformer Engine's forward GEMMs do).
    /// Operands as `gemmLt` (b holds packed INT4 bytes, [N, K/2], for W4A8, which runs on the own
    /// kernel only). Under `.auto` an undecided shape is timed on every backend that can run it
    /// first (unless the stream is capturing a graph, which takes the own kernel).
    /// `output` `.e4m3`: C gets unit-scale FP8 codes (GELU in its tanh form), which only the
    /// Hopper kernel writes: it runs whatever the policy (every tile timed under `.auto`, else the
    /// default tile), and the call is refused where it cannot (`wgmmaUnsupported`).
    @discardableResult
    public func gemmAny(_ operands: GemmOperands, a: DeviceMatrix, b: DeviceMatrix, scaleA: DeviceBuffer?, scaleB: DeviceBuffer?,
                        bias: DeviceBuffer?, c: DeviceMatrix, gelu: Bool = false,
                        fp8Accumulation: FP8Accumulation = .promoted, output: KernelOutput = .fp16) throws(CUDAError) -> GemmBackend {
        if output == .e4m3 { return try gemmAnyE4M3(operands, a: a, b: b, scaleA: scaleA, scaleB: scaleB, bias: bias, c: c, gelu: gelu,
                                                    fp8Accumulation: fp8Accumulation) }
        let fast = operands == .eightBit(.fp8e4m3) && fp8Accumulation == .fast   // the mode matters to FP8 only
        func run(_ backend: GemmBackend, tile: WgmmaConfig?) throws(CUDAError) {
            switch (backend, operands) {
            case (.cublasLt, _):
                try gemmLt(operands, a: a, b: b, scaleA: scaleA, scaleB: scaleB, bias: bias, c: c, gelu: gelu,
                           fp8Accumulation: fp8Accumulation)
            case (.wgmma, _):
                try gemmWgmma(operands, a: a, b: b, scaleA: scaleA, scaleB: scaleB, bias: bias, c: c, gelu: gelu, config: tile)
            case (.own, .fp16):
                try gemmF16(a: a, b: b, bias: bias, c: c, gelu: gelu)
            case (.own, .eightBit(let kind)):
                guard let scaleA, let scaleB else { throw .invalidArgument("gemm: \(kind) needs scales") }
                try gemm(kind: kind, a: a, b: b, scaleA: scaleA, scaleB: scaleB, bias: bias, c: c, gelu: gelu)
            }
        }
        let ltPossible = operands != .eightBit(.w4a8)
        // FP8 on wgmma has only the tensor cores' reduced-precision accumulation (see
        // KernelSources+Wgmma.swift): its `-fast` tiles only when fast accumulation is asked for.
        let wgmmaTiles = WgmmaConfig.gemmAnyCandidates(operands, fp8Accumulation: fp8Accumulation)
        let wgmmaPossible = !wgmmaTiles.isEmpty && wgmmaUnsupported(operands, a: a, b: b, c: c) == nil
        let backend: GemmBackend
        var tile: WgmmaConfig? = nil
        switch backendPolicy {
        case .own: backend = .own
        case .wgmma:
            backend = wgmmaPossible ? .wgmma : .own
            if fast { tile = wgmmaDefaultConfig(operands, m: a.rows, n: b.rows, k: a.cols).accumulating(.fast) }
        case .cublasLt: backend = ltPossible ? .cublasLt : .own
        case .auto:
            let key = choiceKey(operands, fast: fast, a: a, b: b, gelu: gelu)
            if let choice = lock.withLock({ backendChoices[key] }) {
                (backend, tile) = (choice.backend, choice.wgmmaConfig)
            } else if context.stream.isCapturing || (!ltPossible && !wgmmaPossible) {
                backend = .own
            } else {
                let tiles = wgmmaPossible ? wgmmaTiles : []
                let choice = try decide(wgmmaTiles: tiles, lt: ltPossible) { (bk: GemmBackend, t: WgmmaConfig?) throws(CUDAError) in
                    try run(bk, tile: t)
                }
                lock.withLock { backendChoices[key] = choice }
                (backend, tile) = (choice.backend, choice.wgmmaConfig)
            }
        }
        try run(backend, tile: tile)
        return backend
    }

    /// `gemmAny` with unit-scale e4m3 output: the Hopper kernel, with the tile `.auto` times
    /// (or the default tile under the other policies; TMA stores where C allows them, as for fp16).
    func gemmAnyE4M3(_ operands: GemmOperands, a: DeviceMatrix, b: DeviceMatrix, scaleA: DeviceBuffer?, scaleB: DeviceBuffer?,
                     bias: DeviceBuffer?, c: DeviceMatrix, gelu: Bool, fp8Accumulation: FP8Accumulation) throws(CUDAError) -> GemmBackend {
        if let why = wgmmaUnsupported(operands, a: a, b: b, c: c) { throw .invalidArgument("gemm with e4m3 output: \(why)") }
        let isFP8 = operands == .eightBit(.fp8e4m3)
        let tiles = WgmmaConfig.candidates(operands).filter {
            (!isFP8 || $0.fp8Accumulation == fp8Accumulation) && (e4m3TMAStores || !$0.tmaStore)
        }
        func run(_ tile: WgmmaConfig?) throws(CUDAError) {
            try gemmWgmma(operands, a: a, b: b, scaleA: scaleA, scaleB: scaleB, bias: bias, c: c, gelu: gelu, config: tile, output: .e4m3)
        }
        var tile = tiles.first
        if backendPolicy == .auto {
            let key = choiceKey(operands, fast: isFP8 && fp8Accumulation == .fast, a: a, b: b, gelu: gelu)
                + "|e4m3\(e4m3TMAStores ? "" : "-threads")"
            if let choice = lock.withLock({ backendChoices[key] }) {
                tile = choice.wgmmaConfig
            } else if !context.stream.isCapturing {
                let choice = try decide(wgmmaTiles: tiles, lt: false, own: false) { (_: GemmBackend, t: WgmmaConfig?) throws(CUDAError) in
                    try run(t)
                }
                lock.withLock { backendChoices[key] = choice }
                tile = choice.wgmmaConfig
            }
        } else {
            let d = wgmmaDefaultConfig(operands, m: a.rows, n: b.rows, k: a.cols)
            if tiles.contains(d) { tile = d } else if tiles.contains(d.withoutTMAStore) { tile = d.withoutTMAStore }
        }
        try run(tile)
        return .wgmma
    }

    /// µs per call of `run` (queued work on the context's stream): 3 warm-up calls, then the
    /// median of 5 runs of 3 calls each. The autotuning choices (GEMM backends and tiles,
    /// attention tiles) all time their candidates this way.
    func medianMicros(_ run: () throws(CUDAError) -> Void) throws(CUDAError) -> Double {
        let e0 = try CUDAEvent(context: context), e1 = try CUDAEvent(context: context)
        for _ in 0..<3 { try run() }
        var samples: [Double] = []
        for _ in 0..<5 {
            try e0.record(on: context.stream)
            for _ in 0..<3 { try run() }
            try e1.record(on: context.stream)
            samples.append(try e1.elapsed(since: e0) * 1000 / 3)
        }
        return samples.sorted()[2]
    }

    /// The key of `.auto`'s remembered choice for a GEMM shape (operands, FP8 accumulation, M, N, K, GELU).
    func choiceKey(_ operands: GemmOperands, fast: Bool, a: DeviceMatrix, b: DeviceMatrix, gelu: Bool) -> String {
        "\(operands)\(fast ? "-fast" : "")|M\(a.rows)|N\(b.rows)|K\(a.cols)|\(gelu ? "gelu" : "-")"
    }

    /// Times the backends (`medianMicros`): the own
    /// kernel unless `own` is false, every tile of `wgmmaTiles` and cuBLASLt where it can run; the fastest wins.
    func decide(wgmmaTiles: [WgmmaConfig], lt: Bool, own: Bool = true,
                _ run: (GemmBackend, WgmmaConfig?) throws(CUDAError) -> Void) throws(CUDAError) -> GemmBackendChoice {
        func time(_ b: GemmBackend, _ tile: WgmmaConfig? = nil) throws(CUDAError) -> Double {
            try medianMicros { () throws(CUDAError) in try run(b, tile) }
        }
        var choice = GemmBackendChoice(backend: .own, ownMicros: own ? try time(.own) : nil, wgmmaMicros: nil, ltMicros: nil, ltError: nil)
        for tile in wgmmaTiles {
            let t = try time(.wgmma, tile)
            if t < choice.wgmmaMicros ?? .infinity { (choice.wgmmaMicros, choice.wgmmaConfig) = (t, tile) }
        }
        if lt {
            do throws(CUDAError) { choice.ltMicros = try time(.cublasLt) } catch {
                if case .driver = error { throw error }    // a device fault is no reason to fall back
                choice.ltError = "\(error)"
            }
        }
        let timed: [(GemmBackend, Double?)] = [(.own, choice.ownMicros), (.wgmma, choice.wgmmaMicros), (.cublasLt, choice.ltMicros)]
        choice.backend = timed.compactMap { b, t in t.map { (b, $0) } }.min { $0.1 < $1.1 }!.0
        return choice
    }

    /// `.auto`'s decisions so far, by shape key ("int8|M4096|N2304|K768|-").
    public var gemmBackendChoices: [String: GemmBackendChoice] { lock.withLock { backendChoices } }
}
