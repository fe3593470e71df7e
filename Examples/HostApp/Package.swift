// swift-tools-version: 6.2
//
// A host of StoryForge: its own package, depending on the SDK by path as an app would by URL. CI builds and runs it
// (`.ci/run`), so that what a host meets (products, public API, bundled resources) is checked from outside the SDK.

import PackageDescription

let package = Package(
    name: "HostApp",
    // As the SDK's own: macOS 15 (Synchronization.Atomic in UpscaleKit); Linux needs none.
    platforms: [.macOS(.v15)],
    dependencies: [
        // A host elsewhere writes `.package(url: "https://github.com/<owner>/StoryForge.git", branch: "main")`.
        .package(name: "StoryForge", path: "../..")
    ],
    targets: [
        .executableTarget(
            name: "host-app",
            dependencies: [
                .product(name: "StoryPipeline", package: "StoryForge"),
                .product(name: "PipelineKit", package: "StoryForge"),
                .product(name: "UpscaleKit", package: "StoryForge"),
                .product(name: "MediaIO", package: "StoryForge"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        )
    ]
)
