// swift-tools-version: 6.1
//
// StoryForge benchmarks: a package of its own, so that the library's users never resolve the
// benchmark harness. Run from the repository root:
//
//     swift package --package-path Benchmarks benchmark
//
// See Benchmarks/README.md for inputs and baselines.

import Foundation
import PackageDescription

// SwiftPM names a path dependency after its folder, which is whatever the repository was cloned as.
let storyForge = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent()

let package = Package(
    name: "StoryForgeBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: storyForge.path),
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "MediaIOBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "MediaIO", package: storyForge.lastPathComponent),
                .product(name: "StoryForgeCore", package: storyForge.lastPathComponent),
            ],
            path: "Benchmarks/MediaIOBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "ProviderKitBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "ProviderKit", package: storyForge.lastPathComponent),
            ],
            path: "Benchmarks/ProviderKitBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "UpscaleKitBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "MediaIO", package: storyForge.lastPathComponent),
                .product(name: "UpscaleKit", package: storyForge.lastPathComponent),
            ],
            path: "Benchmarks/UpscaleKitBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
