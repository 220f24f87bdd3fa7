import Foundation
import LowBitModels
import LowBitQuant
import Testing
@testable import LowBitAlgorithms

struct RecipeTests {
    @Test(arguments: Recipe.presetNames)
    func presetIsValidAndRoundTrips(name: String) throws {
        let r = try Recipe.preset(name)
        try r.validate()
        #expect(r.name == name)
        #expect(!r.quantizeHead)
        let back = try Recipe.decode(try r.jsonData())
        #expect(back == r)
    }

    @Test func fullRecipeRoundTripsThroughJSONFile() throws {
        let r = Recipe(name: "mixed", weights: .init(bits: 4, mapping: .asymmetric, granularity: "per_group:64"),
                       activations: .init(mode: .staticPerTensor, bits: 8, observer: .percentile, percentile: 99.9),
                       method: .init(.ocs, expandRatio: 0.02, split: .activation),
                       overrides: [.init(pattern: "layers.0.*", keepFloat: true), .init(role: .mlpOut, bits: 8, granularity: "per_channel")],
                       quantizeHead: true)
        var sites = Recipe.ActivationSites()
        sites.mlpOut = false
        var r2 = r
        r2.activationSites = sites
        let path = NSTemporaryDirectory() + "recipe-\(UUID().uuidString).json"
        try r2.jsonData().write(to: URL(fileURLWithPath: path))
        #expect(try Recipe.load(path: path) == r2)
        #expect(try Recipe.named(path) == r2)
    }

