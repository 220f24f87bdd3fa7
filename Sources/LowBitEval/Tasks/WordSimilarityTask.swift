import Foundation

/// Word similarity (WordSim-353, SimLex-999): Spearman correlation between the cosine of the two
/// words' embeddings (each word embedded alone, as a text) and the human rating.
public struct WordSimilarityTask: Sendable {
    /// The word-pair sets in the labelled-data directory.
    public enum Dataset: String, CaseIterable, Sendable {
        case wordsim, simlex

        /// The file name in the labelled-data directory.
        public var fileName: String {
            switch self {
            case .wordsim: LabelledData.FileName.wordSim353
            case .simlex: LabelledData.FileName.simLex999
            }
        }
    }

    public var pairs: [LabelledData.WordPair]

    public init(pairs: [LabelledData.WordPair]) {
        self.pairs = pairs
    }

    public init(dataset: Dataset, dataDirectory: String) throws(EvalError) {
        self.init(pairs: try LabelledData.wordPairs((dataDirectory as NSString).appendingPathComponent(dataset.fileName)))
    }

    /// The distinct words, in order of first appearance; each is embedded once.
    public var words: [String] {
        var seen = Set<String>(), out: [String] = []
        for p in pairs {
            for w in [p.first, p.second] where seen.insert(w).inserted { out.append(w) }
        }
        return out
    }

    public func run(model: any TextEmbedder, progress: Bool = false) throws -> CorrelationResult {
        guard pairs.count >= 2 else { throw EvalError(.invalidInput, "\(pairs.count) word pair(s); correlation needs at least 2") }
        let started = Date()
        let words = self.words
        let vectors = try Embeddings.embed(words, with: model, name: "model", progress: progress)
        let index = Dictionary(uniqueKeysWithValues: zip(words, vectors))
        return CorrelationResult(
            predicted: pairs.map { Metrics.cosine(index[$0.first]!, index[$0.second]!) }, human: pairs.map(\.score),
            seconds: Date().timeIntervalSince(started))
    }
}
