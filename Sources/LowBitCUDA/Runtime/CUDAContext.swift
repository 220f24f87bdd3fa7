import CLowBitCUDAShim

/// What LowBit needs to know about a GPU, read once from the driver.
public struct CUDADeviceInfo: Sendable, Codable, Equatable {
    public var ordinal: Int
    public var name: String
    /// Compute capability, e.g. (9, 0) for Hopper.
    public var major: Int, minor: Int
    public var multiprocessors: Int
    /// Largest dynamic shared memory a block may opt into (bytes).
    public var sharedMemoryPerBlockOptin: Int
    public var l2Bytes: Int
    public var totalMemory: Int
    /// SM clock in kHz as the driver reports it (the typical/boost clock).
    public var clockKHz: Int
    /// e.g. 13000 for CUDA 13.0.
    public var driverVersion: Int

    /// NVRTC target name, e.g. "sm_90".
    public var arch: String { "sm_\(major)\(minor)" }
    /// Whether the tensor cores and `cvt` take FP8 e4m3 (compute capability 8.9 or newer).
    public var supportsFP8: Bool { major * 10 + minor >= 89 }
    /// Whether kernels built for sm_90a (wgmma, TMA, setmaxnreg) run here: compute capability 9.0 exactly.
    public var runsSM90a: Bool { major == 9 && minor == 0 }
}

/// One GPU's primary context, with LowBit's stream, caching allocator and kernel compiler.
///
/// `CUDAContext.shared()` opens device 0 once per process; on a machine without CUDA it throws
/// `CUDAError.notAvailable`. Every method makes the context current on the calling thread first,
/// so it can be used from any thread; work is queued on `stream` in call order.
public final class CUDAContext: @unchecked Sendable {
    public let device: CUDADeviceInfo
    let handle: lb_CUcontext
    let dev: lb_CUdevice
    /// The stream all LowBit work of this context goes to (non-blocking).
    public private(set) var stream: CUDAStream!
    public let allocator: CachingAllocator
    public let compiler: KernelCompiler
    let api: lb_cuda_api

    private static let sharedContext: Result<CUDAContext, CUDAError> = Result { () throws(CUDAError) -> CUDAContext in
        try CUDAContext(ordinal: 0)
    }

    /// Device 0, opened on first use; the same error every time if CUDA is missing.
    public static func shared() throws(CUDAError) -> CUDAContext { try sharedContext.get() }

    /// Whether a CUDA device can be used here (loads the libraries on first call).
    public static var isAvailable: Bool { (try? shared()) != nil }

    /// Opens device `ordinal`: loads the driver and NVRTC, retains the primary context.
    public init(ordinal: Int) throws(CUDAError) {
        try CUDALibraries.loadDriver()
        let api = lb_cuda_api_table().pointee
        self.api = api
        try check(api.cuInit!(0), "cuInit")
        var count: Int32 = 0
        try check(api.cuDeviceGetCount!(&count), "cuDeviceGetCount")
        guard ordinal < count else { throw .notAvailable(reason: "no CUDA device \(ordinal) (\(count) found)") }
        var dev: lb_CUdevice = 0
        try check(api.cuDeviceGet!(&dev, Int32(ordinal)), "cuDeviceGet(\(ordinal))")
        self.dev = dev
        func attribute(_ a: Int32, _ what: String) throws(CUDAError) -> Int {
            var v: Int32 = 0
            try check(api.cuDeviceGetAttribute!(&v, a, dev), "cuDeviceGetAttribute(\(what))")
            return Int(v)
        }
        var nameBuf = [CChar](repeating: 0, count: 256)
        try check(api.cuDeviceGetName!(&nameBuf, 255, dev), "cuDeviceGetName")
        var total = 0, version: Int32 = 0
        try check(api.cuDeviceTotalMem!(&total, dev), "cuDeviceTotalMem_v2")
        try check(api.cuDriverGetVersion!(&version), "cuDriverGetVersion")
        let info = CUDADeviceInfo(
            ordinal: ordinal, name: String(decoding: nameBuf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self),
            major: try attribute(LB_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, "major"),
            minor: try attribute(LB_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, "minor"),
            multiprocessors: try attribute(LB_CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, "SMs"),
            sharedMemoryPerBlockOptin: try attribute(LB_CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, "smem"),
            l2Bytes: try attribute(LB_CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE, "L2"),
            totalMemory: total,
            clockKHz: try attribute(LB_CU_DEVICE_ATTRIBUTE_CLOCK_RATE, "clock"),
            driverVersion: Int(version))
        self.device = info
        var ctx: lb_CUcontext? = nil
        try check(api.cuDevicePrimaryCtxRetain!(&ctx, dev), "cuDevicePrimaryCtxRetain")
        guard let ctx else { throw .notAvailable(reason: "cuDevicePrimaryCtxRetain returned no context") }
        self.handle = ctx
        try check(api.cuCtxSetCurrent!(ctx), "cuCtxSetCurrent")
        self.allocator = CachingAllocator(backend: DriverMemory(context: ctx))
        self.compiler = KernelCompiler(arch: info.arch)
        self.stream = try CUDAStream(context: self)
    }

    deinit {
        stream = nil
        allocator.emptyCache()
        _ = api.cuDevicePrimaryCtxRelease?(dev)
    }

    /// Makes this context current on the calling thread (driver contexts are per thread).
    public func makeCurrent() throws(CUDAError) {
        try check(api.cuCtxSetCurrent!(handle), "cuCtxSetCurrent")
    }

    /// Waits for all work queued on `stream`.
    public func synchronize() throws(CUDAError) { try stream.synchronize() }

    /// Free and total device memory (bytes).
    public func memoryInfo() throws(CUDAError) -> (free: Int, total: Int) {
        try makeCurrent()
        var free = 0, total = 0
        try check(api.cuMemGetInfo!(&free, &total), "cuMemGetInfo_v2")
        return (free, total)
    }
}

/// cuMemAlloc/cuMemFree in one context: the backend of the caching allocator.
struct DriverMemory: DeviceMemoryBackend, @unchecked Sendable {
    let context: lb_CUcontext

    func allocate(_ bytes: Int) throws(CUDAError) -> UInt64 {
        let api = lb_cuda_api_table().pointee
        try check(api.cuCtxSetCurrent!(context), "cuCtxSetCurrent")
        var p: lb_CUdeviceptr = 0
        try check(api.cuMemAlloc!(&p, bytes), "cuMemAlloc_v2(\(bytes) bytes)")
        return p
    }

    func free(_ address: UInt64) {
        let api = lb_cuda_api_table().pointee
        _ = api.cuCtxSetCurrent?(context)
        _ = api.cuMemFree?(address)
    }
}
