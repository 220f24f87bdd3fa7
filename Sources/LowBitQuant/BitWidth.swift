/// Number of bits of a quantized code: 2...8 (validated; codes are stored unpacked in `Int8`).
public struct BitWidth: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public let value: Int

    /// Valid bit widths.
    public static let supported: ClosedRange<Int> = 2...8

    public init(_ value: Int) throws(QuantError) {
        guard Self.supported.contains(value) else { throw QuantError.invalidBitWidth(value) }
        self.value = value
    }

    private init(unchecked value: Int) { self.value = value }

    public static let int2 = BitWidth(unchecked: 2)
    public static let int3 = BitWidth(unchecked: 3)
    public static let int4 = BitWidth(unchecked: 4)
    public static let int5 = BitWidth(unchecked: 5)
    public static let int6 = BitWidth(unchecked: 6)
    public static let int7 = BitWidth(unchecked: 7)
    public static let int8 = BitWidth(unchecked: 8)

    /// Every supported width, 2 to 8.
    public static let all: [BitWidth] = supported.map { BitWidth(unchecked: $0) }

    /// 2^(bits-1): half the number of codes (the shift between signed and unsigned codes).
    public var half: Int { 1 << (value - 1) }

    public init(from decoder: any Decoder) throws {
        let v = try decoder.singleValueContainer().decode(Int.self)
        try self.init(v)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(value)
    }

    public static func < (a: BitWidth, b: BitWidth) -> Bool { a.value < b.value }
    public var description: String { "\(value)-bit" }
}
