import Foundation
import LowBitCore
import LowBitIO
import LowBitModels
import LowBitQuant
import LowBitTokenizers
import Testing

/// A fresh temporary directory (the parent of the quantized directory a test writes).
func quantTempDir(_ tag: String) -> String {
    let dir = NSTemporaryDirectory() + "lowbit-qdir-\(tag)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

enum QuantTestSupport {
    static let recipe = Data(#"{"name":"test-mix","weights":{"bits":8,"granularity":"per-channel"},"note":"opaque to the format"}"#.utf8)

    /// `site`'s float weight quantized under `scheme`, with `input` activations.
    static func quantized(_ site: LinearSite, _ scheme: QuantScheme, _ input: ActivationQuantizer) throws -> QuantizedLinear {
        let f = site.floatLinear!
        let w = try QuantizedWeight(quantizing: f.weight, scheme: scheme, name: site.name)
        return try QuantizedLinear(weight: w, bias: f.bias, input: input, name: site.name)
    }

    /// An OCS-style widened layer: input columns `dup` are split in two halves (scale ½ each).
    static func ocs(_ site: LinearSite, dup: [Int], _ scheme: QuantScheme) throws -> QuantizedLinear {
        let f = site.floatLinear!
        let out = f.outFeatures, n = f.inFeatures, width = n + dup.count
        let map = (0..<Int32(n)).map { $0 } + dup.map { Int32($0) }
        var scales = [Float](repeating: 1, count: width)
        for (k, c) in dup.enumerated() { scales[c] = 0.5; scales[n + k] = 0.5 }
        let src = f.weight.toArray()
        var w = [Float](repeating: 0, count: out * width)
        for o in 0..<out { for k in 0..<width { w[o * width + k] = src[o * n + Int(map[k])] } }
        let qw = try QuantizedWeight(quantizing: Tensor(shape: [out, width], values: w), scheme: scheme, name: site.name)
        return try QuantizedLinear(weight: qw, bias: f.bias, input: .dynamicPerToken(bits: .int8), inFeatures: n,
                                   inputChannels: map, inputScales: scales, name: site.name)
    }

    static let int8PerChannel = QuantScheme(bits: .int8, granularity: .perChannel)
    static let int4Group32Asym = QuantScheme(bits: .int4, mapping: .asymmetric, granularity: .perGroup(size: 32))
    static let int4Group32Affine = QuantScheme(bits: .int4, mapping: .affine, granularity: .perGroup(size: 32))

    /// The GPT-2 reference model with a mix of every storage kind.
    static func mixedGPT2() throws -> DecoderModel {
        let model = try DecoderModel.load(.open(TestPaths.gpt2))
        try model.mapLinears { site in
            switch site.name {
            case "layers.0.attn_out": return try quantized(site, int4Group32Asym, .none)
            case "layers.0.mlp_in": return try quantized(site, int4Group32Asym, .dynamicPerToken(bits: .int8))
            case "layers.0.mlp_out": return site.op  // kept float
            case "layers.1.qkv": return try ocs(site, dup: [5, 17, 100], int8PerChannel)
            case "layers.1.attn_out":
                let act = try ActivationQuantizer.staticPerTensor(range: QuantRange(lower: -3.1, upper: 2.7), bits: .int8, mapping: .asymmetric)
                return try quantized(site, QuantScheme(bits: .int6, granularity: .perGroup(size: 64)), act)
            case "layers.2.mlp_out": return try quantized(site, QuantScheme(bits: .int3, granularity: .perGroup(size: 32)), .none)
            case "layers.2.qkv": return try quantized(site, int4Group32Affine, .dynamicPerToken(bits: .int8))
            case "layers.3.mlp_in": return try quantized(site, QuantScheme(bits: .int8, mapping: .affine, granularity: .perChannel), .none)
            case "head": return site.op  // tied, float
            default: return try quantized(site, int8PerChannel, .dynamicPerToken(bits: .int8))
            }
        }
        return model
    }

    /// Rewrites `dir/model.safetensors` through `transform` (nil drops a tensor).
    static func rewriteWeights(_ dir: String, _ transform: (SafeTensorsWriter.Entry) -> SafeTensorsWriter.Entry?) throws {
        let path = dir + "/model.safetensors"
        let f = try SafeTensorsFile(path: path)
        let entries = f.tensors.compactMap { t in
            transform(SafeTensorsWriter.Entry(name: t.name, dtype: t.dtype, shape: t.shape, bytes: Data(f.rawBytes(of: t))))
        }
        try SafeTensorsWriter.write(entries, to: path + ".new")
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.moveItem(atPath: path + ".new", toPath: path)
    }
}

@Suite(.serialized) struct QuantizedDirectoryTests {
    typealias S = QuantTestSupport

    /// GPT-2 with int8 per-channel + dynamic int8 activations, int4/int3 groups (packed), int6,
    /// a static activation quantizer, an OCS map, a float site and a tied float head: written,
    /// reloaded, the logits are the same bits, the manifest says what each site is.
    @Test func gpt2RoundTripIsBitIdentical() throws {
        let model = try S.mixedGPT2()
        let tokens: [Int32] = [17, 400, 1203, 9, 88, 2047, 31, 5, 600, 4000, 77, 12]
        let before = try model.logits(tokens: tokens, cache: nil).toArray()
        let parent = quantTempDir("gpt2")
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let dir = parent + "/gpt2-q"
        let report = Data(#"{"sites":3,"sqnr":[31.5,22.25]}"#.utf8)
        try QuantizedModelDirectory.write(model: model, source: .open(TestPaths.gpt2), recipe: S.recipe, report: report, to: dir)
        #expect(QuantizedModelDirectory.isQuantized(dir))
        #expect(!QuantizedModelDirectory.isQuantized(TestPaths.gpt2))
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: dir))
        #expect(files.isSuperset(of: ["config.json", "model.safetensors", "quantization.json", "tokenizer.json"]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent) == ["gpt2-q"])

        let loaded = try QuantizedModelDirectory.load(dir)
        let reloaded = try #require(loaded.decoder)
        let after = try reloaded.logits(tokens: tokens, cache: nil).toArray()
        #expect(bitwiseEqual(before, after))
        // Incremental decoding works on the reloaded model too.
        let cache = reloaded.makeCache()
        _ = try reloaded.logits(tokens: Array(tokens.prefix(7)), cache: cache)
        let last = try reloaded.lastLogits(tokens: Array(tokens.suffix(5)), cache: cache)
        #expect(maxAbsDiff(last, Array(after.suffix(reloaded.vocabularySize))) < 1e-3)

        let m = loaded.manifest
        #expect(m.formatVersion == 1 && m.architecture == "gpt2" && m.source.format == "safetensors")
        #expect(m.source.files.first?.sha256.count == 64)
        #expect(try JSONValue(data: S.recipe) == m.recipe)
        #expect(try JSONValue(data: report) == m.report)
        func site(_ n: String) -> QuantizationManifest.Site { m.sites.first { $0.name == n }! }
        #expect(site("layers.0.qkv").storage == .int8 && site("layers.0.qkv").activation == .dynamicPerToken(bits: .int8))
        #expect(site("layers.0.attn_out").storage == .int4 && site("layers.0.attn_out").scheme == S.int4Group32Asym)
        #expect(site("layers.2.mlp_out").storage == .int4)
        #expect(site("layers.2.qkv").storage == .int4 && site("layers.2.qkv").scheme == S.int4Group32Affine)
        #expect(site("layers.3.mlp_in").storage == .int8 && site("layers.3.mlp_in").scheme?.mapping == .affine)
        // Affine sites store their minimums and no zero points (those are implied).
        let names = Set(try SafeTensorsFile(path: dir + "/model.safetensors").tensors.map(\.name))
        #expect(names.isSuperset(of: ["layers.2.qkv.mins", "layers.3.mlp_in.mins", "layers.0.attn_out.zeros"]))
        #expect(!names.contains("layers.2.qkv.zeros") && !names.contains("layers.0.attn_out.mins"))
        #expect(site("layers.1.attn_out").storage == .int8)
        #expect(site("layers.0.mlp_out").storage == .float32)
        #expect(site("head").storage == .tiedEmbeddings && site("head").bytes == 0)
        #expect(site("layers.1.qkv").hasInputChannels && site("layers.1.qkv").storedInFeatures == 384 + 3)
        // Ops are rebuilt with the same parameters.
        for (a, b) in zip(model.linearSites(), reloaded.linearSites()) {
            if let qa = a.op as? QuantizedLinear {
                let qb = try #require(b.op as? QuantizedLinear)
                #expect(qa.weight == qb.weight && qa.input == qb.input && qa.inputChannels == qb.inputChannels
                         && qa.inputScales == qb.inputScales, "\(a.name)")
            } else {
                #expect(b.op is FloatLinear, "\(a.name)")
            }
        }
        // The tokenizer comes along.
        let tok = try TokenizerLoader.load(modelPath: dir), ref = try TokenizerLoader.load(modelPath: TestPaths.gpt2)
        #expect(tok.encode("In the beginning God created the heaven") == ref.encode("In the beginning God created the heaven"))
    }

    /// MiniLM (BERT): sentence embeddings of the reloaded model are the same bits.
    @Test func miniLMRoundTripIsBitIdentical() throws {
        let model = try BertModel.load(.open(TestPaths.miniLM))
        try model.mapLinears { site in
            site.name == "layers.3.mlp_in" ? try S.quantized(site, S.int4Group32Asym, .dynamicPerToken(bits: .int8))
                : try S.quantized(site, S.int8PerChannel, .dynamicPerToken(bits: .int8))
        }
        let parent = quantTempDir("minilm")
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let dir = parent + "/minilm-q"
        try QuantizedModelDirectory.write(model: model, source: .open(TestPaths.miniLM), recipe: S.recipe, report: nil, to: dir)
        let loaded = try QuantizedModelDirectory.load(dir)
        let reloaded = try #require(loaded.encoder)
        #expect(loaded.manifest.report == nil && loaded.manifest.sites.count == 24)
        let tok = Models.miniLMTokenizer
        let texts = ["A man is playing a guitar.", "Quantized encoders should embed sentences the same way after a reload."]
        let a = try SentenceEmbedder(model: model, tokenize: { tok.encode($0) }).embed(texts)
        let b = try SentenceEmbedder(model: reloaded, tokenize: { tok.encode($0) }).embed(texts)
        for (x, y) in zip(a, b) { #expect(bitwiseEqual(x, y)) }
        let dirTok = try TokenizerLoader.load(modelPath: dir)
        #expect(dirTok is WordPieceTokenizer)
        #expect(dirTok.encode(texts[0]) == tok.encode(texts[0]))
    }

    /// SmolLM2 from GGUF: config.json written from the GGUF metadata, tokenizer.gguf holding the
    /// tokenizer.* keys (same ids, same chat template), logits the same bits.
    @Test func smolLMFromGGUFRoundTrip() throws {
        let source = try ModelSource.open(TestPaths.smolLM)
        let model = try DecoderModel.load(source)
        try model.mapLinears { site in
            switch site.role {
            case .head: return site.op
            case .mlpIn: return try S.quantized(site, S.int4Group32Affine, .none)
            case .mlpOut: return try S.quantized(site, S.int4Group32Asym, .none)
            default: return try S.quantized(site, S.int8PerChannel, .dynamicPerToken(bits: .int8))
            }
        }
        let tokens: [Int32] = [1, 504, 3458, 314, 260, 1345, 30]
        let before = try model.logits(tokens: tokens, cache: nil).toArray()
        let parent = quantTempDir("smol")
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let dir = parent + "/smol-q"
        try QuantizedModelDirectory.write(model: model, source: source, recipe: S.recipe, report: nil, to: dir)
        #expect(FileManager.default.fileExists(atPath: dir + "/tokenizer.gguf"))
        #expect(try ModelConfig.load(configJSON: dir + "/config.json") == source.config)
        // Q4_1-derived affine (and here asymmetric) scales are F16 values: stored as F16
        // (lossless); INT8 per-channel scales max|w|/127 are not: F32.
        let dtypes = Dictionary(uniqueKeysWithValues: try SafeTensorsFile(path: dir + "/model.safetensors").tensors.map { ($0.name, $0.dtype) })
        #expect(dtypes["layers.0.mlp_in.scales"] == .f16 && dtypes["layers.0.mlp_in.mins"] == .f16)
        #expect(dtypes["layers.0.qkv.scales"] == .f32)
        let loaded = try QuantizedModelDirectory.load(dir)
        #expect(loaded.manifest.source.format == "gguf v3" && loaded.manifest.tokenizer == ["tokenizer.gguf"])
        let after = try #require(loaded.decoder).logits(tokens: tokens, cache: nil).toArray()
        #expect(bitwiseEqual(before, after))

        let tok = try TokenizerLoader.load(modelPath: dir)
        for text in ["Hello, world!", "What is the capital of France?\n  Indentation\tand émojis 🙂", "<|im_start|>user\nhi<|im_end|>"] {
            #expect(tok.encode(text) == Models.smolLMTokenizer.encode(text), "\(text)")
        }
        #expect(try ChatTemplate.load(modelPath: dir) == ChatTemplate.load(modelPath: TestPaths.smolLM))
    }

    // MARK: - Errors

    /// A small all-int8 GPT-2 directory for the error tests.
    static func writeInt8GPT2(_ dir: String) throws {
        let model = try DecoderModel.load(.open(TestPaths.gpt2))
        try model.mapLinears { site in
            site.name == "layers.0.mlp_in" ? try S.quantized(site, S.int4Group32Asym, .none)
                : try S.quantized(site, S.int8PerChannel, .none)
        }
        try QuantizedModelDirectory.write(model: model, source: .open(TestPaths.gpt2), recipe: S.recipe, to: dir)
    }

    /// Missing, mis-shaped, mistyped, out-of-range and truncated tensors, unknown versions and
    /// broken manifests all give typed errors naming the file and tensor.
    @Test func corruptDirectoriesGiveTypedErrors() throws {
        let parent = quantTempDir("errors")
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let good = parent + "/good"
        try Self.writeInt8GPT2(good)
        var n = 0
        func copy() throws -> String {
            n += 1
            let d = parent + "/bad\(n)"
            try FileManager.default.copyItem(atPath: good, toPath: d)
            return d
        }
        func loadError(_ dir: String) -> ModelError? {
            do { _ = try QuantizedModelDirectory.load(dir); return nil } catch { return error }
        }
        _ = try QuantizedModelDirectory.load(good)

        var d = try copy()
        try S.rewriteWeights(d) { $0.name == "layers.2.qkv.scales" ? nil : $0 }
        #expect(loadError(d) == .missingTensor(name: "layers.2.qkv.scales", path: d + "/model.safetensors"))

        d = try copy()
        try S.rewriteWeights(d) { e in
            guard e.name == "layers.0.mlp_in.zeros" else { return e }
            return .init(name: e.name, dtype: .i8, shape: [e.shape[1], e.shape[0]], bytes: e.bytes)
        }
        guard case .wrongShape(name: "layers.0.mlp_in.zeros", _, _, _)? = loadError(d) else {
            Issue.record("wrong shape: \(String(describing: loadError(d)))"); return
        }

        d = try copy()
        try S.rewriteWeights(d) { e in
            guard e.name == "layers.1.qkv.qweight" else { return e }
            return .init(name: e.name, dtype: .u8, shape: e.shape, bytes: e.bytes)
        }
        #expect(loadError(d)?.description.contains("layers.1.qkv.qweight is U8, expected I8") == true)

        d = try copy()
        try S.rewriteWeights(d) { e in  // code −128 is outside symmetric int8's −127...127
            guard e.name == "layers.1.qkv.qweight" else { return e }
            var b = e.bytes
            b[b.startIndex + 3] = 0x80
            return .init(name: e.name, dtype: e.dtype, shape: e.shape, bytes: b)
        }
        #expect(loadError(d)?.description.contains("layers.1.qkv.qweight") == true)

        d = try copy()
        let weights = d + "/model.safetensors"
        let size = try FileManager.default.attributesOfItem(atPath: weights)[.size] as! Int
        truncate(weights, off_t(size - 1000))
        guard case .file(let fe)? = loadError(d), fe.kind == .malformed, fe.path == weights else {
            Issue.record("truncated: \(String(describing: loadError(d)))"); return
        }

        d = try copy()
        let extra = d + "/model.safetensors"
        let file = try SafeTensorsFile(path: extra)
        var entries = file.tensors.map { t in
            SafeTensorsWriter.Entry(name: t.name, dtype: t.dtype, shape: t.shape, bytes: Data(file.rawBytes(of: t)))
        }
        entries.append(.init(name: "layers.0.qkv.stray", dtype: .f32, shape: [1], bytes: Data(count: 4)))
        try SafeTensorsWriter.write(entries, to: extra)
        #expect(loadError(d)?.description.contains("layers.0.qkv.stray") == true)

        let manifestCases: [(String, (String) -> String, ModelFileError.Kind)] = [
            ("version", { $0.replacingOccurrences(of: "\"format_version\" : 1", with: "\"format_version\" : 99") }, .unsupported),
            ("json", { String($0.dropLast(20)) }, .malformed),
            ("site", { $0.replacingOccurrences(of: "\"layers.4.mlp_out\"", with: "\"layers.4.mlp_gate\"") }, .malformed),
            ("scheme", { $0.replacingOccurrences(of: "\"storage\" : \"int8\"", with: "\"storage\" : \"int4\"") }, .malformed),
        ]
        for (what, edit, kind) in manifestCases {
            d = try copy()
            let path = d + "/quantization.json"
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let edited = edit(text)
            #expect(edited != text, "\(what): edit did not apply")
            try edited.write(toFile: path, atomically: true, encoding: .utf8)
            guard let e = loadError(d) else { Issue.record("\(what): loaded"); continue }
            switch e {
            case .file(let fe): #expect(fe.kind == kind && fe.path.hasPrefix(d), "\(what): \(fe)")
            case .wrongShape, .missingTensor: #expect(what == "scheme", "\(what): \(e)")
            default: Issue.record("\(what): \(e)")
            }
        }

        d = try copy()
        try FileManager.default.removeItem(atPath: d + "/quantization.json")
        #expect(!QuantizedModelDirectory.isQuantized(d))
        guard case .file(let missing)? = loadError(d), missing.kind == .notFound else { Issue.record("no manifest"); return }

        d = try copy()
        try FileManager.default.removeItem(atPath: d + "/config.json")
        guard case .file(let noConfig)? = loadError(d), noConfig.kind == .notFound else { Issue.record("no config"); return }
    }

    /// Affine minimums are checked on load: a missing `S.mins` and a non-finite one give typed
    /// errors naming the tensor.
    @Test func affineMinimumsAreValidatedOnLoad() throws {
        let parent = quantTempDir("affine")
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let good = parent + "/good"
        let model = try DecoderModel.load(.open(TestPaths.gpt2))
        try model.mapLinears { site in site.role == .head ? site.op : try S.quantized(site, S.int4Group32Affine, .none) }
        try QuantizedModelDirectory.write(model: model, source: .open(TestPaths.gpt2), recipe: S.recipe, to: good)
        func loadError(_ dir: String) -> ModelError? {
            do { _ = try QuantizedModelDirectory.load(dir); return nil } catch { return error }
        }
        #expect(loadError(good) == nil)
        let missing = parent + "/missing", nan = parent + "/nan"
        try FileManager.default.copyItem(atPath: good, toPath: missing)
        try S.rewriteWeights(missing) { $0.name == "layers.1.mlp_out.mins" ? nil : $0 }
        #expect(loadError(missing) == .missingTensor(name: "layers.1.mlp_out.mins", path: missing + "/model.safetensors"))
        try FileManager.default.copyItem(atPath: good, toPath: nan)
        try S.rewriteWeights(nan) { e in
            guard e.name == "layers.1.mlp_out.mins" else { return e }
            var b = e.bytes
            withUnsafeBytes(of: Float.nan.bitPattern) { b.replaceSubrange(b.startIndex + 8..<b.startIndex + 12, with: $0) }
            return .init(name: e.name, dtype: e.dtype, shape: e.shape, bytes: b)
        }
        let e = loadError(nan)
        #expect(e?.description.contains("layers.1.mlp_out.mins") == true && e?.description.contains("minimum must be finite") == true,
                "\(String(describing: e))")
    }

    /// A failed write leaves no directory and no temporary behind; a non-empty directory is
    /// only replaced with `overwrite`.
    @Test func failedWriteLeavesNothingBehind() throws {
        let parent = quantTempDir("atomic")
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let model = try DecoderModel.load(.open(TestPaths.gpt2))
        try model.replaceLinear(named: "layers.3.mlp_out", with: CountingLinear(model.linearSites()[15].op))
        let dir = parent + "/q"
        #expect(throws: ModelError.self) {
            try QuantizedModelDirectory.write(model: model, source: .open(TestPaths.gpt2), recipe: S.recipe, to: dir)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent).isEmpty)
        #expect(throws: ModelFileError.self) {
            try QuantizedModelDirectory.write(model: model, source: .open(TestPaths.gpt2), recipe: Data("{not json".utf8), to: dir)
        }
        #expect(throws: ModelError.self) {  // a model of another family than the source
            try QuantizedModelDirectory.write(model: Models.gpt2, source: .open(TestPaths.miniLM), recipe: S.recipe, to: dir)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent).isEmpty)

        let fine = try DecoderModel.load(.open(TestPaths.gpt2))
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        try Data("keep".utf8).write(to: URL(fileURLWithPath: dir + "/notes.txt"))
        #expect(throws: ModelFileError.self) {
            try QuantizedModelDirectory.write(model: fine, source: .open(TestPaths.gpt2), recipe: S.recipe, to: dir)
        }
        #expect(FileManager.default.fileExists(atPath: dir + "/notes.txt"))
        try QuantizedModelDirectory.write(model: fine, source: .open(TestPaths.gpt2), recipe: S.recipe, to: dir, overwrite: true)
        #expect(!FileManager.default.fileExists(atPath: dir + "/notes.txt"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent) == ["q"])
        // An all-float model is a valid (if pointless) quantized directory.
        let loaded = try QuantizedModelDirectory.load(dir)
        #expect(loaded.manifest.sites.allSatisfy { $0.storage == .float32 || $0.storage == .tiedEmbeddings })
        #expect(bitwiseEqual(try loaded.decoder!.logits(tokens: [1, 2, 3], cache: nil).toArray(),
                             try fine.logits(tokens: [1, 2, 3], cache: nil).toArray()))
    }
}
