import LowBitCore

/// A BERT encoder on the GPU: padded batches [batch, seq] with key-padding lengths, FP16
/// activations, each of a block's four GEMMs in FP16, W8A8 INT8, FP8 e4m3 or W4A8 (`recipe`).
///
/// Per block (post-LN; x: [tokens, hidden], tokens = batch·seq):
///
///     qkv  = GEMM_q1(x) + b                      [tokens, 3·hidden]   (8-bit: x's codes from the LN before)
///     ctx  = attention(qkv, lengths)             [tokens, hidden]     (fused, reads qkv in place)
///     x1   = LN(GEMM_q2(ctx) + b + x)            → fp16 and, for 8-bit q3, per-token codes (`normPlacement`)
///     up   = GELU(GEMM_q3(x1) + b)               [tokens, intermediate] (8-bit q4: codes from a row kernel; see `geluPlacement`)
///     x    = LN(GEMM_q4(up) + b + x1)            → fp16 and, for 8-bit q1 of the next block, codes
///
/// Activation quantization is per token, symmetric (INT8: absmax/127; FP8: absmax/448), fused
/// into the kernel that writes the activation; weights are quantized per output channel on the
/// host (`WeightQuantizer`). Work is queued on the context's stream; `captureGraph()` records one
/// whole forward pass for the current shape and inputs' buffers.
public final class CUDAEncoder: @unchecked Sendable {
    public let config: EncoderConfig
    public let kernels: CUDAKernels
    var context: CUDAContext { kernels.context }
    /// The precision of each GEMM; changing it needs a new graph.
    public var recipe: EncoderRecipe = .fp16
    /// Where the up projection's GELU runs when an 8-bit down projection needs its output's codes
    /// (with an FP16 down projection it is always in the GEMM's epilogue); changing it needs a new graph.
    public var geluPlacement: GeluPlacement = .rowKernel
    /// How the FP8 GEMMs sum over K (`CUDAKernels.gemmAny`'s `fp8Accumulation`); changing it needs a new graph.
    /// `.fast` by default, as Transformer Engine runs FP8 forward GEMMs: on MiniLM's real weights
    /// (H100, 2026-12-06 10:01 UTC) GPU FP8 vs CPU float was min/mean cosine 0.994263 / 0.996664
    /// with fast accumulation and 0.994520 / 0.996591 with promoted, and the FP8 forward pass
    /// 4–12 % faster (docs/benchmarks.md).
    public var fp8Accumulation: FP8Accumulation = .fast
    /// The GELU of the row kernel that writes an 8-bit down projection's codes; changing it needs a new graph.
    /// `.tanh` by default: within 2·10⁻³ of the erf form for |x| ≤ 6 (`GeluForm`), far below an
    /// INT8 step of GELU's output (absmax/127), at a third of the row kernel's FP32 work (that
    /// kernel was ALU-bound: docs/benchmarks.md, 2026-12-06). FP16 outputs keep the erf form.
    public var quantizedGelu: GeluForm = .tanh
    /// How an FP8 attention-output or down projection gets its input's codes; changing it needs a new graph.
    public var fp8Handoff: FP8Handoff = .fused

    /// Where the two add + layernorms run; changing it needs a new graph. Default: what
    /// $LOWBIT_NORM names ("rows" or "epilogue"), else `.rowKernel`: the fused epilogue is correct
    /// but 1.3–2.9× slower than GEMM + row kernel on the H100 (docs/benchmarks.md, 2026-12-07 12:42 UTC).
    public var normPlacement: NormPlacement = environment("LOWBIT_NORM").flatMap(NormPlacement.init(rawValue:)) ?? .rowKernel

    /// `.rowKernel`: the attention-output and down projections write fp16(x·Wᵀ + b) and a row
    /// kernel adds the residual, normalizes and writes the codes (`CUDAKernels.layerNorm`).
    /// `.gemmEpilogue`: those GEMMs do all of it in their epilogue, a cluster of blocks sharing
    /// each row (`CUDAKernels.gemmWgmmaLayerNorm`: Hopper, hidden = 128·c with c ≤ 8, not W4A8);
    /// where they cannot, the row kernel runs. Saves the fp16 round trip of the GEMM's result and
    /// one launch per layernorm, but measured slower (see `normPlacement`); y differs from
    /// `.rowKernel` by that fp16 rounding.
    public enum NormPlacement: String, CaseIterable, Sendable, Codable {
        case rowKernel = "rows"
        case gemmEpilogue = "epilogue"
    }

