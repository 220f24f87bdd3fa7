import Foundation
import LowBitCore
import LowBitIO
import LowBitQuant

/// A self-describing quantized model on disk (the layout is documented in docs/format.md):
///
/// ```
/// DIR/
///   config.json          HF config of the family (copied, or written from a GGUF's metadata)
///   model.safetensors    float tensors under canonical names + each site's codes, scales, zero points
///   quantization.json    format version, source, recipe, per-site storage (`QuantizationManifest`)
///   tokenizer.json | vocab.txt | tokenizer.gguf | tokenizer_config.json | ...
/// ```
///
/// `write` builds the directory under a temporary name beside `DIR` and renames it at the end,
/// so a failed write leaves nothing behind; `load` rebuilds the model with every site's op
/// (`QuantizedLinear` or `FloatLinear`) and gives the same numbers as the model that was written.
public enum QuantizedModelDirectory {
    public static let manifestFile = "quantization.json"
    public static let weightsFile = "model.safetensors"
    public static let configFile = "config.json"
    public static let tokenizerGGUF = "tokenizer.gguf"
    /// Version recorded in `quantization.json`.
    public static let lowbitVersion = "0.1.0"
    /// Tokenizer-side files copied from a Hugging Face source directory when present.
    public static let tokenizerFiles = ["tokenizer.json", "vocab.txt", "vocab.json", "merges.txt", "tokenizer_config.json",
                                        "special_tokens_map.json", "added_tokens.json", "generation_config.json"]

    /// Whether `path` is a directory holding `quantization.json`.
    public static func isQuantized(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else { return false }
        return FileManager.default.fileExists(atPath: path + "/" + manifestFile)
    }

    /// Writes `model` (loaded from `source`, its sites replaced by `QuantizedLinear` or left
    /// `FloatLinear`) as a quantized model directory at `dir`.
    ///
    /// - Parameters:
    ///   - recipe: the recipe as JSON (embedded in `quantization.json`; must be valid JSON).
    ///   - report: the quantization report as JSON, or nil.
    ///   - overwrite: replace an existing non-empty `dir` (an empty one is always replaced).
    /// - Throws: `ModelFileError` (.io when `dir` exists and is not empty without `overwrite`,
    ///   its parent is missing, or a write fails; .malformed for invalid recipe/report JSON),
    ///   `ModelError` (.unsupported for a site op the format cannot store, a model that does not
    ///   match `source`'s config). On any error nothing is left at `dir` or beside it.
    public static func write(model: any LayeredModel, source: ModelSource, recipe: Data, report: Data? = nil,
                             to dir: String, overwrite: Bool = false) throws {
        let target = (dir as NSString).standardizingPath
        let fm = FileManager.default
        var isDir: ObjCBool = false
        let exists = fm.fileExists(atPath: target, isDirectory: &isDir)
        if exists {
            guard isDir.boolValue else { throw ModelFileError(.io, path: target, "exists and is not a directory") }
            let contents = (try? fm.contentsOfDirectory(atPath: target)) ?? []
            guard contents.isEmpty || overwrite else {
                throw ModelFileError(.io, path: target, "directory exists and is not empty (pass overwrite to replace it)")
            }
        }
        // A bare name ("out") lives in the current directory.
        let parent = (target as NSString).deletingLastPathComponent.isEmpty ? "." : (target as NSString).deletingLastPathComponent
        guard fm.fileExists(atPath: parent, isDirectory: &isDir), isDir.boolValue else {
            throw ModelFileError(.notFound, path: target, "parent directory \(parent) does not exist")
        }
        let recipeJSON: JSONValue, reportJSON: JSONValue?
        do { recipeJSON = try JSONValue(data: recipe) } catch {
            throw ModelFileError(.malformed, path: target, "the recipe is not valid JSON")
        }
        do { reportJSON = try report.map { try JSONValue(data: $0) } } catch {
            throw ModelFileError(.malformed, path: target, "the report is not valid JSON")
        }
        let name = (target as NSString).lastPathComponent
        let tag = "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let tmp = parent + "/." + name + ".tmp-" + tag
        do { try fm.createDirectory(atPath: tmp, withIntermediateDirectories: false) } catch {
            throw ModelFileError(.io, path: tmp, "cannot create temporary directory: \(error.localizedDescription)")
        }
        do {
            try writeContents(model: model, source: source, recipe: recipeJSON, report: reportJSON, into: tmp)
            if exists {
                let old = parent + "/." + name + ".old-" + tag
                guard rename(target, old) == 0 else {
                    throw ModelFileError(.io, path: target, "cannot move the old directory aside: \(String(cString: strerror(errno)))")
                }
                guard rename(tmp, target) == 0 else {
                    let e = String(cString: strerror(errno))
                    _ = rename(old, target)
                    throw ModelFileError(.io, path: target, "cannot rename the temporary directory: \(e)")
                }
                try? fm.removeItem(atPath: old)
            } else {
                guard rename(tmp, target) == 0 else {
                    throw ModelFileError(.io, path: target, "cannot rename the temporary directory: \(String(cString: strerror(errno)))")
                }
            }
        } catch {
            try? fm.removeItem(atPath: tmp)
            throw error
        }
    }

