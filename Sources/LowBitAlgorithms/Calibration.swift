import Foundation
import LowBitCore
import LowBitModels
import LowBitTokenizers

/// The inputs each linear site saw while the float model ran on calibration sequences.
///
/// `inputs[name]`: x: [rows, inFeatures], the site's input rows in execution order (sequences
/// in order, tokens in order), at most `maxRows` per site (the first ones). Deterministic.
public struct CalibrationData: Sendable {
    public let inputs: [String: Tensor]
    /// Token sequences that were run.
    public let sequenceCount: Int

    public init(inputs: [String: Tensor], sequenceCount: Int) {
        self.inputs = inputs
        self.sequenceCount = sequenceCount
    }

    /// Runs the float `model` on `sequences` (`batchSize` sequences per forward pass) with every
    /// site in `sites` (default: all, the head only if `includeHead`) wrapped in an observing op,
    /// and restores the original ops afterwards (also on error).
    public static func capture(model: any LayeredModel, sequences: [[Int32]], sites: Set<String>? = nil,
                               includeHead: Bool = false, maxRows: Int = 4096, batchSize: Int = 8) throws -> CalibrationData {
        let all = model.linearSites()
        var observers: [String: ObservingLinear] = [:]
        for site in all where sites?.contains(site.name) ?? (site.role != .head || includeHead) {
            observers[site.name] = ObservingLinear(site.op, maxRows: maxRows)
        }
        let runHead = observers["head"] != nil
        for site in all { if let o = observers[site.name] { try model.replaceLinear(named: site.name, with: o) } }
        defer { for site in all where observers[site.name] != nil { try? model.replaceLinear(named: site.name, with: site.op) } }
        for start in stride(from: 0, to: sequences.count, by: max(1, batchSize)) {
            let chunk = Array(sequences[start..<min(sequences.count, start + max(1, batchSize))])
            let batch = TokenBatch(sequences: chunk)
            guard batch.tokenCount > 0 else { continue }
            var h = try model.embed(batch)
            for i in 0..<model.blockCount { h = model.runBlock(i, hidden: h, batch: batch) }
            if runHead { _ = model.finalOutput(h) }
        }
        var inputs: [String: Tensor] = [:]
        for (name, o) in observers { if let t = o.collected() { inputs[name] = t } }
        return CalibrationData(inputs: inputs, sequenceCount: sequences.count)
    }
}

/// A `LinearOp` that forwards to `inner` and keeps a copy of its first `maxRows` input rows.
public final class ObservingLinear: LinearOp, @unchecked Sendable {
    public let inner: any LinearOp
    public let maxRows: Int
    private let lock = NSLock()
    private var chunks: [Tensor] = []
    private var rows = 0

    public init(_ inner: any LinearOp, maxRows: Int) {
        self.inner = inner
        self.maxRows = maxRows
    }

    public var inFeatures: Int { inner.inFeatures }
    public var outFeatures: Int { inner.outFeatures }

    /// x: [tokens, inFeatures] → inner's output, unchanged.
    public func forward(_ x: Tensor) -> Tensor {
        let n = x.count / max(inFeatures, 1)
        lock.lock()
        let take = min(n, maxRows - rows)
        if take > 0 {
            chunks.append(x.reshaped([n, inFeatures]).rows(0, take).copy())
            rows += take
        }
        lock.unlock()
        return inner.forward(x)
    }

    /// All kept rows: [rows, inFeatures], or nil if none.
    public func collected() -> Tensor? {
        lock.lock()
        defer { lock.unlock() }
        guard rows > 0 else { return nil }
        let out = Tensor(zeros: [rows, inFeatures])
        var offset = 0
        for c in chunks {
            (out.pointer + offset).update(from: c.pointer, count: c.count)
            offset += c.count
        }
        return out
    }
}

/// Calibration token sequences cut from a text (use the *-train files only).
public enum CalibrationText {
    /// The documents of `text`: parts between blank lines, trimmed, empty ones dropped.
    public static func documents(_ text: String) -> [String] {
        text.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n\n")
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }

    /// `count` sequences of exactly `length` tokens: documents taken with an even stride over
    /// the file (so the sample spans it), each tokenized with the tokenizer's special tokens and
    /// followed by `separator` if given, concatenated, and cut into consecutive pieces.
    /// Fewer sequences come back when the text is too short. Deterministic.
    public static func sequences(text: String, tokenizer: any Tokenizer, count: Int, length: Int,
                                 separator: Int32? = nil) -> [[Int32]] {
        let docs = documents(text)
        guard !docs.isEmpty, count > 0, length > 0 else { return [] }
        let needed = count * length
        let step = max(1, docs.count / max(1, count * 4))
        // Visit order 0, step, 2·step, …, then 1, 1 + step, …: spread over the file first.
        let order = (0..<step).lazy.flatMap { stride(from: $0, to: docs.count, by: step) }
        var stream: [Int32] = []
        for i in order where stream.count < needed {
            stream += tokenizer.encode(docs[i], addSpecialTokens: true, parseSpecialTokens: false).map { Int32($0) }
            if let separator { stream.append(separator) }
        }
        let n = min(count, stream.count / length)
        return (0..<n).map { Array(stream[($0 * length)..<(($0 + 1) * length)]) }
    }

    /// Reads `path` and cuts sequences (see `sequences(text:tokenizer:count:length:separator:)`).
    public static func sequences(path: String, tokenizer: any Tokenizer, count: Int, length: Int,
                                 separator: Int32? = nil) throws -> [[Int32]] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return sequences(text: text, tokenizer: tokenizer, count: count, length: length, separator: separator)
    }
}
