import LowBitCore

/// Slow, element-at-a-time dequantization straight from the block layouts documented in
/// `GGUFDequantizer.swift`. The fast path is tested against it.
public enum GGUFReferenceDequantizer {
    /// Element `i` of a tensor of `type` whose bytes are `src`.
    public static func element(_ type: GGMLType, _ src: UnsafeRawBufferPointer, _ i: Int) -> Float {
        let block = i / type.blockSize, j = i % type.blockSize
        let b = Array(src[(block * type.typeSize)..<((block + 1) * type.typeSize)])
        func f16(_ at: Int) -> Float { HalfPrecision.f16ToFloat(UInt16(b[at]) | UInt16(b[at + 1]) << 8) }
        func nibble(_ qs: Int, _ j: Int) -> Int { j < 16 ? Int(b[qs + j] & 15) : Int(b[qs + j - 16] >> 4) }
        func bit(_ qhAt: Int, _ j: Int) -> Int { Int(b[qhAt + j / 8] >> UInt8(j % 8)) & 1 }
        switch type {
        case .f32: return Float(bitPattern: UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24)
        case .f16: return f16(0)
        case .bf16: return HalfPrecision.bf16ToFloat(UInt16(b[0]) | UInt16(b[1]) << 8)
        case .f64: return Float(b.withUnsafeBytes { $0.loadUnaligned(as: Double.self) })
        case .i8: return Float(Int8(bitPattern: b[0]))
        case .i16: return Float(Int16(bitPattern: UInt16(b[0]) | UInt16(b[1]) << 8))
        case .i32: return Float(b.withUnsafeBytes { $0.loadUnaligned(as: Int32.self) })
        case .q4_0: return Float(nibble(2, j) - 8) * f16(0)
        case .q4_1: return Float(nibble(4, j)) * f16(0) + f16(2)
        case .q5_0: return Float(nibble(6, j) + 16 * bit(2, j) - 16) * f16(0)
        case .q5_1: return Float(nibble(8, j) + 16 * bit(4, j)) * f16(0) + f16(2)
        case .q8_0: return Float(Int8(bitPattern: b[2 + j])) * f16(0)
        case .q4_K, .q5_K:
            let sub = j / 32, chunk = j / 64, l = j % 32
            let (sc, mn) = scaleMin(sub, Array(b[4..<16]))
            let qsAt = type == .q4_K ? 16 : 48
            let q = sub % 2 == 0 ? Int(b[qsAt + 32 * chunk + l] & 15) : Int(b[qsAt + 32 * chunk + l] >> 4)
            let high = type == .q5_K ? 16 * (Int(b[16 + l] >> UInt8(sub)) & 1) : 0
            return (f16(0) * Float(sc)) * Float(q + high) - f16(2) * Float(mn)
        case .q6_K:
            let half = j / 128, r = j % 128, k = r / 32, l = r % 32
            let qlByte = b[64 * half + l + (k % 2 == 1 ? 32 : 0)]
            let low = k < 2 ? Int(qlByte & 15) : Int(qlByte >> 4)
            let high = Int(b[128 + 32 * half + l] >> UInt8(2 * k)) & 3
            let sc = Float(Int8(bitPattern: b[192 + 8 * half + l / 16 + 2 * k]))
            return f16(208) * sc * Float((low | (high << 4)) - 32)
        default: preconditionFailure("reference dequantization of \(type) not implemented")
        }
    }

    /// Scale and min of sub-block `j` from the 12-byte K-quant scale field.
    static func scaleMin(_ j: Int, _ s: [UInt8]) -> (Int, Int) {
        if j < 4 { return (Int(s[j] & 63), Int(s[j + 4] & 63)) }
        return (Int(s[j + 4] & 15) | Int(s[j - 4] >> 6) << 4, Int(s[j + 4] >> 4) | Int(s[j] >> 6) << 4)
    }
}
