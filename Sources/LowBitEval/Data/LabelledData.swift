/// Loaders for the labelled evaluation sets in `shared/data/labelled` (formats in its README).
/// Each throws `EvalError` naming the file and line of malformed input.
public enum LabelledData {
    /// File names inside the labelled-data directory.
    public enum FileName {
        public static let lee50Documents = "lee50-docs.txt"
        public static let lee50Similarities = "lee50-similarities.txt"
        public static let wordSim353 = "wordsim353.tsv"
        public static let simLex999 = "simlex999.tsv"
        public static let sentiment = "sentiment-pang-lee.tsv"
    }

    /// Non-blank lines, stripped (Python `[l.strip() for l in f if l.strip()]`): the Lee-50
    /// documents, and the sentences of an embedding-fidelity file.
    public static func nonBlankLines(_ path: String) throws(EvalError) -> [String] {
        TextFile.lines(try TextFile.read(path)).map { TextFile.pythonStrip($0.text) }.filter { !$0.isEmpty }
    }

    /// A square matrix of whitespace-separated numbers, one row a line (numpy `loadtxt`); blank
    /// lines are skipped. The Lee-50 human ratings: [50][50], upper triangle used.
    /// - Parameter size: the number of rows and of values per row required.
    public static func matrix(_ path: String, size: Int) throws(EvalError) -> [[Double]] {
        var rows: [[Double]] = []
        for (number, line) in TextFile.lines(try TextFile.read(path)) {
            let fields = line.split(whereSeparator: { TextFile.isPythonSpace($0.unicodeScalars.first!) })
            if fields.isEmpty { continue }
            guard fields.count == size else {
                throw EvalError(.malformed, path: path, line: number, "\(fields.count) values, expected \(size)")
            }
            rows.append(try fields.map { f throws(EvalError) in try parseNumber(f, path: path, line: number) })
        }
        guard rows.count == size else { throw EvalError(.malformed, path: path, "\(rows.count) rows, expected \(size)") }
        return rows
    }

    /// A word pair with its mean human similarity rating.
    public struct WordPair: Sendable, Equatable {
        public var first: String
        public var second: String
        public var score: Double
    }

    /// `word1<TAB>word2<TAB>score` lines (WordSim-353, SimLex-999); `#` lines are comments and
    /// blank lines are skipped.
    public static func wordPairs(_ path: String) throws(EvalError) -> [WordPair] {
        var pairs: [WordPair] = []
        for (number, line) in TextFile.lines(try TextFile.read(path)) {
            if line.hasPrefix("#") || TextFile.pythonStrip(line).isEmpty { continue }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map { TextFile.pythonStrip($0) }
            guard fields.count == 3 else {
                throw EvalError(.malformed, path: path, line: number, "\(fields.count) tab-separated fields, expected 3 (word, word, score)")
            }
            guard !fields[0].isEmpty, !fields[1].isEmpty else { throw EvalError(.malformed, path: path, line: number, "empty word") }
            pairs.append(WordPair(first: fields[0], second: fields[1], score: try parseNumber(fields[2], path: path, line: number)))
        }
        guard !pairs.isEmpty else { throw EvalError(.malformed, path: path, "no word pairs") }
        return pairs
    }

    /// A labelled sentence.
    public struct LabelledText: Sendable, Equatable {
        public var label: Int
        public var text: String
    }

    /// `label<TAB>text` lines after a `label<TAB>text` header (the Pang-Lee file); the text is
    /// everything after the first tab. Labels must be 0 or 1.
    public static func labelledTexts(_ path: String) throws(EvalError) -> [LabelledText] {
        let lines = TextFile.lines(try TextFile.read(path))
        guard let header = lines.first, header.text == "label\ttext" else {
            throw EvalError(.malformed, path: path, line: 1, "expected the header \"label<TAB>text\"")
        }
        var items: [LabelledText] = []
        for (number, line) in lines.dropFirst() {
            guard let tab = line.firstIndex(of: "\t") else {
                throw EvalError(.malformed, path: path, line: number, "no tab between label and text")
            }
            guard let label = Int(line[..<tab]), label == 0 || label == 1 else {
                throw EvalError(.malformed, path: path, line: number, "label \"\(line[..<tab])\" is not 0 or 1")
            }
            items.append(LabelledText(label: label, text: String(line[line.index(after: tab)...])))
        }
        return items
    }

    /// A finite decimal number, or an error naming the field.
    private static func parseNumber<S: StringProtocol>(_ field: S, path: String, line: Int) throws(EvalError) -> Double {
        guard let v = Double(String(field)), v.isFinite else {
            throw EvalError(.malformed, path: path, line: line, "\"\(field)\" is not a number")
        }
        return v
    }
}
