import Foundation
import LowBitCore
import LowBitIO
import LowBitQuant

/// A model read back from a quantized model directory.
public struct LoadedQuantizedModel: @unchecked Sendable {
    public enum Model {
        case encoder(BertModel)
        case decoder(DecoderModel)
    }

    public let model: Model
    public let manifest: QuantizationManifest
    public let config: ModelConfig
    /// The directory (standardized path).
    public let directory: String

    /// The model as a `LayeredModel` (sites, blocks).
    public var layered: any LayeredModel {
        switch model {
        case .encoder(let m): m
        case .decoder(let m): m
        }
    }

    public var encoder: BertModel? { if case .encoder(let m) = model { m } else { nil } }
    public var decoder: DecoderModel? { if case .decoder(let m) = model { m } else { nil } }
}

extension QuantizedModelDirectory {
    /// Reads `quantization.json` alone, validating its format name and version.
    public static func manifest(_ dir: String) throws(ModelError) -> QuantizationManifest {
        let path = (dir as NSString).standardizingPath + "/" + manifestFile
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .file(ModelFileError(.notFound, path: path, "no \(manifestFile): not a quantized model directory"))
        }
        let m: QuantizationManifest
        do { m = try JSONDecoder().decode(QuantizationManifest.self, from: data) } catch {
            throw .file(ModelFileError(.malformed, path: path, "not a valid quantization manifest: \(describe(decoding: error))"))
        }
        guard m.format == QuantizationManifest.formatName else {
            throw .file(ModelFileError(.malformed, path: path, "format is \"\(m.format)\", expected \"\(QuantizationManifest.formatName)\""))
        }
        guard m.formatVersion == QuantizationManifest.currentVersion else {
            throw .file(ModelFileError(.unsupported, path: path,
                                       "format version \(m.formatVersion) is not supported (this LowBit reads version \(QuantizationManifest.currentVersion))"))
        }
        return m
    }

    /// Loads the quantized model directory `dir`: the model with every site's op rebuilt from
    /// the files, and its manifest.
    /// - Throws: `ModelError` naming the file and tensor: `.missingTensor`, `.wrongShape`,
    ///   `.file` (missing or malformed files, unknown format version, invalid codes or scales).
    public static func load(_ dir: String) throws(ModelError) -> LoadedQuantizedModel {
        let root = (dir as NSString).standardizingPath
        let manifest = try manifest(root)
        let config: ModelConfig
        do { config = try ModelConfig.load(configJSON: root + "/" + configFile) } catch { throw .file(error) }
        guard config.architecture == manifest.architecture else {
            throw .file(ModelFileError(.malformed, path: root + "/" + manifestFile,
                                       "architecture \(manifest.architecture) but config.json says \(config.architecture)"))
        }
        let weights: SafeTensorsFile
        do { weights = try SafeTensorsFile(path: root + "/" + manifest.weights) } catch { throw .file(error) }
        var reader = TensorSource(file: weights)
        let model: LoadedQuantizedModel.Model
        switch config {
        case .bert(let c):
            let block = try BertModel.blockConfig(c, path: root)
            let stack = try buildStack(&reader, manifest: manifest, block: block, layers: c.numLayers, vocab: c.vocabSize,
                                       positions: c.maxPositions, types: c.typeVocabSize, eps: Float(c.layerNormEps),
                                       rms: false, embeddingNorm: true, finalNorm: false, head: false)
            model = .encoder(BertModel(config: c, stack: stack))
        case .gpt2(let c):
            let block = try DecoderModel.blockConfig(gpt2: c, path: root)
            let stack = try buildStack(&reader, manifest: manifest, block: block, layers: c.numLayers, vocab: c.vocabSize,
                                       positions: c.maxPositions, types: nil, eps: Float(c.layerNormEps),
                                       rms: false, embeddingNorm: false, finalNorm: true, head: true)
            model = .decoder(DecoderModel(architecture: "gpt2", config: config, stack: stack, contextLength: c.maxPositions,
                                          endOfTextToken: c.eosTokenID))
        case .llama(let c):
            let (block, context) = DecoderModel.blockConfig(llama: c)
            let stack = try buildStack(&reader, manifest: manifest, block: block, layers: c.numLayers, vocab: c.vocabSize,
                                       positions: nil, types: nil, eps: Float(c.rmsNormEps),
                                       rms: true, embeddingNorm: false, finalNorm: true, head: true)
            model = .decoder(DecoderModel(architecture: "llama", config: config, stack: stack, contextLength: context,
                                          endOfTextToken: c.eosTokenID))
        }
        let unused = weights.tensors.map(\.name).filter { !reader.used.contains($0) }
        guard unused.isEmpty else {
            throw .file(ModelFileError(.malformed, path: weights.path,
                                       "tensors not described by \(manifestFile): \(unused.prefix(5).joined(separator: ", "))"))
        }
        return LoadedQuantizedModel(model: model, manifest: manifest, config: config, directory: root)
    }

    static func buildStack(_ r: inout TensorSource, manifest: QuantizationManifest, block: BlockConfig, layers: Int,
                           vocab: Int, positions: Int?, types: Int?, eps: Float, rms: Bool, embeddingNorm: Bool,
                           finalNorm: Bool, head: Bool) throws(ModelError) -> TransformerStack {
        let e = block.hiddenSize
        func norm(_ p: String) throws(ModelError) -> Norm {
            rms ? .rmsNorm(weight: try r.float(p + ".weight", [e]), eps: eps)
                : .layerNorm(gamma: try r.float(p + ".weight", [e]), beta: try r.optionalFloat(p + ".bias", [e]), eps: eps)
        }
        let tokens = try r.float("embeddings.tokens", [vocab, e])
        let embeddings = Embeddings(
            tokens: tokens, positions: try positions.map { (n) throws(ModelError) in try r.float("embeddings.positions", [n, e]) },
            types: try types.map { (n) throws(ModelError) in try r.float("embeddings.types", [n, e]) },
            norm: embeddingNorm ? try norm("embeddings.norm") : nil)
        var expected: [(String, LinearRole, Int, Int)] = []  // name, role, in, out
        for l in 0..<layers {
            for role in TransformerStack.blockRoles {
                let (i, o): (Int, Int)
                switch role {
                case .qkv: (i, o) = (e, block.attention.qkvWidth)
                case .attentionOutput: (i, o) = (block.attention.outputWidth, e)
                case .mlpIn: (i, o) = (e, block.mlpInWidth)
                case .mlpOut: (i, o) = (block.intermediateSize, e)
                case .head: (i, o) = (0, 0)
                }
                expected.append((LinearSite.name(layer: l, role: role), role, i, o))
            }
        }
        if head { expected.append(("head", .head, e, vocab)) }
        let manifestPath = r.file.path.replacingOccurrences(of: manifest.weights, with: manifestFile)
        guard manifest.sites.map(\.name) == expected.map(\.0) else {
            throw .file(ModelFileError(.malformed, path: manifestPath,
                                       "sites are [\(manifest.sites.map(\.name).joined(separator: ", "))], the \(manifest.architecture) config needs [\(expected.map(\.0).joined(separator: ", "))]"))
        }
        var ops: [any LinearOp] = []
        for (site, (_, role, i, o)) in zip(manifest.sites, expected) {
            guard site.role == role, site.inFeatures == i, site.outFeatures == o else {
                throw .file(ModelFileError(.malformed, path: manifestPath,
                                           "site \(site.name) is \(site.role.rawValue) [\(site.outFeatures), \(site.inFeatures)], expected \(role.rawValue) [\(o), \(i)]"))
            }
            ops.append(try op(site, &r, tokens: tokens, manifestPath: manifestPath))
        }
        var blocks: [TransformerBlock] = []
        for l in 0..<layers {
            blocks.append(TransformerBlock(
                config: block, norm1: try norm("layers.\(l).norm1"), norm2: try norm("layers.\(l).norm2"),
                qkv: ops[4 * l], attentionOutput: ops[4 * l + 1], mlpIn: ops[4 * l + 2], mlpOut: ops[4 * l + 3]))
        }
        return TransformerStack(embeddings: embeddings, blocks: blocks, finalNorm: finalNorm ? try norm("final_norm") : nil,
                                head: head ? ops.last : nil)
    }

    /// One site's op from its tensors.
    static func op(_ s: QuantizationManifest.Site, _ r: inout TensorSource, tokens: Tensor,
                   manifestPath: String) throws(ModelError) -> any LinearOp {
        let out = s.outFeatures, width = s.storedInFeatures
        let bias = s.hasBias ? try r.float(s.tensor("bias"), [out]) : nil
        func bad(_ what: String) -> ModelError { .file(ModelFileError(.malformed, path: manifestPath, "site \(s.name): \(what)")) }
        switch s.storage {
        case .float32:
            guard width == s.inFeatures, !s.hasInputChannels, !s.hasInputScales else { throw bad("a float site cannot have an OCS map") }
            return FloatLinear(weight: try r.float(s.tensor("weight"), [out, s.inFeatures]), bias: bias)
        case .tiedEmbeddings:
            guard s.role == .head, tokens.shape == [out, s.inFeatures] else { throw bad("only a [vocab, hidden] head can be tied to the embeddings") }
            return FloatLinear(weight: tokens, bias: bias)
        case .int8, .int4:
            guard let scheme = s.scheme else { throw bad("a quantized site needs a scheme") }
            guard width >= 1, s.hasInputChannels || width == s.inFeatures else {
                throw bad("stored width \(width) differs from in_features \(s.inFeatures) without an OCS map")
            }
            let codes: [Int8]
            if s.storage == .int4 {
                guard scheme.bits.value <= 4 else { throw bad("\(scheme.bits) codes cannot be stored as int4") }
                let bytes = try r.bytes(s.tensor("qweight"), .u8, [out, (width + 1) / 2], as: UInt8.self)
                do { codes = try PackedInt4(rows: out, cols: width, bytes: bytes, name: s.tensor("qweight")).unpacked() } catch {
                    throw r.invalid(error)
                }
            } else {
                codes = try r.bytes(s.tensor("qweight"), .i8, [out, width], as: Int8.self)
            }
            let layout: GroupLayout
            do { layout = try GroupLayout(rows: out, cols: width, granularity: scheme.granularity, tensor: s.name) } catch {
                throw r.invalid(error)
            }
            let grid = [layout.rowGroups, layout.colGroups]
            let scales = try r.parameters(s.tensor("scales"), grid)
            let zeros = scheme.mapping == .asymmetric ? try r.bytes(s.tensor("zeros"), .i8, grid, as: Int8.self) : nil
            let mins = scheme.mapping == .affine ? try r.parameters(s.tensor("mins"), grid) : nil
            let channels = s.hasInputChannels ? try r.bytes(s.tensor("input_channels"), .i32, [width], as: Int32.self) : nil
            let inputScales = s.hasInputScales ? try r.bytes(s.tensor("input_scales"), .f32, [width], as: Float.self) : nil
            do {
                let params = if let mins {
                    try GroupParams(affineScales: scales, mins: mins, bits: scheme.bits, tensor: s.tensor("mins"))
                } else {
                    try GroupParams(scales: scales, zeroPoints: zeros, codeRange: scheme.codeRange, tensor: s.tensor("scales"))
                }
                let w = try QuantizedWeight(outFeatures: out, inFeatures: width, scheme: scheme, values: codes, params: params,
                                            name: s.tensor("qweight"))
                return try QuantizedLinear(weight: w, bias: bias, input: s.activation ?? .none, inFeatures: s.inFeatures,
                                           inputChannels: channels, inputScales: inputScales, name: s.name)
            } catch {
                throw r.invalid(error)
            }
        }
    }

    static func describe(decoding error: any Error) -> String {
        switch error as? DecodingError {
        case .keyNotFound(let k, let c)?: "missing key \((c.codingPath + [k]).map(\.stringValue).joined(separator: "."))"
        case .typeMismatch(_, let c)?, .valueNotFound(_, let c)?, .dataCorrupted(let c)?:
            "\(c.codingPath.map(\.stringValue).joined(separator: ".")): \(c.debugDescription)"
        default: "\(error)"
        }
    }
}

