import CLowBitCUDAShim

/// Run-time loading of the CUDA driver (libcuda.so.1) and NVRTC with dlopen.
///
/// Nothing CUDA is linked at build time: a machine without CUDA builds and tests the package,
/// and `CUDAContext.shared()` then throws `CUDAError.notAvailable` saying what was tried.
/// Overrides: `LOWBIT_CUDA_DRIVER` (path of libcuda), `LOWBIT_NVRTC` (path of libnvrtc.so),
/// `LOWBIT_CUBLASLT` (path of libcublasLt.so).
public enum CUDALibraries {
    private static let lock = Lock()

    /// Loads the driver library; `path` overrides the search (tests use a missing path).
    public static func loadDriver(path: String? = nil) throws(CUDAError) {
        try load(path: path, "driver (libcuda.so.1)", lb_cuda_driver_load)
    }

    /// Loads NVRTC (needs no GPU: kernels can be compiled on any x86-64 Linux machine with it).
    public static func loadNVRTC(path: String? = nil) throws(CUDAError) {
        try load(path: path, "NVRTC (libnvrtc.so)", lb_nvrtc_load)
    }

    /// Loads cuBLASLt (`LOWBIT_CUBLASLT` overrides the search; needs no GPU to load).
    public static func loadCuBLASLt(path: String? = nil) throws(CUDAError) {
        try load(path: path, "cuBLASLt (libcublasLt.so)", lb_cublaslt_load)
    }

    /// Whether NVRTC can be loaded here (from the usual places or `LOWBIT_NVRTC`).
    public static var nvrtcAvailable: Bool { (try? loadNVRTC()) != nil }

    /// NVRTC's version, e.g. (13, 0).
    public static func nvrtcVersion() throws(CUDAError) -> (major: Int, minor: Int) {
        try loadNVRTC()
        var major: Int32 = 0, minor: Int32 = 0
        try checkNVRTC(lb_cuda_api_table().pointee.nvrtcVersion!(&major, &minor), "nvrtcVersion")
        return (Int(major), Int(minor))
    }

    private static func load(path: String?, _ what: String,
                             _ loader: (UnsafePointer<CChar>?, UnsafeMutablePointer<CChar>?, Int) -> Int32) throws(CUDAError) {
        let message: String? = lock.withLock {
            var err = [CChar](repeating: 0, count: 2048)
            let rc: Int32 = path.map { p in p.withCString { loader($0, &err, err.count) } } ?? loader(nil, &err, err.count)
            if rc == 0 { return nil }
            let bytes = err.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
            return "\(what) could not be loaded: " + String(decoding: bytes, as: UTF8.self)
        }
        if let message { throw .notAvailable(reason: message) }
    }
}
