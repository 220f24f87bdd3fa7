import Foundation
import LowBitIO

/// Picks the fastest recipe for a (model, batch, seq) shape among those allowed under a floor
/// recipe (each GEMM may use its floor's precision or any with more weight bits), and remembers
/// the choice in a JSON file.
///
/// Search: every allowed uniform recipe, then from the fastest one a pass over q1…q4 trying the
/// other allowed precisions of that GEMM alone, keeping any that is faster (timings are memoized,
/// so a recipe is measured once). About 3 + 4·2 measurements per shape for an 8-bit floor.
public final class EncoderAutotuner {
    public struct Entry: Codable, Sendable {
        public var recipe: String
        public var ms: Double
    }
    public let path: String?
    public private(set) var entries: [String: Entry] = [:]

    /// Loads the remembered choices from `path` (JSON object key → entry) if it exists.
    public init(path: String?) {
        self.path = path
        if let path, let data = FileManager.default.contents(atPath: path),
           let e = try? JSONDecoder().decode([String: Entry].self, from: data) {
            entries = e
        }
    }

    public static func key(model: String, device: String, batch: Int, seq: Int, floor: EncoderRecipe) -> String {
        "\(device)|\(model)|\(batch)x\(seq)|floor=\(floor)"
    }

    /// The remembered or newly searched best recipe and its time; `measure` gives ms per pass.
    public func best(model: String, device: String, batch: Int, seq: Int, floor: EncoderRecipe,
                     measure: (EncoderRecipe) throws -> Double) rethrows -> (recipe: EncoderRecipe, ms: Double, cached: Bool) {
        let k = Self.key(model: model, device: device, batch: batch, seq: seq, floor: floor)
        if let e = entries[k], let r = EncoderRecipe(e.recipe) { return (r, e.ms, true) }
        var seen: [EncoderRecipe: Double] = [:]
        func time(_ r: EncoderRecipe) throws -> Double {
            if let t = seen[r] { return t }
            let t = try measure(r)
            seen[r] = t
            return t
        }
        let uniform = GemmPrecision.allCases.map(EncoderRecipe.uniform).filter { $0.isAllowed(under: floor) }
        var best = uniform[0], bestMs = Double.infinity
        for r in uniform { let t = try time(r); if t < bestMs { (best, bestMs) = (r, t) } }
        for site in 0..<4 {
            for p in GemmPrecision.allCases where p.weightBits >= floor.sites[site].weightBits && p != best.sites[site] {
                var r = best
                r.sites[site] = p
                let t = try time(r)
                if t < bestMs { (best, bestMs) = (r, t) }
            }
        }
        entries[k] = Entry(recipe: best.description, ms: bestMs)
        return (best, bestMs, false)
    }

    /// Writes the remembered choices to `path` (atomically).
    public func save() throws {
        guard let path else { return }
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try enc.encode(entries), to: path)
    }
}
