import CLowBitKernels

/// A linear layer's weight packed once for the SGEMM kernel, with its optional bias.
///
/// `apply` computes `y = x · Wᵀ + b`:
/// `/// x: [tokens, inFeatures]; w: [outFeatures, inFeatures]; b: [outFeatures]; y: [tokens, outFeatures]`
/// (any leading dimensions of `x` are flattened into `tokens`).
///
/// The packed layout is the one `lb_sgemm_pack_b` documents (panels of 16 output features).
/// Work is split over `Parallel.threads` either by rows of `x` or by 16-feature panels; every
/// output element is computed by the same sequence of float operations whatever the split,
/// so results are bitwise identical for any `LOWBIT_THREADS`.
public final class PackedLinearWeight: @unchecked Sendable {
    public let outFeatures: Int
    public let inFeatures: Int
    /// Packed weight panels (64-byte aligned, `lb_sgemm_pack_b_size` floats).
    let packed: UnsafeMutablePointer<Float>
    let packedCount: Int
    /// Bias [outFeatures], or nil.
    let bias: UnsafeMutablePointer<Float>?

    /// Packs `weight`: [outFeatures, inFeatures] and copies `bias`: [outFeatures] if given.
    public init(weight: Tensor, bias: Tensor? = nil) {
        precondition(weight.shape.rank == 2, "PackedLinearWeight: weight must be [out, in], got \(weight.shape)")
        let n = weight.shape[0], k = weight.shape[1]
        if let bias { precondition(bias.count == n, "PackedLinearWeight: bias \(bias.shape) for \(n) outputs") }
        outFeatures = n
        inFeatures = k
        packedCount = lb_sgemm_pack_b_size(n, k)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(packedCount, 1) * 4, alignment: 64)
        packed = raw.bindMemory(to: Float.self, capacity: max(packedCount, 1))
        lb_sgemm_pack_b(n, k, weight.pointer, packed)
        if let bias {
            let b = UnsafeMutablePointer<Float>.allocate(capacity: max(n, 1))
            b.update(from: bias.pointer, count: n)
            self.bias = b
        } else {
            self.bias = nil
        }
    }

    /// Packs a weight given as row-major values [outFeatures · inFeatures].
    public convenience init(outFeatures: Int, inFeatures: Int, weights: [Float], bias: [Float]? = nil) {
        self.init(weight: Tensor(shape: [outFeatures, inFeatures], values: weights),
                  bias: bias.map { Tensor(shape: [outFeatures], values: $0) })
    }

    /// The packed panels, for calling `lb_sgemm_packed` directly (valid while `self` lives).
    public var packedPointer: UnsafePointer<Float> { UnsafePointer(packed) }
    /// The bias [outFeatures], or nil (valid while `self` lives).
    public var biasPointer: UnsafePointer<Float>? { bias.map { UnsafePointer($0) } }

    deinit {
        UnsafeMutableRawPointer(packed).deallocate()
        bias?.deallocate()
    }

    /// y = x · Wᵀ + b. x: [..., inFeatures] → y: [..., outFeatures] (new tensor).
    public func apply(_ x: Tensor) -> Tensor {
        precondition(x.shape.rank >= 1 && x.shape.dims.last == inFeatures,
                     "PackedLinearWeight.apply: x \(x.shape) does not end in \(inFeatures)")
        var dims = x.shape.dims
        dims[dims.count - 1] = outFeatures
        // Every element is written (outFeatures > 0; an empty output has nothing to write).
        let y = Tensor(uninitialized: Shape(dims))
        apply(rows: x.count / max(inFeatures, 1), x: x.pointer, ldx: inFeatures, y: y.pointer, ldy: outFeatures)
        return y
    }

    /// y = x · Wᵀ + b into an existing tensor. x: [..., inFeatures]; y: [..., outFeatures].
    public func apply(_ x: Tensor, into y: Tensor) {
        precondition(x.shape.dims.last == inFeatures && y.shape.dims.last == outFeatures
                     && x.count / max(inFeatures, 1) == y.count / max(outFeatures, 1),
                     "PackedLinearWeight.apply: x \(x.shape), y \(y.shape) for [\(outFeatures), \(inFeatures)]")
        apply(rows: x.count / max(inFeatures, 1), x: x.pointer, ldx: inFeatures, y: y.pointer, ldy: outFeatures)
    }

    /// Pointer form: x: [rows, inFeatures] with row stride ldx; y: [rows, outFeatures] with row
    /// stride ldy. Multi-threaded over `Parallel.threads`; allocates nothing.
    public func apply(rows: Int, x: UnsafePointer<Float>, ldx: Int, y: UnsafeMutablePointer<Float>, ldy: Int) {
        guard rows > 0, outFeatures > 0 else { return }
        let n = outFeatures, k = inFeatures, panel = Int(LB_SGEMM_PANEL)
        let panels = (n + panel - 1) / panel
        let packed = UnsafePointer(packed), bias = bias.map { UnsafePointer($0) }
        // Splitting rows shares the packed weight between threads and packs each row of x
        // once; splitting panels is what is left when there are few rows (decoding).
        let splitRows = rows >= 64 * Parallel.threads || panels < Parallel.threads
        // ~1 MFLOP per chunk at least; split by panels, each panel also streams 4·k·16 bytes
        // of weights (~9 flops' worth of time per byte at ~117 GFLOP/s and ~13 GB/s per core).
        let minChunk = splitRows ? max(1, (1 << 20) / max(2 * k * n, 1))
            : Parallel.gemmMinChunk(rows: rows, inFeatures: k, unitColumns: panel, bytesPerWeight: 4, opsPerByte: 9,
                                    minOps: 0x1p20)
        if splitRows {
            Parallel.forBalancedRanges(rows, minChunk: max(minChunk, 8), oversplit: 4) { r in
                let rc = lb_sgemm_packed(r.count, n, k, x + r.lowerBound * ldx, ldx, packed, bias,
                                         y + r.lowerBound * ldy, ldy, 0, n)
                precondition(rc == 0)
            }
        } else {
            Parallel.forBalancedRanges(panels, minChunk: minChunk, oversplit: 2) { p in
                let rc = lb_sgemm_packed(rows, n, k, x, ldx, packed, bias, y, ldy,
                                         p.lowerBound * panel, min(n, p.upperBound * panel))
                precondition(rc == 0)
            }
        }
    }
}
