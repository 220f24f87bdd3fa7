import CLowBitCUDAShim

/// A TMA descriptor (`CUtensorMap`) of a 2-D byte matrix, made by `cuTensorMapEncodeTiled`:
/// boxes of `boxBytes` × `boxRows`, 128-byte swizzle (wgmma's K-major layout) or, for 64-byte
/// boxes, 64-byte swizzle; out-of-range elements read as zero.
///
/// The swizzle XORs a box row's 16-byte chunk index with bits 7… of its shared-memory offset:
/// (row % 8) for 128-byte rows, (row / 2) % 4 for 64-byte rows.
public struct TensorMap: @unchecked Sendable {
    var raw: lb_CUtensorMap

    /// rows × rowBytes bytes at `address`, row stride `strideBytes`. TMA needs a 16-byte-aligned
    /// address, strides that are multiples of 16, boxRows ≤ 256, and boxBytes 128 or 64 (the swizzle span).
    public init(context: CUDAContext, address: UInt64, rows: Int, rowBytes: Int, strideBytes: Int,
                boxBytes: Int = 128, boxRows: Int) throws(CUDAError) {
        guard let encode = context.api.cuTensorMapEncodeTiled else {
            throw .notAvailable(reason: "CUDA driver has no cuTensorMapEncodeTiled (TMA needs CUDA 12 or newer)")
        }
        guard address % 16 == 0, strideBytes % 16 == 0, strideBytes >= rowBytes, rows > 0, rowBytes > 0,
              boxRows > 0, boxRows <= 256, boxBytes == 128 || boxBytes == 64 else {
            throw .invalidArgument("tensor map: \(rows) rows × \(rowBytes) bytes, stride \(strideBytes), address \(address) "
                                   + "(needs 16-byte alignment and stride), box \(boxBytes) × \(boxRows)")
        }
        // Encoded in 64-byte-aligned memory (CUtensorMap's alignment), then copied out.
        let mem = UnsafeMutableRawPointer.allocate(byteCount: 128, alignment: 64)
        defer { mem.deallocate() }
        mem.initializeMemory(as: UInt8.self, repeating: 0, count: 128)
        let map = mem.assumingMemoryBound(to: lb_CUtensorMap.self)
        var dims: [UInt64] = [UInt64(rowBytes), UInt64(rows)], strides: [UInt64] = [UInt64(strideBytes)]
        var box: [UInt32] = [UInt32(boxBytes), UInt32(boxRows)], elementStrides: [UInt32] = [1, 1]
        let rc = encode(map, LB_CU_TENSOR_MAP_DATA_TYPE_UINT8, 2, UnsafeMutableRawPointer(bitPattern: UInt(address)),
                        &dims, &strides, &box, &elementStrides, LB_CU_TENSOR_MAP_INTERLEAVE_NONE,
                        boxBytes == 64 ? LB_CU_TENSOR_MAP_SWIZZLE_64B : LB_CU_TENSOR_MAP_SWIZZLE_128B, LB_CU_TENSOR_MAP_L2_PROMOTION_L2_256B, LB_CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE)
        try check(rc, "cuTensorMapEncodeTiled(\(rows)×\(rowBytes) B, stride \(strideBytes), box \(boxBytes)×\(boxRows))")
        raw = map.pointee
    }
}
