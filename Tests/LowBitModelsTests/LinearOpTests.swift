import Foundation
import LowBitCore
import LowBitModels
import Testing

/// A linear op that counts calls and delegates (what a quantized op looks like to the model).
final class CountingLinear: LinearOp, @unchecked Sendable {
    let inner: any LinearOp
    private let lock = NSLock()
    private var n = 0
    init(_ inner: any LinearOp) { self.inner = inner }
    var inFeatures: Int { inner.inFeatures }
    var outFeatures: Int { inner.outFeatures }
    var calls: Int { lock.withLock { n } }
    func forward(_ x: Tensor) -> Tensor {
        lock.withLock { n += 1 }
        return inner.forward(x)
    }
}

/// A linear op that scales another one's output.
final class ScaledLinear: LinearOp, @unchecked Sendable {
    let inner: any LinearOp, factor: Float
    init(_ inner: any LinearOp, _ factor: Float) { (self.inner, self.factor) = (inner, factor) }
    var inFeatures: Int { inner.inFeatures }
    var outFeatures: Int { inner.outFeatures }
    func forward(_ x: Tensor) -> Tensor {
        let y = inner.forward(x)
        y.withUnsafeMutableBufferPointer { for i in $0.indices { $0[i] *= factor } }
        return y
    }
}

@Suite struct LinearOpTests {
    /// FloatLinear computes x·Wᵀ + b like the slow reference.
    @Test func floatLinearMatchesReference() {
        let m = 5, n = 33, k = 17
        let x = (0..<(m * k)).map { Float(($0 * 37) % 11) / 7 - 0.6 }
        let w = (0..<(n * k)).map { Float(($0 * 13) % 17) / 9 - 0.9 }
        let b = (0..<n).map { Float($0) / 10 }
        let op = FloatLinear(weight: Tensor(shape: [n, k], values: w), bias: Tensor(shape: [n], values: b))
        let y = op.forward(Tensor(shape: [m, k], values: x)).toArray()
        let ref = CPUReference.linear(m: m, n: n, k: k, x: x, w: w, bias: b)
        #expect(maxAbsDiff(y, ref) < 1e-5)
        #expect(op.inFeatures == k && op.outFeatures == n)
    }

    /// Replacing ops: the model calls the new op, output changes accordingly, shapes are checked.
    @Test func replaceAndMapLinears() throws {
        let model = try DecoderModel.load(.open(TestPaths.gpt2))
        let tokens: [Int32] = [10, 20, 30, 40]
        let before = try model.logits(tokens: tokens, cache: nil).toArray()
        var counters: [CountingLinear] = []
        try model.mapLinears { site in
            let c = CountingLinear(site.op)
            counters.append(c)
            return c
        }
        let same = try model.logits(tokens: tokens, cache: nil).toArray()
        #expect(bitwiseEqual(before, same))
        #expect(counters.allSatisfy { $0.calls == 1 })
        #expect(model.linearSites().allSatisfy { $0.op is CountingLinear })

        let head = model.linearSites().last!.op
        try model.replaceLinear(named: "head", with: ScaledLinear(head, 2))
        let doubled = try model.logits(tokens: tokens, cache: nil).toArray()
        #expect(zip(doubled, before).allSatisfy { $0 == 2 * $1 })

        let qkv = model.linearSites()[0].op
        #expect(throws: ModelError.self) { try model.replaceLinear(named: "layers.0.mlp_out", with: qkv) }
        #expect(throws: ModelError.self) { try model.replaceLinear(named: "layers.99.qkv", with: qkv) }
    }
}
