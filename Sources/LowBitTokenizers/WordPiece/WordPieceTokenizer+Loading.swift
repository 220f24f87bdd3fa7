import Foundation
import LowBitIO

extension WordPieceTokenizer {
    /// Loads a Hugging Face `tokenizer.json` with a WordPiece model: `BertNormalizer` (or none),
    /// `BertPreTokenizer`, a `[CLS] A [SEP] (B [SEP])` template (`TemplateProcessing` or
    /// `BertProcessing`), its `added_tokens` and its truncation length. Padding settings are
    /// ignored (`EncodingBatch` pads).
    /// - Throws: `ModelFileError`: `.notFound`, `.malformed` (bad JSON, missing or mistyped
    ///   fields), `.unsupported` (components LowBit does not implement).
    public init(tokenizerJSON path: String) throws(ModelFileError) {
        let file = try TokenizerJSONFile(path: path)
        try self.init(file)
    }

    init(_ file: TokenizerJSONFile) throws(ModelFileError) {
        let path = file.path
        guard try file.modelType() == "WordPiece" else {
            throw ModelFileError(.unsupported, path: path, "model type \(try file.modelType()) is not WordPiece")
        }
        let m = try file.root.child("model")
        let model = try WordPieceModel(
            vocabulary: try file.denseVocabulary(m), unknownToken: try m.optionalString("unk_token") ?? "[UNK]",
            continuingSubwordPrefix: try m.optionalString("continuing_subword_prefix") ?? "##",
            maxInputCharactersPerWord: try m.int("max_input_chars_per_word", default: 100), source: path)

        var normalizer = BertNormalizer(cleanText: false, handleChineseCharacters: false, stripAccents: false, lowercase: false)
        if let (type, n) = try file.component("normalizer") {
            guard type == "BertNormalizer" else { throw ModelFileError(.unsupported, path: path, "normalizer \(type) is not supported (BertNormalizer)") }
            normalizer = BertNormalizer(cleanText: try n.bool("clean_text", default: true),
                                        handleChineseCharacters: try n.bool("handle_chinese_chars", default: true),
                                        stripAccents: try n.optionalBool("strip_accents"), lowercase: try n.bool("lowercase", default: true))
        }
        guard let (preType, _) = try file.component("pre_tokenizer"), preType == "BertPreTokenizer" else {
            throw ModelFileError(.unsupported, path: path, "a WordPiece tokenizer needs the BertPreTokenizer pre_tokenizer")
        }
        let identity = !normalizer.cleanText && !normalizer.handleChineseCharacters && !normalizer.lowercase && normalizer.stripAccents != true
        let added = try file.addedTokens(normalizerIsIdentity: identity)
        func idOf(_ token: String) -> Int? {
            added.first { $0.content.utf8.elementsEqual(token.utf8) }?.id ?? model.id(forToken: token)
        }
        let (cls, sep) = try Self.template(file, idOf)

        var truncation: Truncation?
        if let t = try file.root.optionalChild("truncation") {
            let strategy = try t.optionalString("strategy") ?? "LongestFirst"
            let direction = try t.optionalString("direction") ?? "Right"
            guard strategy == "LongestFirst", direction == "Right", try t.int("stride", default: 0) == 0 else {
                throw ModelFileError(.unsupported, path: path, "truncation \(strategy) \(direction) with a stride is not supported (LongestFirst, Right, stride 0)")
            }
            truncation = Truncation(maxLength: try t.int("max_length", default: 512))
        }
        var tokenizer = WordPieceTokenizer(
            normalizer: normalizer, model: model, addedTokens: added, classifierID: cls, separatorID: sep,
            specialTokens: SpecialTokens(unknown: model.unknownTokenID, padding: idOf("[PAD]"), classifier: cls, separator: sep, mask: idOf("[MASK]")),
            truncation: truncation)
        if let (type, d) = try file.component("decoder"), type == "WordPiece" {
            tokenizer.decoderCleanup = try d.bool("cleanup", default: true)
        }
        self = tokenizer
    }

    /// The `[CLS]` and `[SEP]` ids of a BERT post-processor; other templates are unsupported.
    private static func template(_ file: TokenizerJSONFile, _ idOf: (String) -> Int?) throws(ModelFileError) -> (Int, Int) {
        let path = file.path
        guard let (type, p) = try file.component("post_processor") else {
            throw ModelFileError(.unsupported, path: path, "a WordPiece tokenizer without a post_processor is not supported")
        }
        switch type {
        case "BertProcessing":
            let cls = try p.array("cls"), sep = try p.array("sep")
            guard cls.count == 2, sep.count == 2, let c = cls[1].intValue, let s = sep[1].intValue else {
                throw p.fail("post_processor.cls and .sep should be [token, id]")
            }
            return (c, s)
        case "TemplateProcessing":
            let single = try templateItems(p, "single"), pair = try templateItems(p, "pair")
            guard single.count == 3, !single[0].sequence, !single[2].sequence,
                  let cls = idOf(single[0].id), let sep = idOf(single[2].id),
                  single == [.init(sequence: false, id: single[0].id, typeID: 0), .init(sequence: true, id: "A", typeID: 0),
                             .init(sequence: false, id: single[2].id, typeID: 0)],
                  pair == single + [.init(sequence: true, id: "B", typeID: 1), .init(sequence: false, id: single[2].id, typeID: 1)]
            else {
                throw ModelFileError(.unsupported, path: path, "post_processor template is not BERT's [CLS] A [SEP] / [CLS] A [SEP] B [SEP]")
            }
            return (cls, sep)
        default:
            throw ModelFileError(.unsupported, path: path, "post_processor \(type) is not supported for WordPiece")
        }
    }

