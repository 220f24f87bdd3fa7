import Dispatch
import Foundation
import LowBitEval
import LowBitModels

/// The inputs and the timing loop of `lowbit bench`: real text turned into token ids of exactly
/// the requested shapes, and latency statistics over repeated runs.
enum BenchWorkload {
    /// Used when no text file is given and `../shared/data/labelled/lee50-docs.txt` is not found.
    static let builtinText = """
        The committee met on Tuesday to review the budget for the coming year, and its members agreed that the \
        library, the swimming pool and the bus service would keep their funding.
        Heavy rain fell across the north of the country overnight, closing several roads and delaying trains \
        into the capital for most of the morning.
        Researchers at the university reported that the new vaccine protected nine in ten volunteers in a trial \
        that lasted eighteen months.
        The company said its profits had fallen by a third in the six months to June, blaming weaker demand \
        and the rising cost of energy.
        """

    /// The benchmark text as its non-empty lines, and where it came from: `explicit`, else the
    /// Lee-50 news documents beside the checkout, else `builtinText`.
    static func text(explicit: String?) throws -> (lines: [String], source: String) {
        if let explicit {
            guard FileManager.default.isReadableFile(atPath: explicit) else {
                throw BenchError("\(explicit): cannot read the file (missing or not readable)")
            }
            let lines = try readLines(explicit).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            guard !lines.isEmpty else { throw BenchError("\(explicit): the text file has no non-empty line") }
            return (lines, explicit)
        }
        let roots = [Bundle.main.executablePath, #filePath].compactMap { $0 }.compactMap(DataDirectory.packageRoot(above:))
        if let dir = try? DataDirectory.labelled(explicit: nil, packageRoots: roots) {
            let path = (dir as NSString).appendingPathComponent("lee50-docs.txt")
            if let lines = try? readLines(path).filter({ !$0.isEmpty }), !lines.isEmpty { return (lines, path) }
        }
        return (builtinText.split(separator: "\n").map(String.init), "built-in sample")
    }

    /// `count` ids read from `stream` starting at `start`, wrapping around at its end.
    /// stream: [n] (n ≥ 1) → [count]
    static func cycled(_ stream: [Int], from start: Int, count: Int) -> [Int] {
        (0..<count).map { stream[(start + $0) % stream.count] }
    }

    /// `batch` sequences of exactly `seq` ids each: `[CLS]`, `seq − 2` consecutive tokens of the
    /// text stream (each sequence continues where the previous one stopped), `[SEP]`. No padding,
    /// so every engine does the same work on every row.
    /// stream: [n] text token ids without special tokens → [batch][seq]
    static func encoderIDs(stream: [Int], cls: Int, sep: Int, batch: Int, seq: Int) -> [[Int]] {
        (0..<batch).map { b in [cls] + cycled(stream, from: b * (seq - 2), count: seq - 2) + [sep] }
    }

    /// Runs `body` `warmup` times untimed, then `repeats` times; `body` returns the seconds of
    /// each of its phases. Returns the samples per phase: [phases][repeats].
    static func measure(warmup: Int, repeats: Int, progress: ProgressBar, _ body: () throws -> [Double]) rethrows -> [[Double]] {
        for _ in 0..<warmup { _ = try body(); progress.advance() }
        var samples: [[Double]] = []
        for _ in 0..<repeats {
            let phases = try body()
            if samples.isEmpty { samples = phases.map { _ in [] } }
            for (i, t) in phases.enumerated() { samples[i].append(t) }
            progress.advance()
        }
        return samples
    }

    /// Seconds taken by `body`, on the monotonic clock.
    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let t0 = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
    }

    /// Index of the largest value (the first of equal ones). values: [n], n ≥ 1.
    static func argmax(_ values: [Float]) -> Int32 {
        var best = 0
        for i in values.indices where values[i] > values[best] { best = i }
        return Int32(best)
    }
}

/// Latency of one timed phase over the repeats, in milliseconds.
struct LatencyStats: Encodable, Equatable {
    let median_ms: Double
    let p10_ms: Double
    let p90_ms: Double
    let min_ms: Double
    let samples: Int

    /// seconds: [repeats], at least one sample.
    init(seconds: [Double]) {
        let s = seconds.sorted().map { $0 * 1e3 }
        median_ms = Self.quantile(s, 0.5)
        p10_ms = Self.quantile(s, 0.1)
        p90_ms = Self.quantile(s, 0.9)
        min_ms = s[0]
        samples = s.count
    }

    /// Quantile `q` of sorted values, linearly interpolated between the closest ranks
    /// (numpy's default): [1, 2, 3, 4] → q 0.5 = 2.5, q 0.1 = 1.3.
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        let pos = q * Double(sorted.count - 1)
        let lo = Int(pos.rounded(.down)), hi = min(lo + 1, sorted.count - 1)
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - Double(lo))
    }
}

/// A failure of `lowbit bench` that is the user's to fix (shape, model, engine): one line, exit 1.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
