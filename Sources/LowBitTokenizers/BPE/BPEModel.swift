import Foundation
import LowBitIO

/// A byte-level BPE model: vocabulary, ranked merges, and Hugging Face's merge loop.
///
/// A piece's bytes start as one symbol each (the vocabulary id of the byte's alphabet
/// character); then, repeatedly, the adjacent pair with the lowest merge rank (leftmost on ties)
/// is merged, until no adjacent pair has a merge. `mergeWithQueue` does this with a priority
/// queue as Hugging Face does; `mergeByScanning` is the obvious quadratic loop it is tested against.
public final class BPEModel: Sendable {
    /// Vocabulary strings by id, in the byte-level alphabet (`Ġ` for space).
    public let vocabulary: [String]
    /// A merge: the pair's rank (priority, lower first) and the id of the merged token.
    struct Merge: Sendable {
        let rank: Int32
        let merged: Int32
    }
    /// Merges keyed by `pairKey(left, right)`.
    let merges: [UInt64: Merge]
    /// Id of each byte's alphabet character; -1 when the vocabulary lacks it.
    let byteIDs: [Int32]
    /// Replaces characters missing from the vocabulary (nil: they are dropped, as HF does).
    let unknownID: Int32?
    /// Fuse consecutive unknowns into one (HF `fuse_unk`).
    let fuseUnknown: Bool
    /// Look the whole piece up before merging (HF `ignore_merges`).
    let ignoreMerges: Bool
    let ids: [ExactString: Int32]
    private let cache = PieceCache(capacity: 10_000)

    /// - Parameters:
    ///   - merges: pairs of vocabulary strings, highest priority first.
    /// - Throws: `ModelFileError(.malformed)` naming `source` when a merge's parts or result are not in the vocabulary.
    init(vocabulary: [String], merges: [(String, String)], unknownToken: String? = nil, fuseUnknown: Bool = false,
         ignoreMerges: Bool = false, source: String) throws(ModelFileError) {
        var ids: [ExactString: Int32] = [:]
        ids.reserveCapacity(vocabulary.count)
        for (i, t) in vocabulary.enumerated() { ids[ExactString(t)] = Int32(i) }
        var table: [UInt64: Merge] = [:]
        table.reserveCapacity(merges.count)
        for (rank, (a, b)) in merges.enumerated() {
            guard let l = ids[ExactString(a)], let r = ids[ExactString(b)] else {
                throw ModelFileError(.malformed, path: source, "merge \(rank) \"\(a) \(b)\" uses a token that is not in the vocabulary")
            }
            guard let m = ids[ExactString(a + b)] else {
                throw ModelFileError(.malformed, path: source, "merge \(rank) \"\(a) \(b)\" makes \"\(a + b)\", which is not in the vocabulary")
            }
            table[Self.pairKey(l, r)] = Merge(rank: Int32(rank), merged: m)  // a repeated pair keeps its last rank, as in HF
        }
        var unknown: Int32?
        if let unknownToken {
            guard let u = ids[ExactString(unknownToken)] else {
                throw ModelFileError(.malformed, path: source, "the unknown token \"\(unknownToken)\" is not in the vocabulary")
            }
            unknown = u
        }
        self.vocabulary = vocabulary
        self.ids = ids
        self.merges = table
        self.byteIDs = ByteLevelAlphabet.characters.map { ids[ExactString(String($0))] ?? -1 }
        self.unknownID = unknown
        self.fuseUnknown = fuseUnknown
        self.ignoreMerges = ignoreMerges
    }

    static func pairKey(_ l: Int32, _ r: Int32) -> UInt64 { UInt64(UInt32(bitPattern: l)) << 32 | UInt64(UInt32(bitPattern: r)) }

    public func id(forToken token: String) -> Int? { ids[ExactString(token)].map(Int.init) }

    /// Appends the ids of one pre-tokenized piece (raw UTF-8 bytes) to `out`.
    public func encode(piece: [UInt8], into out: inout [Int]) {
        if let hit = cache[piece] {
            for id in hit { out.append(Int(id)) }
            return
        }
        var ids: [Int32]
        if ignoreMerges, let whole = self.ids[ExactString(ByteLevelAlphabet.encode(piece))] {
            ids = [whole]
        } else {
            ids = mergeWithQueue(initialSymbols(piece))
        }
        cache[piece] = ids
        for id in ids { out.append(Int(id)) }
    }

