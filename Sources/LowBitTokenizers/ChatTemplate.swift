import Foundation
import LowBitIO

/// A model's chat template, for turning messages into the prompt text the model was tuned on.
///
/// Templates are Jinja programs (`tokenizer.chat_template` in GGUF metadata, `chat_template` in
/// `tokenizer_config.json`). LowBit does not run Jinja: it recognizes the ChatML family
/// (`<|im_start|>role\ncontent<|im_end|>\n`, used by SmolLM2, Qwen and others), including a
/// default system message that the template inserts when the conversation has none, and
/// rejects other templates with an error naming them.
public struct ChatTemplate: Sendable, Equatable {
    public struct Message: Sendable, Equatable {
        public var role: String
        public var content: String
        public init(role: String, content: String) { self.role = role; self.content = content }
    }

    /// System message added when the first message is not a system one (nil: none).
    public var defaultSystemMessage: String?

    public init(defaultSystemMessage: String? = nil) { self.defaultSystemMessage = defaultSystemMessage }

    /// Recognizes a Jinja chat template's source. `origin` names the file for errors.
    public init(jinja source: String, origin: String) throws(ModelFileError) {
        guard source.contains("<|im_start|>"), source.contains("<|im_end|>") else {
            throw ModelFileError(.unsupported, path: origin,
                                 "chat template is not ChatML-style (<|im_start|>…<|im_end|>); only that family is supported")
        }
        // A default system message appears as a literal '<|im_start|>system\n…<|im_end|>' in the source.
        let marker = "'<|im_start|>system\n"
        if let start = source.range(of: marker), let end = source.range(of: "<|im_end|>", range: start.upperBound..<source.endIndex) {
            defaultSystemMessage = String(source[start.upperBound..<end.lowerBound])
        }
    }

    /// The prompt text for `messages`, ending with the assistant header when `addGenerationPrompt`.
    public func render(_ messages: [Message], addGenerationPrompt: Bool = true) -> String {
        var out = ""
        if let system = defaultSystemMessage, messages.first?.role != "system" {
            out += "<|im_start|>system\n\(system)<|im_end|>\n"
        }
        for m in messages { out += "<|im_start|>\(m.role)\n\(m.content)<|im_end|>\n" }
        if addGenerationPrompt { out += "<|im_start|>assistant\n" }
        return out
    }

    /// The chat template of a model on disk: GGUF metadata `tokenizer.chat_template`, or
    /// `chat_template` in a directory's `tokenizer_config.json` (or, without one, the metadata of
    /// the directory's `tokenizer.gguf`, as a quantized model directory holds it).
    /// - Throws: `ModelFileError` (.notFound when the model has no template).
    public static func load(modelPath: String) throws(ModelFileError) -> ChatTemplate {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: modelPath, isDirectory: &isDir) else {
            throw ModelFileError(.notFound, path: modelPath, "no such file or directory")
        }
        let dir = (modelPath as NSString).standardizingPath
        let ggufInDir = dir + "/tokenizer.gguf"
        if isDir.boolValue, !FileManager.default.fileExists(atPath: dir + "/tokenizer_config.json"),
           FileManager.default.fileExists(atPath: ggufInDir) {
            return try load(modelPath: ggufInDir)
        }
        if !isDir.boolValue {
            let g = try GGUFFile(path: modelPath)
            guard let source = g.metadata["tokenizer.chat_template"]?.stringValue else {
                throw ModelFileError(.notFound, path: modelPath, "no tokenizer.chat_template in the GGUF metadata")
            }
            return try ChatTemplate(jinja: source, origin: modelPath)
        }
        let path = dir + "/tokenizer_config.json"
        guard FileManager.default.fileExists(atPath: path) else {
            throw ModelFileError(.notFound, path: path, "no tokenizer_config.json, so no chat template")
        }
        let config = try JSONParser.parseObject(file: path, what: "tokenizer_config.json")
        guard let source = config.optional("chat_template")?.stringValue else {
            throw ModelFileError(.notFound, path: path, "no chat_template key")
        }
        return try ChatTemplate(jinja: source, origin: path)
    }
}
