import CLowBitKernels
import Dispatch
import LowBitCore
import Testing

/// The worker pool behind `Parallel` (lb_pool.h): every chunk runs exactly once, boundaries
/// depend only on the count, results match a serial loop bit for bit, and nested, concurrent
/// and instruction-set-forced callers behave.
@Suite struct ParallelTests {
    /// How many times each index in 0..<count was visited by `visit`.
    func visits(_ count: Int, _ visit: (UnsafeMutablePointer<Int>) -> Void) -> [Int] {
        let hits = UnsafeMutablePointer<Int>.allocate(capacity: max(count, 1))
        defer { hits.deallocate() }
        hits.initialize(repeating: 0, count: max(count, 1))
        visit(hits)
        return Array(UnsafeBufferPointer(start: hits, count: count))
    }

    @Test(arguments: [0, 1, 2, 3, 17, 64, 1023, 100_003])
    func everyIndexOnce(count: Int) {
        for minChunk in [1, 7, 4096] {
            let plain = visits(count) { h in
                Parallel.forRanges(count, minChunk: minChunk) { r in for i in r { h[i] += 1 } }
            }
            #expect(plain.allSatisfy { $0 == 1 }, "forRanges(\(count), minChunk: \(minChunk))")
            for oversplit in [1, 4] {
                let balanced = visits(count) { h in
                    Parallel.forBalancedRanges(count, minChunk: minChunk, oversplit: oversplit) { r in for i in r { h[i] += 1 } }
                }
                #expect(balanced.allSatisfy { $0 == 1 }, "forBalancedRanges(\(count), \(minChunk), \(oversplit))")
            }
        }
        let chunks = visits(count) { h in Parallel.forChunks(count) { c in h[c] += 1 } }
        #expect(chunks.allSatisfy { $0 == 1 }, "forChunks(\(count))")
    }

    /// Many small jobs back to back (the decode pattern): no chunk lost or run twice when
    /// workers wake late or race for the next job's ticket.
    @Test func backToBackJobs() {
        let jobs = 20_000, width = 2 * Parallel.threads + 1
        let total = visits(width) { h in
            for _ in 0..<jobs { Parallel.forChunks(width) { c in h[c] += 1 } }
        }
        #expect(total == [Int](repeating: jobs, count: width))
        #expect(Parallel.threads == 1 || lb_pool_threads() == Parallel.threads, "the pool did not start its workers")
    }

    /// Chunk boundaries depend only on the count: per-chunk float sums equal a serial loop's.
    @Test func sameBitsAsSerial() {
        var rng = TestRNG(seed: 11)
        let x = rng.floats(10_007)
        let n = x.count, chunks = 13
        func chunkSums(parallel: Bool) -> [Float] {
            var sums = [Float](repeating: 0, count: chunks)
            sums.withUnsafeMutableBufferPointer { s in
                let s = s.baseAddress!
                let body: (Int) -> Void = { c in
                    var acc: Float = 0
                    for i in (n * c / chunks)..<(n * (c + 1) / chunks) { acc += x[i] * x[i] }
                    s[c] = acc
                }
                if parallel { Parallel.forChunks(chunks, body) } else { for c in 0..<chunks { body(c) } }
            }
            return sums
        }
        #expect(chunkSums(parallel: true).map(\.bitPattern) == chunkSums(parallel: false).map(\.bitPattern))
    }

    /// A parallel call inside a chunk runs serially on that thread and still covers its range.
    @Test func nestedCalls() {
        let outer = 8, inner = 100
        let hits = visits(outer * inner) { h in
            Parallel.forChunks(outer) { c in
                Parallel.forRanges(inner) { r in for i in r { h[c * inner + i] += 1 } }
            }
        }
        #expect(hits.allSatisfy { $0 == 1 })
    }

    /// Calls from several threads at once: one gets the pool, the others run serially.
    @Test func concurrentCallers() {
        let callers = 4, count = 5000
        let hits = visits(callers * count) { h in
            nonisolated(unsafe) let h = h
            DispatchQueue.concurrentPerform(iterations: callers) { t in
                for _ in 0..<50 {
                    Parallel.forRanges(count) { r in for i in r { h[t * count + i] += 1 } }
                }
            }
        }
        #expect(hits.allSatisfy { $0 == 50 })
    }

    /// Workers run chunks at the caller's instruction-set level (lb_set_thread_isa).
    @Test func workersUseCallersISA() {
        for isa in supportedISAs {
            let seen = visits(16) { h in
                withISA(isa) { Parallel.forChunks(16) { c in h[c] = Int(lb_isa_current()) } }
            }
            #expect(seen.allSatisfy { $0 == Int(isa) }, "level \(isa): \(seen)")
        }
    }
}
