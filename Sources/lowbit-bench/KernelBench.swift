import CLowBitKernels
import LowBitCore

/// Throughput of the other inference kernels, all threads, best call of repeated runs.
struct KernelResult: Codable {
    var name: String
    var shape: String
    /// GFLOP/s for matrix products, else GB/s of float data read + written.
    var value: Double
    var unit: String
}

func benchKernels(minTime: Double) -> [KernelResult] {
    var seed: UInt32 = 777
    func tensor(_ dims: [Int]) -> Tensor {
        let n = dims.reduce(1, *)
        return Tensor(shape: Shape(dims), values: (0..<n).map { _ in
            seed = seed &* 1_664_525 &+ 1_013_904_223
            return Float(seed >> 8) / Float(1 << 24) * 4 - 2
        })
    }
    func best(_ body: () -> Void) -> Double { timeRepeated(minTime: minTime, minReps: 3, body)[0] }
    var out: [KernelResult] = []

    // Decoding: one token through a linear layer streams the whole weight (memory bound).
    for (n, k) in [(1536, 384), (384, 1536), (4096, 1024)] {
        let layer = PackedLinearWeight(weight: tensor([n, k]))
        let x = tensor([1, k]), y = Tensor(zeros: [1, n])
        let t = best { layer.apply(x, into: y) }
        out.append(KernelResult(name: "linear M=1 (weights read)", shape: "N=\(n) K=\(k)",
                                value: Double(n * k * 4) / t / 1e9, unit: "GB/s"))
    }
    // Attention for 12 heads × 128 tokens × head size 64 (batched over heads).
    let q = tensor([12, 128, 64]), kk = tensor([12, 128, 64]), p = tensor([12, 128, 128])
    let tS = best { _ = CPUKernels.matmulNT(q, kk, alpha: 0.125) }
    out.append(KernelResult(name: "matmulNT Q·Kᵀ", shape: "12×[128,64]·[128,64]ᵀ",
                            value: 2.0 * 12 * 128 * 128 * 64 / tS / 1e9, unit: "GFLOP/s"))
    let tO = best { _ = CPUKernels.matmulNN(p, kk) }
    out.append(KernelResult(name: "matmulNN P·V", shape: "12×[128,128]·[128,64]",
                            value: 2.0 * 12 * 128 * 128 * 64 / tO / 1e9, unit: "GFLOP/s"))
    // Row and element-wise operations into preallocated outputs: bytes = 4 × (elements read
    // + written), i.e. the traffic a fused-free implementation must move at least.
    let s = tensor([12 * 128, 128]), sy = Tensor(zeros: s.shape)
    out.append(KernelResult(name: "softmax (scale, causal)", shape: "[1536, 128]", value: 8.0 * Double(s.count) / best {
        CPUKernels.softmaxRows(rows: 1536, n: 128, x: s.pointer, ldx: 128, y: sy.pointer, ldy: 128, scale: 0.125, causalValid0: 1)
    } / 1e9, unit: "GB/s"))
    let h = tensor([4096, 384]), hy = Tensor(zeros: h.shape), g = tensor([384]), b = tensor([384])
    out.append(KernelResult(name: "layerNorm", shape: "[4096, 384]", value: 8.0 * Double(h.count) / best {
        CPUKernels.layerNormRows(rows: 4096, n: 384, x: h.pointer, ldx: 384, y: hy.pointer, ldy: 384,
                                 gamma: g.pointer, beta: b.pointer, eps: 1e-12)
    } / 1e9, unit: "GB/s"))
    out.append(KernelResult(name: "rmsNorm", shape: "[4096, 384]", value: 8.0 * Double(h.count) / best {
        CPUKernels.rmsNormRows(rows: 4096, n: 384, x: h.pointer, ldx: 384, y: hy.pointer, ldy: 384, weight: g.pointer, eps: 1e-6)
    } / 1e9, unit: "GB/s"))
    let a = tensor([4096, 1536]), u = tensor([4096, 1536]), ay = Tensor(zeros: a.shape)
    let unary: [(String, (Int, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?) -> Void)] = [
        ("gelu (erf)", lb_gelu), ("gelu_tanh", lb_gelu_tanh), ("silu", lb_silu),
    ]
    for (name, f) in unary {
        out.append(KernelResult(name: name, shape: "[4096, 1536]", value: 8.0 * Double(a.count) / best {
            CPUKernels.elementwise(count: a.count, x: a.pointer, y: ay.pointer, f)
        } / 1e9, unit: "GB/s"))
    }
    out.append(KernelResult(name: "silu(gate)·up", shape: "[4096, 1536]", value: 12.0 * Double(a.count) / best {
        CPUKernels.elementwise(count: a.count, a: a.pointer, b: u.pointer, y: ay.pointer, lb_silu_mul)
    } / 1e9, unit: "GB/s"))
    return out
}