    @Test func minimalJSONTakesDefaults() throws {
        let r = try Recipe.decode(Data(#"{"weights": {"bits": 8, "mapping": "symmetric", "granularity": "per_channel"}}"#.utf8))
        #expect(r.activations.mode == .none && r.method.name == .rtn && !r.quantizeHead && r.overrides.isEmpty)
        #expect(r.activationSites.qkv && r.activationSites.mlpOut)
    }

    @Test func badRecipesGiveTypedErrorsNamingTheField() throws {
        func field(_ json: String) -> String? {
            do { _ = try Recipe.decode(Data(json.utf8)); return nil } catch {
                if case let .invalidField(f, _, _) = error { return f }
                return "other: \(error)"
            }
        }
        let w = #""weights": {"bits": 8, "mapping": "symmetric", "granularity": "per_channel"}"#
        #expect(field(#"{"weights": {"bits": 9, "mapping": "symmetric", "granularity": "per_channel"}}"#) == "weights.bits")
        #expect(field(#"{"weights": {"bits": 4, "mapping": "symmetric", "granularity": "per_group:0"}}"#) == "weights.granularity")
        #expect(field(#"{"weights": {"bits": 4, "mapping": "symmetric", "granularity": "rows"}}"#) == "weights.granularity")
        #expect(field("{\(w), \"activations\": {\"mode\": \"dynamic_per_token\", \"bits\": 6}}") == "activations.bits")
        #expect(field("{\(w), \"activations\": {\"mode\": \"dynamic_per_token\"}, \"method\": {\"name\": \"lq\"}}") == "method.name")
        #expect(field("{\(w), \"method\": {\"name\": \"ocs\", \"expand_ratio\": 0}}") == "method.expand_ratio")
        #expect(field("{\(w), \"overrides\": [{\"bits\": 4}]}") == "overrides[0]")
        #expect(field("{\(w), \"overrides\": [{\"pattern\": \"head\", \"bits\": 1}]}") == "overrides[0].bits")
        #expect(field("{\(w), \"overrides\": [{\"pattern\": \"head\"}]}") == "overrides[0]")
        // Affine is a weight mapping: for activations it is refused, for weights accepted.
        #expect(field("{\(w), \"activations\": {\"mode\": \"dynamic_per_token\", \"mapping\": \"affine\"}}") == "activations.mapping")
        #expect(field("{\(w), \"activations\": {\"mode\": \"static_per_tensor\", \"mapping\": \"affine\"}}") == "activations.mapping")
        #expect(field(#"{"weights": {"bits": 4, "mapping": "affine", "granularity": "per_group:32"}}"#) == nil)
        #expect(try Recipe.preset("w4a8-g32-affine").weights == .init(bits: 4, mapping: .affine, granularity: "per_group:32"))
        // Not decodable at all: unreadable, naming the field.
        do {
            _ = try Recipe.decode(Data(#"{"weights": {"bits": 8}}"#.utf8), source: "r.json")
            Issue.record("expected an error")
        } catch {
            guard case let .unreadable(path, reason) = error else { Issue.record("got \(error)"); return }
            #expect(path == "r.json" && reason.contains("granularity"), "\(reason)")
        }
        #expect(throws: RecipeError.unknownPreset(name: "w3a3", known: Recipe.presetNames)) { try Recipe.preset("w3a3") }
        #expect(throws: RecipeError.self) { try Recipe.load(path: "/nonexistent/recipe.json") }
    }

    @Test func globAndOverridesSelectSites() throws {
        #expect(Recipe.glob("layers.*.mlp_*", matches: "layers.11.mlp_in"))
        #expect(!Recipe.glob("layers.*.mlp_*", matches: "layers.1.qkv"))
        #expect(Recipe.glob("layers.?.qkv", matches: "layers.3.qkv"))
        #expect(!Recipe.glob("layers.?.qkv", matches: "layers.13.qkv"))
        #expect(Recipe.glob("*", matches: "head"))
        let op = FloatLinear(weight: randomTensor([4, 8], seed: 1))
        func site(_ layer: Int?, _ role: LinearRole) -> LinearSite {
            LinearSite(name: layer.map { LinearSite.name(layer: $0, role: role) } ?? "head", layer: layer, role: role, op: op)
        }
        let r = try Recipe.preset("w4/8a8")
        #expect(try r.plan(for: site(2, .mlpIn))?.scheme == QuantScheme(bits: .int4, granularity: .perGroup(size: 128)))
        #expect(try r.plan(for: site(2, .qkv))?.scheme == QuantScheme(bits: .int8, granularity: .perChannel))
        #expect(try r.plan(for: site(2, .qkv))?.quantizeInput == true)
        #expect(try r.plan(for: site(nil, .head)) == nil)
        var k = r
        k.overrides.append(.init(role: .attentionOutput, keepFloat: true))
        k.activationSites.qkv = false
        #expect(try k.plan(for: site(0, .attentionOutput)) == nil)
        #expect(try k.plan(for: site(0, .qkv))?.quantizeInput == false)
        #expect(try fitted(QuantScheme(bits: .int4, granularity: .perGroup(size: 128)), out: 8, in: 576).granularity == .perGroup(size: 64))
    }

    /// `withHead`: int8 makes the head W8A16 per-channel whatever the body's scheme, and leaves
    /// every other site as the preset has it; float and recipe keep the preset's float head.
    @Test(arguments: ["w8a8", "w4a8", "w4a16-g128", "w4/8a8"])
    func headChoice(preset: String) throws {
        let op = FloatLinear(weight: randomTensor([4, 8], seed: 1))
        let head = LinearSite(name: "head", layer: nil, role: .head, op: op)
        let body = [LinearRole.qkv, .attentionOutput, .mlpIn, .mlpOut].map {
            LinearSite(name: LinearSite.name(layer: 1, role: $0), layer: 1, role: $0, op: op)
        }
        let base = try Recipe.preset(preset)
        let int8 = base.withHead(.int8)
        let plan = try #require(try int8.plan(for: head))
        #expect(plan.scheme == QuantScheme(bits: .int8, mapping: .symmetric, granularity: .perChannel))
        #expect(plan.quantizeInput == false)
        for site in body {
            let a = try base.plan(for: site), b = try int8.plan(for: site)
            #expect(a?.scheme == b?.scheme && a?.quantizeInput == b?.quantizeInput, "\(preset) \(site.name)")
        }
        #expect(try base.withHead(.float).plan(for: head) == nil)
        #expect(try base.withHead(.recipe).plan(for: head) == nil)
        // The choice survives the JSON written into the quantized directory.
        let back = try JSONDecoder().decode(Recipe.self, from: try int8.jsonData())
        #expect(back == int8)
        #expect(try back.plan(for: head)?.scheme == plan.scheme)
    }
}
