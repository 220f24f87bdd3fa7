/// An error evaluating a model: bad data, bad arguments, or a model that does not fit the task.
///
/// `description` is one line meant for users: `path:line: detail` for data files.
public struct EvalError: Error, Equatable, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable {
        /// A data file or directory does not exist.
        case notFound
        /// A data file cannot be read.
        case io
        /// A data file's contents do not have the expected format.
        case malformed
        /// The arguments or models do not fit the task (no tokens, vocabularies differ, …).
        case invalidInput
        /// A model returned something unusable (wrong shape, non-finite logits).
        case badModelOutput
    }

    public let kind: Kind
    /// The file the error is about, when it is about one.
    public let path: String?
    /// 1-based line number in `path`, when the error is about a line.
    public let line: Int?
    public let detail: String

    public init(_ kind: Kind, path: String? = nil, line: Int? = nil, _ detail: String) {
        self.kind = kind
        self.path = path
        self.line = line
        self.detail = detail
    }

    public var description: String {
        switch (path, line) {
        case let (p?, l?): return "\(p):\(l): \(detail)"
        case let (p?, nil): return "\(p): \(detail)"
        default: return detail
        }
    }
}
