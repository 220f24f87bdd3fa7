/// A string compared and hashed by its UTF-8 bytes.
///
/// Swift's `String ==` is canonical equivalence ("é" precomposed equals "e" + U+0301), but a
/// tokenizer vocabulary is byte-exact: Hugging Face looks tokens up by their exact bytes. Every
/// vocabulary dictionary in this module is keyed by `ExactString`.
struct ExactString: Hashable, Sendable {
    let value: String

    init(_ value: String) { self.value = value }

    static func == (a: ExactString, b: ExactString) -> Bool { a.value.utf8.elementsEqual(b.value.utf8) }

    func hash(into hasher: inout Hasher) {
        let done: Void? = value.utf8.withContiguousStorageIfAvailable { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        if done == nil {
            for b in value.utf8 { hasher.combine(b) }
        }
        hasher.combine(value.utf8.count)
    }
}
