import Foundation
import LowBitCore
import LowBitIO
import LowBitQuant
import Testing

/// `Mapping.affine` on real Q4_1 blocks: the SmolLM2 GGUF's linear weights are Q4_1 (per block
/// of 32 along a row: x = u·d + m with fp16 d, m and u in 0…15). Quantizing the dequantized
/// weights with 4-bit affine groups of 32 (min-max) must give back every block's codes u, with
/// scale and minimum within float rounding of d and m, so the values within 1e-6 of the block's
/// magnitude (the integer zero point of `.asymmetric` moves whole groups by up to d/2).
struct AffineQ41Tests {
    /// One Q4_1 block: d, m and the 32 codes (qs[j] low nibble: element j, high nibble: j + 16).
    static func block(_ raw: UnsafeRawBufferPointer, _ b: Int) -> (d: Float, m: Float, u: [Int]) {
        let p = raw.baseAddress! + b * 20
        func f16(_ at: Int) -> Float { HalfPrecision.f16ToFloat(p.loadUnaligned(fromByteOffset: at, as: UInt16.self)) }
        let qs = (0..<16).map { p.load(fromByteOffset: 4 + $0, as: UInt8.self) }
        return (f16(0), f16(2), (0..<32).map { $0 < 16 ? Int(qs[$0] & 15) : Int(qs[$0 - 16] >> 4) })
    }

    @Test func q41BlocksRequantizeLosslessly() throws {
        let gguf = try GGUFFile(path: TestPaths.smolLM)
        let names = ["blk.0.attn_q.weight", "blk.0.ffn_down.weight", "blk.14.attn_v.weight", "blk.14.ffn_gate.weight",
                     "blk.29.attn_output.weight", "blk.29.ffn_up.weight"]
        let scheme = QuantScheme(bits: .int4, mapping: .affine, granularity: .perGroup(size: 32))
        var blocks = 0, exactBlocks = 0, worst: Float = 0
        for name in names {
            let info = try #require(gguf.tensor(named: name), "\(name) missing")
            #expect(info.type == .q4_1, "\(name): \(info.type)")
            let w = try gguf.dequantize(info)
            let (rows, cols) = (w.shape[0], w.shape[1])
            let q = try QuantizedWeight(quantizing: w, scheme: scheme, name: name)
            let x = w.toArray(), dq = q.dequantized().toArray(), raw = gguf.rawBytes(of: info)
            for b in 0..<(rows * cols / 32) {
                let (d, m, u) = Self.block(raw, b)
                blocks += 1
                let base = b * 32, block = x[base..<(base + 32)]
                let mag = block.map(\.magnitude).max()!
                var exact = true
                for j in 0..<32 {
                    #expect(x[base + j] == Float(u[j]) * d + m, "\(name) block \(b): GGUF dequantization")
                    // A block with d = 0 is constant m: any code stands for it (ours: 0).
                    if d > 0 { #expect(Int(q.values[base + j]) + 8 == u[j], "\(name) block \(b)[\(j)]: code") }
                    let err = (dq[base + j] - x[base + j]).magnitude
                    worst = max(worst, err / max(mag, .leastNormalMagnitude))
                    exact = exact && dq[base + j].bitPattern == x[base + j].bitPattern
                }
                #expect((q.scales[b] - d).magnitude <= 2 * d.ulp, "\(name) block \(b): scale \(q.scales[b]) vs d \(d)")
                #expect(d == 0 || q.mins![b] == m, "\(name) block \(b): minimum \(q.mins![b]) vs m \(m)")
                if exact { exactBlocks += 1 }
            }
        }
        print("Q4_1 → affine g32: \(exactBlocks)/\(blocks) blocks bit-exact, worst |x̂ − x| / max|block| = \(worst)")
        #expect(worst <= 1e-6)
        // The integer zero point cannot do this: the same blocks through `.asymmetric` move.
        let w = try gguf.dequantize(named: names[0])
        let asym = try QuantizedWeight.fakeQuantized(w, scheme: QuantScheme(bits: .int4, mapping: .asymmetric, granularity: .perGroup(size: 32)))
        let moved = zip(asym.toArray(), w.toArray()).filter { $0 != $1 }.count
        #expect(moved > w.count / 10, "asymmetric moved only \(moved) of \(w.count) values")
    }
}
