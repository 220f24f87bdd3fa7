// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "LowBit",
    platforms: [.macOS(.v14)],
    products: [
        .library(
            name: "LowBit",
            targets: ["LowBitCore", "LowBitQuant", "LowBitIO", "LowBitTokenizers", "LowBitModels", "LowBitEval", "LowBitAlgorithms"]),
        .executable(name: "lowbit", targets: ["lowbit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .target(name: "CLowBitKernels"),
        .target(name: "LowBitCore", dependencies: ["CLowBitKernels"]),
        .target(name: "LowBitIO", dependencies: ["LowBitCore"]),
        .target(name: "LowBitQuant", dependencies: ["LowBitCore", "CLowBitKernels"], exclude: ["README.md"]),
        .target(name: "LowBitTokenizers", dependencies: ["LowBitCore", "LowBitIO"]),
        .target(name: "LowBitModels", dependencies: ["LowBitCore", "LowBitQuant", "LowBitIO", "CLowBitKernels"]),
        .target(name: "LowBitEval", dependencies: ["LowBitCore", "LowBitModels", "LowBitTokenizers", "LowBitIO"]),
        .target(
            name: "LowBitAlgorithms",
            dependencies: ["LowBitCore", "LowBitQuant", "LowBitModels", "LowBitIO", "LowBitTokenizers"],
            exclude: ["README.md"]),
        .target(name: "CLowBitCUDAShim", linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),
        .target(
            name: "LowBitCUDA", dependencies: ["LowBitCore", "CLowBitCUDAShim", "LowBitQuant", "LowBitIO", "LowBitModels"],
            exclude: ["README.md"]),
        .executableTarget(
            name: "lowbit",
            dependencies: [
                "LowBitCore", "LowBitQuant", "LowBitIO", "LowBitTokenizers", "LowBitModels", "LowBitEval", "LowBitAlgorithms",
                "LowBitCUDA", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "lowbit-bench", dependencies: ["LowBitCore", "CLowBitKernels", "LowBitQuant", "LowBitModels"]),
        .testTarget(name: "LowBitCoreTests", dependencies: ["LowBitCore", "CLowBitKernels"]),
        .testTarget(name: "LowBitCUDATests", dependencies: ["LowBitCUDA", "LowBitCore"]),
        .testTarget(name: "LowBitIOTests", dependencies: ["LowBitIO"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "LowBitTokenizersTests", dependencies: ["LowBitTokenizers", "LowBitIO"],
            resources: [.copy("Fixtures")]),
        .testTarget(name: "LowBitQuantTests", dependencies: ["LowBitQuant", "LowBitCore"]),
        // Helpers shared by test targets (child-process runs); not part of the product.
        .target(name: "LowBitTestSupport", path: "Tests/LowBitTestSupport"),
        .testTarget(
            name: "LowBitModelsTests", dependencies: ["LowBitModels", "LowBitIO", "LowBitTokenizers", "LowBitCore", "LowBitTestSupport"],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "LowBitEvalTests", dependencies: ["LowBitEval", "LowBitModels", "LowBitTokenizers", "LowBitIO", "LowBitCore"],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "LowBitAlgorithmsTests",
            dependencies: ["LowBitAlgorithms", "LowBitModels", "LowBitQuant", "LowBitEval", "LowBitTokenizers", "LowBitIO", "LowBitCore",
                           "LowBitTestSupport"]),
        // Runs the built `lowbit` binary (found beside the test bundle); no module dependency.
        .testTarget(name: "LowBitCLITests"),
    ],
    swiftLanguageModes: [.v6]
)
