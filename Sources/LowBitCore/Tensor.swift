/// Raw memory that backs tensors. Either owned (allocated here, freed on deinit) or borrowed
/// from an owner that outlives the buffer (e.g. a memory-mapped file kept alive by `owner`).
public final class TensorBuffer: @unchecked Sendable {
    public let base: UnsafeMutableRawPointer
    public let byteCount: Int
    private let owner: AnyObject?
    private let owned: Bool

    /// Allocates `byteCount` zeroed bytes, 64-byte aligned.
    public init(zeroedByteCount byteCount: Int) {
        self.base = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: 64)
        self.base.initializeMemory(as: UInt8.self, repeating: 0, count: max(byteCount, 1))
        self.byteCount = byteCount
        self.owner = nil
        self.owned = true
    }

    /// Allocates `byteCount` bytes, 64-byte aligned, left as they are: for outputs that the
    /// caller overwrites in full before anyone reads them (saves a memset pass per op).
    public init(uninitializedByteCount byteCount: Int) {
        self.base = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: 64)
        self.byteCount = byteCount
        self.owner = nil
        self.owned = true
    }

    /// Borrows memory kept alive by `owner`.
    public init(borrowing base: UnsafeMutableRawPointer, byteCount: Int, owner: AnyObject) {
        self.base = base
        self.byteCount = byteCount
        self.owner = owner
        self.owned = false
    }

    deinit { if owned { base.deallocate() } }
}

/// A contiguous, row-major FP32 tensor.
///
/// Tensors are cheap handles: copying a `Tensor` shares its buffer. Code that writes through
/// `withUnsafeMutableBufferPointer` owns the tensor it writes (it created it or was handed it
/// as an output).
public struct Tensor: @unchecked Sendable, CustomStringConvertible {
    public let shape: Shape
    public let buffer: TensorBuffer
    /// Offset of the first element, in elements, inside `buffer`.
    public let elementOffset: Int

    /// A zero-filled tensor.
    public init(zeros shape: Shape) {
        self.shape = shape
        self.buffer = TensorBuffer(zeroedByteCount: shape.count * 4)
        self.elementOffset = 0
    }

    /// A tensor whose elements are unspecified until written: only for an op's output that the
    /// op overwrites element by element before returning it.
    public init(uninitialized shape: Shape) {
        self.shape = shape
        self.buffer = TensorBuffer(uninitializedByteCount: shape.count * 4)
        self.elementOffset = 0
    }

    /// A tensor holding a copy of `values`; `values.count` must equal `shape.count`.
    public init(shape: Shape, values: [Float]) {
        precondition(values.count == shape.count, "Tensor: \(values.count) values for shape \(shape)")
        self.init(zeros: shape)
        values.withUnsafeBufferPointer { src in
            buffer.base.copyMemory(from: src.baseAddress!, byteCount: values.count * 4)
        }
    }

    /// A view of `shape.count` floats at `elementOffset` inside `buffer` (no copy).
    public init(shape: Shape, buffer: TensorBuffer, elementOffset: Int = 0) {
        precondition((elementOffset + shape.count) * 4 <= buffer.byteCount, "Tensor view out of bounds")
        self.shape = shape
        self.buffer = buffer
        self.elementOffset = elementOffset
    }

    public var count: Int { shape.count }

    public var pointer: UnsafeMutablePointer<Float> {
        buffer.base.assumingMemoryBound(to: Float.self) + elementOffset
    }

    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: pointer, count: count))
    }

    public func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeMutableBufferPointer(start: pointer, count: count))
    }

    /// The same elements under another shape with the same element count.
    public func reshaped(_ newShape: Shape) -> Tensor {
        precondition(newShape.count == count, "reshape \(shape) -> \(newShape)")
        return Tensor(shape: newShape, buffer: buffer, elementOffset: elementOffset)
    }

    /// Rows `start..<start+n` of a tensor viewed as `[shape[0], rest]` (no copy).
    public func rows(_ start: Int, _ n: Int) -> Tensor {
        let rowSize = shape.rank == 0 ? 1 : count / max(shape[0], 1)
        var dims = shape.dims
        dims[0] = n
        return Tensor(shape: Shape(dims), buffer: buffer, elementOffset: elementOffset + start * rowSize)
    }

    public func toArray() -> [Float] { withUnsafeBufferPointer { Array($0) } }

    /// A copy with its own buffer.
    public func copy() -> Tensor { Tensor(shape: shape, values: toArray()) }

    public var description: String { "Tensor\(shape)" }
}