    /// `.perToken`: as for INT8, a row kernel quantizes the attention context and GELU's output per
    /// token (absmax/448). `.fused`: the attention and the up projection's GEMM write e4m3 codes
    /// at unit scale themselves (`KernelOutput.e4m3`, saturating at ±448; GELU in its tanh form),
    /// and the FP8 GEMM reads them with row scales of 1: no row pass, half the bytes written. FP8's
    /// relative step does not depend on the scale, so only values beyond ±448 (saturated) or below
    /// 2⁻⁶ (subnormal, absolute step 2⁻⁹) fare worse than with per-token scales. Where a kernel
    /// cannot write e4m3 (attention before sm_89; an up projection off the Hopper GEMM, or W4A8),
    /// that site keeps the per-token pass. The layernorms' outputs are always quantized per token
    /// (their kernel has the whole row).
    public enum FP8Handoff: String, CaseIterable, Sendable, Codable {
        case perToken = "per-token"
        case fused
    }

    /// `.rowKernel`: the GEMM writes fp16(x·Wᵀ + b), and one row kernel reads it back for GELU
    /// and the per-token codes (`CUDAKernels.biasGelu`). `.gemmEpilogue`: the GEMM applies GELU
    /// to the f32 result before rounding to fp16, and a plain quantizing pass follows
    /// (`CUDAKernels.quantizeRows`). The codes differ only where the fp16 rounding sits.
    public enum GeluPlacement: String, CaseIterable, Sendable, Codable {
        case rowKernel = "rows"
        case gemmEpilogue = "epilogue"
    }

    let host: EncoderWeights
    let word: DeviceBuffer, position: DeviceBuffer, typeTable: DeviceBuffer, embedGamma: DeviceBuffer, embedBeta: DeviceBuffer
    let norms: [(DeviceBuffer, DeviceBuffer, DeviceBuffer, DeviceBuffer)]
    /// Device weights by (layer, site 0…3, precision), made on first use.
    var linears: [Int: DeviceLinear] = [:]

    /// Current shape and activation buffers (see `prepare`).
    public private(set) var batch = 0, seq = 0
    var act: Activations?

    struct DeviceLinear {
        var weight: DeviceBuffer, scales: DeviceBuffer?, bias: DeviceBuffer, out: Int, inp: Int
    }

    struct Activations {
        var capacity: Int
        var ids, types, lengths: DeviceBuffer
        var x, x1, qkv, ctx, tmp, up: DeviceBuffer
        var xq, x1q, ctxq, upq: DeviceBuffer        // codes
        var xs, x1s, ctxs, ups: DeviceBuffer        // per-token scales
    }

    /// Uploads the float weights (as fp16; quantized forms are made when a recipe first needs them).
    public init(weights: EncoderWeights, kernels: CUDAKernels) throws(CUDAError) {
        let c = weights.config
        guard c.hidden % c.heads == 0, [32, 64, 128].contains(c.headDim) else {
            throw .invalidArgument("GPU encoder: head size \(c.hidden / max(c.heads, 1)) not in {32, 64, 128}")
        }
        guard c.hidden % 32 == 0, c.intermediate % 32 == 0 else {
            throw .invalidArgument("GPU encoder: hidden and FFN sizes must be multiples of 32 (\(c.hidden), \(c.intermediate))")
        }
        config = c
        self.kernels = kernels
        host = weights
        let ctx = kernels.context
        func h(_ v: [Float]) throws(CUDAError) -> DeviceBuffer { try ctx.upload(v.map(HalfPrecision.floatToF16)) }
        word = try h(weights.word)
        position = try h(weights.position)
        typeTable = try h(weights.type)
        embedGamma = try h(weights.embedGamma)
        embedBeta = try h(weights.embedBeta)
        var ns: [(DeviceBuffer, DeviceBuffer, DeviceBuffer, DeviceBuffer)] = []
        for l in weights.layers { ns.append((try h(l.norm1Gamma), try h(l.norm1Beta), try h(l.norm2Gamma), try h(l.norm2Beta))) }
        norms = ns
    }

