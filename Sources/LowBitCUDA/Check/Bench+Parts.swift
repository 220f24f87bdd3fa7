/// `lowbit cuda bench [PART…]`: the bench's parts by name. A part added here is reachable from
/// the CLI without touching it (the CLI checks names against `partNames`).
extension CUDABench {
    /// What `lowbit cuda bench` runs without part names.
    public static let defaultParts = ["gemm", "fp8", "w4a8", "attention", "rows", "graphs"]
    /// Every part name, in the order of `run(part:)`'s cases.
    public static let partNames = ["gemm", "fp8", "w4a8", "large", "lt", "wgmma", "ln", "f16", "attention", "rows", "graphs"]

    /// Runs one part: gemm / fp8 / w4a8 (own kernels, BERT-base shapes), large (every kind,
    /// BERT-large shapes), lt (cuBLASLt), wgmma (the Hopper kernel, INT8/FP8/FP16, BERT-base and
    /// BERT-large shapes), ln (the Hopper GEMM with add + layernorm fused, against the GEMM then the
    /// row kernel), f16 (FP16 GEMM), attention, rows, graphs.
    /// Returns false for an unknown name (nothing runs).
    public func run(part: String) throws(CUDAError) -> Bool {
        switch part {
        case "gemm": try gemm(kind: .int8)
        case "fp8": try gemm(kind: .fp8e4m3)
        case "w4a8": try gemm(kind: .w4a8)
        case "large": for kind in GemmKind.allCases { try gemm(kind: kind, shapes: CUDABench.bertLargeShapes) }
        case "lt": try gemmLt()
        case "wgmma": try gemmWgmma()
        case "ln": try gemmLayerNorm()
        case "f16": try gemmF16()
        case "attention": try attention()
        case "rows": try rows()
        case "graphs": try graphs()
        default: return false
        }
        return true
    }
}