/// Typed, shape-checked reads from the directory's safetensors file; remembers what was read.
struct TensorSource {
    let file: SafeTensorsFile
    var used = Set<String>()

    init(file: SafeTensorsFile) { self.file = file }

    mutating func info(_ name: String, _ dtype: DType, _ shape: [Int]) throws(ModelError) -> SafeTensorInfo {
        guard let t = file.tensor(named: name) else { throw .missingTensor(name: name, path: file.path) }
        guard t.dtype == dtype else {
            throw .file(ModelFileError(.malformed, path: file.path, "tensor \(name) is \(t.dtype.rawValue), expected \(dtype.rawValue)",
                                       offset: t.fileOffset))
        }
        guard t.shape.dims == shape else { throw .wrongShape(name: name, expected: Shape(shape), actual: t.shape, path: file.path) }
        used.insert(name)
        return t
    }

    mutating func float(_ name: String, _ shape: [Int]) throws(ModelError) -> Tensor {
        let t = try info(name, .f32, shape)
        do { return try file.float32(t) } catch { throw .file(error) }
    }

    mutating func optionalFloat(_ name: String, _ shape: [Int]) throws(ModelError) -> Tensor? {
        file.tensor(named: name) == nil ? nil : try float(name, shape)
    }

    mutating func bytes<T>(_ name: String, _ dtype: DType, _ shape: [Int], as: T.Type) throws(ModelError) -> [T] {
        let t = try info(name, dtype, shape)
        let raw = file.rawBytes(of: t)
        return (0..<(t.byteCount / MemoryLayout<T>.stride)).map { raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.stride, as: T.self) }
    }

    /// Group parameters (`S.scales`, `S.mins`): F32, or F16 (widened exactly).
    mutating func parameters(_ name: String, _ shape: [Int]) throws(ModelError) -> [Float] {
        if file.tensor(named: name)?.dtype == .f16 {
            return try bytes(name, .f16, shape, as: UInt16.self).map(HalfPrecision.f16ToFloat)
        }
        return try bytes(name, .f32, shape, as: Float.self)
    }

    /// A QuantError from rebuilding a site, as a file error naming this file.
    func invalid(_ e: QuantError) -> ModelError { .file(ModelFileError(.malformed, path: file.path, e.description)) }
}
