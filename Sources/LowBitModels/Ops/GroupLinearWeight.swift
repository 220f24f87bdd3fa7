import CLowBitKernels
import LowBitCore
import LowBitQuant

/// The weight of an integer linear layer: packed codes and scales that multiply int8
/// per-token activation codes (lb_igemm.h or lb_igemm_group.h), with the float bias.
public protocol IntegerLinearWeight: AnyObject, Sendable {
    var outFeatures: Int { get }
    var inFeatures: Int { get }
    /// y = dequant(codes · wᵀ) + b. codes: [rows, inFeatures] (row stride ldc), scales: [rows];
    /// y: [rows, outFeatures] (row stride ldy). Multi-threaded; allocates nothing.
    func apply(rows: Int, codes: UnsafePointer<Int8>, ldc: Int, scales: UnsafePointer<Float>,
               y: UnsafeMutablePointer<Float>, ldy: Int)
}

/// A group-wise 8- or 4-bit weight (symmetric, asymmetric or affine, groups along inFeatures;
/// per-channel and per-tensor are one group of inFeatures) packed for `lb_igemm_group`
/// (lb_igemm_group.h), which unpacks 4-bit codes in registers. 4-bit weights are read from
/// `PackedInt4`. Affine weights carry their float minimums (`LB_GROUP_MINS`).
///
/// `/// codes: [tokens, inFeatures] int8 with scales [tokens]; w: [outFeatures, inFeatures] codes
/// ///  with scales/zero points/minimums [outFeatures, inFeatures / group]; y: [tokens, outFeatures]`
///
/// Same bits at every instruction-set level and for any `LOWBIT_THREADS`, and the same bits
/// as the simulated layer (`CodeDomainGemm` computes the one definition).
public final class GroupLinearWeight: IntegerLinearWeight, @unchecked Sendable {
    public let outFeatures: Int
    public let inFeatures: Int
    /// Columns per group, and the code width (8 or 4).
    public let group: Int
    public let bits: Int
    /// Whether groups have float minimums (the affine mapping).
    public let hasMinimums: Bool
    /// `bits` as the kernels take it: or-ed with `LB_GROUP_MINS` for minimums.
    var format: Int32 { Int32(bits) | (hasMinimums ? LB_GROUP_MINS : 0) }
    let packed: UnsafeMutableRawPointer
    public let bias: [Float]?

    /// The packed weight (valid while `self` lives), for calling `lb_igemm_group` directly.
    public var packedPointer: UnsafePointer<UInt8> { UnsafePointer(packed.assumingMemoryBound(to: UInt8.self)) }

    /// Packs `weight` if the kernel runs its scheme: 8 or ≤ 4 bits, column groups (per-group,
    /// per-channel, per-tensor or row groups) of a size the kernel takes (a multiple of 4 for
    /// 8 bits, of 8 for 4 bits); nil otherwise. bias: [outFeatures] or nil.
    public init?(weight: QuantizedWeight, bias: Tensor?) {
        let n = weight.outFeatures, k = weight.inFeatures, layout = weight.layout
        let width = weight.scheme.bits.value
        guard width == 8 || width <= 4, k > 0, layout.groupCols > 0 else { return nil }
        let bits = width == 8 ? 8 : 4, gc = layout.groupCols, groups = k / gc
        let format = Int32(bits) | (weight.mins != nil ? LB_GROUP_MINS : 0)
        let size = lb_igemm_group_pack_size(n, k, gc, format)
        guard size > 0 else { return nil }
        if let bias { guard bias.count == n else { return nil } }
        // Scales, zero points and minimums [n, groups], from the weight's group grid.
        var scales = [Float](repeating: 0, count: n * groups)
        var zeros: [Int8]? = weight.zeroPoints == nil ? nil : [Int8](repeating: 0, count: n * groups)
        var mins: [Float]? = weight.mins == nil ? nil : [Float](repeating: 0, count: n * groups)
        for o in 0..<n {
            for g in 0..<groups {
                let p = layout.group(row: o, col: g * gc)
                scales[o * groups + g] = weight.scales[p]
                if let z = weight.zeroPoints { zeros![o * groups + g] = z[p] }
                if let m = weight.mins { mins![o * groups + g] = m[p] }
            }
        }
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(size, 64), alignment: 64)
        let target = p.assumingMemoryBound(to: UInt8.self)
        var rc: Int32 = -1
        withOptionalBuffer(mins) { m in
            if bits == 8 {
                rc = weight.values.withUnsafeBytes { w in lb_igemm_group_pack(n, k, gc, format, w.baseAddress, scales, zeros, m, target) }
            } else if let int4 = try? weight.packedInt4() {
                rc = int4.bytes.withUnsafeBytes { w in lb_igemm_group_pack(n, k, gc, format, w.baseAddress, scales, zeros, m, target) }
            }
        }
        guard rc == 0 else { p.deallocate(); return nil }
        packed = p
        outFeatures = n
        inFeatures = k
        group = gc
        self.bits = bits
        hasMinimums = weight.mins != nil
        self.bias = bias?.toArray()
    }

    deinit { packed.deallocate() }

    /// Bytes of codes per weight (the scales and zero points add ~8 / group more).
    var weightBytes: Double { Double(bits) / 8 + 8 / Double(group) }

    public func apply(rows: Int, codes: UnsafePointer<Int8>, ldc: Int, scales: UnsafePointer<Float>,
                      y: UnsafeMutablePointer<Float>, ldy: Int) {
        guard rows > 0, outFeatures > 0 else { return }
        let n = outFeatures, k = inFeatures, unit = 32, group = group, bits = format
        let units = (n + unit - 1) / unit
        let minChunk = Parallel.gemmMinChunk(rows: rows, inFeatures: k, unitColumns: unit, bytesPerWeight: weightBytes,
                                             opsPerByte: 32, minOps: 0x1p21)
        let packed = packedPointer
        withOptionalBuffer(bias) { b in
            Parallel.forBalancedRanges(units, minChunk: minChunk, oversplit: 2) { r in
                let rc = lb_igemm_group(rows, n, k, group, bits, codes, ldc, scales, packed, b, y, ldy,
                                        r.lowerBound * unit, min(n, r.upperBound * unit))
                precondition(rc == 0)
            }
        }
    }

    /// y = x · ŵᵀ + b with float activations (`lb_wgemm_group`: W8A16 / W4A16, the codes
    /// unpacked to float in registers). x: [rows, inFeatures] (row stride ldx);
    /// y: [rows, outFeatures] (row stride ldy). Multi-threaded; allocates nothing.
    public func applyFloat(rows: Int, x: UnsafePointer<Float>, ldx: Int, y: UnsafeMutablePointer<Float>, ldy: Int) {
        guard rows > 0, outFeatures > 0 else { return }
        let n = outFeatures, k = inFeatures, unit = 32, group = group, bits = format
        let units = (n + unit - 1) / unit
        // FP32 FMA: ~117 GFLOP/s per core against ~13 GB/s → ~9 flops per byte.
        let minChunk = Parallel.gemmMinChunk(rows: rows, inFeatures: k, unitColumns: unit, bytesPerWeight: weightBytes,
                                             opsPerByte: 9, minOps: 0x1p20)
        let packed = packedPointer
        withOptionalBuffer(bias) { b in
            Parallel.forBalancedRanges(units, minChunk: minChunk, oversplit: 2) { r in
                let rc = lb_wgemm_group(rows, n, k, group, bits, x, ldx, packed, b, y, ldy,
                                        r.lowerBound * unit, min(n, r.upperBound * unit))
                precondition(rc == 0)
            }
        }
    }
}
