import ArgumentParser
import Foundation
import LowBitModels
import LowBitTokenizers

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Continue a prompt with a decoder, streaming the text as it comes.",
        discussion: """
            Greedy by default; --temperature > 0 samples (with --top-k, --top-p and --seed). \
            --chat wraps the prompt as a user message in the model's chat template (GGUF \
            tokenizer.chat_template or tokenizer_config.json; ChatML family).
            """)

    @Argument(help: "Model directory (GPT-2, Llama) or .gguf file.") var model: String
    @Option(help: "Prompt text.") var prompt: String
    @Option(name: [.customShort("n"), .long], help: "Most tokens to generate.") var maxTokens = 64
    @Option(help: "Sampling temperature (0: greedy).") var temperature: Float = 0
    @Option(help: "Sample among the k most likely tokens (0: all).") var topK = 0
    @Option(help: "Nucleus sampling mass (1: all).") var topP: Float = 1
    @Option(help: "Seed of the sampler.") var seed: UInt64 = 0
    @Flag(help: "Apply the model's chat template to the prompt.") var chat = false
    @Option(help: "How a quantized directory runs: simulated (FP32 GEMMs on dequantized weights) or integer (INT8 kernels where the scheme allows).") var engine: Engine = .simulated
    @Flag(help: "Print a JSON summary (text, tokens, speed) instead of streaming.") var json = false

    struct Report: Encodable {
        let text: String
        let prompt_tokens: Int
        let generated_tokens: Int
        let stop_reason: String
        let tokens_per_second: Double
    }

    func run() throws {
        guard maxTokens > 0 else { throw ValidationError("-n must be > 0") }
        guard temperature >= 0, topK >= 0, topP > 0, topP <= 1 else {
            throw ValidationError("need --temperature >= 0, --top-k >= 0, 0 < --top-p <= 1")
        }
        let (lm, tokenizer) = try Loaders.causalLM(model, engine: engine)
        let text = chat ? try ChatTemplate.load(modelPath: model).render([.init(role: "user", content: prompt)]) : prompt
        let options = SamplingOptions(maxTokens: maxTokens, temperature: temperature, topK: topK, topP: topP, seed: seed)
        let start = Date()
        let result = try Generator.generate(
            model: lm, prompt: text,
            encode: { tokenizer.encode($0, addSpecialTokens: true, parseSpecialTokens: chat) },
            decode: { tokenizer.decode($0, skipSpecialTokens: true) },
            options: options,
            onText: { piece in
                if !json { FileHandle.standardOutput.write(Data(piece.utf8)) }
                return true
            })
        let seconds = Date().timeIntervalSince(start)
        if json {
            try Output.printJSON(Report(text: result.text, prompt_tokens: result.promptTokens, generated_tokens: result.tokens.count,
                                        stop_reason: result.stopReason, tokens_per_second: Double(result.tokens.count) / seconds))
        } else {
            print("")
            FileHandle.standardError.write(Data(String(format: "[%d prompt + %d generated tokens, %.1f tokens/s, stop: %@]\n",
                                                       result.promptTokens, result.tokens.count,
                                                       Double(result.tokens.count) / seconds, result.stopReason).utf8))
        }
    }
}
