import LowBitCore

/// Token, position and segment embeddings, with an optional norm after the sum (BERT).
public struct Embeddings: Sendable {
    /// tokens: [vocab, hidden]
    public let tokens: Tensor
    /// positions: [maxPositions, hidden], or nil (rotary or no positions)
    public let positions: Tensor?
    /// types: [typeVocab, hidden] (BERT segments), or nil
    public let types: Tensor?
    public let norm: Norm?

    public init(tokens: Tensor, positions: Tensor? = nil, types: Tensor? = nil, norm: Norm? = nil) {
        self.tokens = tokens
        self.positions = positions
        self.types = types
        self.norm = norm
    }

    public var vocabularySize: Int { tokens.shape[0] }
    public var hiddenSize: Int { tokens.shape[1] }

    /// → [tokens, hidden]
    public func callAsFunction(_ batch: TokenBatch) throws(ModelError) -> Tensor {
        let h = try Ops.embed(batch, tokens: tokens, positions: positions, types: types)
        if let norm { Ops.normalizeInPlace(h, norm) }
        return h
    }
}

/// The layers of a transformer, in order: embeddings, blocks, optional final norm, optional head.
///
/// Models (`BertModel`, `DecoderModel`) hold one and expose it through `LayeredModel`. For
/// layer-wise work, `embed` gives the input of block 0, `runBlock(i, ...)` runs block i alone
/// on any captured input, and `finalOutput` applies the final norm and the head.
public final class TransformerStack: @unchecked Sendable {
    public let embeddings: Embeddings
    public let blocks: [TransformerBlock]
    public let finalNorm: Norm?
    /// [hidden] → [vocab], or nil (encoders).
    public private(set) var head: (any LinearOp)?

    public init(embeddings: Embeddings, blocks: [TransformerBlock], finalNorm: Norm?, head: (any LinearOp)?) {
        self.embeddings = embeddings
        self.blocks = blocks
        self.finalNorm = finalNorm
        self.head = head
    }

    // MARK: - Linear sites

    static let blockRoles: [LinearRole] = [.qkv, .attentionOutput, .mlpIn, .mlpOut]

    /// Every linear layer, block by block in execution order, then the head.
    public func linearSites() -> [LinearSite] {
        var sites: [LinearSite] = []
        for (i, b) in blocks.enumerated() {
            for role in Self.blockRoles {
                sites.append(LinearSite(name: LinearSite.name(layer: i, role: role), layer: i, role: role, op: b[role]))
            }
        }
        if let head { sites.append(LinearSite(name: "head", layer: nil, role: .head, op: head)) }
        return sites
    }

    /// The site called `name`, or nil.
    public func linearSite(named name: String) -> LinearSite? { linearSites().first { $0.name == name } }

    /// Puts `op` in place of the site called `name`; its features must match the old op's.
    public func replaceLinear(named name: String, with op: any LinearOp) throws(ModelError) {
        guard let site = linearSite(named: name) else { throw .invalidInput("no linear site named \(name)") }
        guard op.inFeatures == site.op.inFeatures, op.outFeatures == site.op.outFeatures else {
            throw .invalidInput("\(name) is [\(site.op.outFeatures), \(site.op.inFeatures)], replacement is [\(op.outFeatures), \(op.inFeatures)]")
        }
        if let layer = site.layer { blocks[layer].set(site.role, op) } else { head = op }
    }

    /// Replaces every op by `transform(site)` (return `site.op` to keep it), in `linearSites()`
    /// order. Throws what `transform` throws, or `ModelError` if a new op's features differ.
    public func mapLinears(_ transform: (LinearSite) throws -> any LinearOp) throws {
        for site in linearSites() {
            let op = try transform(site)
            if op !== site.op { try replaceLinear(named: site.name, with: op) }
        }
    }

    // MARK: - Forward pieces

    /// Hidden states before block 0: [tokens, hidden].
    public func embed(_ batch: TokenBatch) throws(ModelError) -> Tensor { try embeddings(batch) }

    /// Runs block `i` alone. hidden: [tokens, hidden] → [tokens, hidden]; `hidden` is not modified.
    public func runBlock(_ i: Int, hidden: Tensor, batch: TokenBatch, cache: KVCache? = nil) -> Tensor {
        blocks[i].forward(hidden, batch: batch, cache: cache?.layers[i])
    }

    /// Final norm, then the head if there is one. hidden: [tokens, hidden] → [tokens, vocab]
    /// (decoders) or [tokens, hidden] (encoders).
    public func finalOutput(_ hidden: Tensor) -> Tensor {
        let h = finalNorm.map { Ops.normalize(hidden, $0) } ?? hidden
        return head?.forward(h) ?? h
    }

    /// All blocks: hidden states after the last block, before the final norm. [tokens, hidden]
    public func hiddenStates(_ batch: TokenBatch, cache: KVCache? = nil) throws(ModelError) -> Tensor {
        var h = try embed(batch)
        for i in blocks.indices { h = runBlock(i, hidden: h, batch: batch, cache: cache) }
        return h
    }
}

/// A model built on a `TransformerStack`: the linear-site and layer-wise API, forwarded.
public protocol LayeredModel: AnyObject, Sendable {
    var stack: TransformerStack { get }
}

extension LayeredModel {
    public var blockCount: Int { stack.blocks.count }
    public var hiddenSize: Int { stack.embeddings.hiddenSize }
    public func linearSites() -> [LinearSite] { stack.linearSites() }
    public func replaceLinear(named name: String, with op: any LinearOp) throws(ModelError) {
        try stack.replaceLinear(named: name, with: op)
    }
    public func mapLinears(_ transform: (LinearSite) throws -> any LinearOp) throws { try stack.mapLinears(transform) }
    /// Hidden states before block 0: [tokens, hidden].
    public func embed(_ batch: TokenBatch) throws(ModelError) -> Tensor { try stack.embed(batch) }
    /// Runs block `i` alone. hidden: [tokens, hidden] → [tokens, hidden].
    public func runBlock(_ i: Int, hidden: Tensor, batch: TokenBatch, cache: KVCache? = nil) -> Tensor {
        stack.runBlock(i, hidden: hidden, batch: batch, cache: cache)
    }
    /// Final norm and head: [tokens, hidden] → [tokens, vocab] (or [tokens, hidden] without a head).
    public func finalOutput(_ hidden: Tensor) -> Tensor { stack.finalOutput(hidden) }
}
