import Foundation
import Testing

/// Paths of the real models and shared data the tests use.
enum TestFiles {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let models = root + "/.models"
    static let shared = root + "/../shared"
    static let smolLM2 = models + "/SmolLM2-135M-Instruct.Q4_1.gguf"
    static let miniLM = models + "/all-MiniLM-L6-v2"
    static let gpt2 = shared + "/models/gpt2-kjvwiki-6l"

    /// Fails the test (rather than skipping it) when a model is missing.
    static func require(_ path: String) throws -> String {
        guard FileManager.default.fileExists(atPath: path) else {
            Issue.record("missing \(path): run `bash scripts/fetch-models.sh` (and keep ../shared beside the repository)")
            throw CancellationError()
        }
        return path
    }

    static func fixture(_ name: String) throws -> Data {
        guard let url = Bundle.module.url(forResource: "Fixtures/" + name, withExtension: nil) else {
            Issue.record("fixture \(name) not found in the test bundle")
            throw CancellationError()
        }
        return try Data(contentsOf: url)
    }

    static func tempDir() -> String {
        let d = NSTemporaryDirectory() + "lowbit-test-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }
}
