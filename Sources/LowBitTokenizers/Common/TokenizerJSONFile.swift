import LowBitIO

/// A parsed Hugging Face `tokenizer.json`, with the parts both tokenizer kinds read.
struct TokenizerJSONFile {
    let path: String
    let root: JSONReader

    init(path: String) throws(ModelFileError) {
        self.path = path
        root = try JSONParser.parseObject(file: path, what: "tokenizer.json")
    }

    /// The model's `type` (`WordPiece`, `BPE`, …). Older files have no `type`; like Hugging Face
    /// it is then inferred from the fields: `merges` means BPE, `max_input_chars_per_word` WordPiece.
    func modelType() throws(ModelFileError) -> String {
        let model = try root.child("model")
        if let t = try model.optionalString("type") { return t }
        if model.optional("merges") != nil { return "BPE" }
        if model.optional("max_input_chars_per_word") != nil { return "WordPiece" }
        throw root.fail("model has no type and is neither WordPiece nor BPE")
    }

    /// `added_tokens`, with the flags LowBit does not implement rejected.
    /// - Parameter normalizerIsIdentity: whether tokens marked `normalized` can be matched on the raw text.
    func addedTokens(normalizerIsIdentity: Bool) throws(ModelFileError) -> [AddedToken] {
        guard root.optional("added_tokens") != nil else { return [] }
        var out: [AddedToken] = []
        for (k, v) in try root.array("added_tokens").enumerated() {
            guard let o = v.objectValue else { throw root.fail("added_tokens[\(k)] should be an object, found \(v.kindName)") }
            let r = JSONReader(path: path, object: o, at: "added_tokens[\(k)]")
            let content = try r.string("content")
            guard let id = try r.optionalInt("id"), id >= 0 else { throw r.fail("\(r.name("id")) should be a non-negative integer") }
            for flag in ["lstrip", "rstrip", "single_word"] where try r.bool(flag, default: false) {
                throw ModelFileError(.unsupported, path: path, "added token \"\(content)\" sets \(flag), which LowBit does not implement")
            }
            if try r.bool("normalized", default: false), !normalizerIsIdentity {
                throw ModelFileError(.unsupported, path: path,
                                     "added token \"\(content)\" is matched on normalized text, which LowBit does not implement")
            }
            out.append(AddedToken(content: content, id: id, special: try r.bool("special", default: false)))
        }
        return out
    }

    /// `model.vocab` as strings by id. Ids must be exactly 0..<count.
    func denseVocabulary(_ model: JSONReader) throws(ModelFileError) -> [String] {
        let v = try model.require("vocab")
        guard let o = v.objectValue else { throw root.fail("model.vocab should be an object, found \(v.kindName)") }
        var vocab = [String?](repeating: nil, count: o.pairs.count)
        for (token, idValue) in o.pairs {
            guard let id = idValue.intValue, id >= 0, id < vocab.count else {
                throw root.fail("model.vocab[\"\(token)\"] = \(idValue) is not an id in 0..<\(vocab.count)")
            }
            guard vocab[id] == nil else { throw root.fail("model.vocab gives id \(id) to both \"\(vocab[id]!)\" and \"\(token)\"") }
            vocab[id] = token
        }
        return vocab.map { $0! }
    }

    /// The component at `key` (normalizer, pre_tokenizer, …) and its `type`, or nil when null.
    func component(_ key: String) throws(ModelFileError) -> (type: String, reader: JSONReader)? {
        guard let c = try root.optionalChild(key) else { return nil }
        return (try c.string("type"), c)
    }
}
