import Foundation
import LowBitIO

/// Opens the tokenizer of a model on disk.
public enum TokenizerLoader {
    /// - Parameter modelPath: a Hugging Face model directory (its `tokenizer.json`, or a BERT
    ///   `vocab.txt` when there is none, or a metadata-only `tokenizer.gguf` as a quantized model
    ///   directory holds it) or a `.gguf` file (its tokenizer metadata).
    /// - Returns: a `WordPieceTokenizer` or a `BytePairTokenizer`, by the model type the files name.
    /// - Throws: `ModelFileError` saying which file is missing, malformed or unsupported.
    public static func load(modelPath: String) throws(ModelFileError) -> any Tokenizer {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: modelPath, isDirectory: &isDir) else {
            throw ModelFileError(.notFound, path: modelPath, "no such file or directory")
        }
        if !isDir.boolValue {
            if modelPath.hasSuffix(".json") { return try load(tokenizerJSON: modelPath) }
            return try BytePairTokenizer(gguf: GGUFFile(path: modelPath))
        }
        let dir = (modelPath as NSString).standardizingPath
        let json = dir + "/tokenizer.json"
        if FileManager.default.fileExists(atPath: json) { return try load(tokenizerJSON: json) }
        let vocab = dir + "/vocab.txt"
        if FileManager.default.fileExists(atPath: vocab) { return try WordPieceTokenizer(vocabFile: vocab) }
        let gguf = dir + "/tokenizer.gguf"
        if FileManager.default.fileExists(atPath: gguf) { return try BytePairTokenizer(gguf: GGUFFile(path: gguf)) }
        throw ModelFileError(.notFound, path: dir, "no tokenizer.json, vocab.txt or tokenizer.gguf in this directory")
    }

    /// A `tokenizer.json`, WordPiece or byte-level BPE by its `model.type`.
    public static func load(tokenizerJSON path: String) throws(ModelFileError) -> any Tokenizer {
        let file = try TokenizerJSONFile(path: path)
        switch try file.modelType() {
        case "WordPiece": return try WordPieceTokenizer(file)
        case "BPE": return try BytePairTokenizer(file)
        case let other: throw ModelFileError(.unsupported, path: path, "tokenizer model \(other) is not supported (WordPiece, BPE)")
        }
    }
}
