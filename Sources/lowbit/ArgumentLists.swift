import ArgumentParser
import LowBitCUDA

/// Comma-separated list options ("1,2,4", "fp16,int8,tuned"), parsed with one clear message per
/// mistake (a ValidationError: exit 64 before anything loads).
enum ArgumentLists {
    /// "1,2,4" → [1, 2, 4]; every item an integer ≥ `minimum`, at least one item.
    static func ints(_ text: String, option: String, minimum: Int = 1, why: String = "") throws -> [Int] {
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        return try items.map { item in
            guard let v = Int(item) else {
                throw ValidationError("\(option): '\(item)' in '\(text)' is not an integer (give a comma-separated list such as 1,8,32)")
            }
            guard v >= minimum else { throw ValidationError("\(option) must be at least \(minimum)\(why), got \(v)") }
            return v
        }
    }

    /// "a,b" → ["a", "b"]; no empty items.
    static func strings(_ text: String, option: String) throws -> [String] {
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard !items.contains(where: \.isEmpty) else { throw ValidationError("\(option): '\(text)' has an empty item") }
        return items
    }

    /// The recipe names `recipes` accepts, for messages and help.
    static let recipeHelp = "fp16, int8, fp8, w4a8, a per-GEMM form q1/q2/q3/q4 such as int8/fp16/int8/int8, or tuned"

    /// "fp16,int8,tuned" → ([.fp16, .int8], tuned: true). `tuned` is the autotuner's row, not a recipe.
    static func recipes(_ text: String, option: String) throws -> (recipes: [EncoderRecipe], tuned: Bool) {
        var recipes: [EncoderRecipe] = [], tuned = false
        for item in try strings(text, option: option) {
            if item == "tuned" { tuned = true; continue }
            guard let r = EncoderRecipe(item) else {
                throw ValidationError("\(option): unknown recipe '\(item)'; give \(recipeHelp)")
            }
            recipes.append(r)
        }
        return (recipes, tuned)
    }

    /// One recipe ("int8", "int8/fp16/int8/int8").
    static func recipe(_ text: String, option: String) throws -> EncoderRecipe {
        guard let r = EncoderRecipe(text) else {
            throw ValidationError("\(option): unknown recipe '\(text)'; give fp16, int8, fp8, w4a8 or a per-GEMM form such as int8/fp16/int8/int8")
        }
        return r
    }
}

extension GemmBackendPolicy: ExpressibleByArgument {}
extension FP8Accumulation: ExpressibleByArgument {}
extension CUDAEncoder.FP8Handoff: ExpressibleByArgument {}
extension AttentionTile: ExpressibleByArgument {}
extension GeluForm: ExpressibleByArgument {}
