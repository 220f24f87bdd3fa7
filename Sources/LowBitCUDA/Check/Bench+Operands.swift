/// Operands for timing one GEMM shape, shared by every GEMM bench (own kernels, wgmma, cuBLASLt).
struct GemmTimingOperands {
    /// Copies of (A, B, C): enough that rotating through them streams more than the L2 holds.
    let sets: [(a: DeviceMatrix, b: DeviceMatrix, c: DeviceMatrix)]
    /// f32 scales 0.01 ([M] and [N]) and an fp16 bias of ones ([N]).
    let scaleA: DeviceBuffer, scaleB: DeviceBuffer, bias: DeviceBuffer
    private var next = 0

    init(sets: [(a: DeviceMatrix, b: DeviceMatrix, c: DeviceMatrix)], scaleA: DeviceBuffer, scaleB: DeviceBuffer, bias: DeviceBuffer) {
        self.sets = sets
        self.scaleA = scaleA
        self.scaleB = scaleB
        self.bias = bias
    }

    /// The next set, round robin.
    mutating func take() -> (a: DeviceMatrix, b: DeviceMatrix, c: DeviceMatrix) {
        defer { next += 1 }
        return sets[next % sets.count]
    }
}

extension CUDABench {
    /// Random operands for an M × N × K GEMM of `operands`: A [M, K], B [N, K] (W4A8: [N, K/2] packed
    /// bytes), C [M, N] fp16. FP16 values in [-1, 1]; 8-bit codes random bytes (FP8: NaN and
    /// exponents above 10 avoided, so products stay finite).
    func timingOperands(_ operands: GemmOperands, m: Int, n: Int, k: Int) throws(CUDAError) -> GemmTimingOperands {
        let elem = operands == .fp16 ? 2 : 1
        let bCols = operands == .eightBit(.w4a8) ? k / 2 : k
        let setBytes = elem * (m * k + n * bCols) + 2 * m * n
        let count = max(1, min(4, 2 * context.device.l2Bytes / setBytes + 1))
        let bad: (UInt8) -> Bool = operands == .eightBit(.fp8e4m3) ? { $0 & 0x7F == 0x7F || ($0 >> 3) & 0xF > 10 } : { _ in false }
        let aHost: [UInt8] = operands == .fp16 ? [] : randomBytes(m * k, avoiding: bad)
        let bHost: [UInt8] = operands == .fp16 ? [] : randomBytes(n * bCols, avoiding: bad)
        var sets: [(a: DeviceMatrix, b: DeviceMatrix, c: DeviceMatrix)] = []
        for _ in 0..<count {
            let a = operands == .fp16 ? try context.upload(rng.halves(m * k, -1, 1)) : try context.upload(aHost)
            let b = operands == .fp16 ? try context.upload(rng.halves(n * k, -1, 1)) : try context.upload(bHost)
            sets.append((DeviceMatrix(a, rows: m, cols: k), DeviceMatrix(b, rows: n, cols: bCols),
                         DeviceMatrix(try context.allocate(UInt16.self, count: m * n), rows: m, cols: n)))
        }
        return GemmTimingOperands(sets: sets, scaleA: try context.upload([Float](repeating: 0.01, count: m)),
                                  scaleB: try context.upload([Float](repeating: 0.01, count: n)),
                                  bias: try context.upload([UInt16](repeating: 0x3C00, count: n)))
    }
}