    /// The device form of layer `l`'s GEMM `site` (0 qkv, 1 attention output, 2 FFN up, 3 FFN down) in `p`.
    func linear(_ l: Int, _ site: Int, _ p: GemmPrecision) throws(CUDAError) -> DeviceLinear {
        let key = (l * 4 + site) * 4 + GemmPrecision.allCases.firstIndex(of: p)!
        if let d = linears[key] { return d }
        let layer = host.layers[l]
        let w = [layer.qkv, layer.attentionOutput, layer.mlpIn, layer.mlpOut][site]
        let bias = try context.upload(w.bias.map(HalfPrecision.floatToF16))
        let d: DeviceLinear
        switch p {
        case .fp16:
            d = DeviceLinear(weight: try context.upload(w.weight.map(HalfPrecision.floatToF16)), scales: nil, bias: bias, out: w.out, inp: w.inp)
        case .int8:
            let (q, s) = w.int8.map { ($0.codes, $0.scales) } ?? WeightQuantizer.int8(w.weight, out: w.out, inp: w.inp)
            d = DeviceLinear(weight: try context.upload(q), scales: try context.upload(s), bias: bias, out: w.out, inp: w.inp)
        case .fp8:
            let (q, s) = WeightQuantizer.fp8(w.weight, out: w.out, inp: w.inp)
            d = DeviceLinear(weight: try context.upload(q), scales: try context.upload(s), bias: bias, out: w.out, inp: w.inp)
        case .w4a8:
            let (q, s) = WeightQuantizer.int4(w.weight, out: w.out, inp: w.inp)
            d = DeviceLinear(weight: try context.upload(q), scales: try context.upload(s), bias: bias, out: w.out, inp: w.inp)
        }
        linears[key] = d
        return d
    }

    /// Makes the device weights `recipe` needs (so that a graph capture does no uploads).
    public func prepareWeights() throws(CUDAError) {
        for l in 0..<config.layers { for (s, p) in recipe.sites.enumerated() { _ = try linear(l, s, p) } }
    }

    /// Sets the batch shape, (re)allocating the activation buffers when they are too small.
    public func prepare(batch: Int, seq: Int) throws(CUDAError) {
        guard batch > 0, seq > 0, seq <= config.maxPositions else {
            throw .invalidArgument("GPU encoder: batch \(batch) × seq \(seq) (seq ≤ \(config.maxPositions))")
        }
        self.batch = batch
        self.seq = seq
        let t = batch * seq
        if let a = act, a.capacity >= t, a.lengths.byteCount >= 4 * batch { return }
        act = nil   // give the old buffers back first
        let h = config.hidden, f = config.intermediate
        func half(_ n: Int) throws(CUDAError) -> DeviceBuffer { try context.allocate(UInt16.self, count: n) }
        func bytes(_ n: Int) throws(CUDAError) -> DeviceBuffer { try context.allocator.allocate(n) }
        func floats(_ n: Int) throws(CUDAError) -> DeviceBuffer { try context.allocate(Float.self, count: n) }
        let types = try context.upload([Int32](repeating: 0, count: t))
        act = Activations(
            capacity: t, ids: try context.upload([Int32](repeating: 0, count: t)), types: types,
            lengths: try context.upload([Int32](repeating: Int32(seq), count: batch)),
            x: try half(t * h), x1: try half(t * h), qkv: try half(t * 3 * h), ctx: try half(t * h), tmp: try half(t * h),
            up: try half(t * f), xq: try bytes(t * h), x1q: try bytes(t * h), ctxq: try bytes(t * h), upq: try bytes(t * f),
            xs: try floats(t), x1s: try floats(t), ctxs: try floats(t), ups: try floats(t))
    }

    /// Uploads token ids ([batch·seq], row b·seq + s) and valid lengths ([batch], right padding).
    /// Ids are checked against the vocabulary here (the kernel does not check them).
    public func setInputs(ids: [Int32], lengths: [Int32]? = nil, typeIDs: [Int32]? = nil) throws(CUDAError) {
        guard let a = act else { throw .invalidArgument("GPU encoder: prepare(batch:seq:) first") }
        guard ids.count == batch * seq, (lengths?.count ?? batch) == batch, (typeIDs?.count ?? ids.count) == ids.count else {
            throw .invalidArgument("GPU encoder: ids need \(batch * seq) entries, lengths \(batch)")
        }
        if let bad = ids.firstIndex(where: { $0 < 0 || Int($0) >= config.vocab }) {
            throw .invalidArgument("GPU encoder: token id \(ids[bad]) at \(bad) outside the vocabulary (\(config.vocab))")
        }
        if let bad = typeIDs?.firstIndex(where: { $0 < 0 || Int($0) >= config.typeVocab }) {
            throw .invalidArgument("GPU encoder: type id at \(bad) outside 0..<\(config.typeVocab)")
        }
        try context.copy(ids, to: a.ids)
        try context.copy(typeIDs ?? [Int32](repeating: 0, count: ids.count), to: a.types)
        try context.copy(lengths ?? [Int32](repeating: Int32(seq), count: batch), to: a.lengths)
    }

