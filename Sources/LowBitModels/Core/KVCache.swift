/// Keys and values of the tokens a decoder has seen, per block, for incremental decoding.
///
/// Layer `i` holds keys: [count, kvHeads·headDim] and values: [count, kvHeads·headDim]
/// (rotary embedding already applied to keys). Storage grows by doubling up to `capacity`.
/// One cache serves one sequence; it is not safe to use from two forward passes at once.
public final class KVCache: @unchecked Sendable {
    /// One block's keys and values.
    public final class Layer: @unchecked Sendable {
        /// Row width: kvHeads · headDim.
        public let width: Int
        public let capacity: Int
        public private(set) var count = 0
        private var allocated = 0
        public private(set) var keys: UnsafeMutablePointer<Float>
        public private(set) var values: UnsafeMutablePointer<Float>

        init(width: Int, capacity: Int) {
            self.width = width
            self.capacity = capacity
            keys = .allocate(capacity: 1)
            values = .allocate(capacity: 1)
        }

        deinit {
            keys.deallocate()
            values.deallocate()
        }

        /// Appends `rows` keys and values read with row stride `ld`. Callers check capacity first.
        func append(keys k: UnsafePointer<Float>, values v: UnsafePointer<Float>, rows: Int, ld: Int) {
            precondition(count + rows <= capacity, "KVCache: \(count + rows) tokens exceed capacity \(capacity)")
            reserve(count + rows)
            for r in 0..<rows {
                (keys + (count + r) * width).update(from: k + r * ld, count: width)
                (values + (count + r) * width).update(from: v + r * ld, count: width)
            }
            count += rows
        }

        private func reserve(_ rows: Int) {
            guard rows > allocated else { return }
            let n = min(capacity, max(rows, 2 * allocated, 64))
            for p in [\Layer.keys, \Layer.values] {
                let fresh = UnsafeMutablePointer<Float>.allocate(capacity: n * width)
                fresh.update(from: self[keyPath: p], count: count * width)
                self[keyPath: p].deallocate()
                self[keyPath: p] = fresh
            }
            allocated = n
        }

        func truncate(to n: Int) { count = min(count, max(0, n)) }
    }

    public let layers: [Layer]
    /// Most tokens the cache may hold (the model's context length).
    public let capacity: Int

    /// layers: number of blocks; width: kvHeads · headDim.
    public init(layers: Int, width: Int, capacity: Int) {
        self.layers = (0..<layers).map { _ in Layer(width: width, capacity: capacity) }
        self.capacity = capacity
    }

    /// Tokens cached (after a full forward pass every layer holds this many).
    public var count: Int { layers.last?.count ?? 0 }

    /// Forgets everything after the first `n` tokens (n = 0 empties the cache).
    public func truncate(to n: Int) { for l in layers { l.truncate(to: n) } }
}
