// swift-tools-version: 6.1
//
// StoryForge: an embeddable Swift SDK for automated story-to-video production.
// One product = one module; see Docs/Architecture.md for what each holds and may import.

import PackageDescription

let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "StoryForge",
    platforms: [.macOS(.v14), .iOS(.v17)],
    products: [
        .library(name: "MediaIO", targets: ["MediaIO"]),
        .library(name: "UpscaleKit", targets: ["UpscaleKit"]),
        .executable(name: "image-convert", targets: ["image-convert"]),
        .executable(name: "upscale", targets: ["upscale"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
    ],
    targets: [
        // MARK: MediaIO

        // The setjmp/longjmp error handling of libpng and libjpeg stays inside this C target:
        // every call returns a status code and a message, never unwinds through Swift frames.
        .target(
            name: "CStoryForgeCodecs",
            linkerSettings: [.linkedLibrary("png"), .linkedLibrary("jpeg"), .linkedLibrary("z")]
        ),
        .target(
            name: "MediaIO",
            dependencies: ["CStoryForgeCodecs"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MediaIOTests",
            dependencies: [
                "MediaIO",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),

        // MARK: UpscaleKit

        // The resampler's SIMD loops, compiled for AVX2+FMA and for the baseline, chosen at run time.
        .target(name: "CStoryForgeResample"),
        .target(
            name: "UpscaleKit",
            dependencies: ["MediaIO", "CStoryForgeResample"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "UpscaleKitTests",
            dependencies: [
                "UpscaleKit",
                "MediaIO",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),

        // MARK: Examples

        .executableTarget(
            name: "image-convert",
            dependencies: [
                "MediaIO",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Examples/image-convert",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "upscale",
            dependencies: [
                "UpscaleKit",
                "MediaIO",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Examples/upscale",
            swiftSettings: strictSettings
        ),
    ]
)
