import Foundation

/// Sentiment classification from embeddings (Pang-Lee): five-fold nearest-centroid accuracy,
/// fold k = the sentences whose 0-based index i has i mod 5 = k (`tools/reference/minilm_eval.py`).
public struct SentimentTask: Sendable {
    public var items: [LabelledData.LabelledText]
    public var folds: Int

    public init(items: [LabelledData.LabelledText], folds: Int = 5) {
        self.items = items
        self.folds = folds
    }

    /// Loads `sentiment-pang-lee.tsv` from `dataDirectory`.
    public init(dataDirectory: String, folds: Int = 5) throws(EvalError) {
        self.init(items: try LabelledData.labelledTexts((dataDirectory as NSString).appendingPathComponent(LabelledData.FileName.sentiment)),
                  folds: folds)
    }

    /// - Throws: `EvalError.invalidInput` for fewer items than folds, fewer than 2 folds, or a
    ///   single class.
    public func run(model: any TextEmbedder, progress: Bool = false) throws -> SentimentResult {
        guard folds >= 2, items.count >= folds else {
            throw EvalError(.invalidInput, "\(items.count) sentences for \(folds) folds; need at least as many sentences as folds (≥ 2)")
        }
        guard Set(items.map(\.label)).count >= 2 else { throw EvalError(.invalidInput, "all sentences have the same label") }
        let started = Date()
        let vectors = try Embeddings.embed(items.map(\.text), with: model, name: "model", progress: progress)
        let (accuracy, perFold) = Metrics.nearestCentroidAccuracy(vectors, labels: items.map(\.label), folds: folds)
        return SentimentResult(accuracy: accuracy, foldAccuracies: perFold, sentences: items.count,
                               seconds: Date().timeIntervalSince(started))
    }
}

/// What `lowbit eval --task sentiment` reports.
public struct SentimentResult: Codable, Equatable, Sendable {
    /// Mean of the per-fold accuracies.
    public var accuracy: Double
    public var foldAccuracies: [Double]
    public var sentences: Int
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case accuracy, foldAccuracies = "fold_accuracies", sentences, seconds
    }
}
