import CLowBitKernels
import Dispatch
import Foundation
import LowBitCore

// lowbit-bench parallel [--json]: the two limits of a decode step on this machine.
//  - Dispatch overhead: wall time of one parallel call of `threads` chunks of ~1 µs each, on the
//    LowBit pool (`Parallel.forRanges`, lb_pool.h) and on DispatchQueue.concurrentPerform
//    (what LowBit used before), back to back. A decode step of SmolLM2-135M makes ~250 calls.
//  - Read bandwidth: `lb_read_probe` over a buffer far larger than the last-level cache, on
//    1 thread and on all threads (the buffer split in contiguous parts). A decode step streams
//    every weight once, so bytes per token ÷ this bandwidth bounds generation tokens/s.

struct ParallelBenchReport: Codable {
    var threads: Int
    /// Microseconds per call (median of batches of 200 calls) of `threads` chunks of
    /// `chunkMicroseconds` each (4 × threads for the balanced figure); serial: one thread.
    var chunkMicroseconds: Double
    var serialCallMicroseconds: Double
    var poolCallMicroseconds: Double
    var poolBalancedCallMicroseconds: Double
    var concurrentPerformCallMicroseconds: Double
    /// Bytes read, and GB/s (1e9 bytes/s; best of 5 runs).
    var bandwidthBufferBytes: Int
    var readGBpsOneThread: Double
    var readGBpsAllThreads: Double
}

func runParallelBench(_ args: [String]) {
    let json = args.contains("--json")
    let unknown = Set(args).subtracting(["--json"])
    if !unknown.isEmpty { fail("parallel: unknown argument(s) \(unknown.sorted().joined(separator: " "))") }
    let threads = Parallel.threads
    let sink = UnsafeMutablePointer<Int>.allocate(capacity: 64 * max(threads * 4, 1))
    defer { sink.deallocate() }
    sink.initialize(repeating: 0, count: 64 * max(threads * 4, 1))

    func perCall(_ call: () -> Void) -> Double {
        let batches = timeRepeated(minTime: 0.3, minReps: 5) { for _ in 0..<200 { call() } }
        return median(batches) / 200 * 1e6
    }
    // Each chunk does `spin` dependent integer steps (~1–2 µs): small enough that dispatch
    // dominates, large enough that every thread gets a chunk before the caller is done.
    let spin = 20_000
    @inline(never) func work(_ c: Int) {
        var x = c &+ 1
        for _ in 0..<spin { x = x &* 6364136223846793005 &+ 1442695040888963407 }
        sink[c * 64] &+= x
    }
    let chunk = perCall { work(0) }
    let serial = perCall { for c in 0..<threads { work(c) } }
    let pool = perCall { Parallel.forChunks(threads) { c in work(c) } }
    let balanced = perCall { Parallel.forChunks(threads * 4) { c in work(c % threads) } }
    nonisolated(unsafe) let s = sink
    let gcd = perCall { DispatchQueue.concurrentPerform(iterations: threads) { c in
        var x = c &+ 1
        for _ in 0..<spin { x = x &* 6364136223846793005 &+ 1442695040888963407 }
        s[c * 64] &+= x
    } }

    // 512 MiB: far beyond any last-level cache this runs on.
    let bytes = 512 << 20
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
    defer { buffer.deallocate() }
    let p = buffer.assumingMemoryBound(to: UInt8.self)
    for i in stride(from: 0, to: bytes, by: 4096) { p[i] = UInt8(truncatingIfNeeded: i >> 12) }
    func bandwidth(_ nThreads: Int) -> Double {
        var best = 0.0
        for _ in 0..<5 {
            let t0 = now()
            if nThreads == 1 {
                sink[0] &+= Int(truncatingIfNeeded: lb_read_probe(p, bytes))
            } else {
                Parallel.forRanges(nThreads) { r in
                    let lo = bytes / nThreads * r.lowerBound, hi = bytes / nThreads * r.upperBound
                    sink[r.lowerBound * 64] &+= Int(truncatingIfNeeded: lb_read_probe(p + lo, hi - lo))
                }
            }
            best = max(best, Double(bytes) / (now() - t0) / 1e9)
        }
        return best
    }
    let bw1 = bandwidth(1), bwAll = threads > 1 ? bandwidth(threads) : bw1
    let report = ParallelBenchReport(threads: threads, chunkMicroseconds: chunk, serialCallMicroseconds: serial,
                                     poolCallMicroseconds: pool, poolBalancedCallMicroseconds: balanced,
                                     concurrentPerformCallMicroseconds: gcd, bandwidthBufferBytes: bytes,
                                     readGBpsOneThread: bw1, readGBpsAllThreads: bwAll)
    if json {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(String(data: try! enc.encode(report), encoding: .utf8)!)
        return
    }
    print("lowbit-bench parallel: \(threads) thread(s)")
    print(String(format: "dispatch: %d chunks of %.2f µs: serial %.2f µs/call, pool %.2f, concurrentPerform %.2f; "
                 + "%d chunks on the pool %.2f", threads, chunk, serial, pool, gcd, threads * 4, balanced))
    print(String(format: "read bandwidth (%d MiB, best of 5): 1 thread %.1f GB/s, %d threads %.1f GB/s",
                 bytes >> 20, bw1, threads, bwAll))
}
