import LowBitCore
import Foundation
import Testing
@testable import LowBitIO

/// Both binary parsers fed truncated files, huge declared lengths, offsets past the end and
/// thousands of random byte flips of real headers: every case must end in a descriptive thrown
/// `ModelFileError` (or, for a harmless flip, a file that still validates), never a crash.
@Suite struct RobustnessTests {
    enum Outcome { case parsed, rejected }

    /// Parses `bytes` with `parse`; a thrown error must be a ModelFileError with a useful message.
    static func outcome(_ bytes: UnsafeRawBufferPointer, _ parse: (MappedFile) throws -> Void) -> Outcome {
        do {
            try parse(MappedFile(borrowing: bytes, name: "fuzz"))
            return .parsed
        } catch let e as ModelFileError {
            #expect(e.description.hasPrefix("fuzz: ") && e.detail.count > 8, "vague error: \(e)")
            return .rejected
        } catch {
            Issue.record("unexpected error type \(type(of: error)): \(error)")
            return .rejected
        }
    }

    static func checkGGUF(_ f: MappedFile) throws {
        let g = try GGUFFile(file: f)
        for t in g.tensors { precondition(t.fileOffset + t.byteCount <= f.count) }
    }

    static func checkSafeTensors(_ f: MappedFile) throws {
        let s = try SafeTensorsFile(file: f)
        for t in s.tensors { precondition(t.fileOffset + t.byteCount <= f.count) }
    }

    @Test func ggufTruncatedAnywhereInTheHeaderIsRejected() throws {
        let real = try MappedFile(path: TestFiles.require(TestFiles.smolLM2))
        let header = try GGUFFile(file: real).dataOffset
        var cuts = [0, 1, 3, 4, 7, 8, 15, 16, 23, 24, 31, header - 1, header, header + 1]
        var rng = SplitMix64(seed: 1)
        for _ in 0..<150 { cuts.append(Int.random(in: 0..<header, using: &rng)) }
        for cut in cuts {
            #expect(Self.outcome(UnsafeRawBufferPointer(rebasing: real.bytes[0..<cut]), Self.checkGGUF) == .rejected, "cut at \(cut)")
        }
        // Cutting inside the tensor data leaves tensors running past the end.
        #expect(Self.outcome(UnsafeRawBufferPointer(rebasing: real.bytes[0..<(real.count - 1)]), Self.checkGGUF) == .rejected)
    }

    @Test func ggufHugeCountsAndLengthsAreRejected() throws {
        let real = try MappedFile(path: TestFiles.require(TestFiles.smolLM2))
        var bytes = [UInt8](UnsafeRawBufferPointer(rebasing: real.bytes[0..<min(real.count, 4 << 20)]))
        let cases: [(offset: Int, value: UInt64, what: String)] = [
            (8, UInt64.max, "tensor count"), (16, 1 << 40, "metadata count"),
            (24, UInt64(Int64.max), "first key length"),
        ]
        for c in cases {
            var copy = bytes
            for i in 0..<8 { copy[c.offset + i] = UInt8(truncatingIfNeeded: c.value >> UInt64(8 * i)) }
            copy.withUnsafeBytes { raw in
                do { try Self.checkGGUF(MappedFile(borrowing: raw, name: "huge")); Issue.record("\(c.what) accepted") }
                catch let e as ModelFileError { #expect(e.kind == .malformed, "\(e)") }
                catch { Issue.record("\(error)") }
            }
        }
        bytes[4] = 1  // version 1
        bytes.withUnsafeBytes { raw in
            let e = #expect(throws: ModelFileError.self) { try Self.checkGGUF(MappedFile(borrowing: raw, name: "v1")) }
            #expect(e?.kind == .unsupported)
        }
    }

    @Test func ggufTensorOffsetPastTheEndIsRejected() throws {
        let real = try MappedFile(path: TestFiles.require(TestFiles.smolLM2))
        let g = try GGUFFile(file: real)
        // The last tensor info ends with its u64 data offset.
        var bytes = [UInt8](real.bytes)
        let at = g.tensorInfoRange.upperBound - 8
        withUnsafeBytes(of: UInt64(real.count).littleEndian) { v in for i in 0..<8 { bytes[at + i] = v[i] } }
        bytes.withUnsafeBytes { raw in
            do { try Self.checkGGUF(MappedFile(borrowing: raw, name: "far")); Issue.record("offset past the end accepted") }
            catch let e as ModelFileError { #expect(e.detail.contains(g.tensors.last!.name), "\(e)") }
            catch { Issue.record("\(error)") }
        }
    }

    @Test func ggufRandomByteFlipsNeverCrash() throws {
        let real = try MappedFile(path: TestFiles.require(TestFiles.smolLM2))
        let g = try GGUFFile(file: real)
        let header = g.dataOffset
        var bytes = [UInt8](real.bytes)
        var rng = SplitMix64(seed: 42)
        var counts = [0, 0]
        let flips = 600
        bytes.withUnsafeMutableBytes { raw in
            for i in 0..<flips {
                // a third each: the fixed header and first keys, the tensor infos, anywhere in the header
                let pos = switch i % 3 {
                case 0: Int.random(in: 0..<4096, using: &rng)
                case 1: Int.random(in: (g.tensorInfoRange.lowerBound - 64)..<header, using: &rng)
                default: Int.random(in: 0..<header, using: &rng)
                }
                let old = raw[pos]
                raw[pos] = old ^ UInt8.random(in: 1...255, using: &rng)
                counts[Self.outcome(UnsafeRawBufferPointer(raw), Self.checkGGUF) == .parsed ? 0 : 1] += 1
                raw[pos] = old
            }
        }
        #expect(counts[1] > flips / 4, "flips rejected: \(counts[1]) of \(flips)")
    }

    @Test func safetensorsTruncationsAndFlips() throws {
        let real = try MappedFile(path: TestFiles.require(TestFiles.miniLM + "/model.safetensors"))
        let n = Int(real.bytes.loadUnaligned(as: UInt64.self))
        for cut in [0, 1, 7, 8, 9, 100, n / 2, n + 7, n + 8, n + 9, real.count / 2, real.count - 1] {
            #expect(Self.outcome(UnsafeRawBufferPointer(rebasing: real.bytes[0..<cut]), Self.checkSafeTensors) == .rejected, "cut at \(cut)")
        }
        var bytes = [UInt8](real.bytes)
        var rng = SplitMix64(seed: 7)
        var rejected = 0
        let flips = 3000
        bytes.withUnsafeMutableBytes { raw in
            for _ in 0..<flips {
                let pos = Int.random(in: 0..<(8 + n), using: &rng)
                let old = raw[pos]
                raw[pos] = old ^ UInt8.random(in: 1...255, using: &rng)
                if Self.outcome(UnsafeRawBufferPointer(raw), Self.checkSafeTensors) == .rejected { rejected += 1 }
                raw[pos] = old
            }
            // huge declared header length
            for v: UInt64 in [UInt64.max, 1 << 40, UInt64(raw.count)] {
                let saved = raw.loadUnaligned(as: UInt64.self)
                raw.storeBytes(of: v.littleEndian, as: UInt64.self)
                #expect(Self.outcome(UnsafeRawBufferPointer(raw), Self.checkSafeTensors) == .rejected)
                raw.storeBytes(of: saved, as: UInt64.self)
            }
        }
        #expect(rejected > flips / 4, "flips rejected: \(rejected) of \(flips)")
    }
}
