/// Token sequences packed one after another along the token dimension, with no padding.
///
/// Every per-token tensor of a forward pass is `[tokens, ...]` with `tokens = ids.count`; the
/// rows of sequence `s` are `sequences[s]`. Attention never crosses sequences, so a batch of
/// unequal lengths costs only its real tokens and gives each sequence the same numbers it
/// gets alone.
public struct TokenBatch: Sendable, Equatable {
    /// ids: [tokens]
    public let ids: [Int32]
    /// typeIDs: [tokens] (BERT segment ids), or nil for all zeros.
    public let typeIDs: [Int32]?
    /// positions: [tokens], the position id of each token (learned or rotary embeddings).
    public let positions: [Int32]
    /// Row range of each sequence, in order, covering `0..<tokens` without gaps.
    public let sequences: [Range<Int>]

    public var tokenCount: Int { ids.count }

    /// Packs `sequences` (each token's position = `startPosition` + its index in its sequence).
    /// typeIDs: nil, or one array per sequence of the same length.
    public init(sequences: [[Int32]], typeIDs: [[Int32]]? = nil, startPosition: Int = 0) {
        precondition(typeIDs == nil || typeIDs!.map(\.count) == sequences.map(\.count),
                     "TokenBatch: typeIDs must match the sequences' lengths")
        var ranges: [Range<Int>] = []
        var positions: [Int32] = []
        var start = 0
        for s in sequences {
            ranges.append(start..<(start + s.count))
            positions += (0..<s.count).map { Int32(startPosition + $0) }
            start += s.count
        }
        self.ids = sequences.flatMap { $0 }
        self.typeIDs = typeIDs.map { $0.flatMap { $0 } }
        self.positions = positions
        self.sequences = ranges
    }

    /// One sequence starting at `startPosition`.
    public init(tokens: [Int32], startPosition: Int = 0) {
        self.init(sequences: [tokens], startPosition: startPosition)
    }

    /// A batch from explicit arrays. positions, typeIDs: [tokens]; `sequences` must cover
    /// `0..<ids.count` in order.
    public init(ids: [Int32], typeIDs: [Int32]?, positions: [Int32], sequences: [Range<Int>]) {
        precondition(positions.count == ids.count && (typeIDs?.count ?? ids.count) == ids.count,
                     "TokenBatch: ids, typeIDs and positions must have one entry per token")
        var next = 0
        for r in sequences {
            precondition(r.lowerBound == next, "TokenBatch: sequences must be contiguous and in order")
            next = r.upperBound
        }
        precondition(next == ids.count, "TokenBatch: sequences must cover all \(ids.count) tokens")
        self.ids = ids
        self.typeIDs = typeIDs
        self.positions = positions
        self.sequences = sequences
    }

    /// The longest sequence.
    public var maxSequenceLength: Int { sequences.map(\.count).max() ?? 0 }
}
