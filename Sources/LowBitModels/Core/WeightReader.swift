import LowBitCore
import LowBitIO

/// Reads a model's tensors by name as FP32, checking each shape against what the config implies.
struct WeightReader {
    let source: ModelSource
    /// Prepended to every name (`transformer.`, `bert.`, or empty).
    let prefix: String
    private let shapes: [String: Shape]

    /// Picks the first of `prefixes` under which `probe` exists (e.g. `["", "transformer."]`, `"wte.weight"`).
    init(_ source: ModelSource, prefixes: [String] = [""], probe: String) throws(ModelError) {
        let shapes = Dictionary(source.tensors.map { ($0.name, $0.shape) }, uniquingKeysWith: { a, _ in a })
        self.source = source
        self.shapes = shapes
        guard let p = prefixes.first(where: { shapes[$0 + probe] != nil }) else {
            throw .missingTensor(name: (prefixes.count == 1 ? prefixes[0] : "[\(prefixes.joined(separator: "|"))]") + probe,
                                 path: source.path)
        }
        prefix = p
    }

    var path: String { source.path }

    func has(_ name: String) -> Bool { shapes[prefix + name] != nil }

    /// The tensor `prefix + name`, which must have `shape`.
    func tensor(_ name: String, _ shape: [Int]) throws(ModelError) -> Tensor {
        let full = prefix + name
        guard let actual = shapes[full] else { throw .missingTensor(name: full, path: path) }
        // A [n] vector may be stored as [1, n] (some converters); accept the same element count for rank-1.
        guard actual.dims == shape || (shape.count == 1 && actual.count == shape[0] && actual.dims.filter({ $0 != 1 }).count <= 1) else {
            throw .wrongShape(name: full, expected: Shape(shape), actual: actual, path: path)
        }
        do { return try source.float32(named: full).reshaped(Shape(shape)) } catch { throw .file(error) }
    }

    /// Like `tensor`, or nil if the file has no such tensor.
    func optional(_ name: String, _ shape: [Int]) throws(ModelError) -> Tensor? {
        has(name) ? try tensor(name, shape) : nil
    }
}

/// Tensor helpers used at load time.
enum WeightMath {
    /// Rows of `parts` one after another. parts: [rows_i, cols] → [Σ rows_i, cols] (or [Σ n_i] for vectors).
    static func concatRows(_ parts: [Tensor]) -> Tensor {
        let cols = parts[0].shape.rank == 1 ? 1 : parts[0].shape[1]
        let rows = parts.reduce(0) { $0 + $1.count / cols }
        let out = Tensor(zeros: parts[0].shape.rank == 1 ? [rows] : [rows, cols])
        var at = out.pointer
        for p in parts {
            at.update(from: p.pointer, count: p.count)
            at += p.count
        }
        return out
    }

    /// x: [rows, cols] → [cols, rows].
    static func transpose(_ x: Tensor) -> Tensor {
        let r = x.shape[0], c = x.shape[1]
        let out = Tensor(zeros: [c, r])
        let src = x.pointer, dst = out.pointer
        let tile = 32
        for i0 in stride(from: 0, to: r, by: tile) {
            for j0 in stride(from: 0, to: c, by: tile) {
                for i in i0..<min(r, i0 + tile) {
                    for j in j0..<min(c, j0 + tile) { dst[j * r + i] = src[i * c + j] }
                }
            }
        }
        return out
    }
}
