import LowBitCore
import LowBitIO

/// An error building or running a model: what was wrong and where.
///
/// `description` is one line meant for users, naming the file and the tensor where there is one.
public enum ModelError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The model file lacks a tensor the architecture needs.
    case missingTensor(name: String, path: String)
    /// A tensor's shape is not the one the configuration implies.
    case wrongShape(name: String, expected: Shape, actual: Shape, path: String)
    /// A valid file using something LowBit does not run (architecture, activation, layout).
    case unsupported(String, path: String)
    /// Reading the file failed.
    case file(ModelFileError)
    /// Bad input to a forward pass (token id out of range, sequence longer than the context, ...).
    case invalidInput(String)

    public var description: String {
        switch self {
        case .missingTensor(let name, let path): "\(path): missing tensor \(name)"
        case .wrongShape(let name, let expected, let actual, let path):
            "\(path): tensor \(name) has shape \(actual), expected \(expected)"
        case .unsupported(let what, let path): "\(path): \(what)"
        case .file(let e): e.description
        case .invalidInput(let what): "invalid model input: \(what)"
        }
    }
}
