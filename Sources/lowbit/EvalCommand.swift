import ArgumentParser
import Foundation
import LowBitEval

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a model: perplexity and KL, embedding fidelity, similarity, sentiment.",
        discussion: """
            ppl: perplexity over --text (blank-line-separated documents, each followed by the \
            end-of-text token, scored in non-overlapping windows of --ctx tokens whose first token \
            is context only). With --reference, also KL(reference || model) per token (mean, 99th \
            percentile) and top-1 agreement; both models need the same tokenizer.

            embed-fidelity: mean and min cosine between this model's and --reference's embeddings \
            of --sentences (one a line).

            sts-lee50: Pearson and Spearman of cosine vs human ratings over the 1225 Lee-50 pairs.

            wordsim, simlex: Spearman of the cosine of the two words' embeddings vs human ratings.

            sentiment: Pang-Lee five-fold nearest-centroid accuracy (fold k = lines i with i mod 5 = k).

            Labelled data comes from --data, else ../shared/data/labelled (from the working \
            directory, then from the package root).
            """)

    enum Task: String, ExpressibleByArgument, CaseIterable {
        case ppl, embedFidelity = "embed-fidelity", stsLee50 = "sts-lee50", wordsim, simlex, sentiment
    }

    @Argument(help: "Model directory or .gguf file.") var model: String
    @Option(help: "The evaluation to run.") var task: Task
    @Option(help: "Text file to score (ppl).") var text: String?
    @Option(help: "Window length in tokens (ppl; default: the model's context, at most 512).") var ctx: Int?
    @Option(help: "Score only the first N tokens of the text (ppl; for slow models; the JSON's tokens says how many were scored).") var maxTokens: Int?
    @Option(help: "Reference model (ppl: adds KL and top-1 agreement; embed-fidelity: required).") var reference: String?
    @Option(help: "Sentences, one a line (embed-fidelity).") var sentences: String?
    @Option(help: "Labelled-data directory (sts-lee50, wordsim, simlex, sentiment).") var data: String?
    @Option(help: "How a quantized directory runs: simulated (FP32 GEMMs on dequantized weights) or integer (INT8 kernels where the scheme allows).") var engine: Engine = .simulated
    @Flag(help: "Print one JSON object instead of text, and no progress bar.") var json = false

    func validate() throws {
        func only(_ value: Any?, _ flag: String, _ tasks: [Task]) throws {
            if value != nil && !tasks.contains(task) {
                throw ValidationError("\(flag) applies to --task \(tasks.map(\.rawValue).joined(separator: " / ")) only")
            }
        }
        try only(text, "--text", [.ppl])
        try only(ctx, "--ctx", [.ppl])
        try only(maxTokens, "--max-tokens", [.ppl])
        if let maxTokens, maxTokens < 2 { throw ValidationError("--max-tokens must be at least 2") }
        try only(reference, "--reference", [.ppl, .embedFidelity])
        try only(sentences, "--sentences", [.embedFidelity])
        try only(data, "--data", [.stsLee50, .wordsim, .simlex, .sentiment])
        if task == .ppl && text == nil { throw ValidationError("--task ppl needs --text FILE") }
        if let ctx, ctx < 2 { throw ValidationError("--ctx must be at least 2") }
        if task == .embedFidelity && (sentences == nil || reference == nil) {
            throw ValidationError("--task embed-fidelity needs --sentences FILE and --reference MODEL")
        }
    }

    func run() throws {
        let progress = !json
        switch task {
        case .ppl:
            let content = try TextFile.read(text!)
            let scorer = try openTokenScorer(model, engine: engine)
            let ref = try reference.map { try openTokenScorer($0) }
            var ids = PerplexityTask.tokens(of: content, tokenizer: try openTokenizer(model), endOfText: scorer.endOfTextToken)
            if let maxTokens, ids.count > maxTokens { ids = Array(ids[..<maxTokens]) }
            let context = ctx ?? PerplexityTask.defaultContext(model: scorer, reference: ref)
            let r = try PerplexityTask(context: context).run(tokens: ids, model: scorer, reference: ref, progress: progress)
            try report(r) {
                var lines = [String(format: "ppl %.4f  (%d tokens, %d windows of %d, %.1f s)", r.ppl, r.tokens, r.windows, r.ctx, r.seconds)]
                if let kl = r.klMean, let p99 = r.klP99, let top1 = r.top1Agreement, let refPPL = r.referencePpl {
                    lines.append(String(format: "reference ppl %.4f  KL mean %.6f  p99 %.6f  max %.6f  top-1 agreement %.2f%%",
                                        refPPL, kl, p99, r.klMax ?? .nan, 100 * top1))
                }
                return lines
            }
        case .embedFidelity:
            let fidelity = try EmbeddingFidelityTask(sentencesFile: sentences!)
            let r = try fidelity.run(model: try openTextEmbedder(model, engine: engine), reference: try openTextEmbedder(reference!), progress: progress)
            try report(r) { [String(format: "cosine mean %.6f  min %.6f  (%d sentences, %.1f s)", r.cosineMean, r.cosineMin, r.sentences, r.seconds)] }
        case .stsLee50:
            let sts = try STSLee50Task(dataDirectory: try dataDirectory())
            let r = try sts.run(model: try openTextEmbedder(model, engine: engine), progress: progress)
            try report(r) { [correlationLine(r)] }
        case .wordsim, .simlex:
            let dataset: WordSimilarityTask.Dataset = task == .wordsim ? .wordsim : .simlex
            let words = try WordSimilarityTask(dataset: dataset, dataDirectory: try dataDirectory())
            let r = try words.run(model: try openTextEmbedder(model, engine: engine), progress: progress)
            try report(r) { [correlationLine(r)] }
        case .sentiment:
            let sentiment = try SentimentTask(dataDirectory: try dataDirectory())
            let r = try sentiment.run(model: try openTextEmbedder(model, engine: engine), progress: progress)
            try report(r) {
                let folds = r.foldAccuracies.map { String(format: "%.3f", $0) }.joined(separator: " ")
                return [String(format: "accuracy %.4f  ", r.accuracy) + "(folds \(folds); \(r.sentences) sentences, "
                        + String(format: "%.1f s)", r.seconds)]
            }
        }
    }

    /// The labelled-data directory: --data, or found from the working directory or package root.
    private func dataDirectory() throws -> String {
        let roots = [Bundle.main.executablePath, #filePath].compactMap { $0 }.compactMap(DataDirectory.packageRoot(above:))
        return try DataDirectory.labelled(explicit: data, packageRoots: roots)
    }

    private func correlationLine(_ r: CorrelationResult) -> String {
        String(format: "spearman %.4f  pearson %.4f  (%d pairs, %.1f s)", r.spearman, r.pearson, r.pairs, r.seconds)
    }

    /// Prints `result` as one JSON object (non-finite numbers as the strings "nan", "inf",
    /// "-inf"), or the text lines.
    private func report<R: Encodable>(_ result: R, text: () -> [String]) throws {
        guard json else { text().forEach { print($0) }; return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        print(String(decoding: try encoder.encode(result), as: UTF8.self))
    }
}
