import LowBitCore

/// Layernorm (+ residual, + embeddings), bias + GELU, quantization and add against the references.
///
/// Bounds: fp16 outputs within |ref|·2⁻¹⁰ + 1e-4 (one fp16 rounding, 2⁻¹¹ relative, plus float
/// sums over ≤ 4096 terms). Quantized outputs are checked dequantized: INT8 within half a step
/// (0.5·scale) plus the same slack; FP8 e4m3 within half an e4m3 step at |ref| (2⁻⁴ relative,
/// 2⁻¹⁰·scale in the subnormal range). Scales within 1e-3 relative.
extension CUDASelfTest {
    enum Q: CaseIterable { case none, int8, fp8 }

    func rowChecks(quick: Bool) throws(CUDAError) {
        let shapes: [(Int, Int)] = quick ? [(3, 17), (33, 768)]
            : [(1, 1), (3, 17), (17, 33), (33, 384), (5, 1023), (129, 768), (7, 4096), (2, 3072)]
        for (rows, n) in shapes {
            for q in Q.allCases {
                try layerNormCheck(rows: rows, n: n, residual: rows % 2 == 1, q: q)
                try biasGeluCheck(rows: rows, n: n, q: q)
            }
        }
        try embeddingCheck(batch: 3, seq: 17, n: 384)
        try embeddingCheck(batch: 2, seq: 33, n: 33)
        for count in [1, 7, 8, 1023, 4099, 1 << 20] { try addCheck(count: count) }
    }

    /// Allocates the optional quantized output of `rows`×`n`, poisoned.
    func quantOutput(_ q: Q, rows: Int, n: Int) throws(CUDAError) -> ActivationQuantization? {
        if q == .none { return nil }
        let codes = try context.allocator.allocate(rows * n), scales = try context.allocate(Float.self, count: rows)
        try context.fill(codes, byte: 0x7F)
        try context.fill(scales, byte: 0xFF)
        let m = DeviceMatrix(codes, rows: rows, cols: n)
        return q == .int8 ? .int8(codes: m, scales: scales) : .fp8e4m3(codes: m, scales: scales)
    }

    /// Downloads and checks the quantized output against the float reference rows.
    /// `absError`: how far the kernel's float values may lie from `ref` before quantizing.
    func checkQuant(_ name: String, _ shape: String, _ quant: ActivationQuantization?, ref: [Double],
                    rows: Int, n: Int, absError: Double = 1e-5) throws(CUDAError) {
        guard let quant else { return }
        let isInt8: Bool
        if case .int8 = quant { isInt8 = true } else { isInt8 = false }
        let qmax = isInt8 ? 127.0 : 448.0
        let codes = try context.download(quant.codes.buffer, as: UInt8.self, count: rows * n)
        let scales = try context.download(quant.scales, as: Float.self, count: rows).map(Double.init)
        let refScales = CUDAReference.rowScales(ref, rows: rows, n: n, qmax: qmax)
        check(name + ".scale", shape, scales, refScales) { refScales[$0] * 1e-3 + absError / qmax }
        let deq = (0..<(rows * n)).map { i -> Double in
            let c = codes[i]
            return (isInt8 ? Double(Int8(bitPattern: c)) : CUDAReference.e4m3(c)) * scales[i / n]
        }
        check(name + (isInt8 ? ".int8" : ".fp8"), shape, deq, ref) { i in
            let s = refScales[i / n], r = abs(ref[i])
            let step = isInt8 ? 0.5 * s : max(r * 0x1p-4, 0x1p-10 * s)
            return step * 1.002 + r * 1e-3 + absError
        }
    }

    func layerNormCheck(rows: Int, n: Int, residual: Bool, q: Q) throws(CUDAError) {
        let x = rng.halves(rows * n, -2, 2), r = rng.halves(rows * n, -1, 1)
        let g = rng.halves(n, 0.5, 1.5), b = rng.halves(n, -0.5, 0.5)
        let eps = 1e-5
        let v = (0..<(rows * n)).map { CUDAReference.f16(x[$0]) + (residual ? CUDAReference.f16(r[$0]) : 0) }
        let ref = CUDAReference.layerNorm(v, rows: rows, n: n, gamma: g.map(CUDAReference.f16), beta: b.map(CUDAReference.f16), eps: eps)
        let dx = try context.upload(x), dr = try context.upload(r), dg = try context.upload(g), db = try context.upload(b)
        let dy = try context.allocate(UInt16.self, count: rows * n)
        try context.fill(dy, byte: 0xFF)
        let quant = try quantOutput(q, rows: rows, n: n)
        try kernels.layerNorm(DeviceMatrix(dx, rows: rows, cols: n), residual: residual ? DeviceMatrix(dr, rows: rows, cols: n) : nil,
                              gamma: dg, beta: db, eps: Float(eps), y: DeviceMatrix(dy, rows: rows, cols: n), quant: quant)
        let y = try context.download(dy, as: UInt16.self, count: rows * n).map(CUDAReference.f16)
        let shape = "\(rows)×\(n)\(residual ? " +res" : "")"
        if q == .none { check("layernorm", shape, y, ref) { abs(ref[$0]) * 0x1p-10 + 1e-4 } }
        try checkQuant("layernorm", shape, quant, ref: ref, rows: rows, n: n)
    }

