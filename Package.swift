// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "LowBit",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "LowBit", targets: ["LowBitCore", "LowBitIO", "LowBitTokenizers"]),
        .executable(name: "lowbit", targets: ["lowbit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .target(name: "CLowBitKernels"),
        .target(name: "LowBitCore", dependencies: ["CLowBitKernels"]),
        .target(name: "LowBitIO", dependencies: ["LowBitCore"]),
        .target(name: "LowBitTokenizers", dependencies: ["LowBitCore", "LowBitIO"]),
        .executableTarget(
            name: "lowbit",
            dependencies: [
                "LowBitCore", "LowBitIO", "LowBitTokenizers",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(name: "lowbit-bench", dependencies: ["LowBitCore", "CLowBitKernels"]),
        .testTarget(name: "LowBitCoreTests", dependencies: ["LowBitCore", "CLowBitKernels"]),
        .testTarget(name: "LowBitIOTests", dependencies: ["LowBitIO"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "LowBitTokenizersTests", dependencies: ["LowBitTokenizers", "LowBitIO"],
            resources: [.copy("Fixtures")]),
    ],
    swiftLanguageModes: [.v6]
)
