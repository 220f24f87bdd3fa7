import Testing
import LowBitIO
import LowBitTokenizers

struct ChatTemplateTests {
    @Test func smolLM2TemplateRendersLikeJinja() throws {
        let t = try ChatTemplate.load(modelPath: Paths.require(Paths.smolLM2))
        #expect(t.defaultSystemMessage == "You are a helpful AI assistant named SmolLM, trained by Hugging Face")
        // Expected text: the template's Jinja output for one user message with add_generation_prompt.
        let expected = "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
            + "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n"
        #expect(t.render([.init(role: "user", content: "What is 2+2?")]) == expected)
        let own = t.render([.init(role: "system", content: "Be brief."), .init(role: "user", content: "Hi")], addGenerationPrompt: false)
        #expect(own == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n")
    }

    @Test func specialTokensOfTheRenderedPromptAreParsed() throws {
        let path = try Paths.require(Paths.smolLM2)
        let tok = try TokenizerLoader.load(modelPath: path)
        let ids = tok.encode(try ChatTemplate.load(modelPath: path).render([.init(role: "user", content: "Hi")]),
                             addSpecialTokens: false, parseSpecialTokens: true)
        #expect(ids.first == tok.id(forToken: "<|im_start|>"))
        #expect(ids.filter { $0 == tok.id(forToken: "<|im_end|>") }.count == 2)
    }

    @Test func otherTemplatesAreRejectedWithTheirOrigin() {
        #expect(throws: ModelFileError.self) { try ChatTemplate(jinja: "{{ bos_token }}[INST] {{ m }} [/INST]", origin: "x.gguf") }
        do { _ = try ChatTemplate(jinja: "[INST]", origin: "x.gguf"); Issue.record("no error") } catch {
            #expect(error.description.contains("x.gguf") && error.description.contains("ChatML"))
        }
        #expect(throws: ModelFileError.self) { try ChatTemplate.load(modelPath: "/nonexistent/model.gguf") }
    }
}
