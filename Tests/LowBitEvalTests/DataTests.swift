import Foundation
import LowBitTokenizers
import Testing
@testable import LowBitEval

/// Data files: the real ones parse; malformed ones give errors naming file and line.
@Suite struct DataTests {
    @Test func realLabelledFilesParse() throws {
        let dir = try Paths.require(Paths.labelled)
        let lee = try STSLee50Task(dataDirectory: dir)
        #expect(lee.documents.count == 50 && lee.ratings.count == 50)
        #expect(lee.pairs.count == 1225)
        #expect(lee.ratings[0][0] == 1 && lee.ratings[0][1] == 0.3 && lee.ratings[1][0] == 0)
        #expect(try WordSimilarityTask(dataset: .wordsim, dataDirectory: dir).pairs.count == 353)
        let simlex = try WordSimilarityTask(dataset: .simlex, dataDirectory: dir)
        #expect(simlex.pairs.count == 999)
        #expect(simlex.pairs[0] == LabelledData.WordPair(first: "old", second: "new", score: 1.58))
        let sentiment = try SentimentTask(dataDirectory: dir)
        #expect(sentiment.items.count == 200)
        #expect(sentiment.items[0] == LabelledData.LabelledText(label: 0, text: "simplistic , silly and tedious ."))
        #expect(Set(sentiment.items.map(\.label)) == [0, 1])
    }

    @Test func documentsSplitLikePython() {
        // Python: [d.strip() for d in t.split("\n\n") if d.strip()]
        #expect(Documents.split("a\n\nb") == ["a", "b"])
        #expect(Documents.split("a\n\n\nb") == ["a", "b"])
        #expect(Documents.split("a\n \nb\n") == ["a\n \nb"])  // " " between the newlines: no blank line
        #expect(Documents.split("\n\n  one\ntwo \n\n\n\n three\u{A0}\n") == ["one\ntwo", "three"])
        #expect(Documents.split("") == [] && Documents.split("\n\n\n") == [])
        #expect(Documents.split("x\u{1F}\n\ny") == ["x", "y"])
    }

    @Test func universalNewlines() throws {
        let p = Paths.write("crlf.txt", "a\r\n\r\nb\rc\n")
        #expect(try TextFile.read(p) == "a\n\nb\nc\n")
        #expect(Documents.split(try TextFile.read(p)) == ["a", "b\nc"])
    }

    @Test func kjvTokenStreamMatchesReference() throws {
        let f = try MetricsFixture.load().kjv_gpt2
        let tokenizer = try TokenizerLoader.load(modelPath: try Paths.require(Paths.gpt2))
        let text = try TextFile.read(try Paths.require(Paths.shared + "/data/text/kjv-valid.txt"))
        #expect(Documents.split(text).count == f.documents)
        let ids = PerplexityTask.tokens(of: text, tokenizer: tokenizer, endOfText: f.end_of_text)
        #expect(ids.count == f.count)
        #expect(ids.reduce(0) { $0 + Int($1) } == f.sum)
        #expect(Array(ids.prefix(16)) == f.first && Array(ids.suffix(16)) == f.last)
        let windows = PerplexityTask.windows(count: ids.count, context: 512)
        #expect(windows.count == f.windows_ctx512)
        #expect(windows.reduce(0) { $0 + $1.count - 1 } == f.scored_ctx512)
    }

    @Test func missingFiles() {
        let dir = Paths.tempDir()
        expectEvalError(.notFound, containing: "lee50-docs.txt: no such file") { _ = try STSLee50Task(dataDirectory: dir) }
        expectEvalError(.notFound, containing: "simlex999.tsv: no such file") { _ = try WordSimilarityTask(dataset: .simlex, dataDirectory: dir) }
        expectEvalError(.notFound, containing: "no such directory") { _ = try DataDirectory.labelled(explicit: dir + "/nope") }
        expectEvalError(.notFound, containing: "--data") { _ = try DataDirectory.labelled(explicit: nil, workingDirectory: dir + "/a/b") }
    }

