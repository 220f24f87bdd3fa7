import Foundation

/// How close a model's sentence embeddings are to a reference model's: the cosine between the
/// two embeddings of each sentence.
public struct EmbeddingFidelityTask: Sendable {
    public var sentences: [String]

    public init(sentences: [String]) {
        self.sentences = sentences
    }

    /// One sentence a line; lines are stripped and blank ones skipped.
    public init(sentencesFile path: String) throws(EvalError) {
        self.init(sentences: try LabelledData.nonBlankLines(path))
    }

    /// - Throws: `EvalError.invalidInput` for no sentences or embeddings of different dimensions.
    public func run(model: any TextEmbedder, reference: any TextEmbedder, progress: Bool = false) throws -> EmbeddingFidelityResult {
        guard !sentences.isEmpty else { throw EvalError(.invalidInput, "no sentences to embed") }
        let started = Date()
        let a = try Embeddings.embed(sentences, with: model, name: "model", progress: progress)
        let b = try Embeddings.embed(sentences, with: reference, name: "reference", progress: progress)
        guard a[0].count == b[0].count else {
            throw EvalError(.invalidInput, "embedding dimensions differ: model \(a[0].count), reference \(b[0].count)")
        }
        let cosines = zip(a, b).map { Metrics.cosine($0, $1) }
        return EmbeddingFidelityResult(
            cosineMean: Metrics.mean(cosines), cosineMin: cosines.min()!, sentences: sentences.count,
            seconds: Date().timeIntervalSince(started))
    }
}

/// What `lowbit eval --task embed-fidelity` reports.
public struct EmbeddingFidelityResult: Codable, Equatable, Sendable {
    /// Mean over sentences of the cosine between the model's and the reference's embedding.
    public var cosineMean: Double
    /// The smallest of those cosines.
    public var cosineMin: Double
    /// Number of sentences.
    public var sentences: Int
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case cosineMean = "cosine_mean", cosineMin = "cosine_min", sentences, seconds
    }
}
