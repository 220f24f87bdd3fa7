import Foundation
import Testing

/// `lowbit quantize --method lkd`: the trained-scale option end to end on the GPT-2 reference
/// model (2 steps per block on 2 short sequences: seconds), and its argument errors.
@Suite struct QuantizeLKDCommandTests {
    static let calibration = TestPaths.root + "/../shared/data/text/wiki-train.txt"

    /// --train weights+scales: the JSON report (also `quantization.json`) records the setting,
    /// the scale learning rate and every block's scale multipliers; the directory is written.
    @Test func trainedScalesRecorded() throws {
        let dir = CLI.temporaryPath("lkd-scales")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try CLI.run(["quantize", TestPaths.gpt2, "--recipe", "w4/8a8", "--method", "lkd", "--calibration", Self.calibration,
                             "--calibration-sequences", "2", "--seq-len", "16", "--steps", "2", "--batch", "1",
                             "--train", "weights+scales", "--scale-lr", "0.01", "--out", dir, "--json"])
        try #require(r.status == 0, "\(r.stderr)")
        let j = try #require(r.json, "stdout is one JSON object: \(r.stdout)")
        let d = try #require(j["distillation"] as? [String: Any])
        let options = try #require(d["options"] as? [String: Any])
        #expect(options["trained"] as? String == "weights+scales")
        #expect(options["scaleLearningRate"] as? Double == 0.01)
        let layers = try #require(d["layers"] as? [[String: Any]])
        #expect(layers.count == 6)
        for l in layers {
            let m = try #require(l["scaleMultiplier"] as? [String: Double], "\(l)")
            #expect(m["min"]! <= m["mean"]! && m["mean"]! <= m["max"]! && m["min"]! != m["max"]!)
        }
        let stored = try String(contentsOfFile: dir + "/quantization.json", encoding: .utf8)
        #expect(stored.contains("weights+scales") && stored.contains("scaleMultiplier"))
    }

    @Test func badTrainOption() throws {
        let dir = CLI.temporaryPath("lkd-bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try CLI.run(["quantize", TestPaths.gpt2, "--recipe", "w4/8a8", "--method", "lkd", "--calibration", Self.calibration,
                             "--calibration-sequences", "2", "--seq-len", "16", "--steps", "1", "--train", "scales", "--out", dir])
        #expect(r.status != 0)
        #expect(r.stderr.contains("weights+biases+scales"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir))
        let lr = try CLI.run(["quantize", TestPaths.gpt2, "--recipe", "w4/8a8", "--method", "lkd", "--calibration", Self.calibration,
                              "--calibration-sequences", "2", "--seq-len", "16", "--steps", "1", "--train", "weights+scales",
                              "--scale-lr", "0", "--out", dir])
        #expect(lr.status != 0)
        #expect(lr.stderr.contains("scale-lr"), "\(lr.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir))
    }
}
