import ArgumentParser

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tokenize", abstract: "Tokenize text with a model's tokenizer.")
    @Argument(help: "Model directory or .gguf file.") var model: String
    @Argument(help: "Text to tokenize.") var text: String
    @Flag(help: "Print JSON.") var json = false
    func run() throws { throw ValidationError("tokenize: not wired yet") }
}
