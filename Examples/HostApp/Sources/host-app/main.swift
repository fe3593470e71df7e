// A host of StoryForge, built against the SDK as a package dependency (see Package.swift). It runs the default
// pipeline with typed offline providers, with one stage replaced by its own and one stage of its own inserted (its
// parameters read from the configuration file), then upscales an image with the learned model alone. It prints
// what it did and exits 1 if a check fails.
//
//     swift run --package-path Examples/HostApp host-app Examples/HostApp/host-config.json /tmp/host-out

import Foundation
import MediaIO
import StoryPipeline
import UpscaleKit

var failures: [String] = []

@MainActor func check(_ condition: Bool, _ what: String) {
    print(condition ? "ok: \(what)" : "FAILED: \(what)")
    if !condition { failures.append(what) }
}

let arguments = CommandLine.arguments.dropFirst()
guard arguments.count == 2, let configPath = arguments.first, let outputPath = arguments.last else {
    print("usage: host-app <config.json> <output-directory>")
    exit(2)
}
let output = URL(filePath: outputPath, directoryHint: .isDirectory)

do {
    // (a) The default pipeline with typed providers, configured by the host's file (a 10 s story at 360×640).
    let configuration = try StoryConfiguration.load(contentsOf: URL(filePath: configPath))
    let providers = StoryProviders.offline()
    // (b) and (c): the SDK's idea choice replaced by the host's, and the host's sign-off inserted after the
    // revision; every other stage is the SDK's, with its retry.
    let studio = try await StoryStudio.make(
        store: output.appending(path: "store"), configuration: configuration, providers: providers
    ) { services in
        try StoryStudio.defaultPipeline(services: services)
            .replacing(SelectIdea.self, with: SelectFullestIdea())
            .inserting(AddSignOff(), after: ReviseScript.self)
    }
    let ids = studio.pipeline().stages.map(\.id.rawValue)
    print("pipeline: \(ids.joined(separator: " → "))")
    check(ids.contains("select-fullest-idea") && !ids.contains(SelectIdea.id.rawValue), "SelectIdea replaced")
    check(
        ids.firstIndex(of: "sign-off") == ids.firstIndex(of: ReviseScript.id.rawValue).map { $0 + 1 },
        "sign-off inserted after revise")

    let started = ContinuousClock.now
    let result = try await studio.run(studio.request(), exportTo: output.appending(path: "export"))
    print(
        "story: \"\(result.manifest.title)\" in \(ContinuousClock.now - started), \(result.manifest.files.count) files")
    let state = result.state

    let chosen = state.candidates.firstIndex { $0.id == state.idea?.id }.map { "\($0 + 1)" } ?? "none"
    print(
        "idea: candidate \(chosen) of \(state.candidates.count), logline lengths \(state.candidates.map(\.logline.count))"
    )
    let longest = state.candidates.map(\.logline.count).max()
    check(state.idea.map(\.logline.count) == longest, "the host's stage chose the idea with the longest logline")
    let line = "Part two tomorrow."  // host-config.json's pipeline.stages.sign-off.parameters.line
    check(state.script?.current.text.hasSuffix(line) == true, "the script ends with the configured sign-off")
    check(state.shotlist?.shots.last?.narration.text.hasSuffix(line) == true, "the last shot narrates the sign-off")
    let recorded = Set(state.stageRecords.map(\.stage))
    check(recorded.isSuperset(of: ["select-fullest-idea", "sign-off"]), "the manifest records the host's stages")
    check(
        state.stageRecords.contains { $0.stage == WriteScript.id.rawValue && $0.provider == "template" },
        "the script came from the typed offline provider")
    let video = result.outputDirectory.appending(path: "video.mp4")
    let size = (try? FileManager.default.attributesOfItem(atPath: video.path)[.size] as? Int) ?? 0
    check(size > 0, "the exported video exists (\(size) bytes)")
    check(
        abs(result.manifest.videoDuration - state.request.targetSeconds) < state.request.targetSeconds,
        "the video is about the configured length (\(result.manifest.videoDuration) s)")

    // (d) The learned model alone: its weights are UpscaleKit's bundled resource, loaded from this host's build.
    var bytes: [UInt8] = []
    for y in 0..<48 {
        for x in 0..<64 { bytes += [UInt8(x * 4), UInt8(y * 5), UInt8((x + y) * 2), 255] }
    }
    let image = try PixelBuffer(width: 64, height: 48, layout: .rgba, componentType: .uint8, bytes: bytes)
    let upscaler = Upscaler(configuration: .init(method: .learned(), target: .factor(2)))
    let (upscaled, report) = try await upscaler.upscaleReporting(image)
    print(
        "upscaled 64×48 → \(upscaled.width)×\(upscaled.height) with \(report.kernel), learned ×\(report.learnedFactors ?? [])"
    )
    check(
        report.fallback == nil, "the learned model ran without a fallback (\(report.fallback?.description ?? "none"))")
    check(report.learnedFactors == [2], "the learned ×2 network made the image")
    check(upscaled.width == 128 && upscaled.height == 96, "the output is 128×96")
} catch {
    print("FAILED: \(error)")
    failures.append("\(error)")
}

if failures.isEmpty {
    print("host-app: every check passed")
} else {
    print("host-app: \(failures.count) check(s) failed")
    exit(1)
}