    /// The activation quantization a GEMM of precision `p` reads (nil: FP16 input).
    func quant(_ p: GemmPrecision, codes: DeviceBuffer, scales: DeviceBuffer, rows: Int, cols: Int) -> ActivationQuantization? {
        let m = DeviceMatrix(codes, rows: rows, cols: cols)
        switch p {
        case .fp16: return nil
        case .int8, .w4a8: return .int8(codes: m, scales: scales)
        case .fp8: return .fp8e4m3(codes: m, scales: scales)
        }
    }

    /// y = x·Wᵀ + b (+ GELU) with W in precision p: fp16 x, or x's codes `q`; on the backend
    /// `kernels.backendPolicy` gives for the shape (own `mma.sync` kernel or cuBLASLt).
    /// `output` `.e4m3`: y gets unit-scale codes (`fp8Handoff`).
    func gemm(_ w: DeviceLinear, _ p: GemmPrecision, x: DeviceMatrix, q: ActivationQuantization?, y: DeviceMatrix,
              gelu: Bool = false, output: KernelOutput = .fp16) throws(CUDAError) {
        switch p {
        case .fp16:
            try kernels.gemmAny(.fp16, a: x, b: DeviceMatrix(w.weight, rows: w.out, cols: w.inp), scaleA: nil, scaleB: nil,
                                bias: w.bias, c: y, gelu: gelu, output: output)
        case .int8, .fp8, .w4a8:
            guard let q else { throw .invalidArgument("GPU encoder: \(p) GEMM without quantized input") }
            let kind: GemmKind = p == .int8 ? .int8 : (p == .fp8 ? .fp8e4m3 : .w4a8)
            try kernels.gemmAny(.eightBit(kind), a: q.codes,
                                b: DeviceMatrix(w.weight, rows: w.out, cols: p == .w4a8 ? w.inp / 2 : w.inp),
                                scaleA: q.scales, scaleB: w.scales!, bias: w.bias, c: y, gelu: gelu,
                                fp8Accumulation: fp8Accumulation, output: output)
        }
    }

    /// y = LN(x·Wᵀ + b + residual)·γ + β (with y's codes `quant`): in the GEMM's epilogue where
    /// `normPlacement` and the operands allow it (then `stage` covers both), else the GEMM into
    /// `tmp`, then the row kernel (stages `stage`, `normStage`).
    func gemmAddNorm(_ w: DeviceLinear, _ p: GemmPrecision, x: DeviceMatrix, q: ActivationQuantization?, tmp: DeviceMatrix,
                     residual: DeviceMatrix, gamma: DeviceBuffer, beta: DeviceBuffer, y: DeviceMatrix, quant: ActivationQuantization?,
                     stage: EncoderStage, normStage: EncoderStage,
                     after: ((EncoderStage) throws(CUDAError) -> Void)?) throws(CUDAError) {
        let ops: GemmOperands?
        switch p {
        case .fp16: ops = .fp16
        case .int8: ops = .eightBit(.int8)
        case .fp8: ops = .eightBit(.fp8e4m3)
        case .w4a8: ops = nil
        }
        let a = p == .fp16 ? x : q?.codes
        let b = DeviceMatrix(w.weight, rows: w.out, cols: w.inp)
        if normPlacement == .gemmEpilogue, let ops, let a,
           kernels.wgmmaLayerNormUnsupported(ops, a: a, b: b, y: y, residual: residual) == nil {
            try kernels.gemmWgmmaLayerNorm(ops, a: a, b: b, scaleA: q?.scales, scaleB: w.scales, bias: w.bias, residual: residual,
                                           gamma: gamma, beta: beta, eps: config.eps, y: y, quant: quant,
                                           fp8Accumulation: fp8Accumulation)
            try after?(stage)
            return
        }
        try gemm(w, p, x: x, q: q, y: tmp)
        try after?(stage)
        try kernels.layerNorm(tmp, residual: residual, gamma: gamma, beta: beta, eps: config.eps, y: y, quant: quant)
        try after?(normStage)
    }

