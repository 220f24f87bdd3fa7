import CLowBitKernels
import LowBitCore
import LowBitQuant

/// An 8-bit symmetric weight packed for the integer GEMM (`lb_igemm_dequant`, lb_igemm.h),
/// with one scale per output feature and the float bias.
///
/// `/// codes: [tokens, inFeatures] int8 with scales [tokens]; w: [outFeatures, inFeatures] int8
/// ///  with scales [outFeatures]; y[t, o] = ((float(Σ_i codes·w) · s_o) · s_t) + b[o]: [tokens, outFeatures]`
///
/// The int32 sums are exact and the epilogue has a fixed order, so `apply` gives the same bits
/// at every instruction-set level and for any `LOWBIT_THREADS`.
public final class Int8LinearWeight: IntegerLinearWeight, @unchecked Sendable {
    public let outFeatures: Int
    public let inFeatures: Int
    /// Packed panels and column corrections (`lb_igemm_pack_b_size` bytes, 64-byte aligned).
    let packed: UnsafeMutableRawPointer
    /// Per-output scales [outFeatures].
    public let scales: [Float]
    /// Bias [outFeatures], or nil.
    public let bias: [Float]?

    /// The packed weight, for calling `lb_igemm_dequant` directly (valid while `self` lives).
    public var packedPointer: UnsafePointer<UInt8> { UnsafePointer(packed.assumingMemoryBound(to: UInt8.self)) }

    /// Packs `weight` if its scheme is 8-bit symmetric per output feature (`.perChannel`, or
    /// `.perTensor`, whose one scale is repeated); nil for any other scheme.
    /// bias: [outFeatures] or nil.
    public init?(weight: QuantizedWeight, bias: Tensor?) {
        guard weight.scheme.bits.value == 8, weight.scheme.mapping == .symmetric,
              weight.params.zeroPoints == nil else { return nil }
        let n = weight.outFeatures, k = weight.inFeatures
        switch weight.scheme.granularity {
        case .perChannel: scales = weight.scales
        case .perTensor: scales = [Float](repeating: weight.scales[0], count: n)
        default: return nil
        }
        guard scales.count == n else { return nil }
        if let bias { guard bias.count == n else { return nil } }
        outFeatures = n
        inFeatures = k
        let bytes = lb_igemm_pack_b_size(n, k)
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 64), alignment: 64)
        weight.values.withUnsafeBufferPointer { w in
            lb_igemm_pack_b(n, k, w.baseAddress, p.assumingMemoryBound(to: UInt8.self))
        }
        packed = p
        self.bias = bias?.toArray()
    }

    deinit { packed.deallocate() }

    /// y = dequant(codes · wᵀ) + b. codes: [rows, inFeatures] (row stride ldc), scales: [rows];
    /// y: [rows, outFeatures] (row stride ldy). Split over `Parallel.threads` by row blocks
    /// (≥ 64 rows per thread) or by pairs of 16-feature panels; allocates nothing.
    public func apply(rows: Int, codes: UnsafePointer<Int8>, ldc: Int, scales tokenScales: UnsafePointer<Float>,
                      y: UnsafeMutablePointer<Float>, ldy: Int) {
        guard rows > 0, outFeatures > 0 else { return }
        let n = outFeatures, k = inFeatures, unit = 2 * Int(LB_IGEMM_PANEL)
        let units = (n + unit - 1) / unit
        // VNNI: ~450 int GOP/s per core against ~13 GB/s of DRAM reads (Zen 4) → ~32 ops per byte.
        let minChunk = Parallel.gemmMinChunk(rows: rows, inFeatures: k, unitColumns: unit, bytesPerWeight: 1,
                                             opsPerByte: 32, minOps: 0x1p21)
        let packed = UnsafePointer(packed.assumingMemoryBound(to: UInt8.self))
        // Many rows: split rows, so each thread packs only its own rows of the codes (the
        // kernel packs a row block once and walks every column with it) and shares the packed
        // weight; few rows (decoding): split columns. Each output element is computed the same
        // way under either split.
        if rows >= 64 * Parallel.threads {
            scales.withUnsafeBufferPointer { ws in
                withOptionalBuffer(bias) { b in
                    Parallel.forBalancedRanges(rows, minChunk: 32, oversplit: 2) { r in
                        let rc = lb_igemm_dequant(r.count, n, k, codes + r.lowerBound * ldc, ldc, tokenScales + r.lowerBound,
                                                  packed, ws.baseAddress, b, y + r.lowerBound * ldy, ldy, 0, n)
                        precondition(rc == 0)
                    }
                }
            }
            return
        }
        scales.withUnsafeBufferPointer { ws in
            withOptionalBuffer(bias) { b in
                Parallel.forBalancedRanges(units, minChunk: minChunk, oversplit: 2) { r in
                    let rc = lb_igemm_dequant(rows, n, k, codes, ldc, tokenScales, packed, ws.baseAddress, b, y, ldy,
                                              r.lowerBound * unit, min(n, r.upperBound * unit))
                    precondition(rc == 0)
                }
            }
        }
    }
}

/// Calls body with a pointer to the array's elements, or nil.
func withOptionalBuffer<R>(_ a: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let a else { return body(nil) }
    return a.withUnsafeBufferPointer { body($0.baseAddress) }
}
