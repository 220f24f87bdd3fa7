import Foundation

/// Lee-50 semantic textual similarity: Pearson and Spearman correlation between the cosine of
/// two documents' embeddings and the human rating, over the pairs `i < j` (1225 for 50
/// documents), as `tools/reference/minilm_eval.py` computes them.
public struct STSLee50Task: Sendable {
    /// The documents: [n].
    public var documents: [String]
    /// Human ratings: [n][n]; only `ratings[i][j]` with `i < j` are used.
    public var ratings: [[Double]]

    /// - Precondition: `ratings` is `documents.count` × `documents.count`.
    public init(documents: [String], ratings: [[Double]]) {
        precondition(ratings.count == documents.count && ratings.allSatisfy { $0.count == documents.count },
                     "STSLee50Task: ratings must be \(documents.count) × \(documents.count)")
        self.documents = documents
        self.ratings = ratings
    }

    /// Loads `lee50-docs.txt` (non-blank lines) and `lee50-similarities.txt` (a square matrix of
    /// the same size) from `dataDirectory`.
    public init(dataDirectory: String) throws(EvalError) {
        let docsPath = (dataDirectory as NSString).appendingPathComponent(LabelledData.FileName.lee50Documents)
        let documents = try LabelledData.nonBlankLines(docsPath)
        guard documents.count >= 2 else { throw EvalError(.malformed, path: docsPath, "\(documents.count) documents; need at least 2") }
        let ratings = try LabelledData.matrix(
            (dataDirectory as NSString).appendingPathComponent(LabelledData.FileName.lee50Similarities), size: documents.count)
        self.init(documents: documents, ratings: ratings)
    }

    /// The `(i, j)` pairs scored: `i < j`, row by row.
    public var pairs: [(Int, Int)] {
        documents.indices.flatMap { i in (i + 1..<documents.count).map { (i, $0) } }
    }

    public func run(model: any TextEmbedder, progress: Bool = false) throws -> CorrelationResult {
        let started = Date()
        let e = try Embeddings.embed(documents, with: model, name: "model", progress: progress)
        let pairs = self.pairs
        return CorrelationResult(
            predicted: pairs.map { Metrics.cosine(e[$0.0], e[$0.1]) }, human: pairs.map { ratings[$0.0][$0.1] },
            seconds: Date().timeIntervalSince(started))
    }
}

/// What the similarity tasks (`sts-lee50`, `wordsim`, `simlex`) report: how the model's cosine
/// similarities correlate with human ratings.
public struct CorrelationResult: Codable, Equatable, Sendable {
    public var pearson: Double
    /// Spearman's ρ with average ranks for ties.
    public var spearman: Double
    /// Number of rated pairs.
    public var pairs: Int
    public var seconds: Double

    public init(pearson: Double, spearman: Double, pairs: Int, seconds: Double) {
        self.pearson = pearson
        self.spearman = spearman
        self.pairs = pairs
        self.seconds = seconds
    }

    /// Correlations of `predicted` with `human` (same count).
    public init(predicted: [Double], human: [Double], seconds: Double) {
        self.init(pearson: Metrics.pearson(predicted, human), spearman: Metrics.spearman(predicted, human),
                  pairs: predicted.count, seconds: seconds)
    }
}