    @Test func malformedMatrix() throws {
        let dir = Paths.tempDir()
        _ = Paths.write("lee50-docs.txt", "one\ntwo\n\nthree\n", in: dir)
        let sims = dir + "/lee50-similarities.txt"
        try! "1 0.5 0.2\n0 1 0.4\n".write(toFile: sims, atomically: true, encoding: .utf8)
        expectEvalError(.malformed, containing: "2 rows, expected 3") { _ = try STSLee50Task(dataDirectory: dir) }
        try! "1 0.5 0.2\n0 1\n0 0 1\n".write(toFile: sims, atomically: true, encoding: .utf8)
        expectEvalError(.malformed, containing: "lee50-similarities.txt:2: 2 values, expected 3") { _ = try STSLee50Task(dataDirectory: dir) }
        try! "1 0.5 0.2\n0 1 x\n0 0 1\n".write(toFile: sims, atomically: true, encoding: .utf8)
        expectEvalError(.malformed, containing: ":2: \"x\" is not a number") { _ = try STSLee50Task(dataDirectory: dir) }
        try! "1\t0.5 0.2\n\n0 1 nan\n0 0 1\n".write(toFile: sims, atomically: true, encoding: .utf8)
        expectEvalError(.malformed, containing: ":3: \"nan\" is not a number") { _ = try STSLee50Task(dataDirectory: dir) }
        try! "1 0.5 0.2\n0 1 0.4\n0 0 1\n".write(toFile: sims, atomically: true, encoding: .utf8)
        #expect(try STSLee50Task(dataDirectory: dir).pairs.map { [$0.0, $0.1] } == [[0, 1], [0, 2], [1, 2]])
    }

    @Test func malformedWordPairs() {
        let dir = Paths.tempDir()
        let p = Paths.write("wordsim353.tsv", "# comment\nlove\tsex\t6.77\ntiger\tcat\n", in: dir)
        expectEvalError(.malformed, containing: "wordsim353.tsv:3: 2 tab-separated fields") { _ = try LabelledData.wordPairs(p) }
        try! "a\tb\tmany\n".write(toFile: p, atomically: true, encoding: .utf8)
        expectEvalError(.malformed, containing: ":1: \"many\" is not a number") { _ = try LabelledData.wordPairs(p) }
        try! "# only comments\n\n".write(toFile: p, atomically: true, encoding: .utf8)
        expectEvalError(.malformed, containing: "no word pairs") { _ = try LabelledData.wordPairs(p) }
        try! "a\t\t1\n".write(toFile: p, atomically: true, encoding: .utf8)
        expectEvalError(.malformed, containing: ":1: empty word") { _ = try LabelledData.wordPairs(p) }
    }

    @Test func malformedSentiment() throws {
        let dir = Paths.tempDir()
        let p = Paths.write("sentiment-pang-lee.tsv", "0\tno header\n", in: dir)
        expectEvalError(.malformed, containing: "sentiment-pang-lee.tsv:1: expected the header") { _ = try LabelledData.labelledTexts(p) }
        try! "label\ttext\n1\tgood\t(tab kept)\n2\tbad label\n".write(toFile: p, atomically: true, encoding: .utf8)
        expectEvalError(.malformed, containing: ":3: label \"2\" is not 0 or 1") { _ = try LabelledData.labelledTexts(p) }
        try! "label\ttext\n1\tgood\t(tab kept)\nno tab\n".write(toFile: p, atomically: true, encoding: .utf8)
        expectEvalError(.malformed, containing: ":3: no tab") { _ = try LabelledData.labelledTexts(p) }
        try! "label\ttext\n1\tgood\t(tab kept)\n".write(toFile: p, atomically: true, encoding: .utf8)
        #expect(try LabelledData.labelledTexts(p) == [.init(label: 1, text: "good\t(tab kept)")])
    }

    @Test func invalidUTF8NamesTheLine() throws {
        let p = Paths.tempDir() + "/bad.txt"
        try Data([0x61, 0x0A, 0x62, 0x0A, 0xFF, 0x0A]).write(to: URL(fileURLWithPath: p))
        expectEvalError(.malformed, containing: "bad.txt:3: not valid UTF-8") { _ = try TextFile.read(p) }
    }

    @Test func dataDirectoryLookup() throws {
        let base = Paths.tempDir()
        let work = base + "/repo", labelled = base + "/shared/data/labelled"
        try FileManager.default.createDirectory(atPath: work + "/sub", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: labelled, withIntermediateDirectories: true)
        try "".write(toFile: work + "/Package.swift", atomically: true, encoding: .utf8)
        #expect(try DataDirectory.labelled(explicit: nil, workingDirectory: work) == labelled)
        // From a subdirectory only the package root finds it.
        #expect(DataDirectory.packageRoot(above: work + "/sub") == work)
        #expect(try DataDirectory.labelled(explicit: nil, workingDirectory: work + "/sub", packageRoots: [work]) == labelled)
        #expect(try DataDirectory.labelled(explicit: labelled) == labelled)
    }
}
