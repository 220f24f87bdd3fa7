import Foundation
import LowBitCore
import LowBitIO
import LowBitQuant

/// The tensors of a quantized model directory's `model.safetensors`, under canonical names
/// (one vocabulary for every architecture; docs/format.md lists them):
///
/// - float parts of the stack: `embeddings.tokens` [vocab, hidden], `embeddings.positions`
///   [maxPositions, hidden], `embeddings.types` [typeVocab, hidden], `embeddings.norm.weight|bias`,
///   `layers.N.norm1.weight|bias`, `layers.N.norm2.weight|bias` (`TransformerBlock.norm1/norm2`),
///   `final_norm.weight|bias`, each [hidden], present as the architecture has them;
/// - per site `S` (`layers.N.qkv`, …, `head`): `S.qweight` (I8 [out, w] or U8 `PackedInt4`
///   [out, (w+1)/2]), `S.scales` F32 [rowGroups, colGroups], `S.zeros` I8 (asymmetric), `S.mins`
///   F32 (affine; its zero points are implied) — scales and minimums as F16 when every value
///   of the tensor is exactly an F16 (`parameterEntry`) —, `S.bias` F32 [out], `S.input_channels` I32 [w], `S.input_scales` F32 [w], or
///   `S.weight` F32 [out, in] for a float site; w = stored (OCS-widened) input width.
enum SiteTensors {
    typealias Entry = SafeTensorsWriter.Entry

    /// All entries of `model` (4-byte types first, so that F32 data stays 4-byte aligned and
    /// loads without a copy) and the manifest's site list.
    static func entries(of model: any LayeredModel) throws -> ([Entry], [QuantizationManifest.Site]) {
        let stack = model.stack
        var entries = floatEntries(stack)
        var sites: [QuantizationManifest.Site] = []
        for site in stack.linearSites() {
            let (e, s) = try siteEntries(site, tokens: stack.embeddings.tokens)
            entries += e
            sites.append(s)
        }
        // Widest types first (stable), so that every tensor's data is aligned to its element size.
        let sorted = [4, 2, 1].flatMap { size in entries.filter { min(max($0.dtype.byteSize, 1), 4) == size } }
        return (sorted, sites)
    }

    static func norm(_ n: Norm, _ prefix: String) -> [Entry] {
        switch n {
        case .layerNorm(let g, let b, _):
            [Entry(name: prefix + ".weight", tensor: g)] + (b.map { [Entry(name: prefix + ".bias", tensor: $0)] } ?? [])
        case .rmsNorm(let w, _):
            [Entry(name: prefix + ".weight", tensor: w)]
        }
    }

    static func floatEntries(_ stack: TransformerStack) -> [Entry] {
        let emb = stack.embeddings
        var out = [Entry(name: "embeddings.tokens", tensor: emb.tokens)]
        if let p = emb.positions { out.append(Entry(name: "embeddings.positions", tensor: p)) }
        if let t = emb.types { out.append(Entry(name: "embeddings.types", tensor: t)) }
        if let n = emb.norm { out += norm(n, "embeddings.norm") }
        for (i, b) in stack.blocks.enumerated() {
            out += norm(b.norm1, "layers.\(i).norm1") + norm(b.norm2, "layers.\(i).norm2")
        }
        if let n = stack.finalNorm { out += norm(n, "final_norm") }
        return out
    }

    static func data<T>(_ a: [T]) -> Data { a.withUnsafeBytes { Data($0) } }

    /// Group parameters (scales, minimums) [rowGroups, colGroups]: F16 when every value converts
    /// to F16 and back to the same bits (lossless: e.g. a Q4_1 GGUF's d and m, which are F16),
    /// else F32. Readers take either (`TensorSource.parameters`).
    static func parameterEntry(_ name: String, _ values: [Float], shape: [Int]) -> Entry {
        let half = values.map(HalfPrecision.floatToF16)
        let exact = zip(half, values).allSatisfy { HalfPrecision.f16ToFloat($0).bitPattern == $1.bitPattern }
        return exact ? Entry(name: name, dtype: .f16, shape: Shape(shape), bytes: data(half))
            : Entry(name: name, dtype: .f32, shape: Shape(shape), bytes: data(values))
    }

