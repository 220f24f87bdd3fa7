/// Where the caching allocator gets its memory from: the driver (`cuMemAlloc`), or a fake in tests.
public protocol DeviceMemoryBackend: Sendable {
    func allocate(_ bytes: Int) throws(CUDAError) -> UInt64
    func free(_ address: UInt64)
}

/// A block of device memory. Returned to its allocator's cache when the last reference goes.
///
/// Reuse is stream-ordered: a freed block can be handed out again at once, which is safe for
/// work queued on one stream (all of a context's work goes to its `stream`), as in PyTorch.
public final class DeviceBuffer: @unchecked Sendable {
    /// Device address (256-byte aligned).
    public let address: UInt64
    /// Bytes asked for; `capacity` ≥ byteCount is what the block really holds.
    public let byteCount: Int
    public let capacity: Int
    let allocator: CachingAllocator

    init(address: UInt64, byteCount: Int, capacity: Int, allocator: CachingAllocator) {
        self.address = address
        self.byteCount = byteCount
        self.capacity = capacity
        self.allocator = allocator
    }

    deinit { allocator.release(address: address, capacity: capacity) }
}

/// Caching device allocator: freed blocks are kept in per-size free lists and handed out again
/// without a driver call (cuMemAlloc/cuMemFree synchronize the device and cost ~100 µs).
///
/// Size classes: requests up to 1 MiB round up to a power of two (at least 512 B); larger ones
/// to a multiple of 2 MiB. A request is served from the free list of its class only, so no
/// block is split and waste stays under 2× (small) or 2 MiB (large). If the driver is out of
/// memory, the cache is emptied and the allocation tried once more.
public final class CachingAllocator: @unchecked Sendable {
    public struct Statistics: Sendable, Equatable {
        /// allocate() calls, and how many the cache served.
        public var requests = 0, cacheHits = 0
        /// Driver allocations made and freed.
        public var driverAllocations = 0, driverFrees = 0
        /// Bytes in live buffers (by capacity), and bytes held in the free lists.
        public var bytesInUse = 0, bytesCached = 0
    }

    private let backend: any DeviceMemoryBackend
    private let lock = Lock()
    private var free: [Int: [UInt64]] = [:]
    private var stats = Statistics()

    public init(backend: any DeviceMemoryBackend) { self.backend = backend }

    /// The capacity a request of `bytes` gets (see the size classes above).
    public static func sizeClass(_ bytes: Int) -> Int {
        let b = max(bytes, 1)
        if b <= 1 << 20 {
            var c = 512
            while c < b { c <<= 1 }
            return c
        }
        let unit = 2 << 20
        return (b + unit - 1) / unit * unit
    }

    public var statistics: Statistics { lock.withLock { stats } }

    /// A buffer of at least `bytes` bytes (contents undefined).
    public func allocate(_ bytes: Int) throws(CUDAError) -> DeviceBuffer {
        guard bytes >= 0 else { throw .invalidArgument("allocate(\(bytes)): negative size") }
        let cap = Self.sizeClass(bytes)
        let cached: UInt64? = lock.withLock {
            stats.requests += 1
            guard let addr = free[cap]?.popLast() else { return nil }
            stats.cacheHits += 1
            stats.bytesCached -= cap
            stats.bytesInUse += cap
            return addr
        }
        if let cached { return DeviceBuffer(address: cached, byteCount: bytes, capacity: cap, allocator: self) }
        let addr: UInt64
        do {
            addr = try backend.allocate(cap)
        } catch {
            guard case .driver(_, 2, _, _) = error else { throw error }   // 2 = CUDA_ERROR_OUT_OF_MEMORY
            emptyCache()
            addr = try backend.allocate(cap)
        }
        lock.withLock {
            stats.driverAllocations += 1
            stats.bytesInUse += cap
        }
        return DeviceBuffer(address: addr, byteCount: bytes, capacity: cap, allocator: self)
    }

    func release(address: UInt64, capacity: Int) {
        lock.withLock {
            free[capacity, default: []].append(address)
            stats.bytesInUse -= capacity
            stats.bytesCached += capacity
        }
    }

    /// Gives every cached block back to the driver.
    public func emptyCache() {
        let blocks: [UInt64] = lock.withLock {
            let all = free.values.flatMap { $0 }
            stats.driverFrees += all.count
            stats.bytesCached = 0
            free.removeAll()
            return all
        }
        for b in blocks { backend.free(b) }
    }
}
