import CLowBitCUDAShim

/// Host ↔ device copies, queued on the context's stream (so they are ordered with the kernels).
extension CUDAContext {
    /// A device buffer of `count` elements of T (contents undefined).
    public func allocate<T>(_ type: T.Type, count: Int) throws(CUDAError) -> DeviceBuffer {
        try allocator.allocate(count * MemoryLayout<T>.stride)
    }

    /// Copies `values` into a new device buffer.
    public func upload<T: BitwiseCopyable>(_ values: [T]) throws(CUDAError) -> DeviceBuffer {
        let buf = try allocate(T.self, count: values.count)
        try copy(values, to: buf)
        return buf
    }

    /// Copies `values` to the start of `buffer` (stream-ordered; `values` may be reused at once).
    public func copy<T: BitwiseCopyable>(_ values: [T], to buffer: DeviceBuffer, offsetBytes: Int = 0) throws(CUDAError) {
        let bytes = values.count * MemoryLayout<T>.stride
        guard offsetBytes + bytes <= buffer.byteCount else {
            throw .invalidArgument("copy of \(bytes) bytes at \(offsetBytes) into a buffer of \(buffer.byteCount)")
        }
        if bytes == 0 { return }
        try makeCurrent()
        let rc = values.withUnsafeBytes { api.cuMemcpyHtoDAsync!(buffer.address + UInt64(offsetBytes), $0.baseAddress, bytes, stream.handle) }
        try check(rc, "cuMemcpyHtoDAsync_v2(\(bytes) bytes)")
    }

    /// Waits for the stream, then copies `count` elements of T from `buffer` to the host.
    public func download<T: BitwiseCopyable>(_ buffer: DeviceBuffer, as type: T.Type, count: Int,
                                             offsetBytes: Int = 0) throws(CUDAError) -> [T] {
        let bytes = count * MemoryLayout<T>.stride
        guard offsetBytes + bytes <= buffer.byteCount else {
            throw .invalidArgument("download of \(bytes) bytes at \(offsetBytes) from a buffer of \(buffer.byteCount)")
        }
        try makeCurrent()
        var out = [T](unsafeUninitializedCapacity: count) { _, n in n = count }
        if bytes > 0 {
            let rc = out.withUnsafeMutableBytes { api.cuMemcpyDtoHAsync!($0.baseAddress, buffer.address + UInt64(offsetBytes), bytes, stream.handle) }
            try check(rc, "cuMemcpyDtoHAsync_v2(\(bytes) bytes)")
        }
        try stream.synchronize()
        return out
    }

    /// Sets `bytes` bytes at `buffer` + offset to `value` (stream-ordered).
    public func fill(_ buffer: DeviceBuffer, byte value: UInt8, bytes: Int? = nil, offsetBytes: Int = 0) throws(CUDAError) {
        let n = bytes ?? (buffer.byteCount - offsetBytes)
        guard offsetBytes + n <= buffer.byteCount else { throw .invalidArgument("fill beyond the buffer") }
        try makeCurrent()
        try check(api.cuMemsetD8Async!(buffer.address + UInt64(offsetBytes), value, n, stream.handle), "cuMemsetD8Async")
    }

    /// Device-to-device copy (stream-ordered).
    public func copy(from src: DeviceBuffer, to dst: DeviceBuffer, bytes: Int) throws(CUDAError) {
        guard bytes <= src.byteCount, bytes <= dst.byteCount else { throw .invalidArgument("device copy beyond a buffer") }
        try makeCurrent()
        try check(api.cuMemcpyDtoDAsync!(dst.address, src.address, bytes, stream.handle), "cuMemcpyDtoDAsync_v2")
    }
}
