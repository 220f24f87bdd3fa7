/// An error reading or writing a model file: what was wrong and where.
///
/// `description` is one line meant for users: `path: detail (at byte N)`.
public struct ModelFileError: Error, Equatable, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable {
        /// The path does not exist.
        case notFound
        /// The file exists but cannot be opened, mapped or written.
        case io
        /// The bytes do not form a valid file of the expected format.
        case malformed
        /// Valid, but uses a feature LowBit does not handle (a dtype, a version, an architecture).
        case unsupported
    }

    public let kind: Kind
    public let path: String
    public let detail: String
    /// Byte offset in the file where the problem was found, when it is about a position.
    public let offset: Int?

    public init(_ kind: Kind, path: String, _ detail: String, offset: Int? = nil) {
        self.kind = kind
        self.path = path
        self.detail = detail
        self.offset = offset
    }

    public var description: String {
        var s = "\(path): \(detail)"
        if let offset { s += " (at byte \(offset))" }
        return s
    }
}
