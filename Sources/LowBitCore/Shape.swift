/// A row-major tensor shape: `dims[0]` is the slowest-varying dimension.
public struct Shape: Hashable, Sendable, Codable, CustomStringConvertible, ExpressibleByArrayLiteral {
    public var dims: [Int]

    public init(_ dims: [Int]) { self.dims = dims }
    public init(arrayLiteral elements: Int...) { self.dims = elements }

    public var rank: Int { dims.count }
    /// Number of elements (1 for a scalar). Use `checkedCount` for untrusted shapes.
    public var count: Int { dims.reduce(1, *) }
    public subscript(i: Int) -> Int { dims[i] }

    /// Element count, or nil if a dimension is negative or the product overflows `Int`.
    public var checkedCount: Int? {
        var n = 1
        for d in dims {
            guard d >= 0 else { return nil }
            let (p, o) = n.multipliedReportingOverflow(by: d)
            if o { return nil }
            n = p
        }
        return n
    }

    public var description: String { "[" + dims.map(String.init).joined(separator: ", ") + "]" }
}
