import LowBitCore

/// Layernorm (+ residual, + embeddings), bias + GELU, quantization and add against the references.
/// Row lengths: odd and unaligned ones (the shared-memory kernels) and every `RowPlan` width (the
/// register-resident kernels), with row counts that leave the last block part empty, and strided
/// rows (ld > n: aligned → register kernels, unaligned → shared-memory kernels).
///
/// Bounds: fp16 outputs within |ref|·2⁻¹⁰ + 1e-4 (one fp16 rounding, 2⁻¹¹ relative, plus float
/// sums over ≤ 4096 terms). Quantized outputs are checked dequantized: INT8 within half a step
/// (0.5·scale) plus the same slack; FP8 e4m3 within half an e4m3 step at |ref| (2⁻⁴ relative,
/// 2⁻¹⁰·scale in the subnormal range). Scales within 1e-3 relative.
extension CUDASelfTest {
    enum Q: CaseIterable { case none, int8, fp8 }

    func rowChecks(quick: Bool) throws(CUDAError) {
        // (rows, n, ld): RowPlan widths 384 (16 rows of 16 threads per block), 768, 1024 (4 of 32),
        // 1536 (2 of 64), 3072, 4096 (1 of 128); strided rows, aligned (ld % 8 == 0: 776, 3080) and
        // not (769, 777, 390: the shared-memory kernels).
        let shapes: [(Int, Int, Int)] = quick ? [(3, 17, 17), (33, 768, 768), (5, 768, 777)]
            : [(1, 1, 1), (3, 17, 17), (17, 33, 33), (33, 384, 384), (5, 1023, 1023), (129, 768, 768), (37, 1024, 1024),
               (11, 1536, 1536), (7, 4096, 4096), (2, 3072, 3072), (9, 768, 776), (6, 768, 769), (3, 3072, 3080),
               (3, 384, 390)]
        for (rows, n, ld) in shapes {
            for q in Q.allCases {
                try layerNormCheck(rows: rows, n: n, ld: ld, residual: rows % 2 == 1, q: q)
                try biasGeluCheck(rows: rows, n: n, ld: ld, q: q)
                if q != .none || n == 768 { try biasGeluCheck(rows: rows, n: n, ld: ld, q: q, form: .tanh) }
            }
        }
        for (rows, n, ld) in quick ? [(33, 768, 768), (3, 17, 17)]
            : [(33, 384, 384), (17, 768, 768), (9, 1024, 1024), (5, 1536, 1536), (3, 3072, 3072), (2, 4096, 4096),
               (9, 768, 776), (5, 768, 770), (7, 1023, 1023), (1, 1, 1)] {
            try quantizeRowsCheck(rows: rows, n: n, ld: ld, fp8: false)
            try quantizeRowsCheck(rows: rows, n: n, ld: ld, fp8: true)
        }
        try embeddingCheck(batch: 3, seq: 17, n: 384)
        try embeddingCheck(batch: 2, seq: 5, n: 768)
        try embeddingCheck(batch: 2, seq: 5, n: 768, q: .none)
        try embeddingCheck(batch: 1, seq: 7, n: 33, q: .none)
        try embeddingCheck(batch: 2, seq: 33, n: 33)
        try rowPathChecks(quick: quick)
        for count in [1, 7, 8, 1023, 4099, 1 << 20] { try addCheck(count: count) }
    }

    /// The [rows, n] elements of a [rows, ld] array.
    func compact<T>(_ a: [T], rows: Int, n: Int, ld: Int) -> [T] {
        ld == n ? Array(a.prefix(rows * n)) : (0..<(rows * n)).map { a[($0 / n) * ld + $0 % n] }
    }

    /// " ld L" when the rows are strided.
    func ldTag(_ n: Int, _ ld: Int) -> String { ld == n ? "" : " ld \(ld)" }