    /// One symbol per byte; bytes missing from the vocabulary become the unknown id or are dropped.
    func initialSymbols(_ piece: [UInt8]) -> [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(piece.count)
        var lastWasUnknown = false
        for b in piece {
            let id = byteIDs[Int(b)]
            if id >= 0 {
                out.append(id)
                lastWasUnknown = false
            } else if let u = unknownID {
                if !(fuseUnknown && lastWasUnknown) { out.append(u) }
                lastWasUnknown = true
            }
        }
        return out
    }

    /// Reference merge loop: find the lowest-rank adjacent pair (leftmost on ties), merge it, repeat.
    func mergeByScanning(_ symbols: [Int32]) -> [Int32] {
        var s = symbols
        while s.count > 1 {
            var best: (rank: Int32, at: Int, merged: Int32)?
            for i in 0..<(s.count - 1) {
                if let m = merges[Self.pairKey(s[i], s[i + 1])], best == nil || m.rank < best!.rank {
                    best = (m.rank, i, m.merged)
                }
            }
            guard let b = best else { break }
            s[b.at] = b.merged
            s.remove(at: b.at + 1)
        }
        return s
    }

    /// Hugging Face's `Word::merge_all`: symbols in a linked list, candidate merges in a min-queue
    /// ordered by (rank, position); entries made stale by earlier merges are skipped when popped.
    func mergeWithQueue(_ symbols: [Int32]) -> [Int32] {
        let n = symbols.count
        if n < 2 { return symbols }
        var id = symbols
        var prev = Array(-1..<(n - 1))
        var next = Array(1...n)
        next[n - 1] = -1
        var alive = [Bool](repeating: true, count: n)
        var queue = MergeQueue()
        for i in 0..<(n - 1) {
            if let m = merges[Self.pairKey(id[i], id[i + 1])] { queue.push(.init(rank: m.rank, position: i, merged: m.merged)) }
        }
        while let top = queue.pop() {
            let p = top.position
            guard alive[p], next[p] >= 0 else { continue }
            let r = next[p]
            guard let m = merges[Self.pairKey(id[p], id[r])], m.merged == top.merged else { continue }
            id[p] = m.merged
            alive[r] = false
            next[p] = next[r]
            if next[r] >= 0 { prev[next[r]] = p }
            if prev[p] >= 0, let left = merges[Self.pairKey(id[prev[p]], id[p])] {
                queue.push(.init(rank: left.rank, position: prev[p], merged: left.merged))
            }
            if next[p] >= 0, let right = merges[Self.pairKey(id[p], id[next[p]])] {
                queue.push(.init(rank: right.rank, position: p, merged: right.merged))
            }
        }
        var out: [Int32] = []
        var i = 0
        while i >= 0 {
            out.append(id[i])
            i = next[i]
        }
        return out
    }
}

/// A binary min-heap of candidate merges ordered by (rank, position).
struct MergeQueue {
    struct Entry {
        let rank: Int32
        let position: Int
        let merged: Int32
        func before(_ o: Entry) -> Bool { rank != o.rank ? rank < o.rank : position < o.position }
    }

    private var heap: [Entry] = []

    mutating func push(_ e: Entry) {
        heap.append(e)
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard heap[i].before(heap[parent]) else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> Entry? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        if heap.isEmpty { return top }
        heap[0] = last
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < heap.count && heap[l].before(heap[m]) { m = l }
            if r < heap.count && heap[r].before(heap[m]) { m = r }
            if m == i { break }
            heap.swapAt(i, m)
            i = m
        }
        return top
    }
}

/// A bounded, thread-safe map from piece bytes to ids. When full it stops adding (as HF's cache does).
final class PieceCache: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [[UInt8]: [Int32]] = [:]
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    subscript(key: [UInt8]) -> [Int32]? {
        get { lock.withLock { storage[key] } }
        set {
            guard let newValue else { return }
            lock.withLock { if storage.count < capacity { storage[key] = newValue } }
        }
    }
}
