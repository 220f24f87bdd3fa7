import LowBitCore
import LowBitQuant

/// Token-wise quantization against the CPU quantizer, and the register-resident row kernels
/// against the shared-memory kernels they stand in for.
extension CUDASelfTest {
    /// quantizeRows of x: [rows, n] fp16 (row stride `ld` for x and the codes) against the CPU
    /// formula on the same floats, bit for bit: INT8 codes and scales from LowBitQuant's
    /// per-token quantizer (s = absmax/127, q = rn(x / s) clamped ±127); FP8 scales absmax/448 and
    /// codes `CUDAReference.e4m3Code(x / s)`, compared as values (−0 = +0: whether a negative
    /// quotient that rounds to zero keeps its sign is the converter's business, not this check's).
    /// Row 1 is all zeros: scale 0, codes 0.
    func quantizeRowsCheck(rows: Int, n: Int, ld: Int, fp8: Bool) throws(CUDAError) {
        var x = rng.halves(rows * ld, -3, 3)
        if rows > 1 { for i in 0..<n { x[ld + i] = 0 } }
        let xf = compact(x, rows: rows, n: n, ld: ld).map(HalfPrecision.f16ToFloat)
        var scales = [Float](repeating: 0, count: rows), codes = [UInt8](repeating: 0, count: rows * n)
        let name = "quantize-rows" + (fp8 ? ".fp8" : ".int8"), shape = "\(rows)×\(n)\(ldTag(n, ld))"
        if fp8 {
            for r in 0..<rows {
                let s = xf[(r * n)..<(r * n + n)].reduce(Float(0)) { max($0, abs($1)) } / 448
                scales[r] = s
                for i in 0..<n where s > 0 { codes[r * n + i] = CUDAReference.e4m3Code(xf[r * n + i] / s) }
            }
        } else {
            var q = [Int8](repeating: 0, count: rows * n)
            let ok = xf.withUnsafeBufferPointer { xp in
                scales.withUnsafeMutableBufferPointer { sp in
                    q.withUnsafeMutableBufferPointer { qp in
                        (try? QuantKernels.quantizePerToken(xp.baseAddress!, tokens: rows, features: n, bits: .int8,
                                                            scales: sp.baseAddress!, codes: qp.baseAddress!, dequantized: nil)) != nil
                    }
                }
            }
            guard ok else { return record(name, shape, worst: .infinity, detail: "CPU quantizer failed") }
            codes = q.map { UInt8(bitPattern: $0) }
        }
        let dx = try context.upload(x)
        let dq = try context.allocator.allocate(rows * ld), ds = try context.allocate(Float.self, count: rows)
        try context.fill(dq, byte: 0x7F)
        try context.fill(ds, byte: 0xFF)
        let cm = DeviceMatrix(dq, rows: rows, cols: n, ld: ld)
        try kernels.quantizeRows(DeviceMatrix(dx, rows: rows, cols: n, ld: ld),
                                 quant: fp8 ? .fp8e4m3(codes: cm, scales: ds) : .int8(codes: cm, scales: ds))
        let got = compact(try context.download(dq, as: UInt8.self, count: rows * ld), rows: rows, n: n, ld: ld)
        let gotScales = try context.download(ds, as: Float.self, count: rows)
        recordEqual(name + ".scale", shape, gotScales.map(\.bitPattern), scales.map(\.bitPattern))
        let zero: (UInt8) -> UInt8 = { fp8 && $0 == 0x80 ? 0 : $0 }
        recordEqual(name, shape, got.map(zero), codes.map(zero))
    }

    /// Records an exact comparison: worst 0 when equal, else ∞ with the first difference.
    func recordEqual<T: Equatable>(_ name: String, _ shape: String, _ got: [T], _ want: [T]) {
        guard got.count == want.count else {
            return record(name, shape, worst: .infinity, detail: "\(got.count) values, expected \(want.count)")
        }
        guard let i = got.indices.first(where: { got[$0] != want[$0] }) else { return record(name, shape, worst: 0) }
        let differ = zip(got, want).filter { $0 != $1 }.count
        record(name, shape, worst: .infinity, detail: "\(differ) differ, first at \(i): got \(got[i]) want \(want[i])")
    }

    /// One row op's downloaded outputs (fp16 y bits, codes, scale bits; empty where not written).
    struct RowOutputs {
        var y: [UInt16] = [], codes: [UInt8] = [], scales: [UInt32] = []
    }

