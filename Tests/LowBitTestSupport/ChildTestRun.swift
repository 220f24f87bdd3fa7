import Foundation

/// Runs this test executable again in a child process — only `test` (a Swift Testing filter such
/// as "Suite/function"), with `environment` added and the path of a fresh temporary file in
/// `outputVariable` — and returns the child's exit status and what it wrote to that file (nil if
/// nothing). Used by the thread-determinism tests, which need a process started with another
/// LOWBIT_THREADS. Linux only (the executable is found through /proc/self/exe).
public func runTestInChildProcess(_ test: String, environment: [String: String],
                                  outputVariable: String) throws -> (status: Int32, output: Data?) {
    let out = FileManager.default.temporaryDirectory
        .appendingPathComponent("lowbit-child-\(getpid())-\(UUID().uuidString).out")
    defer { try? FileManager.default.removeItem(at: out) }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    p.arguments = ["--testing-library", "swift-testing", "--filter", test]
    var env = ProcessInfo.processInfo.environment
    env.merge(environment) { _, new in new }
    env[outputVariable] = out.path
    p.environment = env
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    return (p.terminationStatus, try? Data(contentsOf: out))
}
