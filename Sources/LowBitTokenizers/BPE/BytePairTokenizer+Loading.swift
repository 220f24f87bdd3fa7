import Foundation
import LowBitIO

extension BytePairTokenizer {
    /// Loads a Hugging Face `tokenizer.json` with a byte-level BPE model: no normalizer; a
    /// `ByteLevel` pre-tokenizer, alone or after `Digits` in a `Sequence`; a `ByteLevel` decoder;
    /// a post-processor that is absent, `ByteLevel`, or a template adding tokens around one sequence.
    /// Special-token ids come from `tokenizer_config.json` or `config.json` beside the file, when present.
    /// - Throws: `ModelFileError`: `.notFound`, `.malformed`, `.unsupported` (other components).
    public init(tokenizerJSON path: String) throws(ModelFileError) {
        try self.init(TokenizerJSONFile(path: path))
    }

    init(_ file: TokenizerJSONFile) throws(ModelFileError) {
        let path = file.path
        func unsupported(_ what: String) -> ModelFileError { ModelFileError(.unsupported, path: path, what) }
        guard try file.modelType() == "BPE" else { throw unsupported("model type \(try file.modelType()) is not BPE") }
        let m = try file.root.child("model")
        for key in ["continuing_subword_prefix", "end_of_word_suffix", "dropout"] where m.optional(key) != nil {
            throw unsupported("BPE \(key) is not supported")
        }
        if try m.bool("byte_fallback", default: false) { throw unsupported("BPE byte_fallback (SentencePiece-style) is not supported") }
        if let (type, _) = try file.component("normalizer") { throw unsupported("normalizer \(type) is not supported for byte-level BPE") }

        var merges: [(String, String)] = []
        for (k, v) in try m.array("merges").enumerated() {
            if let s = v.stringValue {
                let parts = s.unicodeScalars.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw m.fail("model.merges[\(k)] \"\(s)\" is not two tokens separated by one space") }
                merges.append((String(parts[0]), String(parts[1])))
            } else if let a = v.arrayValue, a.count == 2, let l = a[0].stringValue, let r = a[1].stringValue {
                merges.append((l, r))
            } else {
                throw m.fail("model.merges[\(k)] should be \"a b\" or [\"a\", \"b\"]")
            }
        }
        let model = try BPEModel(vocabulary: try file.denseVocabulary(m), merges: merges, unknownToken: try m.optionalString("unk_token"),
                                 fuseUnknown: try m.bool("fuse_unk", default: false), ignoreMerges: try m.bool("ignore_merges", default: false),
                                 source: path)
        let preTokenizer = try Self.preTokenizer(file)
        guard let (decoder, _) = try file.component("decoder"), decoder == "ByteLevel" else {
            throw unsupported("a byte-level BPE tokenizer needs the ByteLevel decoder")
        }
        let added = try file.addedTokens(normalizerIsIdentity: true)
        func idOf(_ token: String) -> Int? {
            added.first { $0.content.utf8.elementsEqual(token.utf8) }?.id ?? model.id(forToken: token)
        }
        var (prefix, suffix): ([Int], [Int]) = ([], [])
        if let (type, p) = try file.component("post_processor"), type != "ByteLevel" {
            guard type == "TemplateProcessing" else { throw unsupported("post_processor \(type) is not supported for byte-level BPE") }
            var seenSequence = false
            for item in try p.array("single") {
                guard let o = item.objectValue, o.pairs.count == 1, let body = o.pairs[0].value.objectValue else {
                    throw p.fail("post_processor.single has an item that is not {SpecialToken|Sequence: {...}}")
                }
                if o.pairs[0].key == "Sequence" { seenSequence = true; continue }
                guard o.pairs[0].key == "SpecialToken", let name = body["id"]?.stringValue, let id = idOf(name) else {
                    throw p.fail("post_processor.single has an unknown item")
                }
                if seenSequence { suffix.append(id) } else { prefix.append(id) }
            }
        }
        let dir = (path as NSString).deletingLastPathComponent
        let specials = try Self.specialTokens(directory: dir, idOf: idOf)
        self.init(preTokenizer: preTokenizer, model: model, addedTokens: added, specialTokens: specials, prefixIDs: prefix, suffixIDs: suffix)
    }

    private static func preTokenizer(_ file: TokenizerJSONFile) throws(ModelFileError) -> ByteLevelPreTokenizer {
        let path = file.path
        guard let (type, p) = try file.component("pre_tokenizer") else {
            throw ModelFileError(.unsupported, path: path, "a byte-level BPE tokenizer needs a ByteLevel pre_tokenizer")
        }
        var parts: [(String, JSONReader)] = [(type, p)]
        if type == "Sequence" {
            parts = []
            for (k, v) in try p.array("pretokenizers").enumerated() {
                guard let o = v.objectValue else { throw p.fail("pre_tokenizer.pretokenizers[\(k)] should be an object") }
                let r = JSONReader(path: path, object: o, at: "pre_tokenizer.pretokenizers[\(k)]")
                parts.append((try r.string("type"), r))
            }
        }
        var out = ByteLevelPreTokenizer()
        switch parts.map(\.0) {
        case ["ByteLevel"]: break
        case ["Digits", "ByteLevel"]:
            out.digits = try parts[0].1.bool("individual_digits", default: false) ? .individual : .contiguous
        default:
            throw ModelFileError(.unsupported, path: path, "pre_tokenizer \(parts.map(\.0)) is not supported (ByteLevel, or Digits then ByteLevel)")
        }
        let byteLevel = parts.last!.1
        out.addPrefixSpace = try byteLevel.bool("add_prefix_space", default: true)
        out.useRegex = try byteLevel.bool("use_regex", default: true)
        return out
    }

    /// BOS/EOS/UNK/PAD ids from `tokenizer_config.json` (token strings) or else `config.json` (ids).
    private static func specialTokens(directory: String, idOf: (String) -> Int?) throws(ModelFileError) -> SpecialTokens {
        var s = SpecialTokens()
        let tc = directory + "/tokenizer_config.json"
        if FileManager.default.fileExists(atPath: tc) {
            let r = try JSONParser.parseObject(file: tc, what: "tokenizer_config.json")
            func named(_ key: String) -> Int? {
                guard let v = r.optional(key) else { return nil }
                return (v.stringValue ?? v.objectValue?["content"]?.stringValue).flatMap(idOf)
            }
            s = SpecialTokens(bos: named("bos_token"), eos: named("eos_token"), unknown: named("unk_token"), padding: named("pad_token"))
        }
        let cj = directory + "/config.json"
        if FileManager.default.fileExists(atPath: cj) {
            let r = try JSONParser.parseObject(file: cj, what: "config.json")
            func id(_ key: String) -> Int? { r.optional(key)?.intValue }
            s.bos = s.bos ?? id("bos_token_id")
            s.eos = s.eos ?? id("eos_token_id")
            s.padding = s.padding ?? id("pad_token_id")
        }
        return s
    }

    /// Loads the tokenizer stored in a GGUF file's metadata (`tokenizer.ggml.model = "gpt2"`).
    ///
    /// `tokenizer.ggml.pre` picks the pre-tokenizer: `gpt2` is GPT-2's regex; `smollm` splits
    /// digits individually first (llama.cpp's regexes `\p{N}` then GPT-2's). Control tokens
    /// (token type 3) are special added tokens, user-defined ones (4) ordinary added tokens.
    /// BOS/EOS are added when `tokenizer.ggml.add_bos_token` / `add_eos_token` say so.
    public init(gguf g: GGUFFile) throws(ModelFileError) {
        let path = g.path
        let kind = try g.require("tokenizer.ggml.model", \.stringValue, as: "a string")
        guard kind == "gpt2" else {
            throw ModelFileError(.unsupported, path: path, "GGUF tokenizer model \(kind) is not supported (only byte-level BPE, gpt2)")
        }
        let pre = g.metadata["tokenizer.ggml.pre"]?.stringValue ?? "default"
        var preTokenizer = ByteLevelPreTokenizer()
        switch pre {
        case "gpt2": break
        case "smollm": preTokenizer.digits = .individual
        default:
            throw ModelFileError(.unsupported, path: path, "GGUF pre-tokenizer \(pre) is not supported (gpt2, smollm)")
        }
        let tokens = try g.require("tokenizer.ggml.tokens", \.stringArray, as: "a string array")
        let types = try g.metadata["tokenizer.ggml.token_type"].map { (v) throws(ModelFileError) -> [Int] in
            guard let a = v.intArray, a.count == tokens.count else {
                throw ModelFileError(.malformed, path: path, "tokenizer.ggml.token_type should be \(tokens.count) integers")
            }
            return a
        } ?? Array(repeating: 1, count: tokens.count)
        var merges: [(String, String)] = []
        for (k, s) in try g.require("tokenizer.ggml.merges", \.stringArray, as: "a string array").enumerated() {
            // llama.cpp splits at the first space after the first character.
            guard let cut = s.unicodeScalars.dropFirst().firstIndex(of: " ") else {
                throw ModelFileError(.malformed, path: path, "tokenizer.ggml.merges[\(k)] \"\(s)\" has no space")
            }
            merges.append((String(s.unicodeScalars[..<cut]), String(s.unicodeScalars[s.unicodeScalars.index(after: cut)...])))
        }
        let model = try BPEModel(vocabulary: tokens, merges: merges, source: path)
        let added = tokens.indices.compactMap { i in
            types[i] == 3 || types[i] == 4 ? AddedToken(content: tokens[i], id: i, special: types[i] == 3) : nil
        }
        func id(_ key: String) throws(ModelFileError) -> Int? {
            guard let v = g.metadata[key] else { return nil }
            guard let i = v.intValue, tokens.indices.contains(i) else {
                throw ModelFileError(.malformed, path: path, "\(key) = \(v) is not a token id")
            }
            return i
        }
        let specials = SpecialTokens(bos: try id("tokenizer.ggml.bos_token_id"), eos: try id("tokenizer.ggml.eos_token_id"),
                                     unknown: try id("tokenizer.ggml.unknown_token_id"), padding: try id("tokenizer.ggml.padding_token_id"))
        let addBOS = g.metadata["tokenizer.ggml.add_bos_token"]?.boolValue ?? false
        let addEOS = g.metadata["tokenizer.ggml.add_eos_token"]?.boolValue ?? false
        self.init(preTokenizer: preTokenizer, model: model, addedTokens: added, specialTokens: specials,
                  prefixIDs: addBOS ? specials.bos.map { [$0] } ?? [] : [], suffixIDs: addEOS ? specials.eos.map { [$0] } ?? [] : [])
    }
}