    /// Runs `op` with the register-resident kernels (which must be selected for these operands:
    /// `selected`) and then with the shared-memory kernels, on the same inputs and fresh poisoned outputs.
    func bothPaths(_ name: String, _ shape: String, selected: Bool,
                   _ op: () throws(CUDAError) -> RowOutputs) throws(CUDAError) -> (register: RowOutputs, shared: RowOutputs)? {
        guard selected else {
            record(name, shape, worst: .infinity, detail: "register-resident kernel not selected for these operands")
            return nil
        }
        let saved = kernels.registerRowKernels
        defer { kernels.registerRowKernels = saved }
        kernels.registerRowKernels = true
        let a = try op()
        kernels.registerRowKernels = false
        let b = try op()
        return (a, b)
    }

    /// For every `RowPlan` width (row counts leaving the last block part empty): bias + GELU (bias,
    /// fp16 y + INT8; no bias, INT8 or FP8 codes only) and quantizeRows (INT8, FP8) give the same
    /// bytes on both paths;
    /// layernorm (+ residual, fp16 + INT8 / FP8) and embeddings + layernorm (fp16 + INT8) within the
    /// bounds of `compareNear` (mean and variance are summed in another order), the number of
    /// differing elements in the detail.
    func rowPathChecks(quick: Bool) throws(CUDAError) {
        for plan in quick ? [RowPlan.forWidth(768)!] : RowPlan.all {
            let n = plan.n, rows = 4 * plan.rowsPerBlock + 1, shape = "\(rows)×\(n) \(plan.name)"
            let x = try context.upload(rng.halves(rows * n, -4, 4)), r = try context.upload(rng.halves(rows * n, -2, 2))
            let g = try context.upload(rng.halves(n, 0.5, 1.5)), b = try context.upload(rng.halves(n, -1, 1))
            let xm = DeviceMatrix(x, rows: rows, cols: n), rm = DeviceMatrix(r, rows: rows, cols: n)
            let probe = DeviceMatrix(try context.allocator.allocate(rows * n), rows: rows, cols: n)
            let selected = kernels.rowPlan(n: n, halves: [xm, rm], codes: probe, vectors: [g, b]) == plan

            // bias + GELU: with a bias and fp16 y + INT8, and as the encoder calls it (no bias, codes only).
            for (withBias, fp8, form) in [(true, false, GeluForm.erf), (false, false, .erf), (false, true, .erf),
                                          (false, false, .tanh), (false, true, .tanh)] {
                let tag = (fp8 ? "fp8" : "int8") + (withBias ? "+bias+y" : "") + (form == .tanh ? "+tanh" : "")
                if let p = try bothPaths("row-paths.bias-gelu.\(tag)", shape, selected: selected, { () throws(CUDAError) in
                    try rowOp(rows: rows, n: n, y: withBias, q: fp8 ? .fp8 : .int8) { (y, q) throws(CUDAError) in
                        try kernels.biasGelu(xm, bias: withBias ? g : nil, y: y, quant: q, form: form)
                    }
                }) {
                    if withBias { recordEqual("row-paths.bias-gelu.\(tag).y", shape, p.register.y, p.shared.y) }
                    recordEqual("row-paths.bias-gelu.\(tag).codes", shape, p.register.codes, p.shared.codes)
                    recordEqual("row-paths.bias-gelu.\(tag).scales", shape, p.register.scales, p.shared.scales)
                }
            }
            for fp8 in [false, true] {
                let tag = fp8 ? "fp8" : "int8"
                if let p = try bothPaths("row-paths.quantize-rows.\(tag)", shape, selected: selected, { () throws(CUDAError) in
                    try rowOp(rows: rows, n: n, y: false, q: fp8 ? .fp8 : .int8) { (_, q) throws(CUDAError) in
                        try kernels.quantizeRows(xm, quant: q!)
                    }
                }) {
                    recordEqual("row-paths.quantize-rows.\(tag).codes", shape, p.register.codes, p.shared.codes)
                    recordEqual("row-paths.quantize-rows.\(tag).scales", shape, p.register.scales, p.shared.scales)
                }
                if let p = try bothPaths("row-paths.layernorm.\(tag)", shape, selected: selected, { () throws(CUDAError) in
                    try rowOp(rows: rows, n: n, y: true, q: fp8 ? .fp8 : .int8) { (y, q) throws(CUDAError) in
                        try kernels.layerNorm(xm, residual: rm, gamma: g, beta: b, eps: 1e-12, y: y, quant: q)
                    }
                }) {
                    compareNear("row-paths.layernorm.\(tag)", shape, p.register, p.shared, fp8: fp8)
                }
            }
            try embeddingPathCheck(plan: plan, gamma: g, beta: b)
        }
    }

