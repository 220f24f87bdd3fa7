/// LowBit's kernels on one context: modules are compiled (or read from the kernel cache) and
/// loaded on first use. Every operation queues work on the context's stream and returns at
/// once; `context.synchronize()` or a download waits for it.
///
/// Element types on the device: fp16/bf16 as 16-bit bit patterns, INT8 as signed bytes, FP8
/// e4m3 as bytes, scales as f32. Matrices are row-major with a row stride (`ld`, in elements).
public final class CUDAKernels: @unchecked Sendable {
    public let context: CUDAContext
    let lock = Lock()
    private var modules: [String: CUDAModule] = [:]
    private var functions: [String: CUDAFunction] = [:]
    /// Row ops (layerNorm, embeddingLayerNorm, biasGelu, quantizeRows) on the register-resident
    /// kernels where `RowPlan` has the row length and the rows are aligned; false: always the
    /// shared-memory kernels (the self-test and the bench compare the two).
    public var registerRowKernels = true
    /// Forces one GEMM tile configuration (bench and tests); nil: `defaultConfig(kind:m:n:)`.
    public var gemmConfigOverride: GemmConfig?
    /// Forces one Hopper GEMM tile (bench and tests) where it suits the operands.
    public var wgmmaConfigOverride: WgmmaConfig?
    /// Forces the tile of `gemmWgmmaLayerNorm` (bench and tests) where it suits the operands.
    public var layerNormTileOverride: WgmmaConfig?
    /// `WgmmaLayerNorm.ablation` for `gemmWgmmaLayerNorm` (timing only: `cuda bench ln`); 0 otherwise.
    var layerNormAblation = 0
    /// `clustersAtOnce`'s answers, by kernel unit: clusters resident at once and blocks per cluster.
    var clusterOccupancy: [String: (clusters: Int, blocks: Int)] = [:]
    /// f32 ones for the FP16 GEMM's scale operands (grown on demand, never shrunk).
    private var ones: DeviceBuffer?
    /// The block `attention` runs where the call names no tile (see `AttentionTile`); nil: the
    /// faster one per shape, timed on first use.
    public var attentionTile: AttentionTile?
    /// The tiles `attention` times where no tile is set (those that run the shape on this device;
    /// `.q64` always): the comma list in $LOWBIT_ATTENTION_TILES (e.g. "q64,q128r32,wg64,wg128");
    /// nil: every tile (`attentionTimedTiles`).
    public var attentionCandidates: [AttentionTile]? = AttentionTile.candidates(environment("LOWBIT_ATTENTION_TILES"))
    /// K/V tiles in every attention block's shared-memory ring (2 … 6; nil: each tile's
    /// `AttentionTile.stages`): $LOWBIT_ATTENTION_STAGES, for timing runs. An out-of-range value makes
    /// `attention` throw.
    public var attentionStages: Int? = environment("LOWBIT_ATTENTION_STAGES").map { Int($0) ?? 0 }
    /// `attention`'s timed tile choices, by shape.
    var attentionChoices: [AttentionShape: AttentionTileChoice] = [:]
    /// Whether `gemmAny`'s e4m3 output may take the Hopper tiles with TMA stores (false: only the
    /// tiles with the threads' stores, the choice before e4m3 had TMA stores; for A/B runs).
    public var e4m3TMAStores = true
    /// Which GEMM implementation `gemmAny` runs (see `GemmBackendPolicy`).
    public var backendPolicy: GemmBackendPolicy = .own
    /// cuBLASLt, loaded on first use (nil: not tried yet).
    var ltState: Result<CUBLASLt, CUDAError>?
    /// `.auto`'s remembered choices and timings, by GEMM shape key.
    var backendChoices: [String: GemmBackendChoice] = [:]

    /// A device buffer of at least `count` f32 ones (the unit scales of `gemmF16`).
    func unitScales(_ count: Int) throws(CUDAError) -> DeviceBuffer {
        if let o = lock.withLock({ ones }), o.byteCount >= 4 * count { return o }
        let n = max(count, 4096)
        let buf = try context.upload([Float](repeating: 1, count: n))
        lock.withLock { ones = buf }
        return buf
    }

    public init(context: CUDAContext) { self.context = context }

