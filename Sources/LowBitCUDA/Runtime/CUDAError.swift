import CLowBitCUDAShim

/// Everything that can go wrong in the CUDA backend, with the failing call and its code.
public enum CUDAError: Error, Equatable, CustomStringConvertible {
    /// No usable CUDA on this machine: the driver (libcuda.so.1) or NVRTC could not be loaded,
    /// or there is no device. `reason` says what was tried.
    case notAvailable(reason: String)
    /// A driver API call returned `code` (CUresult), named `name` (e.g. CUDA_ERROR_OUT_OF_MEMORY).
    case driver(call: String, code: Int32, name: String, message: String)
    /// NVRTC failed; for a compile error `log` holds the compiler's log.
    case nvrtc(call: String, code: Int32, message: String, log: String)
    /// A cuBLASLt call returned `code` (cublasStatus_t), named `name` (e.g. CUBLAS_STATUS_NOT_SUPPORTED).
    case cublas(call: String, code: Int32, name: String, message: String)
    /// An argument the kernel cannot take (shape, alignment, stride), said in words.
    case invalidArgument(String)
    /// The on-disk kernel cache could not be read or written (the kernel is compiled anyway).
    case cache(path: String, message: String)

    public var description: String {
        switch self {
        case .notAvailable(let reason): return "CUDA not available: \(reason)"
        case .driver(let call, let code, let name, let message): return "\(call) failed: \(name) (\(code)): \(message)"
        case .nvrtc(let call, let code, let message, let log):
            return "\(call) failed: \(message) (\(code))" + (log.isEmpty ? "" : "\n\(log)")
        case .cublas(let call, let code, let name, let message): return "\(call) failed: \(name) (\(code)): \(message)"
        case .invalidArgument(let what): return "invalid argument: \(what)"
        case .cache(let path, let message): return "kernel cache \(path): \(message)"
        }
    }
}

/// Checks a driver API result; throws `CUDAError.driver` with the call's name otherwise.
@inline(__always)
func check(_ result: Int32, _ call: @autoclosure () -> String) throws(CUDAError) {
    if result != 0 { throw driverError(result, call()) }
}

func driverError(_ code: Int32, _ call: String) -> CUDAError {
    let api = lb_cuda_api_table().pointee
    var name: UnsafePointer<CChar>? = nil, text: UnsafePointer<CChar>? = nil
    _ = api.cuGetErrorName?(code, &name)
    _ = api.cuGetErrorString?(code, &text)
    return .driver(call: call, code: code, name: name.map { String(cString: $0) } ?? "CUDA_ERROR_\(code)",
                   message: text.map { String(cString: $0) } ?? "unknown error")
}

/// Checks an NVRTC result.
@inline(__always)
func checkNVRTC(_ result: Int32, _ call: @autoclosure () -> String, log: String = "") throws(CUDAError) {
    if result != 0 {
        let message = lb_cuda_api_table().pointee.nvrtcGetErrorString.flatMap { $0(result) }.map { String(cString: $0) } ?? "NVRTC error"
        throw .nvrtc(call: call(), code: result, message: message, log: log)
    }
}

/// Checks a cuBLASLt status; throws `CUDAError.cublas` with the call's name otherwise.
@inline(__always)
func checkLt(_ result: Int32, _ call: @autoclosure () -> String) throws(CUDAError) {
    if result != 0 {
        let api = lb_cublaslt_api_table().pointee
        let name = api.cublasLtGetStatusName.flatMap { $0(result) }.map { String(cString: $0) } ?? "CUBLAS_STATUS_\(result)"
        let text = api.cublasLtGetStatusString.flatMap { $0(result) }.map { String(cString: $0) } ?? "unknown error"
        throw .cublas(call: call(), code: result, name: name, message: text)
    }
}