    /// Embeddings + layernorm (fp16 + INT8) on both paths, batch 2 × seq rowsPerBlock + 1.
    func embeddingPathCheck(plan: RowPlan, gamma: DeviceBuffer, beta: DeviceBuffer) throws(CUDAError) {
        let n = plan.n, seq = plan.rowsPerBlock + 1, rows = 2 * seq, vocab = 30
        let ids = try context.upload((0..<rows).map { _ in Int32(rng.int(0...(vocab - 1))) })
        let types = try context.upload((0..<rows).map { _ in Int32(rng.int(0...1)) })
        let word = try context.upload(rng.halves(vocab * n, -1, 1)), pos = try context.upload(rng.halves(seq * n, -1, 1))
        let typ = try context.upload(rng.halves(2 * n, -1, 1))
        let shape = "2×\(seq)×\(n) \(plan.name)"
        let probe = DeviceMatrix(try context.allocator.allocate(rows * n), rows: rows, cols: n)
        let selected = kernels.rowPlan(n: n, halves: [], codes: probe, vectors: [word, pos, typ, gamma, beta]) == plan
        if let p = try bothPaths("row-paths.embed-layernorm.int8", shape, selected: selected, { () throws(CUDAError) in
            try rowOp(rows: rows, n: n, y: true, q: .int8) { (y, q) throws(CUDAError) in
                try kernels.embeddingLayerNorm(ids: ids, types: types, rows: rows, seq: seq, word: word, position: pos, type: typ,
                                               gamma: gamma, beta: beta, n: n, eps: 1e-12, y: y, quant: q)
            }
        }) {
            compareNear("row-paths.embed-layernorm.int8", shape, p.register, p.shared, fp8: false)
        }
    }

    /// Allocates poisoned outputs ([rows, n] fp16 y if `y`, codes + scales for q), runs `body`, downloads them.
    func rowOp(rows: Int, n: Int, y: Bool, q: Q,
               _ body: (DeviceMatrix?, ActivationQuantization?) throws(CUDAError) -> Void) throws(CUDAError) -> RowOutputs {
        var ym: DeviceMatrix? = nil
        if y {
            let dy = try context.allocate(UInt16.self, count: rows * n)
            try context.fill(dy, byte: 0xFF)
            ym = DeviceMatrix(dy, rows: rows, cols: n)
        }
        let quant = try quantOutput(q, rows: rows, n: n)
        try body(ym, quant)
        var out = RowOutputs()
        if let ym { out.y = try context.download(ym.buffer, as: UInt16.self, count: rows * n) }
        if let quant {
            out.codes = try context.download(quant.codes.buffer, as: UInt8.self, count: rows * n)
            out.scales = try context.download(quant.scales, as: UInt32.self, count: rows)
        }
        return out
    }

    /// Layernorm's two paths: y within one fp16 ulp + 1e-5 (mean and rstd differ in their last bits;
    /// an output near 0 is the cancellation of terms of size ~1, so its float difference is absolute,
    /// ~2⁻²⁰ — seen 1.2e-7 at 7e-5 in a host emulation), codes within one step (INT8) or one e4m3
    /// ulp, scales within 2⁻²¹ relative. Worst = largest difference / allowed one.
    func compareNear(_ name: String, _ shape: String, _ a: RowOutputs, _ b: RowOutputs, fp8: Bool) {
        func ulp16(_ v: Double) -> Double { v == 0 ? 0x1p-24 : max(0x1p-24, Double(sign: .plus, exponent: v.exponent - 10, significand: 1)) }
        func ulp8(_ v: Double) -> Double { v == 0 ? 0x1p-9 : max(0x1p-9, Double(sign: .plus, exponent: v.exponent - 3, significand: 1)) }
        func near(_ what: String, _ count: Int, _ diff: (Int) -> Double) {
            var worst = 0.0, differ = 0
            for i in 0..<count {
                let d = diff(i)
                if d != 0 { differ += 1 }
                if !(d <= worst) { worst = d.isNaN ? .infinity : d }
            }
            record(name + "." + what, shape, worst: worst, detail: "\(differ) of \(count) differ")
        }
        near("y", a.y.count) { i in
            let u = CUDAReference.f16(a.y[i]), v = CUDAReference.f16(b.y[i])
            return u == v ? 0 : abs(u - v) / (ulp16(max(abs(u), abs(v))) + 1e-5)
        }
        near("codes", a.codes.count) { i in
            if a.codes[i] == b.codes[i] { return 0 }
            if !fp8 { return Double(abs(Int(Int8(bitPattern: a.codes[i])) - Int(Int8(bitPattern: b.codes[i])))) }
            let u = CUDAReference.e4m3(a.codes[i]), v = CUDAReference.e4m3(b.codes[i])
            return abs(u - v) / ulp8(max(abs(u), abs(v)))
        }
        near("scales", a.scales.count) { i in
            let u = Double(Float(bitPattern: a.scales[i])), v = Double(Float(bitPattern: b.scales[i]))
            return u == v ? 0 : abs(u - v) / (max(abs(u), abs(v)) * 0x1p-21)
        }
    }
}