    /// One item of a `TemplateProcessing` template: `{"SpecialToken": {"id", "type_id"}}` or `{"Sequence": {...}}`.
    private struct TemplateItem: Equatable {
        let sequence: Bool
        let id: String
        let typeID: Int
    }

    private static func templateItems(_ p: JSONReader, _ key: String) throws(ModelFileError) -> [TemplateItem] {
        var out: [TemplateItem] = []
        for item in try p.array(key) {
            guard let o = item.objectValue, o.pairs.count == 1, let b = o.pairs[0].value.objectValue,
                  ["SpecialToken", "Sequence"].contains(o.pairs[0].key), let id = b["id"]?.stringValue else {
                throw p.fail("post_processor.\(key) has an item that is not {SpecialToken|Sequence: {id, type_id}}")
            }
            out.append(TemplateItem(sequence: o.pairs[0].key == "Sequence", id: id, typeID: b["type_id"]?.intValue ?? 0))
        }
        return out
    }

    /// Loads a BERT `vocab.txt` (one token a line, id = line number) and, when present, the
    /// `tokenizer_config.json` settings `do_lower_case`, `tokenize_chinese_chars`, `strip_accents`
    /// and the special-token strings. `configFile` nil looks for `tokenizer_config.json` beside
    /// the vocabulary. No truncation is set (transformers' tokenizers truncate only when asked).
    public init(vocabFile: String, configFile: String? = nil) throws(ModelFileError) {
        let file = try MappedFile(path: vocabFile)
        let text = String(decoding: file.bytes, as: UTF8.self)
        guard text.utf8.elementsEqual(file.bytes) else { throw ModelFileError(.malformed, path: vocabFile, "not valid UTF-8") }
        // Split bytes, not Characters ("\r\n" is one Character); drop a trailing "\r" per line.
        var lines = file.bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map { line in
            String(decoding: line.last == 0x0D ? line.dropLast() : line[...], as: UTF8.self)
        }
        if lines.last?.isEmpty == true { lines.removeLast() }
        guard !lines.isEmpty else { throw ModelFileError(.malformed, path: vocabFile, "the vocabulary is empty") }

        let configPath = configFile ?? (vocabFile as NSString).deletingLastPathComponent + "/tokenizer_config.json"
        var config: JSONReader?
        if configFile != nil || FileManager.default.fileExists(atPath: configPath) {
            config = try JSONParser.parseObject(file: configPath, what: "tokenizer_config.json")
        }
        func special(_ key: String, _ fallback: String) throws(ModelFileError) -> String {
            guard let v = config?.optional(key) else { return fallback }
            if let s = v.stringValue { return s }
            if let o = v.objectValue, let s = o["content"]?.stringValue { return s }
            throw ModelFileError(.malformed, path: configPath, "\(key) should be a string or {\"content\": ...}")
        }
        let lower = try config?.bool("do_lower_case", default: true) ?? true
        let normalizer = BertNormalizer(cleanText: true, handleChineseCharacters: try config?.bool("tokenize_chinese_chars", default: true) ?? true,
                                        stripAccents: try config?.optionalBool("strip_accents"), lowercase: lower)
        let model = try WordPieceModel(vocabulary: lines, unknownToken: try special("unk_token", "[UNK]"), continuingSubwordPrefix: "##",
                                       maxInputCharactersPerWord: 100, source: vocabFile)
        let names = [try special("pad_token", "[PAD]"), try special("unk_token", "[UNK]"), try special("cls_token", "[CLS]"),
                     try special("sep_token", "[SEP]"), try special("mask_token", "[MASK]")]
        guard let cls = model.id(forToken: names[2]), let sep = model.id(forToken: names[3]) else {
            throw ModelFileError(.malformed, path: vocabFile, "\(names[2]) or \(names[3]) is not in the vocabulary")
        }
        let added = names.compactMap { n in model.id(forToken: n).map { AddedToken(content: n, id: $0, special: true) } }
            .sorted { $0.id < $1.id }
        self.init(normalizer: normalizer, model: model, addedTokens: added, classifierID: cls, separatorID: sep,
                  specialTokens: SpecialTokens(unknown: model.unknownTokenID, padding: model.id(forToken: names[0]),
                                               classifier: cls, separator: sep, mask: model.id(forToken: names[4])),
                  truncation: nil)
    }
}
