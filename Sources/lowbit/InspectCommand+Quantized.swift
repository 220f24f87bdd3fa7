import Foundation
import LowBitIO
import LowBitModels
import LowBitQuant

extension InspectCommand {
    struct QuantizedReport: Encodable {
        struct Site: Encodable {
            let name: String
            let storage: String
            let scheme: String
            let activation: String
            let ocs: Bool
            let shape: [Int]
            let bytes: Int
            let float_bytes: Int
        }
        let path: String
        let format: String
        let format_version: Int
        let architecture: String
        let source: String
        let created: String
        let lowbit_version: String
        let config: [String: String]
        let recipe: JSONValue?
        let sites: [Site]
        let site_bytes: Int
        let site_float_bytes: Int
        let file_bytes: Int
        let float_model_bytes: Int
        let tokenizer: [String]
    }

    /// `lowbit inspect DIR` on a quantized model directory: recipe, per-site storage and size.
    func inspectQuantized() throws {
        let loaded = try QuantizedModelDirectory.load(model)
        let m = loaded.manifest
        let weightsPath = loaded.directory + "/" + m.weights
        let fileBytes = (try? FileManager.default.attributesOfItem(atPath: weightsPath)[.size] as? Int) ?? 0
        let siteBytes = m.sites.reduce(0) { $0 + $1.bytes }
        // The float model: the same non-linear tensors plus F32 weights (and biases) at every site.
        let floatModel = fileBytes - siteBytes + m.sites.reduce(0) { $0 + ($1.storage == .tiedEmbeddings ? 0 : $1.outFeatures * $1.inFeatures * 4 + ($1.hasBias ? $1.outFeatures * 4 : 0)) }
        let sites = m.sites.map { s in
            QuantizedReport.Site(
                name: s.name, storage: s.storage.rawValue, scheme: s.scheme?.description ?? "float32",
                activation: s.activation.map(Self.describe) ?? "none", ocs: s.hasInputChannels,
                shape: [s.outFeatures, s.storedInFeatures], bytes: s.bytes,
                float_bytes: s.storage == .tiedEmbeddings ? 0 : s.outFeatures * s.inFeatures * 4 + (s.hasBias ? s.outFeatures * 4 : 0))
        }
        if json {
            try Output.printJSON(QuantizedReport(
                path: loaded.directory, format: m.format, format_version: m.formatVersion, architecture: m.architecture,
                source: "\(m.source.path) (\(m.source.format))", created: m.created, lowbit_version: m.lowbitVersion,
                config: Dictionary(uniqueKeysWithValues: loaded.config.summary), recipe: m.recipe, sites: sites,
                site_bytes: siteBytes, site_float_bytes: sites.reduce(0) { $0 + $1.float_bytes }, file_bytes: fileBytes,
                float_model_bytes: floatModel, tokenizer: m.tokenizer))
            return
        }
        print(loaded.directory)
        print("format: \(m.format) v\(m.formatVersion)   architecture: \(m.architecture)   written by LowBit \(m.lowbitVersion) on \(m.created)")
        print("source: \(m.source.path) (\(m.source.format))")
        print(loaded.config.summary.map { "\($0)=\($1)" }.joined(separator: " "))
        if let recipe = m.recipe, let text = try? String(decoding: recipe.data(), as: UTF8.self) { print("recipe: \(text)") }
        let ratio = floatModel > 0 ? Double(fileBytes) / Double(floatModel) : 0
        print("size: \(Output.bytes(fileBytes)) (float32: \(Output.bytes(floatModel)), \(String(format: "%.1f", ratio * 100))%)   linear sites: \(Output.bytes(siteBytes)) of \(Output.bytes(sites.reduce(0) { $0 + $1.float_bytes })) in float32")
        print("tokenizer: \(m.tokenizer.joined(separator: ", "))")
        print("")
        print(Output.table(["site", "storage", "scheme", "activation", "ocs", "shape", "bytes", "float32"],
                           sites.map { [$0.name, $0.storage, $0.scheme, $0.activation, $0.ocs ? "yes" : "", "\($0.shape)", "\($0.bytes)", "\($0.float_bytes)"] }))
    }

    static func describe(_ a: ActivationQuantizer) -> String {
        switch a {
        case .none: "none"
        case .dynamicPerToken(let bits): "dynamic per-token \(bits)"
        case .dynamicPerTokenAsymmetric(let bits): "dynamic per-token asym \(bits)"
        case let .staticPerTensor(bits, mapping, scale, zero): "static \(bits) \(mapping.rawValue) s=\(scale) z=\(zero)"
        }
    }
}