    /// One site's entries and manifest entry.
    static func siteEntries(_ site: LinearSite, tokens: Tensor) throws -> ([Entry], QuantizationManifest.Site) {
        if let q = site.op as? QuantizedLinear { return try quantizedEntries(site, q) }
        if let f = site.op as? FloatLinear { return floatEntries(site, f, tokens: tokens) }
        throw ModelError.unsupported(
            "site \(site.name) is a \(type(of: site.op)); a quantized model directory stores QuantizedLinear and FloatLinear sites",
            path: site.name)
    }

    static func biasEntry(_ name: String, _ b: Tensor?) -> [Entry] {
        guard let b else { return [] }
        return [Entry(name: name + ".bias", tensor: b.reshaped([b.count]))]
    }

    static func codesEntry(_ name: String, _ w: QuantizedWeight) throws(QuantError) -> (Entry, QuantizationManifest.Site.Storage) {
        if w.scheme.bits.value <= 4 {
            let packed = try w.packedInt4(name: name + ".qweight")
            return (Entry(name: name + ".qweight", dtype: .u8, shape: [w.outFeatures, packed.bytesPerRow], bytes: data(packed.bytes)),
                    .int4)
        }
        return (Entry(name: name + ".qweight", dtype: .i8, shape: [w.outFeatures, w.inFeatures], bytes: data(w.values)), .int8)
    }

    static func quantizedEntries(_ site: LinearSite, _ q: QuantizedLinear) throws -> ([Entry], QuantizationManifest.Site) {
        let name = site.name, w = q.weight, layout = w.layout
        let (codes, storage) = try codesEntry(name, w)
        var entries = [codes]
        entries.append(parameterEntry(name + ".scales", w.scales, shape: [layout.rowGroups, layout.colGroups]))
        if w.scheme.mapping == .asymmetric, let z = w.zeroPoints {
            entries.append(Entry(name: name + ".zeros", dtype: .i8, shape: [layout.rowGroups, layout.colGroups], bytes: data(z)))
        }
        if let m = w.mins {
            entries.append(parameterEntry(name + ".mins", m, shape: [layout.rowGroups, layout.colGroups]))
        }
        entries += biasEntry(name, q.bias)
        if let m = q.inputChannels { entries.append(Entry(name: name + ".input_channels", dtype: .i32, shape: [m.count], bytes: data(m))) }
        if let s = q.inputScales { entries.append(Entry(name: name + ".input_scales", dtype: .f32, shape: [s.count], bytes: data(s))) }
        let entry = QuantizationManifest.Site(
            name: name, role: site.role, storage: storage, outFeatures: q.outFeatures, inFeatures: q.inFeatures,
            storedInFeatures: w.inFeatures, scheme: w.scheme, activation: q.input, hasBias: q.bias != nil,
            hasInputChannels: q.inputChannels != nil, hasInputScales: q.inputScales != nil,
            bytes: entries.reduce(0) { $0 + $1.bytes.count })
        return (entries, entry)
    }

    static func floatEntries(_ site: LinearSite, _ f: FloatLinear, tokens: Tensor) -> ([Entry], QuantizationManifest.Site) {
        let name = site.name
        let tied = site.role == .head && f.weight.buffer === tokens.buffer && f.weight.elementOffset == tokens.elementOffset
            && f.weight.shape == tokens.shape
        let entries = (tied ? [] : [Entry(name: name + ".weight", tensor: f.weight)]) + biasEntry(name, f.bias)
        let entry = QuantizationManifest.Site(
            name: name, role: site.role, storage: tied ? .tiedEmbeddings : .float32, outFeatures: f.outFeatures,
            inFeatures: f.inFeatures, storedInFeatures: f.inFeatures, scheme: nil, activation: nil, hasBias: f.bias != nil,
            hasInputChannels: false, hasInputScales: false, bytes: entries.reduce(0) { $0 + $1.bytes.count })
        return (entries, entry)
    }
}
