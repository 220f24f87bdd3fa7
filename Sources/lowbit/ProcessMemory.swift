import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's memory as the kernel counts it, for `lowbit bench`.
enum ProcessMemory {
    /// Resident set size now, in bytes (`VmRSS` in /proc/self/status), or nil where there is no
    /// procfs.
    static func residentBytes() -> Int? { statusField("VmRSS:") }

    /// High-water resident set size of the process so far, in bytes: `VmHWM` from
    /// /proc/self/status, else `getrusage`'s `ru_maxrss` (KiB on Linux, bytes on macOS).
    static func peakResidentBytes() -> Int {
        if let hwm = statusField("VmHWM:") { return hwm }
        var usage = rusage()
        #if canImport(Darwin)
        guard getrusage(RUSAGE_SELF, &usage) == 0 else { return 0 }
        return Int(usage.ru_maxrss)
        #else
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
        return Int(usage.ru_maxrss) * 1024
        #endif
    }

    /// A `kB` field of /proc/self/status ("VmHWM:    123456 kB") in bytes.
    private static func statusField(_ key: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(key) {
            let fields = line.dropFirst(key.count).split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let kib = fields.first.flatMap({ Int($0) }) else { return nil }
            return kib * 1024
        }
        return nil
    }

    /// Bytes on disk of a model's weights: the size of a .gguf file, or the sum of the
    /// `*.safetensors` files of a (Hugging Face or quantized) model directory.
    static func weightFileBytes(_ path: String) -> Int {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDir) else { return 0 }
        func size(_ p: String) -> Int { ((try? fm.attributesOfItem(atPath: p))?[.size] as? NSNumber)?.intValue ?? 0 }
        guard isDir.boolValue else { return size(path) }
        let names = (try? fm.contentsOfDirectory(atPath: path)) ?? []
        return names.filter { $0.hasSuffix(".safetensors") }.reduce(0) { $0 + size((path as NSString).appendingPathComponent($1)) }
    }
}
