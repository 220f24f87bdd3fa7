import LowBitCore

/// Kernels writing unit-scale FP8 codes (`KernelOutput.e4m3`): the Hopper GEMM's epilogue and
/// the attention. A code passes when it is what rounding some value within `b` of the double
/// reference gives: rounding is monotone, so it must lie between e4m3(ref − b) and e4m3(ref + b)
/// (exactly e4m3(ref) where both ends round alike). `b` is the bound of the error before the
/// output's rounding, as in the fp16-output checks.
extension CUDASelfTest {
    func e4m3IntervalCheck(_ name: String, _ shape: String, codes: [UInt8], ref: [Double], bound: (Int) -> Double) {
        var mid = [Double](repeating: 0, count: ref.count), half = mid
        for i in ref.indices {
            let b = bound(i) * 1.001
            let lo = CUDAReference.e4m3Round(ref[i] - b), hi = CUDAReference.e4m3Round(ref[i] + b)
            (mid[i], half[i]) = ((lo + hi) / 2, (hi - lo) / 2)
        }
        check(name, shape, codes.map(CUDAReference.e4m3), mid) { half[$0] + 1e-12 * max(abs(mid[$0]), 1) }
    }

    /// `gemmWgmma` with e4m3 output, every tile (TMA stores or the threads'), on INT8 operands (exact
    /// sums; the FP8 and FP16 operand kinds share the epilogue and are run once each). `big`
    /// scales push some results past ±448 (saturation).
    func wgmmaE4M3Checks(quick: Bool) throws(CUDAError) {
        var cases: [(GemmOperands, Int, Int, Int, Bool, Bool)] = [   // operands, M, N, K, GELU, big
            (.eightBit(.int8), 17, 34, 48, false, false), (.eightBit(.int8), 129, 258, 784, true, false),
            (.eightBit(.int8), 300, 1000, 1040, false, true), (.eightBit(.int8), 600, 3072, 768, true, false),
            (.eightBit(.fp8e4m3), 129, 258, 784, true, false), (.fp16, 129, 258, 784, true, false),
            // N % 16 == 0 (TMA-storable rows) with M and N tails inside a tile: the TMA tiles store through the map
            (.eightBit(.int8), 129, 272, 784, true, false), (.eightBit(.fp8e4m3), 200, 400, 512, false, true),
        ]
        if quick { cases = [cases[1], cases[4], cases[6]] }
        for (ops, m, n, k, gelu, big) in cases { try wgmmaE4M3Check(ops, m: m, n: n, k: k, gelu: gelu, big: big) }
    }

    func wgmmaE4M3Check(_ ops: GemmOperands, m: Int, n: Int, k: Int, gelu: Bool, big: Bool) throws(CUDAError) {
        let top: Float = big ? 0.2 : 0.02
        let sa = (0..<m).map { _ in rng.uniform(0.001, top) }, sb = (0..<n).map { _ in rng.uniform(0.001, 0.02) }
        let bv = rng.halves(n, -1, 1)
        var acc: [Double], accAbs: [Double]
        let da: DeviceBuffer, db: DeviceBuffer
        switch ops {
        case .eightBit(.fp8e4m3):   // integers −4…4: every accumulation mode sums them exactly
            let small = (-4...4).map { CUDAReference.e4m3Code(Float($0)) }
            let a = (0..<(m * k)).map { _ in small[rng.int(0...8)] }, b = (0..<(n * k)).map { _ in small[rng.int(0...8)] }
            (acc, accAbs) = CUDAReference.gemmDouble(a.map(CUDAReference.e4m3), b.map(CUDAReference.e4m3), m: m, n: n, k: k)
            da = try context.upload(a); db = try context.upload(b)
        case .fp16:
            let a = rng.halves(m * k, -1, 1), b = rng.halves(n * k, -1, 1)
            (acc, accAbs) = CUDAReference.gemmDouble(a.map(CUDAReference.f16), b.map(CUDAReference.f16), m: m, n: n, k: k)
            da = try context.upload(a); db = try context.upload(b)
        default:
            let a = rng.int8s(m * k), b = rng.int8s(n * k)
            acc = CUDAReference.gemmInt(a, b, m: m, n: n, k: k).map(Double.init)
            accAbs = acc.map(abs)
            da = try context.upload(a); db = try context.upload(b)
        }
        let isF16 = ops == .fp16
        let rowScale = { (i: Int) -> Double in isF16 ? 1 : Double(sa[i / n]) * Double(sb[i % n]) }
        let pre = (0..<(m * n)).map { acc[$0] * rowScale($0) + CUDAReference.f16(bv[$0 % n]) }
        let ref = gelu ? pre.map(CUDAReference.gelu) : pre
        let dsa = try context.upload(sa), dsb = try context.upload(sb), dbias = try context.upload(bv)
        let dc = try context.allocate(UInt8.self, count: m * n)
        let fast = ops == .eightBit(.fp8e4m3)
        for tile in WgmmaConfig.candidates(ops) where !fast || tile.fp8Accumulation == .fast {
            try context.fill(dc, byte: 0x7F)   // NaN: a code never written shows
            try kernels.gemmWgmma(ops, a: DeviceMatrix(da, rows: m, cols: k), b: DeviceMatrix(db, rows: n, cols: k),
                                  scaleA: isF16 ? nil : dsa, scaleB: isF16 ? nil : dsb, bias: dbias,
                                  c: DeviceMatrix(dc, rows: m, cols: n), gelu: gelu, config: tile, output: .e4m3)
            let codes = try context.download(dc, as: UInt8.self, count: m * n)
            e4m3IntervalCheck("gemm-wgmma.\(ops)\(gelu ? "+gelu" : "")→e4m3", "M\(m) N\(n) K\(k) wgmma \(tile)\(big ? " saturating" : "")",
                              codes: codes, ref: ref) { i in
                // The float epilogue (as the fp16 checks), FP16 operands' f32 sums, GELU's tanh form.
                var b = (accAbs[i] * rowScale(i) + abs(CUDAReference.f16(bv[i % n]))) * 4 * 0x1p-24 + 0x1p-30
                if isF16 { b += 0x1p-20 * Double(k) * accAbs[i] }
                if gelu { b = 1.13 * b + 4.8e-4 + 2.5e-4 * abs(pre[i]) + 1e-6 }   // |GELU'| ≤ 1.13
                return b
            }
        }
    }

    /// Attention writing e4m3 codes: the fp16 check's bound without its output rounding.
    func attentionE4M3Checks(quick: Bool) throws(CUDAError) {
        guard context.device.supportsFP8 else {
            record("attention.e4m3.skipped", "device is \(context.device.arch), e4m3 needs sm_89+", worst: 0)
            return
        }
        let cases: [(Int, Int, Int, Int, Bool, Bool, Bool)] = quick ? [(2, 17, 3, 64, true, false, false)]
            : [(2, 17, 3, 64, true, false, false), (2, 257, 4, 64, true, false, false), (1, 128, 12, 64, false, false, true),
               (2, 100, 4, 32, true, false, false)]
        for tile in AttentionTile.allCases {
            for c in cases where tile.runs(headDim: c.3, on: context.device) {
                try attentionCheck(batch: c.0, seq: c.1, heads: c.2, d: c.3, padded: c.4, causal: c.5, bf16: c.6, output: .e4m3, tile: tile)
            }
        }
    }
}
