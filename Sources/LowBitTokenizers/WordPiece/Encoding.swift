/// One encoded input (a sequence or a pair) with what a BERT encoder takes besides the ids.
///
/// ids, typeIDs, attentionMask: [tokens]. Type ids are 0 for the first sequence (with `[CLS]`
/// and its `[SEP]`) and 1 for the second (with the final `[SEP]`); the mask is 1 on real tokens.
public struct Encoding: Sendable, Equatable {
    public var ids: [Int]
    public var typeIDs: [Int]
    public var attentionMask: [Int]

    public init(ids: [Int], typeIDs: [Int], attentionMask: [Int]) {
        self.ids = ids
        self.typeIDs = typeIDs
        self.attentionMask = attentionMask
    }

    public var count: Int { ids.count }
}

/// Truncation of the model part of an encoding to fit `maxLength` tokens including the special
/// tokens the template adds. Pairs are cut longest-first, as Hugging Face does; always from the right.
public struct Truncation: Sendable, Equatable {
    public var maxLength: Int

    public init(maxLength: Int) { self.maxLength = maxLength }

    /// Lengths to keep of sequences of `first` and `second` (nil: no pair) ids, given `budget`
    /// tokens for them (`maxLength` minus the added special tokens).
    ///
    /// Hugging Face's `LongestFirst`: with n1 ≤ n2 the shorter one, keep n1 and give the longer
    /// max(n1, budget − n1); if that still does not fit, both get half (the longer one the odd token).
    static func keptLengths(first: Int, second: Int?, budget: Int) -> (Int, Int?) {
        let budget = max(0, budget)
        guard let second else { return (min(first, budget), nil) }
        if first + second <= budget { return (first, second) }
        let swap = first > second
        var n1 = swap ? second : first
        var n2: Int
        if n1 > budget {
            n2 = n1
        } else {
            n2 = max(n1, budget - n1)
        }
        if n1 + n2 > budget {
            n1 = budget / 2
            n2 = n1 + budget % 2
        }
        let (a, b) = swap ? (n2, n1) : (n1, n2)
        return (min(first, a), min(second, b))
    }
}

/// Encodings padded to one length, as batched model input. Each array is [batch][tokens].
public struct EncodingBatch: Sendable, Equatable {
    public var ids: [[Int]]
    public var typeIDs: [[Int]]
    public var attentionMask: [[Int]]

    /// Pads each encoding on the right to `length` (default: the longest one) with `padID`,
    /// type id `padTypeID` and mask 0. Encodings longer than `length` are kept whole.
    public init(padding encodings: [Encoding], padID: Int, padTypeID: Int = 0, length: Int? = nil) {
        let n = length ?? encodings.map(\.count).max() ?? 0
        ids = encodings.map { $0.ids + Array(repeating: padID, count: max(0, n - $0.count)) }
        typeIDs = encodings.map { $0.typeIDs + Array(repeating: padTypeID, count: max(0, n - $0.count)) }
        attentionMask = encodings.map { $0.attentionMask + Array(repeating: 0, count: max(0, n - $0.count)) }
    }
}
