import Foundation

/// Paths of the package, its fetched models (`scripts/fetch-models.sh`) and the shared models.
enum TestPaths {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let miniLM = root + "/.models/all-MiniLM-L6-v2"
    static let gpt2 = root + "/../shared/models/gpt2-kjvwiki-6l"
}

/// Runs the built `lowbit` binary, the one `swift build` / `swift test` put beside the test bundle.
enum CLI {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String

        /// stdout parsed as one JSON object (nil when it is not exactly that).
        var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any]
        }
    }

    /// The `lowbit` executable in the build products directory of this test bundle.
    static var binary: String {
        #if os(Linux)
        let bundle = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        #else
        let bundle = Bundle.main.bundleURL
        #endif
        var dir = bundle.deletingLastPathComponent()
        // On macOS the test bundle sits inside Contents/MacOS of an .xctest directory.
        while !FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent("lowbit").path) && dir.path != "/" {
            dir = dir.deletingLastPathComponent()
        }
        return dir.appendingPathComponent("lowbit").path
    }

    /// Runs `lowbit args…` to completion.
    static func run(_ args: [String], environment: [String: String] = [:]) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Read both pipes before waiting, so a full pipe cannot stall the child.
        let group = DispatchGroup()
        nonisolated(unsafe) var errData = Data()
        DispatchQueue.global().async(group: group) { errData = err.fileHandleForReading.readDataToEndOfFile() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    /// A fresh temporary directory path (not created).
    static func temporaryPath(_ tag: String) -> String {
        NSTemporaryDirectory() + "lowbit-cli-\(tag)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }
}
