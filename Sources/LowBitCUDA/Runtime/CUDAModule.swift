import CLowBitCUDAShim

/// One argument of a kernel launch, as the kernel's C signature declares it.
public enum KernelArgument: Sendable {
    case pointer(UInt64)
    case int32(Int32)
    case int64(Int64)
    case float32(Float)
    /// A TMA descriptor (`CUtensorMap`, 128 bytes) passed by value (`__grid_constant__`).
    case tensorMap(TensorMap)

    public static func buffer(_ b: DeviceBuffer?, offsetBytes: Int = 0) -> KernelArgument {
        .pointer(b.map { $0.address + UInt64(offsetBytes) } ?? 0)
    }
    public static func int(_ v: Int) -> KernelArgument { .int32(Int32(truncatingIfNeeded: v)) }
}

/// A loaded CUBIN and its kernels.
public final class CUDAModule: @unchecked Sendable {
    let handle: lb_CUmodule
    let context: CUDAContext

    public init(context: CUDAContext, cubin: [UInt8]) throws(CUDAError) {
        self.context = context
        try context.makeCurrent()
        var m: lb_CUmodule? = nil
        try check(cubin.withUnsafeBytes { context.api.cuModuleLoadData!(&m, $0.baseAddress) }, "cuModuleLoadData")
        handle = m!
    }

    deinit { _ = context.api.cuModuleUnload?(handle) }

    public func function(_ name: String) throws(CUDAError) -> CUDAFunction {
        var f: lb_CUfunction? = nil
        try check(context.api.cuModuleGetFunction!(&f, handle, name), "cuModuleGetFunction(\(name))")
        return CUDAFunction(handle: f!, name: name, module: self)
    }
}

/// A kernel entry point.
public struct CUDAFunction: @unchecked Sendable {
    let handle: lb_CUfunction
    public let name: String
    let module: CUDAModule

    /// Allows `bytes` of dynamic shared memory per block (needed above 48 KiB).
    public func setMaxDynamicSharedMemory(_ bytes: Int) throws(CUDAError) {
        try check(module.context.api.cuFuncSetAttribute!(handle, LB_CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, Int32(bytes)),
                  "cuFuncSetAttribute(\(name), max dynamic smem \(bytes))")
    }

    /// How many clusters of this kernel (compile-time cluster dimensions, `cluster` blocks in x)
    /// can run at once with this block size and shared memory; nil where the driver has no query.
    public func maxActiveClusters(cluster: Int, block: (Int, Int, Int), sharedBytes: Int) throws(CUDAError) -> Int? {
        guard let query = module.context.api.cuOccupancyMaxActiveClusters else { return nil }
        try module.context.makeCurrent()
        var config = lb_CUlaunchConfig(gridDimX: UInt32(cluster), gridDimY: 1, gridDimZ: 1, blockDimX: UInt32(block.0),
                                       blockDimY: UInt32(block.1), blockDimZ: UInt32(block.2), sharedMemBytes: UInt32(sharedBytes),
                                       hStream: nil, attrs: nil, numAttrs: 0)
        var count: Int32 = 0
        try check(query(&count, handle, &config), "cuOccupancyMaxActiveClusters(\(name), cluster \(cluster), smem \(sharedBytes))")
        return Int(count)
    }

    /// Queues the kernel on `stream` (default: the context's stream).
    public func launch(grid: (Int, Int, Int), block: (Int, Int, Int), sharedBytes: Int = 0,
                       stream: CUDAStream? = nil, _ args: [KernelArgument]) throws(CUDAError) {
        let ctx = module.context
        try ctx.makeCurrent()
        guard grid.0 > 0, grid.1 > 0, grid.2 > 0 else { return }   // nothing to do
        // Each value gets a 128-byte, 64-byte-aligned slot (a tensor map's size and alignment).
        let storage = UnsafeMutableRawPointer.allocate(byteCount: max(args.count, 1) * 128, alignment: 64)
        defer { storage.deallocate() }
        var pointers = [UnsafeMutableRawPointer?](repeating: nil, count: args.count)
        for (i, a) in args.enumerated() {
            let slot = storage + i * 128
            switch a {
            case .tensorMap(let m): slot.storeBytes(of: m.raw, as: lb_CUtensorMap.self)
            case .pointer(let p): slot.storeBytes(of: p, as: UInt64.self)
            case .int32(let v): slot.storeBytes(of: v, as: Int32.self)
            case .int64(let v): slot.storeBytes(of: v, as: Int64.self)
            case .float32(let v): slot.storeBytes(of: v, as: Float.self)
            }
            pointers[i] = slot
        }
        let s = (stream ?? ctx.stream).handle
        let rc = pointers.withUnsafeMutableBufferPointer {
            ctx.api.cuLaunchKernel!(handle, UInt32(grid.0), UInt32(grid.1), UInt32(grid.2),
                                    UInt32(block.0), UInt32(block.1), UInt32(block.2),
                                    UInt32(sharedBytes), s, $0.baseAddress, nil)
        }
        try check(rc, "cuLaunchKernel(\(name), grid \(grid), block \(block), smem \(sharedBytes))")
    }
}