    /// The shared context's kernels (throws `notAvailable` without CUDA).
    public static func shared() throws(CUDAError) -> CUDAKernels { try sharedKernels.get() }
    private static let sharedKernels: Result<CUDAKernels, CUDAError> = Result { () throws(CUDAError) -> CUDAKernels in
        CUDAKernels(context: try CUDAContext.shared())
    }

    /// `function(_:in:sharedBytes:)` for a unit known by its name: `make` assembles the unit (its
    /// source text) only on the first call, so later launches cost a dictionary lookup.
    public func function(_ name: String, unitNamed unitName: String, sharedBytes: Int = 0,
                         _ make: () -> KernelSources.Unit) throws(CUDAError) -> CUDAFunction {
        if let f = lock.withLock({ functions[unitName + "/" + name] }) { return f }
        let unit = make()
        precondition(unit.name == unitName, "kernel unit \(unit.name) looked up as \(unitName)")
        return try function(name, in: unit, sharedBytes: sharedBytes)
    }

    /// Kernel `name` from `unit`, compiled and loaded once; `sharedBytes` > 48 KiB is opted into.
    public func function(_ name: String, in unit: KernelSources.Unit, sharedBytes: Int = 0) throws(CUDAError) -> CUDAFunction {
        let key = unit.name + "/" + name
        if let f = lock.withLock({ functions[key] }) { return f }
        let module: CUDAModule
        if let m = lock.withLock({ modules[unit.name] }) {
            module = m
        } else {
            let cubin = try context.compiler.cubin(unit)
            module = try CUDAModule(context: context, cubin: cubin)
            lock.withLock { modules[unit.name] = module }
        }
        let f = try module.function(name)
        if sharedBytes > 48 * 1024 {
            guard sharedBytes <= context.device.sharedMemoryPerBlockOptin else {
                throw .invalidArgument("\(name) needs \(sharedBytes) bytes of shared memory; the device allows \(context.device.sharedMemoryPerBlockOptin)")
            }
            try f.setMaxDynamicSharedMemory(sharedBytes)
        }
        lock.withLock { functions[key] = f }
        return f
    }
}

/// A device matrix view: `rows` × `cols` elements with row stride `ld` elements, starting
/// `offsetBytes` into `buffer`. Element size is the kernel's business.
public struct DeviceMatrix: @unchecked Sendable {
    public var buffer: DeviceBuffer
    public var offsetBytes: Int
    public var rows: Int, cols: Int, ld: Int

    public init(_ buffer: DeviceBuffer, rows: Int, cols: Int, ld: Int? = nil, offsetBytes: Int = 0) {
        self.buffer = buffer
        self.rows = rows
        self.cols = cols
        self.ld = ld ?? cols
        self.offsetBytes = offsetBytes
    }

    public var address: UInt64 { buffer.address + UInt64(offsetBytes) }
    public var argument: KernelArgument { .pointer(address) }

    /// Checks that the view lies inside its buffer for `elementBytes`-byte elements.
    func validate(_ what: String, elementBytes: Int) throws(CUDAError) {
        guard rows >= 0, cols >= 0, ld >= cols else { throw .invalidArgument("\(what): \(rows)×\(cols) with ld \(ld)") }
        let need = rows == 0 ? 0 : offsetBytes + ((rows - 1) * ld + cols) * elementBytes
        guard need <= buffer.byteCount else {
            throw .invalidArgument("\(what): \(rows)×\(cols) (ld \(ld)) needs \(need) bytes, buffer has \(buffer.byteCount)")
        }
    }

    /// Whether the first element is `bytes`-aligned.
    func aligned(_ bytes: Int) -> Bool { address % UInt64(bytes) == 0 }
}

/// Activation quantization written by the row kernels: codes [rows, n] and per-row f32 scales.
public enum ActivationQuantization: Sendable {
    /// INT8 symmetric: scale s = absmax/127, q = rn(v / s) clamped to ±127 (LowBitQuant's formula).
    case int8(codes: DeviceMatrix, scales: DeviceBuffer)
    /// FP8 e4m3: scale s = absmax/448, q = e4m3(v / s) (round to nearest even, saturating).
    case fp8e4m3(codes: DeviceMatrix, scales: DeviceBuffer)

    var codes: DeviceMatrix {
        switch self { case .int8(let c, _), .fp8e4m3(let c, _): return c }
    }
    var scales: DeviceBuffer {
        switch self { case .int8(_, let s), .fp8e4m3(_, let s): return s }
    }
}