    /// Allocates the optional quantized output of `rows`×`n` (row stride `ld`, default n), poisoned.
    func quantOutput(_ q: Q, rows: Int, n: Int, ld: Int? = nil) throws(CUDAError) -> ActivationQuantization? {
        if q == .none { return nil }
        let ld = ld ?? n
        let codes = try context.allocator.allocate(rows * ld), scales = try context.allocate(Float.self, count: rows)
        try context.fill(codes, byte: 0x7F)
        try context.fill(scales, byte: 0xFF)
        let m = DeviceMatrix(codes, rows: rows, cols: n, ld: ld)
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
        let ld = quant.codes.ld
        let codes = compact(try context.download(quant.codes.buffer, as: UInt8.self, count: rows * ld), rows: rows, n: n, ld: ld)
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

    /// x, residual, y and codes all with row stride `ld`.
    func layerNormCheck(rows: Int, n: Int, ld: Int, residual: Bool, q: Q) throws(CUDAError) {
        let x = rng.halves(rows * ld, -2, 2), r = rng.halves(rows * ld, -1, 1)
        let g = rng.halves(n, 0.5, 1.5), b = rng.halves(n, -0.5, 0.5)
        let eps = 1e-5
        let xc = compact(x, rows: rows, n: n, ld: ld), rc = compact(r, rows: rows, n: n, ld: ld)
        let v = (0..<(rows * n)).map { CUDAReference.f16(xc[$0]) + (residual ? CUDAReference.f16(rc[$0]) : 0) }
        let ref = CUDAReference.layerNorm(v, rows: rows, n: n, gamma: g.map(CUDAReference.f16), beta: b.map(CUDAReference.f16), eps: eps)
        let dx = try context.upload(x), dr = try context.upload(r), dg = try context.upload(g), db = try context.upload(b)
        let dy = try context.allocate(UInt16.self, count: rows * ld)
        try context.fill(dy, byte: 0xFF)
        let quant = try quantOutput(q, rows: rows, n: n, ld: ld)
        try kernels.layerNorm(DeviceMatrix(dx, rows: rows, cols: n, ld: ld),
                              residual: residual ? DeviceMatrix(dr, rows: rows, cols: n, ld: ld) : nil,
                              gamma: dg, beta: db, eps: Float(eps), y: DeviceMatrix(dy, rows: rows, cols: n, ld: ld), quant: quant)
        let y = compact(try context.download(dy, as: UInt16.self, count: rows * ld), rows: rows, n: n, ld: ld).map(CUDAReference.f16)
        let shape = "\(rows)×\(n)\(ldTag(n, ld))\(residual ? " +res" : "")"
        if q == .none { check("layernorm", shape, y, ref) { abs(ref[$0]) * 0x1p-10 + 1e-4 } }
        try checkQuant("layernorm", shape, quant, ref: ref, rows: rows, n: n)
    }

    /// x, y and codes all with row stride `ld`.
    /// `form` `.tanh`: against the erf reference, its bound widened by the form's error
    /// (4.8·10⁻⁴ + 2.5·10⁻⁴·|x|, |x| ≤ 5 here).
    func biasGeluCheck(rows: Int, n: Int, ld: Int, q: Q, form: GeluForm = .erf) throws(CUDAError) {
        let x = rng.halves(rows * ld, -4, 4), bias = rng.halves(n, -1, 1)
        let xc = compact(x, rows: rows, n: n, ld: ld)
        let ref = (0..<(rows * n)).map { CUDAReference.gelu(CUDAReference.f16(xc[$0]) + CUDAReference.f16(bias[$0 % n])) }
        let dx = try context.upload(x), db = try context.upload(bias)
        let dy = try context.allocate(UInt16.self, count: rows * ld)
        try context.fill(dy, byte: 0xFF)
        let quant = try quantOutput(q, rows: rows, n: n, ld: ld)
        try kernels.biasGelu(DeviceMatrix(dx, rows: rows, cols: n, ld: ld), bias: db,
                             y: DeviceMatrix(dy, rows: rows, cols: n, ld: ld), quant: quant, form: form)
        let y = compact(try context.download(dy, as: UInt16.self, count: rows * ld), rows: rows, n: n, ld: ld).map(CUDAReference.f16)
        let shape = "\(rows)×\(n)\(ldTag(n, ld))"
        // GELU near −3…−5 is 0.5·x·(1 + erf) with erf ≈ −1: f32 cancellation, ~|x|·2⁻²² absolute.
        let absError = 5 * 0x1p-22 + (form == .tanh ? 4.8e-4 + 2.5e-4 * 5 : 0)
        let name = form == .tanh ? "bias-gelu-tanh" : "bias-gelu"
        if q == .none { check(name, shape, y, ref) { abs(ref[$0]) * 0x1p-10 + absError } }
        try checkQuant(name, shape, quant, ref: ref, rows: rows, n: n, absError: absError)
    }

    /// q: .int8 (codes too) or .none (fp16 y only).
    func embeddingCheck(batch: Int, seq: Int, n: Int, q: Q = .int8) throws(CUDAError) {
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
        let quant = try quantOutput(q, rows: rows, n: n)
        try kernels.embeddingLayerNorm(ids: try context.upload(ids), types: try context.upload(tt), rows: rows, seq: seq,
                                       word: try context.upload(word), position: try context.upload(pos), type: try context.upload(typ),
                                       gamma: try context.upload(g), beta: try context.upload(b), n: n, eps: 1e-12,
                                       y: DeviceMatrix(dy, rows: rows, cols: n), quant: quant)
        let y = try context.download(dy, as: UInt16.self, count: rows * n).map(CUDAReference.f16)
        check("embed-layernorm", "\(batch)×\(seq)×\(n)\(q == .none ? " fp16" : "")", y, ref) { abs(ref[$0]) * 0x1p-10 + 1e-4 }
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
