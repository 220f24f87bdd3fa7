import LowBitIO
import LowBitModels

extension EncoderWeights {
    /// Weights from a path: a pack (`writePack`), a quantized model directory (`lowbit
    /// quantize`: its W8A8 codes are kept, see `init(model:)`), or a Hugging Face BERT directory.
    public static func load(path: String) throws -> EncoderWeights {
        if isPack(path) { return try readPack(path) }
        if QuantizedModelDirectory.isQuantized(path) {
            guard let m = try QuantizedModelDirectory.load(path).encoder else {
                throw CUDAError.invalidArgument("\(path): not a BERT-family encoder")
            }
            return try EncoderWeights(model: m)
        }
        return try EncoderWeights(model: try BertModel.load(path: path))
    }
}

/// Sentence embeddings on the GPU for `lowbit embed --device cuda`: a `BertModel` (float, or a
/// quantized directory's W8A8 sites, whose codes the INT8 GEMM uses as they are) run by
/// `CUDAEncoder` with the recipe the model asks for (`quantizedRecipe()`, else FP16), GEMMs on
/// cuBLASLt (W4A8 on the own kernel), mean-pooled and L2-normalized like `SentenceEmbedder`.
public final class CUDASentenceEncoder {
    public let encoder: CUDAEncoder
    public var recipe: EncoderRecipe { encoder.recipe }

    public init(model: BertModel, kernels: CUDAKernels? = nil) throws {
        let k = try kernels ?? CUDAKernels.shared()
        // Pinned, not `.auto`: a timing-based choice could differ between processes, and FP16/FP8
        // on cuBLASLt and on the own kernel sum in different orders (INT8 is bit-identical).
        k.backendPolicy = .cublasLt
        let weights = try EncoderWeights(model: model)
        encoder = try CUDAEncoder(weights: weights, kernels: k)
        encoder.recipe = try weights.quantizedRecipe() ?? .fp16
    }

    /// One embedding [hidden] per id sequence (already truncated), `batchSize` per padded batch.
    public func embed(ids: [[Int]], batchSize: Int = 32) throws -> [[Float]] {
        var out: [[Float]] = []
        out.reserveCapacity(ids.count)
        for start in stride(from: 0, to: ids.count, by: max(1, batchSize)) {
            let chunk = ids[start..<min(ids.count, start + max(1, batchSize))]
            out += try encoder.embed(chunk.map { $0.map { Int32(clamping: $0) } })
        }
        return out
    }
}
