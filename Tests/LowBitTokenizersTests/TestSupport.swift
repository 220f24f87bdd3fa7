import Foundation
import LowBitIO
import Testing

/// Paths of the real models and shared data the tokenizer tests use.
enum Paths {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let models = root + "/.models"
    static let shared = root + "/../shared"
    static let miniLM = models + "/all-MiniLM-L6-v2"
    static let smolLM2 = models + "/SmolLM2-135M-Instruct.Q4_1.gguf"
    static let gpt2 = shared + "/models/gpt2-kjvwiki-6l"

    /// Fails the test (rather than skipping it) when a model file is missing.
    static func require(_ path: String) throws -> String {
        guard FileManager.default.fileExists(atPath: path) else {
            Issue.record("missing \(path): run `bash scripts/fetch-models.sh` (and keep ../shared beside the repository)")
            throw CancellationError()
        }
        return path
    }

    static func fixture<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
        guard let url = Bundle.module.url(forResource: "Fixtures/" + name, withExtension: nil) else {
            Issue.record("fixture \(name) not found in the test bundle (regenerate: python3 scripts/make_tokenizer_fixtures.py)")
            throw CancellationError()
        }
        return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
    }

    static func tempDir() -> String {
        let d = NSTemporaryDirectory() + "lowbit-tok-test-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }
}

/// Byte-exact string equality (Swift's `==` is canonical equivalence, too lenient here).
func sameBytes(_ a: String, _ b: String) -> Bool { a.utf8.elementsEqual(b.utf8) }

/// A short, printable rendering of a fixture text for failure messages.
func show(_ s: String) -> String {
    let d = s.unicodeScalars.prefix(60).map { $0.isASCII && $0.value >= 0x20 ? String($0) : "\\u{\(String($0.value, radix: 16))}" }.joined()
    return "\"\(d)\(s.unicodeScalars.count > 60 ? "…" : "")\""
}

/// Runs `body`, expecting a `ModelFileError` of `kind` whose description contains `fragment`.
func expectModelFileError(_ kind: ModelFileError.Kind, containing fragment: String,
                          sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected a \(kind) error mentioning \"\(fragment)\", got none", sourceLocation: sourceLocation)
    } catch let error as ModelFileError {
        #expect(error.kind == kind, "error: \(error)", sourceLocation: sourceLocation)
        #expect(error.description.contains(fragment), "error: \(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected a ModelFileError, got \(error)", sourceLocation: sourceLocation)
    }
}

/// `bert_minilm.json`, written by scripts/make_tokenizer_fixtures.py.
struct BertFixture: Decodable {
    struct Case: Decodable {
        let text: String
        let ids: [Int]
        let ids16: [Int]
        let ids128: [Int]?
        let idsNoSpecial: [Int]?
        let decoded: String
        enum CodingKeys: String, CodingKey { case text, ids, ids16, ids128, idsNoSpecial = "ids_no_special", decoded }
    }
    struct Pair: Decodable {
        let a, b: String
        let ids, ids16, ids128: [Int]
        let typeIDs, typeIDs16, typeIDs128: [Int]
        enum CodingKeys: String, CodingKey {
            case a, b, ids, ids16, ids128, typeIDs = "type_ids", typeIDs16 = "type_ids16", typeIDs128 = "type_ids128"
        }
    }
    struct BatchItem: Decodable {
        let text: String
        let ids, attentionMask, typeIDs: [Int]
        enum CodingKeys: String, CodingKey { case text, ids, attentionMask = "attention_mask", typeIDs = "type_ids" }
    }
    let cases: [Case]
    let pairs: [Pair]
    let batch: [BatchItem]
}

/// `gpt2_kjvwiki.json` and `smollm2.json`.
struct BPEFixture: Decodable {
    struct Case: Decodable {
        let text: String
        let ids: [Int]
        let idsNoSpecial: [Int]?
        /// HF's decode(ids) when it is not `text` (a byte the vocabulary lacks was dropped).
        let decoded: String?
        enum CodingKeys: String, CodingKey { case text, ids, idsNoSpecial = "ids_no_special", decoded }
    }
    let cases: [Case]
}
