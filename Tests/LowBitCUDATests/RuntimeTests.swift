import Testing
@testable import LowBitCUDA

/// The no-GPU path: the package builds and loads without CUDA, and says why CUDA is missing.
/// GPU checks are skipped (visibly, with the reason) where no device is present.
@Suite struct NoDeviceTests {
    @Test(.enabled(if: !CUDAContext.isAvailable, "a CUDA device is present: the no-CUDA message cannot be seen here"))
    func missingDriverIsReported() {
        do {
            _ = try CUDAContext.shared()
            Issue.record("expected CUDA to be unavailable")
        } catch {
            guard case .notAvailable = error else { Issue.record("wrong error \(error)"); return }
            #expect("\(error)".hasPrefix("CUDA not available: "))
            #expect("\(error)".contains("libcuda"))
        }
        #expect(throws: CUDAError.self) { try CUDAKernels.shared() }
    }

    @Test(.enabled(if: !CUDAContext.isAvailable, "a CUDA driver is loaded already"))
    func explicitDriverPathIsTheOnlyOneTried() {
        #expect {
            try CUDALibraries.loadDriver(path: "/nonexistent/libcuda.so.1")
        } throws: { error in
            guard case .notAvailable(let reason) = error as? CUDAError else { return false }
            return reason.contains("/nonexistent/libcuda.so.1") && !reason.contains("libcuda.so:")
        }
    }

    @Test func errorsNameTheCall() {
        let e = CUDAError.driver(call: "cuMemAlloc_v2(1024 bytes)", code: 2, name: "CUDA_ERROR_OUT_OF_MEMORY", message: "out of memory")
        #expect("\(e)" == "cuMemAlloc_v2(1024 bytes) failed: CUDA_ERROR_OUT_OF_MEMORY (2): out of memory")
        let n = CUDAError.nvrtc(call: "nvrtcCompileProgram(norm)", code: 6, message: "NVRTC_ERROR_COMPILATION", log: "t.cu(3): error")
        #expect("\(n)".contains("nvrtcCompileProgram(norm)") && "\(n)".contains("t.cu(3): error"))
    }
}

/// A fake device memory: addresses from a counter, a byte limit to provoke out-of-memory.
final class FakeMemory: DeviceMemoryBackend, @unchecked Sendable {
    let lock = Lock()
    var next: UInt64 = 0x1000_0000
    var live: [UInt64: Int] = [:]
    var limit: Int

    init(limit: Int) { self.limit = limit }

    func allocate(_ bytes: Int) throws(CUDAError) -> UInt64 {
        try lock.withLock { () throws(CUDAError) -> UInt64 in
            guard live.values.reduce(0, +) + bytes <= limit else {
                throw .driver(call: "cuMemAlloc_v2", code: 2, name: "CUDA_ERROR_OUT_OF_MEMORY", message: "out of memory")
            }
            next += UInt64(bytes + 256)
            live[next] = bytes
            return next
        }
    }

    func free(_ address: UInt64) { lock.withLock { _ = live.removeValue(forKey: address) } }
}

@Suite struct CachingAllocatorTests {
    @Test(arguments: [(0, 512), (1, 512), (512, 512), (513, 1024), (1 << 20, 1 << 20), ((1 << 20) + 1, 2 << 20),
                      ((2 << 20) + 1, 4 << 20), (5_000_000, 6 << 20)])
    func sizeClasses(request: Int, expected: Int) {
        #expect(CachingAllocator.sizeClass(request) == expected)
    }

    @Test func freedBlocksAreReused() throws {
        let mem = FakeMemory(limit: 1 << 30)
        let alloc = CachingAllocator(backend: mem)
        var a: DeviceBuffer? = try alloc.allocate(1000)
        let addr = a!.address
        #expect(a!.capacity == 1024 && a!.byteCount == 1000)
        a = nil
        #expect(alloc.statistics.bytesCached == 1024 && alloc.statistics.bytesInUse == 0)
        let b = try alloc.allocate(700)          // same class (1024): the cached block
        #expect(b.address == addr)
        let c = try alloc.allocate(3000)         // another class: a new block
        #expect(c.address != addr)
        let s = alloc.statistics
        #expect(s.requests == 3 && s.cacheHits == 1 && s.driverAllocations == 2 && s.bytesInUse == 1024 + 4096)
        alloc.emptyCache()
        #expect(mem.live.count == 2)
    }

    @Test func outOfMemoryEmptiesTheCacheAndRetries() throws {
        let mem = FakeMemory(limit: 8 << 20)
        let alloc = CachingAllocator(backend: mem)
        var big: DeviceBuffer? = try alloc.allocate(6 << 20)
        big = nil                                 // cached, still held from the driver
        #expect(mem.live.count == 1)
        let other = try alloc.allocate(4 << 20)   // does not fit beside the cached block
        #expect(other.capacity == 4 << 20 && mem.live.count == 1 && alloc.statistics.driverFrees == 1)
        _ = big
        #expect(throws: CUDAError.self) { _ = try alloc.allocate(16 << 20) }
    }
}

@Suite struct KernelCacheTests {
    @Test func hashIsStableAndSensitive() {
        let a = KernelCompiler.hashHex("source\u{0}-DBM=128")
        #expect(a.count == 32)
        #expect(a == KernelCompiler.hashHex("source\u{0}-DBM=128"))
        #expect(a != KernelCompiler.hashHex("source\u{0}-DBM=64"))
        #expect(a != KernelCompiler.hashHex("sourcf\u{0}-DBM=128"))
    }

    @Test func atomicWriteThenRead() {
        let dir = "/tmp/lowbit-cuda-test-\(UInt64.random(in: 0..<UInt64.max))/a/b"
        let path = dir + "/k.cubin"
        let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        #expect(writeFileAtomically(dir: dir, path: path, bytes))
        let back = readFile(path)
        #expect(back?.count == bytes.count)
        #expect(back.map { $0 == bytes } == true)
        #expect(readFile(dir + "/missing") == nil)
    }

    @Test func everyUnitHasADistinctName() {
        let units = KernelSources.all()
        #expect(Set(units.map(\.name)).count == units.count)
        #expect(units.allSatisfy { $0.source.contains("extern \"C\" __global__") })
    }
}
