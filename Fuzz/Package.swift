// swift-tools-version: 6.1
//
// libFuzzer harness for the MediaIO image decoders. A package of its own because a fuzz target has
// no `main` (libFuzzer supplies it) and needs sanitizer flags. See Docs/Fuzzing.md:
//
//     swift build --package-path Fuzz -c release \
//         -Xswiftc -sanitize=fuzzer,address \
//         -Xcc -fsanitize=fuzzer-no-link,address -Xswiftc -use-ld=lld
//     Fuzz/.build/release/ImageCodecFuzzer -max_total_time=600 Fuzz/corpus-run Tests/MediaIOTests/Fixtures

import Foundation
import PackageDescription

// SwiftPM names a path dependency after its folder, which is whatever the repository was cloned as.
let storyForge = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent()

let package = Package(
    name: "StoryForgeFuzz",
    dependencies: [.package(path: storyForge.path)],
    targets: [
        .executableTarget(
            name: "ImageCodecFuzzer",
            dependencies: [.product(name: "MediaIO", package: storyForge.lastPathComponent)],
            swiftSettings: [.swiftLanguageMode(.v6)]
        )
    ]
)
