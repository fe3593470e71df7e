public import Foundation
public import PipelineKit
public import StoryModels

/// Stage 10: writes a finished story's files into an output directory, with a manifest of every file's SHA-256.
///
/// Files: `video.mp4`, `voice.wav`, `subtitles.srt`, `subtitles.ass`, `keyframes/NNN.png`, `script.md`, `qc.json`
/// and, last, `manifest.json`. Everything is first written to a hidden folder inside the output directory and then
/// renamed into place one file at a time, so no file under its final name is ever half-written; nothing is written
/// outside the output directory.
///
/// Export is not a checkpointed stage: it runs after the pipeline, every time, so a rerun whose stages all come from
/// the cache still fills a new output directory.
public struct StoryExporter: Sendable {
    /// Creates an exporter.
    public init() {}

    /// Exports `state` to `directory` and returns the manifest written there.
    ///
    /// - Throws: ``StoryPipelineError/missingInput(_:)`` when the run has not made a video yet;
    ///   ``StoryPipelineError/file(_:underlying:)`` when writing fails (nothing is left under a final name then).
    public func export(
        _ state: StoryState, runID: RunID, artifacts: any ArtifactStore, to directory: URL, createdAt: Date = Date()
    ) async throws -> ExportManifest {
        let idea = try state.require(state.idea, "the chosen idea", from: SelectIdea.id.rawValue)
        let script = try state.require(state.script, "the script", from: WriteScript.id.rawValue)
        let video = try state.require(state.video, "the video", from: AssembleVideo.id.rawValue)
        let voice = try state.require(state.voice, "the voice", from: SynthesizeVoice.id.rawValue)
        let fileManager = FileManager.default
        let staging = directory.appendingPathComponent(".storyforge-export-\(UUID().uuidString)", isDirectory: true)
        do {
            try fileManager.createDirectory(at: staging, withIntermediateDirectories: true)
        } catch {
            throw StoryPipelineError.file(
                "cannot create the output directory \(directory.path): \(error)", underlying: error)
        }
        defer { try? fileManager.removeItem(at: staging) }

        var files: [(path: String, data: Data)] = []
        files.append(("video.mp4", try await artifacts.data(for: video)))
        files.append(("voice.wav", try await artifacts.data(for: voice.audio)))
        if let subtitles = state.subtitles {
            files.append(("subtitles.srt", try await artifacts.data(for: subtitles.srt)))
            files.append(("subtitles.ass", try await artifacts.data(for: subtitles.ass)))
        }
        for (index, ref) in (state.upscaledKeyframes ?? state.keyframes ?? []).enumerated() {
            files.append((String(format: "keyframes/%03d.png", index + 1), try await artifacts.data(for: ref)))
        }
        files.append(("script.md", Data(Self.markdown(state, idea: idea, script: script).utf8)))
        if let qc = state.qc { files.append(("qc.json", try StoryJSON.encode(qc))) }

        let manifest = ExportManifest(
            runId: runID.rawValue, ideaId: idea.id, scriptId: script.id, createdAt: createdAt,
            title: idea.rankedTitles.first?.text ?? idea.title,
            alternativeTitles: idea.rankedTitles.dropFirst().prefix(4).map(\.text),
            description: idea.logline,
            hashtags: idea.rankedTags.prefix(6).compactMap { tag in
                let word = tag.text.filter { $0.isLetter || $0.isNumber }
                return word.isEmpty ? nil : "#" + word.lowercased()
            },
            voiceDuration: voice.duration, videoDuration: state.videoDuration ?? voice.duration,
            stages: state.stageRecords,
            files: files.map { .init(path: $0.path, bytes: $0.data.count, sha256: Digest.sha256($0.data)) })
        files.append(("manifest.json", try StoryJSON.encode(manifest)))

        do {
            for file in files {
                let url = staging.appendingPathComponent(file.path)
                try fileManager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try file.data.write(to: url)
            }
            // Into place, manifest last: a directory with a manifest is complete.
            for file in files {
                let target = directory.appendingPathComponent(file.path)
                try fileManager.createDirectory(
                    at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                if fileManager.fileExists(atPath: target.path) { try fileManager.removeItem(at: target) }
                try fileManager.moveItem(at: staging.appendingPathComponent(file.path), to: target)
            }
        } catch {
            throw StoryPipelineError.file("exporting to \(directory.path) failed: \(error)", underlying: error)
        }
        return manifest
    }

    /// The script as Markdown: title, logline, narration, and a table of shots.
    static func markdown(_ state: StoryState, idea: StoryIdea, script: Script) -> String {
        var lines = ["# \(idea.rankedTitles.first?.text ?? idea.title)", "", "> \(idea.logline)", ""]
        lines += ["Tone: \(idea.tone). Narrator: \(idea.narrator). Audience: \(idea.targetAudience).", ""]
        lines += ["## Narration", "", script.current.text, ""]
        if let score = script.current.score {
            lines += ["Score \(Int(score.overall))/100 — \(score.feedback)", ""]
        }
        if let shots = state.shotlist?.shots {
            lines += ["## Shots", "", "| # | start | end | narration | picture |", "|--:|--:|--:|:--|:--|"]
            for shot in shots {
                let cell = { (text: String) in
                    text.replacingOccurrences(of: "|", with: "/").replacingOccurrences(of: "\n", with: " ")
                }
                lines.append(
                    "| \(shot.id + 1) | \(String(format: "%.2f", shot.start)) | \(String(format: "%.2f", shot.end)) | "
                        + "\(cell(shot.narration.text)) | \(cell(shot.visualPrompt)) |")
            }
            lines.append("")
        }
        return lines.joined(separator: "\n")
    }
}