    /// Everything but the final rename, into the (empty, temporary) directory `dir`.
    static func writeContents(model: any LayeredModel, source: ModelSource, recipe: JSONValue, report: JSONValue?,
                              into dir: String) throws {
        try checkModel(model, matches: source)
        // config.json: the source's own for an HF directory, else written from the typed config.
        let configPath = dir + "/" + configFile
        if case .huggingFace(let src, _, _) = source {
            try copyFile(src + "/" + configFile, to: configPath)
        } else {
            try AtomicFile.write(try source.config.huggingFaceJSONData(), to: configPath)
        }
        let reread = try ModelConfig.load(configJSON: configPath)
        guard reread == source.config else {
            throw ModelError.unsupported("config.json does not read back to the source's config", path: source.path)
        }
        let (entries, sites) = try SiteTensors.entries(of: model)
        try SafeTensorsWriter.write(entries, metadata: ["format": QuantizationManifest.formatName], to: dir + "/" + weightsFile)
        let tokenizer = try writeTokenizer(source: source, into: dir)
        let manifest = QuantizationManifest(
            format: QuantizationManifest.formatName, formatVersion: QuantizationManifest.currentVersion,
            lowbitVersion: lowbitVersion, created: ISO8601DateFormatter().string(from: Date()),
            architecture: source.config.architecture, source: try describe(source), recipe: recipe, report: report,
            weights: weightsFile, tokenizer: tokenizer, sites: sites)
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(try enc.encode(manifest), to: dir + "/" + manifestFile)
    }

    /// The model must be of the source's family and size.
    static func checkModel(_ model: any LayeredModel, matches source: ModelSource) throws(ModelError) {
        let c = source.config
        let (layers, hidden): (Int, Int)
        switch c {
        case .bert(let b): (layers, hidden) = (b.numLayers, b.hiddenSize)
        case .gpt2(let g): (layers, hidden) = (g.numLayers, g.hiddenSize)
        case .llama(let l): (layers, hidden) = (l.numLayers, l.hiddenSize)
        }
        let familyOK = (model is BertModel) == (c.architecture == "bert")
        guard familyOK, model.blockCount == layers, model.hiddenSize == hidden else {
            throw .unsupported("the model (\(type(of: model)), \(model.blockCount) blocks, hidden \(model.hiddenSize)) does not match the source's \(c.architecture) config", path: source.path)
        }
    }

    /// Copies the tokenizer files of an HF directory, or writes `tokenizer.gguf` from a GGUF's
    /// `tokenizer.*` metadata. Returns the file names written.
    static func writeTokenizer(source: ModelSource, into dir: String) throws -> [String] {
        switch source {
        case .huggingFace(let src, _, _):
            var written: [String] = []
            for f in tokenizerFiles where FileManager.default.fileExists(atPath: src + "/" + f) {
                try copyFile(src + "/" + f, to: dir + "/" + f)
                written.append(f)
            }
            return written
        case .gguf(let g, _):
            var meta: [(key: String, value: GGUFValue)] = []
            if let arch = g.metadata["general.architecture"] { meta.append(("general.architecture", arch)) }
            for k in g.metadataKeys where k.hasPrefix("tokenizer.") { meta.append((k, g.metadata[k]!)) }
            guard meta.contains(where: { $0.key.hasPrefix("tokenizer.") }) else { return [] }
            try GGUFWriter.write(metadata: meta, to: dir + "/" + tokenizerGGUF)
            return [tokenizerGGUF]
        }
    }

    static func describe(_ source: ModelSource) throws(ModelFileError) -> QuantizationManifest.Source {
        var files: [QuantizationManifest.Source.File] = []
        switch source {
        case .huggingFace(_, _, let st):
            for f in st {
                files.append(.init(name: (f.path as NSString).lastPathComponent, bytes: f.file.count,
                                   sha256: FileDigest.sha256(f.file.bytes)))
            }
        case .gguf(let g, _):
            files.append(.init(name: (g.path as NSString).lastPathComponent, bytes: g.file.count,
                               sha256: FileDigest.sha256(g.file.bytes)))
        }
        return .init(path: source.path, format: source.format, files: files)
    }

    static func copyFile(_ from: String, to: String) throws {
        guard let data = FileManager.default.contents(atPath: from) else {
            throw ModelFileError(.io, path: from, "cannot read")
        }
        try AtomicFile.write(data, to: to)
    }
}
