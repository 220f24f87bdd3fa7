import Testing
@testable import LowBitIO
@Test func placeholderIO() { #expect(Bool(true)) }
