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
        .executable(name: "image-convert", targets: ["image-convert"]),
        .library(name: "ProviderKit", targets: ["ProviderKit"]),
        .executable(name: "provider-chat", targets: ["provider-chat"]),
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

        // MARK: ProviderKit

        // curl_easy_setopt and friends are variadic; Swift calls these plain C wrappers instead.
        .target(
            name: "CStoryForgeCurl",
            linkerSettings: [.linkedLibrary("curl")]
        ),
        .target(
            name: "ProviderKit",
            dependencies: ["MediaIO", "CStoryForgeCurl"],
            swiftSettings: strictSettings
        ),
        // A loopback HTTP/1.1 server on POSIX sockets that speaks the providers' wire protocols and
        // injects faults on command; used by the tests and the transport benchmark.
        .target(
            name: "ProviderKitTestServer",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ProviderKitTests",
            dependencies: ["ProviderKit", "ProviderKitTestServer", "MediaIO"],
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
            name: "provider-chat",
            dependencies: [
                "ProviderKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Examples/provider-chat",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "provider-bench",
            dependencies: ["ProviderKit", "ProviderKitTestServer"],
            path: "Examples/provider-bench",
            swiftSettings: strictSettings
        ),
    ]
)
