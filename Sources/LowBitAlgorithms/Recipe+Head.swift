extension Recipe {
    /// What happens to a decoder's LM head (`[vocab, hidden]`, often tied to the token
    /// embedding). Encoders have no head; the choice changes nothing there.
    public enum HeadChoice: String, Sendable, CaseIterable {
        /// 8-bit symmetric per-channel weights, float inputs (W8A16): what llama.cpp's Q8_0 does
        /// to `output.weight` / the tied embedding. The integer engine runs it on `lb_wgemm_group`;
        /// SmolLM2-135M: 113 → 28 MB read per generated token, wiki-valid ppl +0.03 (w8a8).
        case int8
        /// FP32 (the presets' own default).
        case float
        /// As the recipe says (`quantize_head`, overrides with `role: head`, `activation_sites.head`).
        case recipe
    }

    /// This recipe with the head set by `choice`. `.int8` sets `quantize_head`, turns input
    /// quantization off at the head and appends an override `role: head, bits: 8,
    /// per_channel, symmetric` (last, so it wins over any earlier one). The token embedding
    /// is not touched: a tied head gets its own codes and the lookup reads the float table.
    public func withHead(_ choice: HeadChoice) -> Recipe {
        var r = self
        switch choice {
        case .recipe: break
        case .float: r.quantizeHead = false
        case .int8:
            r.quantizeHead = true
            r.activationSites.head = false
            r.overrides.append(Override(role: .head, bits: 8, granularity: "per_channel", mapping: .symmetric, keepFloat: false))
        }
        return r
    }
}
