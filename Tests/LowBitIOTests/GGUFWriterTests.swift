import Foundation
import LowBitIO
import Testing

@Suite struct GGUFWriterTests {
    /// Every value type round-trips through GGUFWriter and GGUFFile, keys in order.
    @Test func metadataRoundTrips() throws {
        let meta: [(key: String, value: GGUFValue)] = [
            ("general.architecture", .string("llama")), ("a.u8", .uint8(200)), ("a.i8", .int8(-3)), ("a.u16", .uint16(65000)),
            ("a.i16", .int16(-1234)), ("a.u32", .uint32(4_000_000_000)), ("a.i32", .int32(-7)), ("a.u64", .uint64(1 << 40)),
            ("a.i64", .int64(-(1 << 40))), ("a.f32", .float32(1e-5)), ("a.f64", .float64(-2.5)), ("a.bool", .bool(true)),
            ("a.str", .string("héllo ✓")), ("a.strs", .array(elementType: .string, [.string("x"), .string("")])),
            ("a.ints", .array(elementType: .int32, [.int32(1), .int32(-2)])), ("a.empty", .array(elementType: .float32, [])),
            ("a.nested", .array(elementType: .array, [.array(elementType: .uint8, [.uint8(1)])])),
        ]
        let path = NSTemporaryDirectory() + "gguf-writer-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).gguf"
        defer { unlink(path) }
        try GGUFWriter.write(metadata: meta, to: path)
        let g = try GGUFFile(path: path)
        #expect(g.version == 3 && g.tensors.isEmpty)
        #expect(g.metadataKeys == meta.map(\.key))
        for (k, v) in meta { #expect(g.metadata[k] == v, "\(k)") }
        #expect(g.file.count % 32 == 0)
    }

    /// The tokenizer.* metadata of SmolLM2, rewritten alone, reads back equal.
    @Test func smolLMTokenizerMetadataRoundTrips() throws {
        let g = try GGUFFile(path: TestFiles.require(TestFiles.smolLM2))
        let meta = g.metadataKeys.filter { $0.hasPrefix("tokenizer.") }.map { (key: $0, value: g.metadata[$0]!) }
        let data = try GGUFWriter.encode(metadata: meta)
        let path = NSTemporaryDirectory() + "gguf-tok-\(getpid()).gguf"
        defer { unlink(path) }
        try data.write(to: URL(fileURLWithPath: path))
        let r = try GGUFFile(path: path)
        for (k, v) in meta { #expect(r.metadata[k] == v, "\(k)") }
    }

    @Test func rejectsMixedArraysAndDuplicates() {
        #expect(throws: ModelFileError.self) {
            try GGUFWriter.encode(metadata: [("x", .array(elementType: .int32, [.int32(1), .string("a")]))])
        }
        #expect(throws: ModelFileError.self) { try GGUFWriter.encode(metadata: [("x", .bool(true)), ("x", .bool(false))]) }
    }
}
