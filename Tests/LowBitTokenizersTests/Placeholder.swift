import Testing
@testable import LowBitTokenizers
@Test func placeholderTokenizers() { #expect(Bool(true)) }