    /// Whether the up projection writes e4m3 codes for an FP8 down projection (`fp8Handoff`):
    /// only the Hopper GEMM can, and not from W4A8.
    func upWritesCodes(_ r: EncoderRecipe, _ a: Activations, tokens t: Int) throws(CUDAError) -> Bool {
        guard fp8Handoff == .fused, r.mlpOut == .fp8 else { return false }
        let ops: GemmOperands
        switch r.mlpIn {
        case .fp16: ops = .fp16
        case .int8: ops = .eightBit(.int8)
        case .fp8: ops = .eightBit(.fp8e4m3)
        case .w4a8: return false
        }
        let w = try linear(0, 2, r.mlpIn)
        return kernels.wgmmaUnsupported(ops, a: DeviceMatrix(r.mlpIn == .fp16 ? a.x1 : a.x1q, rows: t, cols: config.hidden),
                                        b: DeviceMatrix(w.weight, rows: w.out, cols: w.inp),
                                        c: DeviceMatrix(a.upq, rows: t, cols: config.intermediate)) == nil
    }

    /// Queues one forward pass on the context's stream; the last hidden states end in `x` (fp16).
    /// `blocks`: run only these blocks (nil: all); `embed` false: start from the hidden states
    /// `setHidden` put in `x` instead of the embeddings (layer-by-layer comparisons).
    /// `after`: called once each stage's work is queued (per-stage timings, `CUDAEncoderProfile`).
    public func forward(blocks: Range<Int>? = nil, embed: Bool = true,
                        after: ((EncoderStage) throws(CUDAError) -> Void)? = nil) throws(CUDAError) {
        guard let a = act else { throw .invalidArgument("GPU encoder: prepare(batch:seq:) first") }
        let t = batch * seq, h = config.hidden, f = config.intermediate
        let r = recipe
        func m(_ b: DeviceBuffer, _ cols: Int) -> DeviceMatrix { DeviceMatrix(b, rows: t, cols: cols) }
        let xq = quant(r.qkv, codes: a.xq, scales: a.xs, rows: t, cols: h)
        let x1q = quant(r.mlpIn, codes: a.x1q, scales: a.x1s, rows: t, cols: h)
        // FP8 codes the attention / the up projection write themselves (`fp8Handoff`), read with unit row scales.
        let fusedCtx = fp8Handoff == .fused && r.attentionOutput == .fp8 && context.device.supportsFP8
        let fusedUp = try upWritesCodes(r, a, tokens: t)
        let ones = fusedCtx || fusedUp ? try kernels.unitScales(t) : a.ctxs
        let ctxq = quant(r.attentionOutput, codes: a.ctxq, scales: fusedCtx ? ones : a.ctxs, rows: t, cols: h)
        let upq = quant(r.mlpOut, codes: a.upq, scales: fusedUp ? ones : a.ups, rows: t, cols: f)

        if embed {
            // Embeddings + LN (INT8 codes fused; FP8 codes by a separate pass).
            var embQ: ActivationQuantization? = nil
            if case .int8? = xq { embQ = xq }
            try kernels.embeddingLayerNorm(ids: a.ids, types: a.types, rows: t, seq: seq, word: word, position: position,
                                           type: typeTable, gamma: embedGamma, beta: embedBeta, n: h, eps: config.eps,
                                           y: m(a.x, h), quant: embQ)
            if case .fp8e4m3? = xq, let q = xq { try kernels.quantizeRows(m(a.x, h), quant: q) }
        } else if let q = xq {
            try kernels.quantizeRows(m(a.x, h), quant: q)
        }
        try after?(.embed)

        for l in blocks ?? 0..<config.layers {
            let (g1, b1, g2, b2) = norms[l]
            try gemm(try linear(l, 0, r.qkv), r.qkv, x: m(a.x, h), q: xq, y: m(a.qkv, 3 * h))
            try after?(.qkv)
            func view(_ p: Int) -> DeviceMatrix { DeviceMatrix(a.qkv, rows: t, cols: h, ld: 3 * h, offsetBytes: p * h * 2) }
            try kernels.attention(q: view(0), k: view(1), v: view(2), o: m(fusedCtx ? a.ctxq : a.ctx, h), batch: batch, seq: seq,
                                  heads: config.heads, headDim: config.headDim, lengths: a.lengths,
                                  output: fusedCtx ? .e4m3 : .fp16)
            try after?(.attention)
            if let q = ctxq, !fusedCtx {
                try kernels.quantizeRows(m(a.ctx, h), quant: q)
                try after?(.quantizeContext)
            }
            try gemmAddNorm(try linear(l, 1, r.attentionOutput), r.attentionOutput, x: m(a.ctx, h), q: ctxq, tmp: m(a.tmp, h),
                            residual: m(a.x, h), gamma: g1, beta: b1, y: m(a.x1, h), quant: x1q,
                            stage: .attentionOutput, normStage: .norm1, after: after)
            // FFN up: GELU in the GEMM's epilogue or, for an 8-bit down projection, in the quantizing row kernel.
            let geluInGemm = upq == nil || geluPlacement == .gemmEpilogue || fusedUp
            try gemm(try linear(l, 2, r.mlpIn), r.mlpIn, x: m(a.x1, h), q: x1q, y: m(fusedUp ? a.upq : a.up, f), gelu: geluInGemm,
                     output: fusedUp ? .e4m3 : .fp16)
            try after?(.mlpIn)
            if let q = upq, !fusedUp {
                if geluInGemm {
                    try kernels.quantizeRows(m(a.up, f), quant: q)
                    try after?(.quantizeUp)
                } else {
                    try kernels.biasGelu(m(a.up, f), bias: nil, y: nil, quant: q, form: quantizedGelu)
                    try after?(.geluQuantize)
                }
            }
            try gemmAddNorm(try linear(l, 3, r.mlpOut), r.mlpOut, x: m(a.up, f), q: upq, tmp: m(a.tmp, h),
                            residual: m(a.x1, h), gamma: g2, beta: b2, y: m(a.x, h), quant: l + 1 < config.layers ? xq : nil,
                            stage: .mlpOut, normStage: .norm2, after: after)
        }
    }

