/// The packed INT4 layout — defined here, once; every reader and writer of 4-bit codes
/// (CPU and GPU kernels, files) uses it.
///
/// A matrix of stored codes [rows, cols] (each in −8...7, see `Mapping`) becomes bytes:
///
/// - `bytesPerRow = (cols + 1) / 2`; row r occupies bytes [r·bytesPerRow, (r+1)·bytesPerRow).
///   Rows start on a byte boundary (an odd `cols` leaves half a byte of padding per row).
/// - Byte b of row r holds column 2b in its **low nibble** (bits 0–3) and column 2b+1 in its
///   **high nibble** (bits 4–7): `byte = nibble(2b) | nibble(2b+1) << 4`.
/// - `nibble = UInt8(code + 8)`, unsigned 0...15:
///   symmetric 4-bit codes −7...7 become 1...15 (0 is never used), asymmetric and affine
///   codes q = u − 8 become u itself (0...15), so a nibble is the textbook unsigned code.
/// - Padding (the high nibble of a row's last byte when cols is odd) is 8, i.e. code 0.
///
/// Codes of 2 and 3 bits fit too (they are a subset of −8...7), one per nibble.
public struct PackedInt4: Sendable, Hashable {
    public let rows: Int
    public let cols: Int
    /// rows × bytesPerRow bytes, laid out as above.
    public let bytes: [UInt8]

    public static let codeRange: ClosedRange<Int> = -8...7

    public var bytesPerRow: Int { (cols + 1) / 2 }

    /// Packs codes [rows, cols] (row-major). Throws if the count does not match or a code
    /// lies outside −8...7.
    public init(rows: Int, cols: Int, codes: [Int8], name: String = "weight") throws(QuantError) {
        guard rows >= 0, cols >= 0, codes.count == rows * cols else {
            throw QuantError.countMismatch(tensor: name, what: "codes", expected: max(rows, 0) * max(cols, 0), got: codes.count)
        }
        if let i = codes.firstIndex(where: { !Self.codeRange.contains(Int($0)) }) {
            throw QuantError.codeOutOfRange(tensor: name, index: i, value: Int(codes[i]), allowed: Self.codeRange)
        }
        let bpr = (cols + 1) / 2
        var bytes = [UInt8](repeating: 0, count: rows * bpr)
        for r in 0..<rows {
            for b in 0..<bpr {
                let c = 2 * b
                let low = Self.nibble(codes[r * cols + c])
                let high = c + 1 < cols ? Self.nibble(codes[r * cols + c + 1]) : 8
                bytes[r * bpr + b] = low | high << 4
            }
        }
        self.rows = rows
        self.cols = cols
        self.bytes = bytes
    }

    /// Wraps bytes already in this layout (e.g. read from a file). Throws if the count is wrong.
    public init(rows: Int, cols: Int, bytes: [UInt8], name: String = "weight") throws(QuantError) {
        guard rows >= 0, cols >= 0, bytes.count == rows * ((cols + 1) / 2) else {
            throw QuantError.countMismatch(tensor: name, what: "packed bytes", expected: max(rows, 0) * ((max(cols, 0) + 1) / 2),
                                           got: bytes.count)
        }
        self.rows = rows
        self.cols = cols
        self.bytes = bytes
    }

    /// The codes [rows, cols] again (padding dropped).
    public func unpacked() -> [Int8] {
        let bpr = bytesPerRow
        var codes = [Int8](repeating: 0, count: rows * cols)
        for r in 0..<rows {
            for c in 0..<cols {
                let byte = bytes[r * bpr + c / 2]
                codes[r * cols + c] = Self.code(c % 2 == 0 ? byte & 0x0F : byte >> 4)
            }
        }
        return codes
    }

    /// The nibble of a code in −8...7.
    @inlinable public static func nibble(_ code: Int8) -> UInt8 { UInt8(Int(code) + 8) }
    /// The code of a nibble 0...15.
    @inlinable public static func code(_ nibble: UInt8) -> Int8 { Int8(Int(nibble & 0x0F) - 8) }
}

extension QuantizedWeight {
    /// The codes in the packed INT4 layout (`PackedInt4`). Throws for widths above 4.
    public func packedInt4(name: String = "weight") throws(QuantError) -> PackedInt4 {
        guard scheme.bits.value <= 4 else { throw QuantError.invalidBitWidth(scheme.bits.value) }
        return try PackedInt4(rows: outFeatures, cols: inFeatures, codes: values, name: name)
    }

    /// A weight from packed INT4 codes plus its scheme and parameters (validated like
    /// `init(outFeatures:inFeatures:scheme:values:params:name:)`).
    public init(packed: PackedInt4, scheme: QuantScheme, params: GroupParams, name: String = "weight") throws(QuantError) {
        guard scheme.bits.value <= 4 else { throw QuantError.invalidBitWidth(scheme.bits.value) }
        try self.init(outFeatures: packed.rows, inFeatures: packed.cols, scheme: scheme, values: packed.unpacked(),
                      params: params, name: name)
    }
}
