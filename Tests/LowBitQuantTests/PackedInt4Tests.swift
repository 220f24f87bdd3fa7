import LowBitCore
import LowBitQuant
import Testing

@Suite struct PackedInt4Tests {
    @Test func layoutIsLowNibbleFirstWithOffsetEight() throws {
        let p = try PackedInt4(rows: 2, cols: 3, codes: [-8, 7, 0, 1, -1, -7])
        #expect(p.bytesPerRow == 2)
        // Row 0: (-8 → 0x0, 7 → 0xF) = 0xF0; (0 → 0x8, padding 0x8) = 0x88. Row 1: (9, 7) = 0x79; (1, pad) = 0x81.
        #expect(p.bytes == [0xF0, 0x88, 0x79, 0x81])
        #expect(p.unpacked() == [-8, 7, 0, 1, -1, -7])
    }

    @Test func roundTripOnOddShapes() throws {
        var rng = TestRNG(seed: 23)
        for rows in [1, 3, 17] { for cols in oddSizes {
            let codes = (0..<(rows * cols)).map { _ in Int8(Int(rng.next() % 16) - 8) }
            let p = try PackedInt4(rows: rows, cols: cols, codes: codes)
            #expect(p.bytes.count == rows * ((cols + 1) / 2))
            #expect(p.unpacked() == codes, "[\(rows), \(cols)]")
            #expect(try PackedInt4(rows: rows, cols: cols, bytes: p.bytes) == p)
        }}
        #expect(throws: QuantError.codeOutOfRange(tensor: "weight", index: 1, value: 8, allowed: -8...7)) {
            try PackedInt4(rows: 1, cols: 2, codes: [0, 8])
        }
        #expect(throws: (any Error).self) { try PackedInt4(rows: 2, cols: 3, bytes: [0, 0, 0]) }
    }

    /// Nibbles are q + 8 for symmetric codes and the unsigned code u for asymmetric ones.
    @Test(arguments: Mapping.allCases) func weightsPackAndUnpack(mapping: Mapping) throws {
        var rng = TestRNG(seed: 29)
        let (rows, cols) = (5, 33)
        let w = Tensor(shape: [rows, cols], values: rng.floats(rows * cols, -2, 3))
        let scheme = QuantScheme(bits: .int4, mapping: mapping, granularity: .perGroup(size: 11))
        let q = try QuantizedWeight(quantizing: w, scheme: scheme)
        let p = try q.packedInt4()
        let nibble0 = p.bytes[0] & 0x0F
        #expect(Int(nibble0) == Int(q.values[0]) + 8)
        if mapping == .symmetric { #expect(p.bytes.allSatisfy { $0 & 0x0F != 0 }, "symmetric never uses nibble 0") }
        let back = try QuantizedWeight(packed: p, scheme: scheme, params: q.params)
        #expect(back == q)
        #expect(bitwiseEqual(back.dequantized().toArray(), q.dequantized().toArray()))
        let q8 = try QuantizedWeight(quantizing: w, scheme: QuantScheme(bits: .int8, mapping: mapping, granularity: .perChannel))
        #expect(throws: QuantError.invalidBitWidth(8)) { try q8.packedInt4() }
    }
}
