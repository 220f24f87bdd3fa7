import LowBitCore

// Byte layouts of the GGML block-quantized types LowBit reads. All little-endian; `f16` is
// IEEE binary16. A block holds consecutive elements of one row (along `ne[0]`).
//
//   Q4_0  (32 elems, 18 B): d:f16 | qs[16]         x[j] = (qs[j] & 15 - 8)·d,  x[j+16] = (qs[j] >> 4 - 8)·d
//   Q4_1  (32 elems, 20 B): d:f16 m:f16 | qs[16]   x[j] = (qs[j] & 15)·d + m,  x[j+16] = (qs[j] >> 4)·d + m
//   Q5_0  (32 elems, 22 B): d:f16 | qh:u32 | qs[16] 5th bit of element i is bit i of qh; x = (q - 16)·d
//   Q5_1  (32 elems, 24 B): d:f16 m:f16 | qh:u32 | qs[16]                             x = q·d + m
//   Q8_0  (32 elems, 34 B): d:f16 | qs:i8[32]      x[j] = qs[j]·d
//   Q4_K (256 elems, 144 B): d:f16 dmin:f16 | scales[12] (8 six-bit scale/min pairs) | qs[128]
//         sub-block s (32 elems): x = (d·sc[s])·q − (dmin·mn[s]); the 64 elements 64c..64c+63 take
//         their low nibbles from qs[32c..32c+31] (first 32) and high nibbles (next 32)
//   Q5_K (256 elems, 176 B): d dmin | scales[12] | qh[32] | qs[128]; as Q4_K, plus bit of qh[l]
//         (bit 2c for the low half of chunk c, 2c+1 for the high half) adds 16
//   Q6_K (256 elems, 210 B): ql[128] | qh[64] | scales:i8[16] | d:f16
//         per 128-element half: x[l + 32k] = (d·sc[l/16 + 2k])·(q − 32), q = 4 low bits from ql,
//         2 high bits from qh (see `dequantizeQ6K`)

/// Fast dequantization of GGUF tensors to FP32, one block at a time, over all cores.
/// Gives the same bits as `GGUFReferenceDequantizer` and as the `gguf` Python package.
public enum GGUFDequantizer {
    /// Dequantizes `count` elements of `type` stored in `src` into `dst`.
    /// `src` must hold `count / type.blockSize` blocks (checked by the caller).
    public static func dequantize(_ type: GGMLType, _ src: UnsafeRawBufferPointer, into dst: UnsafeMutablePointer<Float>, count: Int) {
        let bs = type.blockSize, ts = type.typeSize
        let blocks = count / bs
        let base = src.baseAddress!
        Parallel.forRanges(blocks, minChunk: 4096 / bs + 1) { range in
            for b in range {
                let p = base + b * ts
                let y = dst + b * bs
                switch type {
                case .f32: y.pointee = p.loadUnaligned(as: Float.self)
                case .f16: y.pointee = HalfPrecision.f16ToFloat(p.loadUnaligned(as: UInt16.self))
                case .bf16: y.pointee = HalfPrecision.bf16ToFloat(p.loadUnaligned(as: UInt16.self))
                case .f64: y.pointee = Float(p.loadUnaligned(as: Double.self))
                case .i8: y.pointee = Float(p.loadUnaligned(as: Int8.self))
                case .i16: y.pointee = Float(p.loadUnaligned(as: Int16.self))
                case .i32: y.pointee = Float(p.loadUnaligned(as: Int32.self))
                case .q4_0: dequantizeQ4(p, y, hasMin: false)
                case .q4_1: dequantizeQ4(p, y, hasMin: true)
                case .q5_0: dequantizeQ5(p, y, hasMin: false)
                case .q5_1: dequantizeQ5(p, y, hasMin: true)
                case .q8_0: dequantizeQ8(p, y)
                case .q4_K: dequantizeQ4K(p, y)
                case .q5_K: dequantizeQ5K(p, y)
                case .q6_K: dequantizeQ6K(p, y)
                default: preconditionFailure("GGUFDequantizer: \(type) not supported")
                }
            }
        }
    }

    @inline(__always) static func f16(_ p: UnsafeRawPointer, _ at: Int) -> Float {
        HalfPrecision.f16ToFloat(p.loadUnaligned(fromByteOffset: at, as: UInt16.self))
    }

    @inline(__always) static func u8(_ p: UnsafeRawPointer, _ at: Int) -> UInt8 { p.load(fromByteOffset: at, as: UInt8.self) }

    static func dequantizeQ4(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, hasMin: Bool) {
        let d = f16(p, 0)
        if hasMin {
            let m = f16(p, 2)
            for j in 0..<16 {
                let q = u8(p, 4 + j)
                y[j] = Float(q & 15) * d + m
                y[j + 16] = Float(q >> 4) * d + m
            }
        } else {
            for j in 0..<16 {
                let q = u8(p, 2 + j)
                y[j] = Float(Int(q & 15) - 8) * d
                y[j + 16] = Float(Int(q >> 4) - 8) * d
            }
        }
    }

