import Testing
@testable import LowBitCore
@Test func placeholderCore() { #expect(Bool(true)) }
