import ArgumentParser

@main
struct LowBitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lowbit",
        abstract: "Post-training quantization of transformer models, and fast quantized inference.",
        subcommands: [InspectCommand.self, TokenizeCommand.self, EmbedCommand.self, GenerateCommand.self, EvalCommand.self, QuantizeCommand.self,
                      BenchCommand.self, CUDACommand.self])
}