    static func dequantizeQ5(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, hasMin: Bool) {
        let d = f16(p, 0)
        let m: Float = hasMin ? f16(p, 2) : 0
        let h = hasMin ? 4 : 2
        let qh = p.loadUnaligned(fromByteOffset: h, as: UInt32.self)
        for j in 0..<16 {
            let q = u8(p, h + 4 + j)
            let lo = Int(q & 15) | Int((qh >> UInt32(j)) & 1) << 4
            let hi = Int(q >> 4) | Int((qh >> UInt32(j + 16)) & 1) << 4
            if hasMin {
                y[j] = Float(lo) * d + m
                y[j + 16] = Float(hi) * d + m
            } else {
                y[j] = Float(lo - 16) * d
                y[j + 16] = Float(hi - 16) * d
            }
        }
    }

    static func dequantizeQ8(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = f16(p, 0)
        for j in 0..<32 { y[j] = Float(p.load(fromByteOffset: 2 + j, as: Int8.self)) * d }
    }

    /// Six-bit scale and min of sub-block `j` (0..<8) from the 12 packed bytes at `s`.
    @inline(__always) static func scaleMinK4(_ j: Int, _ s: UnsafeRawPointer) -> (Float, Float) {
        if j < 4 {
            return (Float(u8(s, j) & 63), Float(u8(s, j + 4) & 63))
        }
        let sc = (u8(s, j + 4) & 0xF) | ((u8(s, j - 4) >> 6) << 4)
        let mn = (u8(s, j + 4) >> 4) | ((u8(s, j) >> 6) << 4)
        return (Float(sc), Float(mn))
    }

    static func dequantizeQ4K(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = f16(p, 0), dmin = f16(p, 2)
        let scales = p + 4, qs = p + 16
        for c in 0..<4 {
            let (sc1, m1) = scaleMinK4(2 * c, scales), (sc2, m2) = scaleMinK4(2 * c + 1, scales)
            let d1 = d * sc1, dm1 = dmin * m1, d2 = d * sc2, dm2 = dmin * m2
            for l in 0..<32 {
                let q = u8(qs, 32 * c + l)
                y[64 * c + l] = d1 * Float(q & 15) - dm1
                y[64 * c + 32 + l] = d2 * Float(q >> 4) - dm2
            }
        }
    }

    static func dequantizeQ5K(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = f16(p, 0), dmin = f16(p, 2)
        let scales = p + 4, qh = p + 16, qs = p + 48
        for c in 0..<4 {
            let (sc1, m1) = scaleMinK4(2 * c, scales), (sc2, m2) = scaleMinK4(2 * c + 1, scales)
            let d1 = d * sc1, dm1 = dmin * m1, d2 = d * sc2, dm2 = dmin * m2
            let u1 = UInt8(1) << (2 * c), u2 = UInt8(2) << (2 * c)
            for l in 0..<32 {
                let q = u8(qs, 32 * c + l), h = u8(qh, l)
                y[64 * c + l] = d1 * Float(Int(q & 15) + (h & u1 != 0 ? 16 : 0)) - dm1
                y[64 * c + 32 + l] = d2 * Float(Int(q >> 4) + (h & u2 != 0 ? 16 : 0)) - dm2
            }
        }
    }

    static func dequantizeQ6K(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = f16(p, 208)
        for half in 0..<2 {
            let ql = p + 64 * half, qh = p + 128 + 32 * half, sc = p + 192 + 8 * half
            let out = y + 128 * half
            for l in 0..<32 {
                let s = l / 16
                let h = u8(qh, l)
                let q1 = Int((u8(ql, l) & 15) | ((h >> 0) & 3) << 4) - 32
                let q2 = Int((u8(ql, l + 32) & 15) | ((h >> 2) & 3) << 4) - 32
                let q3 = Int((u8(ql, l) >> 4) | ((h >> 4) & 3) << 4) - 32
                let q4 = Int((u8(ql, l + 32) >> 4) | ((h >> 6) & 3) << 4) - 32
                out[l] = d * Float(sc.load(fromByteOffset: s, as: Int8.self)) * Float(q1)
                out[l + 32] = d * Float(sc.load(fromByteOffset: s + 2, as: Int8.self)) * Float(q2)
                out[l + 64] = d * Float(sc.load(fromByteOffset: s + 4, as: Int8.self)) * Float(q3)
                out[l + 96] = d * Float(sc.load(fromByteOffset: s + 6, as: Int8.self)) * Float(q4)
            }
        }
    }
}
