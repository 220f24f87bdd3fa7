import Foundation
import Testing

/// `lowbit quantize --head`: a preset quantizes a decoder's (tied) LM head to 8-bit per-channel
/// codes with float inputs by default, `--head float` keeps it tied to the FP32 embedding, and
/// the integer engine runs the quantized head too (25 of 25 GPT-2 sites).
struct QuantizeHeadTests {
    /// The `head` site of a quantized directory's manifest.
    func headSite(_ dir: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/quantization.json"))
        let manifest = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let sites = try #require(manifest["sites"] as? [[String: Any]])
        return try #require(sites.first { $0["name"] as? String == "head" })
    }

    @Test(arguments: [([String](), "int8", 25), (["--head", "float"], "tied_embeddings", 24)])
    func presetHead(extra: [String], storage: String, integerSites: Int) throws {
        let dir = CLI.temporaryPath("head")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let q = try CLI.run(["quantize", TestPaths.gpt2, "--recipe", "w8a8", "--out", dir, "--json"] + extra)
        try #require(q.status == 0, "\(q.stderr)")
        let head = try headSite(dir)
        #expect(head["storage"] as? String == storage)
        if storage == "int8" {
            #expect((head["activation"] as? [String: Any])?["none"] != nil, "the head's inputs stay float: \(head)")
        }
        let r = try CLI.run(["bench", dir, "--prompt-tokens", "8", "--gen-tokens", "2", "--warmup", "0", "--repeats", "1",
                             "--engine", "integer", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("integer engine: \(integerSites)/\(integerSites) quantized sites"), "\(r.stderr)")
    }

    @Test func badHeadChoiceIsAUsageError() throws {
        let r = try CLI.run(["quantize", TestPaths.gpt2, "--recipe", "w8a8", "--out", CLI.temporaryPath("bad"), "--head", "int4"])
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stderr.contains("'int4' is invalid"), "\(r.stderr)")
    }
}
