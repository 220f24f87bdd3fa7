/// Splitting a text file into documents for perplexity, as `tools/reference/gpt2_ppl.py` does:
/// `[d.strip() for d in text.split("\n\n") if d.strip()]`.
public enum Documents {
    /// The blank-line-separated documents of `text`: split on every `"\n\n"` (so three newlines
    /// leave a leading `"\n"` on the next part), each part stripped of Python whitespace, empty
    /// parts dropped. `text` should already have `\n` line ends (`TextFile.read` does that).
    public static func split(_ text: String) -> [String] {
        var parts: [String] = []
        var current = String.UnicodeScalarView()
        var pendingNewline = false
        func flush() {
            let doc = TextFile.pythonStrip(String(current))
            if !doc.isEmpty { parts.append(doc) }
            current = String.UnicodeScalarView()
        }
        for s in text.unicodeScalars {
            if s == "\n" {
                if pendingNewline { pendingNewline = false; flush() } else { pendingNewline = true }
                continue
            }
            if pendingNewline { current.append("\n"); pendingNewline = false }
            current.append(s)
        }
        if pendingNewline { current.append("\n") }
        flush()
        return parts
    }
}
