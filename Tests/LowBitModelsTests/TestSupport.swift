import Foundation
import LowBitCore
import LowBitIO
import LowBitModels
import LowBitTokenizers

/// Paths of the package, its fetched models (`scripts/fetch-models.sh`) and the shared models.
enum TestPaths {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let fixtures = root + "/Tests/LowBitModelsTests/Fixtures"
    static let miniLM = root + "/.models/all-MiniLM-L6-v2"
    static let smolLM = root + "/.models/SmolLM2-135M-Instruct.Q4_1.gguf"
    static let gpt2 = root + "/../shared/models/gpt2-kjvwiki-6l"
}

/// Models shared by all tests of the process (loading SmolLM2 dequantizes 135M weights).
enum Models {
    static let miniLM: BertModel = try! BertModel.load(ModelSource.open(TestPaths.miniLM))
    /// tokenizer.json truncates at 128; sentence-transformers overrides it with max_seq_length 256.
    static let miniLMTokenizer: WordPieceTokenizer = {
        var t = try! WordPieceTokenizer(tokenizerJSON: TestPaths.miniLM + "/tokenizer.json")
        t.truncation = Truncation(maxLength: 256)
        return t
    }()
    static let gpt2: DecoderModel = try! DecoderModel.load(ModelSource.open(TestPaths.gpt2))
    static let smolLM: DecoderModel = try! DecoderModel.load(ModelSource.open(TestPaths.smolLM))
    static let smolLMTokenizer: any Tokenizer = try! TokenizerLoader.load(modelPath: TestPaths.smolLM)

    static var embedder: SentenceEmbedder {
        let tok = miniLMTokenizer
        return SentenceEmbedder(model: miniLM, tokenize: { tok.encode($0) })
    }
}

/// A decoder golden file written by scripts/make_model_fixtures.py.
struct DecoderFixture: Decodable {
    struct Top: Decodable { var row: Int; var ids: [Int]; var logits: [Float] }
    var model: String
    var ids: [Int32]
    var top: [Top]
    var nextTokenLogProbs: [Double]
    var maxAbsLogit: Float

    static func load(_ name: String) throws -> DecoderFixture {
        try JSONDecoder().decode(DecoderFixture.self, from: Data(contentsOf: URL(fileURLWithPath: TestPaths.fixtures + "/" + name)))
    }
}

struct MiniLMFixture: Decodable {
    var maxLength: Int
    var sentences: [String]
    var ids: [[Int]]
    var embeddings: [[Float]]

    static func load() throws -> MiniLMFixture {
        try JSONDecoder().decode(MiniLMFixture.self, from: Data(contentsOf: URL(fileURLWithPath: TestPaths.fixtures + "/minilm.json")))
    }
}

/// log-softmax of one row, in Double.
func logSoftmax(_ row: [Float]) -> [Double] {
    let m = Double(row.max()!)
    let lse = m + log(row.reduce(0.0) { $0 + exp(Double($1) - m) })
    return row.map { Double($0) - lse }
}

func cosine(_ a: [Float], _ b: [Float]) -> Double {
    var ab = 0.0, aa = 0.0, bb = 0.0
    for i in a.indices {
        ab += Double(a[i]) * Double(b[i])
        aa += Double(a[i]) * Double(a[i])
        bb += Double(b[i]) * Double(b[i])
    }
    return ab / (aa.squareRoot() * bb.squareRoot())
}

func maxAbsDiff(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

func bitwiseEqual(_ a: [Float], _ b: [Float]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
}

/// Row `r` of a [rows, cols] tensor.
func row(_ t: Tensor, _ r: Int) -> [Float] { t.rows(r, 1).toArray() }
