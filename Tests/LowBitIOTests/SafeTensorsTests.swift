import Foundation
import Testing
@testable import LowBitCore
@testable import LowBitIO

@Suite struct SafeTensorsTests {
    @Test func miniLMTensorTable() throws {
        let f = try SafeTensorsFile(path: TestFiles.require(TestFiles.miniLM + "/model.safetensors"))
        #expect(f.tensors.count == 104)
        #expect(f.tensors.filter { $0.dtype == .f32 }.count == 103)
        #expect(f.tensor(named: "embeddings.position_ids")?.dtype == .i64)
        #expect(f.tensor(named: "embeddings.word_embeddings.weight")?.shape == [30522, 384])
        #expect(f.tensor(named: "encoder.layer.5.intermediate.dense.weight")?.shape == [1536, 384])
        #expect(f.tensors.reduce(0) { $0 + $1.shape.count } == 22_713_728)
    }

    @Test func zeroCopyViewAndConversion() throws {
        let f = try SafeTensorsFile(path: TestFiles.require(TestFiles.miniLM + "/model.safetensors"))
        let info = try #require(f.tensor(named: "encoder.layer.0.attention.self.query.weight"))
        let view = try f.float32(info)
        // zero-copy: the tensor points into the mapping
        #expect(UnsafeRawPointer(view.pointer) == f.rawBytes(of: info).baseAddress)
        let ids = try f.float32(named: "embeddings.position_ids")
        #expect(ids.toArray() == (0..<512).map(Float.init))
    }

    @Test func writeReadRoundTripAllDTypes() throws {
        let dir = TestFiles.tempDir()
        let path = dir + "/t.safetensors"
        let vals: [Float] = [0, 1, -2.5, 3.25, 1e-3, -65504, 7, 8]
        func data<T>(_ xs: [T]) -> Data { xs.withUnsafeBytes { Data($0) } }
        let entries: [SafeTensorsWriter.Entry] = [
            .init(name: "f32", tensor: Tensor(shape: [2, 4], values: vals)),
            .init(name: "f16", dtype: .f16, shape: [8], bytes: data(vals.map { HalfPrecision.floatToF16($0) })),
            .init(name: "bf16", dtype: .bf16, shape: [4, 2], bytes: data(vals.map { HalfPrecision.floatToBF16($0) })),
            .init(name: "i8", dtype: .i8, shape: [8], bytes: data(vals.map { Int8(max(-128, min(127, $0))) })),
            .init(name: "u8", dtype: .u8, shape: [8], bytes: data(vals.map { UInt8(max(0, min(255, $0))) })),
            .init(name: "i32", dtype: .i32, shape: [8], bytes: data(vals.map { Int32($0) })),
            .init(name: "i64", dtype: .i64, shape: [1, 8], bytes: data(vals.map { Int64($0) })),
            .init(name: "empty", dtype: .f32, shape: [0, 3], bytes: Data()),
        ]
        try SafeTensorsWriter.write(entries, metadata: ["format": "pt", "lowbit": "test"], to: path)
        let f = try SafeTensorsFile(path: path)
        #expect(f.metadata == ["format": "pt", "lowbit": "test"])
        #expect(f.tensors.count == entries.count)
        #expect(try f.float32(named: "f32").toArray() == vals)
        #expect(try f.float32(named: "f16").toArray() == vals.map { Float(Float16($0)) })
        #expect(try f.float32(named: "bf16").toArray()[2] == -2.5)
        #expect(try f.float32(named: "i64").toArray() == vals.map { Float(Int64($0)) })
        #expect(try f.float32(named: "empty").count == 0)
        #expect((try FileManager.default.contentsOfDirectory(atPath: dir)) == ["t.safetensors"])
    }

    @Test func failedWriteLeavesNoPartialFile() throws {
        let dir = TestFiles.tempDir()
        let path = dir + "/m.safetensors"
        try SafeTensorsWriter.write([.init(name: "a", tensor: Tensor(shape: [2], values: [1, 2]))], to: path)
        let bad = SafeTensorsWriter.Entry(name: "b", dtype: .f32, shape: [3], bytes: Data(count: 4))
        #expect(throws: ModelFileError.self) { try SafeTensorsWriter.write([bad], to: path) }
        #expect(throws: ModelFileError.self) { try AtomicFile.write(Data([1]), to: dir + "/missing/x") }
        struct Boom: Error {}
        #expect(throws: Boom.self) { try AtomicFile.write(to: path) { h in try h.write(contentsOf: Data([9])); throw Boom() } }
        #expect(try SafeTensorsFile(path: path).float32(named: "a").toArray() == [1, 2])
        #expect((try FileManager.default.contentsOfDirectory(atPath: dir)) == ["m.safetensors"])
    }

    /// Hand-made headers that break each validation rule.
    @Test(arguments: [
        (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, 12, "overlaps"),
        (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}"#, 16, "gap"),
        (#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, 8, "span"),
        (#"{"a":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}}"#, 8, "not supported"),
        (#"{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, 8, "invalid shape"),
        (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, 8, "increasing"),
        (#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, 8, "needs 16 bytes"),
        (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, 12, "not described"),
        (#"{"a":{"dtype":"F32","shape":[2]}}"#, 8, "data_offsets"),
        (#"{"__metadata__":{"k":1}}"#, 0, "not a string"),
        (#"[1,2]"#, 0, "not a JSON object"),
        (#"{"a":"#, 0, "not valid JSON"),
    ])
    func invalidHeaders(header: String, dataBytes: Int, message: String) throws {
        var bytes = [UInt8](repeating: 0, count: 8)
        let h = Array(header.utf8)
        for i in 0..<8 { bytes[i] = UInt8(truncatingIfNeeded: h.count >> (8 * i)) }
        bytes += h + [UInt8](repeating: 0, count: dataBytes)
        let e = bytes.withUnsafeBytes { raw in
            #expect(throws: ModelFileError.self) { try SafeTensorsFile(file: MappedFile(borrowing: raw, name: "bad.safetensors")) }
        }
        #expect(e?.description.contains(message) == true, "\(String(describing: e)) should mention \(message)")
        #expect(e?.description.hasPrefix("bad.safetensors: ") == true)
    }

    @Test func missingFileIsNotFound() {
        let e = #expect(throws: ModelFileError.self) { try SafeTensorsFile(path: "/no/such/file.safetensors") }
        #expect(e?.kind == .notFound)
    }
}
