import Foundation
import LowBitCore
import LowBitIO

/// A folder holding `EncoderWeights` compactly, for carrying to a device machine:
/// `encoder.json` (the `EncoderConfig`) and `encoder.safetensors` with the tables and linear
/// weights as F16 (`word` [vocab, hidden], `position`, `type`, `L{l}.{site}.weight` [out, in]),
/// norms and biases as F32, and for W8A8 sites the codes (`L{l}.{site}.codes`, I8 [out, in])
/// and scales (`.scales`, F32 [out]). Sites: qkv, attn_out, ffn_up, ffn_down.
extension EncoderWeights {
    static let siteNames = ["qkv", "attn_out", "ffn_up", "ffn_down"]

    /// Writes the pack into `dir` (created if missing); `vocabRows` keeps only the first rows of
    /// the word table (ids below it give the same results).
    public func writePack(to dir: String, vocabRows: Int? = nil) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var c = config
        let rows = min(vocabRows ?? c.vocab, c.vocab)
        c.vocab = rows
        var entries: [SafeTensorsWriter.Entry] = []
        func f16(_ name: String, _ shape: [Int], _ v: ArraySlice<Float>) {
            let h = v.map(HalfPrecision.floatToF16)
            entries.append(.init(name: name, dtype: .f16, shape: Shape(shape), bytes: h.withUnsafeBytes { Data($0) }))
        }
        func f32(_ name: String, _ v: [Float]) {
            entries.append(.init(name: name, dtype: .f32, shape: Shape([v.count]), bytes: v.withUnsafeBytes { Data($0) }))
        }
        let h = c.hidden
        f16("word", [rows, h], word[0..<(rows * h)])
        f16("position", [c.maxPositions, h], position[...])
        f16("type", [c.typeVocab, h], type[...])
        f32("embed.gamma", embedGamma)
        f32("embed.beta", embedBeta)
        for (l, layer) in layers.enumerated() {
            for (s, w) in [layer.qkv, layer.attentionOutput, layer.mlpIn, layer.mlpOut].enumerated() {
                let p = "L\(l).\(Self.siteNames[s])"
                f16(p + ".weight", [w.out, w.inp], w.weight[...])
                f32(p + ".bias", w.bias)
                if let q = w.int8 {
                    entries.append(.init(name: p + ".codes", dtype: .i8, shape: Shape([w.out, w.inp]),
                                         bytes: q.codes.withUnsafeBytes { Data($0) }))
                    f32(p + ".scales", q.scales)
                }
            }
            f32("L\(l).norm1.gamma", layer.norm1Gamma); f32("L\(l).norm1.beta", layer.norm1Beta)
            f32("L\(l).norm2.gamma", layer.norm2Gamma); f32("L\(l).norm2.beta", layer.norm2Beta)
        }
        try SafeTensorsWriter.write(entries, to: dir + "/encoder.safetensors")
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try enc.encode(c), to: dir + "/encoder.json")
    }

    /// Whether `dir` holds a pack written by `writePack`.
    public static func isPack(_ dir: String) -> Bool {
        FileManager.default.fileExists(atPath: dir + "/encoder.json") && FileManager.default.fileExists(atPath: dir + "/encoder.safetensors")
    }

    /// Reads a pack written by `writePack`.
    public static func readPack(_ dir: String) throws -> EncoderWeights {
        let config = try JSONDecoder().decode(EncoderConfig.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/encoder.json")))
        let st = try SafeTensorsFile(path: dir + "/encoder.safetensors")
        func floats(_ name: String, _ count: Int) throws -> [Float] {
            guard let t = st.tensor(named: name) else { throw CUDAError.invalidArgument("\(dir): pack has no tensor \(name)") }
            let v = try st.float32(t).toArray()
            guard v.count == count else { throw CUDAError.invalidArgument("\(dir): \(name) has \(v.count) values, expected \(count)") }
            return v
        }
        let h = config.hidden, f = config.intermediate
        let dims = [(3 * h, h), (h, h), (f, h), (h, f)]
        var layers: [Layer] = []
        for l in 0..<config.layers {
            var ws: [Linear] = []
            for (s, (out, inp)) in dims.enumerated() {
                let p = "L\(l).\(siteNames[s])"
                var w = Linear(out: out, inp: inp, weight: try floats(p + ".weight", out * inp), bias: try floats(p + ".bias", out))
                if let t = st.tensor(named: p + ".codes") {
                    let raw = st.rawBytes(of: t)
                    guard t.dtype == .i8, raw.count == out * inp else { throw CUDAError.invalidArgument("\(dir): \(p).codes is not I8 [\(out), \(inp)]") }
                    w.int8 = Int8Weight(codes: raw.map { Int8(bitPattern: $0) }, scales: try floats(p + ".scales", out))
                }
                ws.append(w)
            }
            layers.append(Layer(qkv: ws[0], attentionOutput: ws[1], mlpIn: ws[2], mlpOut: ws[3],
                                norm1Gamma: try floats("L\(l).norm1.gamma", h), norm1Beta: try floats("L\(l).norm1.beta", h),
                                norm2Gamma: try floats("L\(l).norm2.gamma", h), norm2Beta: try floats("L\(l).norm2.beta", h)))
        }
        return EncoderWeights(config: config, word: try floats("word", config.vocab * h),
                              position: try floats("position", config.maxPositions * h),
                              type: try floats("type", config.typeVocab * h), embedGamma: try floats("embed.gamma", h),
                              embedBeta: try floats("embed.beta", h), layers: layers)
    }
}
