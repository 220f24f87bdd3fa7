import ArgumentParser
import LowBitTokenizers

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Tokenize text with a model's tokenizer.",
        discussion: """
            MODEL is a Hugging Face model directory (tokenizer.json or vocab.txt) or a .gguf file \
            (tokenizer in its metadata). --pair gives a second segment (BERT-style tokenizers: \
            token type ids 1).
            """)

    @Argument(help: "Model directory or .gguf file.") var model: String
    @Argument(help: "Text to tokenize.") var text: String
    @Option(help: "Second segment of a sentence pair (WordPiece tokenizers).") var pair: String?
    @Flag(help: "Do not add special tokens ([CLS]/[SEP], BOS).") var noSpecialTokens = false
    @Flag(help: "Print JSON instead of text.") var json = false

    struct Report: Encodable {
        let ids: [Int]
        let tokens: [String]
        let type_ids: [Int]
        let attention_mask: [Int]
        let decoded: String
    }

    func run() throws {
        let tokenizer = try TokenizerLoader.load(modelPath: model)
        let ids: [Int], typeIDs: [Int], mask: [Int]
        if let wordPiece = tokenizer as? WordPieceTokenizer {
            let e = wordPiece.encoding(text, pair: pair, addSpecialTokens: !noSpecialTokens)
            (ids, typeIDs, mask) = (e.ids, e.typeIDs, e.attentionMask)
        } else {
            if pair != nil { throw ValidationError("--pair needs a WordPiece (BERT) tokenizer; \(model) has a byte-level BPE one") }
            ids = tokenizer.encode(text, addSpecialTokens: !noSpecialTokens, parseSpecialTokens: false)
            (typeIDs, mask) = (Array(repeating: 0, count: ids.count), Array(repeating: 1, count: ids.count))
        }
        let tokens = ids.map { tokenizer.token(forID: $0) ?? "<\($0)>" }
        let decoded = tokenizer.decode(ids, skipSpecialTokens: true)
        if json {
            try Output.printJSON(Report(ids: ids, tokens: tokens, type_ids: typeIDs, attention_mask: mask, decoded: decoded))
            return
        }
        print("\(ids.count) tokens")
        print(Output.table(["#", "id", "token", "type"], ids.indices.map { i in
            ["\(i)", "\(ids[i])", String(reflecting: tokens[i]), "\(typeIDs[i])"]
        }))
        print("decoded: \(decoded)")
    }
}
