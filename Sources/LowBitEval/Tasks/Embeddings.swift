/// Embedding many texts in batches, with progress and output checks.
enum Embeddings {
    /// Texts per `embed` call: small enough for the progress bar to move, large enough to batch.
    static let batchSize = 16

    /// texts: [n] → [n][dim], the same dim for every text.
    /// - Throws: `EvalError.badModelOutput` when the embedder returns the wrong number of vectors,
    ///   vectors of different or zero dimension, or non-finite values; and what `embed` throws.
    static func embed(_ texts: [String], with embedder: any TextEmbedder, name: String, progress: Bool) throws -> [[Float]] {
        let bar = ProgressBar("embed (\(name))", total: texts.count, enabled: progress)
        defer { bar.finish() }
        var out: [[Float]] = []
        out.reserveCapacity(texts.count)
        for start in stride(from: 0, to: texts.count, by: batchSize) {
            let batch = Array(texts[start..<min(start + batchSize, texts.count)])
            let vectors = try embedder.embed(batch)
            guard vectors.count == batch.count else {
                throw EvalError(.badModelOutput, "the \(name) returned \(vectors.count) embeddings for \(batch.count) texts")
            }
            out += vectors
            bar.advance(by: batch.count)
        }
        let dim = out.first?.count ?? 0
        for (i, v) in out.enumerated() {
            guard v.count == dim, dim > 0 else {
                throw EvalError(.badModelOutput, "the \(name)'s embedding of text \(i) has \(v.count) values; the first had \(dim)")
            }
            guard v.allSatisfy(\.isFinite) else {
                throw EvalError(.badModelOutput, "the \(name)'s embedding of text \(i) has non-finite values")
            }
        }
        return out
    }
}