    /// Puts hidden states [batch·seq, hidden] (rounded to fp16) in `x`, for `forward(embed: false)`.
    public func setHidden(_ hidden: [Float]) throws(CUDAError) {
        guard let a = act, hidden.count == batch * seq * config.hidden else {
            throw .invalidArgument("GPU encoder: setHidden needs \(batch * seq * config.hidden) values after prepare")
        }
        try context.copy(hidden.map(HalfPrecision.floatToF16), to: a.x)
    }

    /// Records one forward pass (current shape, recipe and buffers) as a graph; inputs set with
    /// `setInputs` before each replay are read by it. Runs one eager pass first (weights, kernels).
    public func captureGraph() throws(CUDAError) -> CUDAGraph {
        try prepareWeights()
        try forward()
        try context.synchronize()
        return try context.stream.capture { () throws(CUDAError) in try forward() }
    }

    /// The last hidden states of the last pass: [batch·seq, hidden] floats (waits for the stream).
    public func hiddenStates() throws(CUDAError) -> [Float] {
        guard let a = act else { throw .invalidArgument("GPU encoder: nothing computed") }
        return try context.download(a.x, as: UInt16.self, count: batch * seq * config.hidden).map(HalfPrecision.f16ToFloat)
    }

    /// Sentence embeddings of token sequences (each ≤ maxPositions): right-padded into one
    /// batch, one forward pass, then the mean over each sequence's tokens, L2-normalized (on the host).
    public func embed(_ sequences: [[Int32]], normalize: Bool = true) throws(CUDAError) -> [[Float]] {
        let s = sequences.map(\.count).max() ?? 0
        guard s > 0 else { return sequences.map { _ in [Float](repeating: 0, count: config.hidden) } }
        try prepare(batch: sequences.count, seq: s)
        var ids = [Int32](repeating: 0, count: sequences.count * s)
        for (b, q) in sequences.enumerated() { for (j, id) in q.enumerated() { ids[b * s + j] = id } }
        try setInputs(ids: ids, lengths: sequences.map { Int32($0.count) })
        try prepareWeights()
        try forward()
        let hs = try hiddenStates(), h = config.hidden
        return sequences.enumerated().map { (b, q) in
            var sum = [Double](repeating: 0, count: h)
            for j in 0..<q.count { for i in 0..<h { sum[i] += Double(hs[(b * s + j) * h + i]) } }
            var mean = sum.map { $0 / Double(max(q.count, 1)) }
            if normalize {
                let norm = max(mean.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
                mean = mean.map { $0 / norm }
            }
            return mean.map { Float($0) }
        }
    }
}