    func biasGeluCheck(rows: Int, n: Int, q: Q) throws(CUDAError) {
        let x = rng.halves(rows * n, -4, 4), bias = rng.halves(n, -1, 1)
        let ref = (0..<(rows * n)).map { CUDAReference.gelu(CUDAReference.f16(x[$0]) + CUDAReference.f16(bias[$0 % n])) }
        let dx = try context.upload(x), db = try context.upload(bias)
        let dy = try context.allocate(UInt16.self, count: rows * n)
        try context.fill(dy, byte: 0xFF)
        let quant = try quantOutput(q, rows: rows, n: n)
        try kernels.biasGelu(DeviceMatrix(dx, rows: rows, cols: n), bias: db, y: DeviceMatrix(dy, rows: rows, cols: n), quant: quant)
        let y = try context.download(dy, as: UInt16.self, count: rows * n).map(CUDAReference.f16)
        let shape = "\(rows)×\(n)"
        if q == .none { check("bias-gelu", shape, y, ref) { abs(ref[$0]) * 0x1p-10 + 5 * 0x1p-22 } }
        // GELU near −3…−5 is 0.5·x·(1 + erf) with erf ≈ −1: f32 cancellation, ~|x|·2⁻²² absolute.
        try checkQuant("bias-gelu", shape, quant, ref: ref, rows: rows, n: n, absError: 5 * 0x1p-22)
    }

    func embeddingCheck(batch: Int, seq: Int, n: Int) throws(CUDAError) {
        let rows = batch * seq, vocab = 50, types = 2
        let ids = (0..<rows).map { _ in Int32(rng.int(0...(vocab - 1))) }
        let tt = (0..<rows).map { _ in Int32(rng.int(0...(types - 1))) }
        let word = rng.halves(vocab * n, -1, 1), pos = rng.halves(seq * n, -1, 1), typ = rng.halves(types * n, -1, 1)
        let g = rng.halves(n, 0.5, 1.5), b = rng.halves(n, -0.5, 0.5)
        let v = (0..<(rows * n)).map { i -> Double in
            let t = i / n, c = i % n
            return CUDAReference.f16(word[Int(ids[t]) * n + c]) + CUDAReference.f16(pos[(t % seq) * n + c])
                + CUDAReference.f16(typ[Int(tt[t]) * n + c])
        }
        let ref = CUDAReference.layerNorm(v, rows: rows, n: n, gamma: g.map(CUDAReference.f16), beta: b.map(CUDAReference.f16), eps: 1e-12)
        let dy = try context.allocate(UInt16.self, count: rows * n)
        try context.fill(dy, byte: 0xFF)
        let quant = try quantOutput(.int8, rows: rows, n: n)
        try kernels.embeddingLayerNorm(ids: try context.upload(ids), types: try context.upload(tt), rows: rows, seq: seq,
                                       word: try context.upload(word), position: try context.upload(pos), type: try context.upload(typ),
                                       gamma: try context.upload(g), beta: try context.upload(b), n: n, eps: 1e-12,
                                       y: DeviceMatrix(dy, rows: rows, cols: n), quant: quant)
        let y = try context.download(dy, as: UInt16.self, count: rows * n).map(CUDAReference.f16)
        check("embed-layernorm", "\(batch)×\(seq)×\(n)", y, ref) { abs(ref[$0]) * 0x1p-10 + 1e-4 }
        try checkQuant("embed-layernorm", "\(batch)×\(seq)×\(n)", quant, ref: ref, rows: rows, n: n)
    }

    func addCheck(count: Int) throws(CUDAError) {
        let a = rng.halves(count, -100, 100), b = rng.halves(count, -100, 100)
        let ref = (0..<count).map { Double(HalfPrecision.f16ToFloat(HalfPrecision.floatToF16(HalfPrecision.f16ToFloat(a[$0]) + HalfPrecision.f16ToFloat(b[$0])))) }
        let dy = try context.allocate(UInt16.self, count: count)
        try context.fill(dy, byte: 0xFF)
        try kernels.add(try context.upload(a), try context.upload(b), into: dy, count: count)
        let y = try context.download(dy, as: UInt16.self, count: count).map(CUDAReference.f16)
        check("add", "\(count)", y, ref) { _ in 1e-30 }   // exact: one float add, one rounding
    }
}
