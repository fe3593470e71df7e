// swift-tools-version: 6.2
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
    // macOS 15: Synchronization.Atomic (UpscaleKit). No iOS: ProviderKit runs espeak-ng with Foundation.Process and
    // MediaIO runs ffmpeg with fork/exec (CStoryForgeSpawn), neither of which an iOS app may use.
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "StoryForgeCore", targets: ["StoryForgeCore"]),
        .library(name: "MediaIO", targets: ["MediaIO"]),
        .library(name: "UpscaleKit", targets: ["UpscaleKit"]),
        .library(name: "PipelineKit", targets: ["PipelineKit"]),
        .library(name: "PipelineKitTesting", targets: ["PipelineKitTesting"]),
        .library(name: "QueueKit", targets: ["QueueKit"]),
        .library(name: "QueueKitPostgres", targets: ["QueueKitPostgres"]),
        .library(name: "StoryQueue", targets: ["StoryQueue"]),
        .library(name: "StoryServer", targets: ["StoryServer"]),
        .library(name: "StoryServerMCP", targets: ["StoryServerMCP"]),
        .executable(name: "story-server", targets: ["story-server"]),
        .executable(name: "story-worker", targets: ["story-worker"]),
        .executable(name: "story-queue", targets: ["story-queue"]),
        .executable(name: "image-convert", targets: ["image-convert"]),
        .executable(name: "upscale", targets: ["upscale"]),
        .library(name: "ProviderKit", targets: ["ProviderKit"]),
        .library(name: "ProviderKitTesting", targets: ["ProviderKitTesting"]),
        .library(name: "ProviderKitCache", targets: ["ProviderKitCache"]),
        .library(name: "OfflineProviders", targets: ["OfflineProviders"]),
        .executable(name: "provider-chat", targets: ["provider-chat"]),
        .library(name: "StoryModels", targets: ["StoryModels"]),
        .library(name: "StoryPipeline", targets: ["StoryPipeline"]),
        .executable(name: "story-demo", targets: ["story-demo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        // YAML configuration files, parsed into the JSON the strict decoders check (see ConfigurationYAML).
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // QueueKitPostgres only: the PostgreSQL job queue and checkpoint store across machines.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // StoryServer only: the REST API and web page (Hummingbird 2).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        // StoryServerMCP only: the MCP server (tools and resources over stdio and Streamable HTTP).
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
        // StoryServer only: GET /metrics renders swift-metrics in the Prometheus text format.
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // MARK: StoryForgeCore

        // Starting a child process that dies with its parent (PR_SET_PDEATHSIG from one long-lived spawner
        // thread), which Foundation's Process cannot do; used by the one subprocess runner in StoryForgeCore.
        .target(name: "CStoryForgeSpawn"),
        // The bottom of the graph: the small types modules that may not import each other share (JSON value,
        // timed word, hex digest, the error protocol, the subprocess runner, YAML configuration text as JSON).
        .target(
            name: "StoryForgeCore",
            dependencies: [
                "CStoryForgeSpawn",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "StoryForgeCoreTests",
            dependencies: ["StoryForgeCore", "StoryForgeTestSupport"],
            swiftSettings: strictSettings
        ),

        // The tests' shared helpers (finding this package's built executables); not a product.
        .target(name: "StoryForgeTestSupport", path: "Tests/Support", swiftSettings: strictSettings),

        // MARK: MediaIO

        // The setjmp/longjmp error handling of libpng and libjpeg stays inside this C target:
        // every call returns a status code and a message, never unwinds through Swift frames.
        .target(
            name: "CStoryForgeCodecs",
            linkerSettings: [.linkedLibrary("png"), .linkedLibrary("jpeg"), .linkedLibrary("z")]
        ),
        .target(
            name: "MediaIO",
            dependencies: ["StoryForgeCore", "CStoryForgeCodecs"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MediaIOTests",
            dependencies: [
                "StoryForgeTestSupport",
                "MediaIO", "StoryForgeCore", "image-convert",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),

        // MARK: UpscaleKit

        // The resampler's SIMD loops, compiled for AVX2+FMA and for the baseline, chosen at run time.
        .target(name: "CStoryForgeResample"),
        // The learned super-resolution model's convolution: AVX2+FMA intrinsics chosen at run time,
        // and a portable loop.
        .target(name: "CStoryForgeSR"),
        .target(
            name: "UpscaleKit",
            dependencies: [
                "MediaIO", "StoryForgeCore", "CStoryForgeResample", "CStoryForgeSR",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Resources/LearnedSR")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "UpscaleKitTests",
            dependencies: [
                "UpscaleKit", "upscale",
                "MediaIO",
                "CStoryForgeResample",
                "StoryForgeTestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),

        // MARK: PipelineKit

        .target(
            name: "PipelineKit",
            dependencies: [
                "StoryForgeCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "PipelineKitTesting",
            dependencies: ["PipelineKit", "StoryForgeCore"],
            swiftSettings: strictSettings
        ),

        // MARK: QueueKit

        .target(
            name: "QueueKit",
            dependencies: [
                "PipelineKit",
                "StoryForgeCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // A worker process running a short checkpointed pipeline per job, for the queue's chaos and fencing tests.
        .executableTarget(
            name: "queue-probe-worker",
            dependencies: [
                "QueueKit", "PipelineKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Examples/queue-probe-worker",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "queue-bench",
            dependencies: [
                "QueueKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Examples/queue-bench",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "QueueKitTests",
            dependencies: [
                "StoryForgeTestSupport",
                "QueueKit", "PipelineKit", "StoryForgeCore", "queue-probe-worker", "QueueKitPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // The PostgreSQL JobQueue and CheckpointStore, in their own product so that hosts on SQLite never build NIO.
        .target(
            name: "QueueKitPostgres",
            dependencies: [
                "QueueKit", "PipelineKit", "StoryForgeCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "QueueKitPostgresTests",
            dependencies: [
                "StoryForgeTestSupport",
                "QueueKitPostgres", "QueueKit", "PipelineKit", "PipelineKitTesting", "StoryForgeCore",
                "story-queue", "story-worker",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "queue-bench-postgres",
            dependencies: [
                "QueueKitPostgres", "QueueKit", "StoryForgeCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Examples/queue-bench-postgres",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "pipeline-crash-probe",
            dependencies: [
                "PipelineKit",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Examples/pipeline-crash-probe",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "pipeline-bench",
            dependencies: [
                "PipelineKit",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Examples/pipeline-bench",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PipelineKitTests",
            dependencies: [
                "StoryForgeTestSupport",
                "PipelineKit",
                "PipelineKitTesting",
                "StoryForgeCore",
                "pipeline-crash-probe",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
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
            dependencies: [
                "StoryForgeCore", "CStoryForgeCurl",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                // HTTPFields for the transport's headers: case-insensitive names and CR/LF-free values by construction.
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strictSettings
        ),
        // The SQLite response cache and record/replay: their own product, so that a ProviderKit user who
        // wants neither does not link GRDB.
        .target(
            name: "ProviderKitCache",
            dependencies: [
                "ProviderKit", "StoryForgeCore",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strictSettings
        ),
        // Offline stand-ins for the real providers (a template story writer, procedural images), for runs with
        // no network and no key; their own product, so that ProviderKit does not link MediaIO's codecs.
        .target(
            name: "OfflineProviders",
            dependencies: ["ProviderKit", "MediaIO", "StoryForgeCore"],
            swiftSettings: strictSettings
        ),
        // For hosts' tests as for ours: a loopback HTTP/1.1 server on POSIX sockets that speaks the
        // providers' wire protocols and injects faults on command, and a `Clock` that moves only when
        // told to (or at once, by each sleep) for retry and backoff in virtual time.
        .target(
            name: "ProviderKitTesting",
            dependencies: ["ProviderKit"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ProviderKitTests",
            dependencies: [
                "ProviderKit", "ProviderKitCache", "OfflineProviders", "ProviderKitTesting", "MediaIO",
                "StoryForgeCore", .product(name: "Logging", package: "swift-log"),
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: StoryModels

        .target(
            name: "StoryModels",
            dependencies: ["StoryForgeCore"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "StoryModelsTests",
            dependencies: [
                "StoryModels", "StoryForgeCore",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: StoryPipeline

        .target(
            name: "StoryPipeline",
            dependencies: [
                "StoryForgeCore", "StoryModels", "MediaIO", "UpscaleKit", "ProviderKit", "OfflineProviders",
                "PipelineKit",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "StoryPipelineTests",
            dependencies: [
                "StoryForgeTestSupport",
                "StoryPipeline", "StoryModels", "MediaIO", "ProviderKit", "OfflineProviders", "PipelineKit",
                "PipelineKitTesting", "StoryForgeCore", "ProviderKitTesting", "story-demo",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: StoryQueue

        // Stories as queue jobs: the payload, the runner that runs one with StoryStudio on a fenced checkpoint store.
        .target(
            name: "StoryQueue",
            dependencies: [
                "StoryPipeline", "QueueKit",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "StoryQueueTests",
            dependencies: [
                "StoryQueue", "QueueKit", "StoryPipeline", "PipelineKit",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: StoryServer

        // Stories over HTTP: the REST API, Server-Sent Events, the web page and the MCP server, as routes a host
        // mounts in its own Hummingbird application; product of its own so that SDK users who want no server never
        // build NIO's HTTP stack.
        .target(
            name: "StoryServer",
            dependencies: [
                "StoryQueue", "StoryPipeline", "QueueKit", "StoryForgeCore",
                // Webhooks: the pinned-address HTTP transport (ProviderKit) and their HMAC-SHA256 signature (Crypto).
                "ProviderKit",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            // The web page, compiled in as bytes: no resource bundle to ship beside the executable.
            resources: [
                .embedInCode("Web/index.html"), .embedInCode("Web/app.js"), .embedInCode("Web/app.css"),
                .embedInCode("Web/icon.svg"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "StoryServerTests",
            dependencies: [
                "StoryServer", "StoryQueue", "QueueKit", "StoryPipeline", "StoryForgeCore", "PipelineKit",
                "story-server", "ProviderKit", "ProviderKitTesting",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // The REST API over a queue: alone with a SQLite queue and in-process workers, or over PostgreSQL.
        .executableTarget(
            name: "story-server",
            dependencies: [
                "StoryServer", "StoryServerMCP", "StoryQueue", "QueueKit", "QueueKitPostgres", "StoryPipeline", "StoryForgeCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Examples/story-server",
            swiftSettings: strictSettings
        ),

        // MARK: StoryServerMCP

        // The MCP server over the same StoryService: tools, the finished stories' files as resources, the stdio
        // transport and Streamable HTTP routes at /mcp; its own product, so that a host mounting the REST routes
        // does not build the MCP SDK.
        .target(
            name: "StoryServerMCP",
            dependencies: [
                "StoryServer", "StoryForgeCore",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "StoryServerMCPTests",
            dependencies: [
                "StoryServerMCP", "StoryServer", "StoryForgeCore", "StoryQueue", "QueueKit", "story-server",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
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
        // VideoComposer with StillFrameRenderer against x264 alone on the same frames (Benchmarks/compare-*.sh).
        .executableTarget(
            name: "compose-bench",
            dependencies: [
                "UpscaleKit",
                "MediaIO",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Examples/compose-bench",
            swiftSettings: strictSettings
        ),
        // StillFrameRenderer's frames/s alone (no encoder), one thread and several.
        .executableTarget(
            name: "frame-bench",
            dependencies: [
                "UpscaleKit",
                "MediaIO",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Examples/frame-bench",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "provider-chat",
            dependencies: [
                "ProviderKit", "OfflineProviders", "StoryForgeCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Examples/provider-chat",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "story-demo",
            dependencies: [
                "StoryPipeline", "StoryModels", "PipelineKit", "ProviderKit", "OfflineProviders", "MediaIO",
                "StoryForgeCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            path: "Examples/story-demo",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "story-worker",
            dependencies: [
                "StoryQueue", "QueueKit", "QueueKitPostgres", "StoryPipeline",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Examples/story-worker",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "story-queue",
            dependencies: [
                "StoryQueue", "QueueKit", "QueueKitPostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/story-queue",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "provider-bench",
            dependencies: [
                "ProviderKit", "ProviderKitCache", "OfflineProviders", "ProviderKitTesting",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/provider-bench",
            swiftSettings: strictSettings
        ),
    ]
)
