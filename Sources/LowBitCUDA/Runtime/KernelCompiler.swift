#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CLowBitCUDAShim

/// Compiles CUDA C sources with NVRTC into CUBIN for one architecture, with an on-disk cache.
///
/// Cache key: a 128-bit hash of (source, options, arch, NVRTC version); the file is
/// `<dir>/<name>-<key>.cubin` in `$LOWBIT_CUDA_CACHE`, else `$XDG_CACHE_HOME/lowbit/cuda`, else
/// `~/.cache/lowbit/cuda`. Writes go to a temporary file renamed into place, so a crash never
/// leaves a half-written kernel; an unreadable or unwritable cache only costs a recompile.
/// NVRTC needs no GPU, so kernels can be compiled (and checked) on any machine that has it.
public final class KernelCompiler: @unchecked Sendable {
    /// e.g. "sm_90".
    public let arch: String
    public let cacheDirectory: String?
    private let lock = Lock()
    private var memory: [String: [UInt8]] = [:]
    public private(set) var compiledCount = 0, diskHits = 0

    public init(arch: String, cacheDirectory: String? = KernelCompiler.defaultCacheDirectory()) {
        self.arch = arch
        self.cacheDirectory = cacheDirectory
    }

    public static func defaultCacheDirectory() -> String? {
        if let d = environment("LOWBIT_CUDA_CACHE") { return d }
        if let d = environment("XDG_CACHE_HOME") { return d + "/lowbit/cuda" }
        if let h = environment("HOME") { return h + "/.cache/lowbit/cuda" }
        return nil
    }

    /// CUBIN for a kernel unit: for `arch`, or for sm_90a when the unit uses sm_90a-only
    /// instructions (then only if `arch` is sm_90; `.invalidArgument` otherwise).
    public func cubin(_ unit: KernelSources.Unit) throws(CUDAError) -> [UInt8] {
        guard unit.archSpecific else { return try cubin(source: unit.source, name: unit.name, options: unit.options) }
        guard arch == "sm_90" else {
            throw .invalidArgument("\(unit.name) uses sm_90a instructions (wgmma, TMA, setmaxnreg); it cannot be compiled for \(arch)")
        }
        return try cubin(source: unit.source, name: unit.name, options: unit.options, target: "sm_90a")
    }

    /// CUBIN for `source`, from memory, disk or NVRTC. `name` names the file and the NVRTC program;
    /// `target` overrides `arch` (e.g. its arch-specific "a" variant).
    public func cubin(source: String, name: String, options: [String] = [], target: String? = nil) throws(CUDAError) -> [UInt8] {
        let version = try CUDALibraries.nvrtcVersion()
        let extra = environment("LOWBIT_NVRTC_OPTIONS").map { $0.split(separator: " ").map(String.init) } ?? []
        let allOptions = ["--gpu-architecture=\(target ?? arch)", "--std=c++17"] + options + extra
        let key = Self.hashHex(source + "\u{0}" + allOptions.joined(separator: "\u{1}") + "\u{0}nvrtc\(version.major).\(version.minor)")
        let file = cacheDirectory.map { "\($0)/\(name)-\(key).cubin" }
        if let hit = lock.withLock({ memory[key] }) { return hit }
        if let file, let bytes = readFile(file), !bytes.isEmpty {
            lock.withLock { memory[key] = bytes; diskHits += 1 }
            return bytes
        }
        let bytes = try compile(source: source, name: name, options: allOptions)
        lock.withLock { memory[key] = bytes; compiledCount += 1 }
        if let dir = cacheDirectory, let file { _ = writeFileAtomically(dir: dir, path: file, bytes) }
        return bytes
    }

    /// NVRTC without any cache; throws `.nvrtc` with the compiler log on a compile error.
    public func compile(source: String, name: String, options: [String]) throws(CUDAError) -> [UInt8] {
        try CUDALibraries.loadNVRTC()
        let api = lb_cuda_api_table().pointee
        var prog: lb_nvrtcProgram? = nil
        try checkNVRTC(api.nvrtcCreateProgram!(&prog, source, name + ".cu", 0, nil, nil), "nvrtcCreateProgram(\(name))")
        defer { _ = api.nvrtcDestroyProgram!(&prog) }
        let cOptions = options.map { strdup($0) }
        defer { cOptions.forEach { free($0) } }
        let rc = cOptions.map { UnsafePointer($0) }.withUnsafeBufferPointer {
            api.nvrtcCompileProgram!(prog, Int32(options.count), $0.baseAddress)
        }
        var logSize = 0
        _ = api.nvrtcGetProgramLogSize!(prog, &logSize)
        var log = [CChar](repeating: 0, count: max(logSize, 1))
        _ = api.nvrtcGetProgramLog!(prog, &log)
        let logText = String(decoding: log.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        try checkNVRTC(rc, "nvrtcCompileProgram(\(name), \(options.joined(separator: " ")))", log: logText)
        // $LOWBIT_NVRTC_LOG: print the compiler log (e.g. with `--ptxas-options=-v` in $LOWBIT_NVRTC_OPTIONS).
        if environment("LOWBIT_NVRTC_LOG") != nil, !logText.isEmpty {
            let text = "nvrtc \(name):\n\(logText)\n"; _ = text.withCString { write(2, $0, strlen($0)) }
        }
        var size = 0
        try checkNVRTC(api.nvrtcGetCUBINSize!(prog, &size), "nvrtcGetCUBINSize(\(name))")
        var out = [CChar](repeating: 0, count: size)
        try checkNVRTC(api.nvrtcGetCUBIN!(prog, &out), "nvrtcGetCUBIN(\(name))")
        return out.map { UInt8(bitPattern: $0) }
    }

    /// Two independent 64-bit FNV-1a hashes (different offset bases), as 32 hex digits.
    static func hashHex(_ text: String) -> String {
        var h1: UInt64 = 0xcbf2_9ce4_8422_2325, h2: UInt64 = 0x84222325_cbf29ce4
        for b in text.utf8 {
            h1 = (h1 ^ UInt64(b)) &* 0x100_0000_01b3
            h2 = (h2 ^ UInt64(b)) &* 0x100_0000_01b3 ^ (h2 >> 29)
        }
        func hex(_ v: UInt64) -> String { let s = String(v, radix: 16); return String(repeating: "0", count: 16 - s.count) + s }
        return hex(h1) + hex(h2)
    }
}

/// Whole file, or nil.
func readFile(_ path: String) -> [UInt8]? {
    guard let f = fopen(path, "rb") else { return nil }
    defer { fclose(f) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = fread(&chunk, 1, chunk.count, f)
        if n > 0 { out.append(contentsOf: chunk[0..<n]) }
        if n < chunk.count { break }
    }
    return ferror(f) == 0 ? out : nil
}

/// mkdir -p of `dir`, write to `path.tmp.<pid>`, rename to `path`. False on any failure.
func writeFileAtomically(dir: String, path: String, _ bytes: [UInt8]) -> Bool {
    var prefix = ""
    for (i, part) in dir.split(separator: "/", omittingEmptySubsequences: false).enumerated() {
        prefix += (i == 0 ? "" : "/") + part
        if !prefix.isEmpty { _ = mkdir(prefix, 0o755) }
    }
    let tmp = "\(path).tmp.\(getpid())"
    guard let f = fopen(tmp, "wb") else { return false }
    let n = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, bytes.count, f) }
    let closed = fclose(f) == 0
    guard n == bytes.count, closed, rename(tmp, path) == 0 else { unlink(tmp); return false }
    return true
}
