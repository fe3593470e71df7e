public import Foundation
import MediaIO
public import PipelineKit
import StoryForgeCore
public import StoryModels

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Stage 10: writes a finished story's files into an output directory, with a manifest of every file's SHA-256.
///
/// Files: `video.mp4`, `voice.wav`, `subtitles.srt`, `subtitles.ass`, `keyframes/NNN.png`, `script.md`, `qc.json`
/// and, last, `manifest.json`.
///
/// What it promises about the output directory:
/// - It writes only into a directory that is empty, new, or an earlier export of the same run (its `manifest.json`
///   names the run), unless ``force`` is set; it never deletes a file or folder it did not write, and never a
///   folder at all.
/// - Everything is first written (and fsynced) in a hidden staging folder inside the directory; each file then
///   replaces its namesake with one atomic `rename(2)`, never remove-then-move, so no file under its final name is
///   ever half-written or missing.
/// - The old manifest is moved aside first and the new one goes in last: a reader never sees a new manifest beside
///   old files, nor an old manifest beside new files; a directory with a `manifest.json` is complete.
/// - Exports into one directory, from any number of tasks or processes, take turns (an `flock(2)` on the directory),
///   so each finishes or fails cleanly and the directory always holds one consistent set.
/// - Staging folders of exports killed midway are removed by the next export into that directory.
///
/// Export is not a checkpointed stage: it runs after the pipeline, every time, so a rerun whose stages all come from
/// the cache still fills a new output directory.
public struct StoryExporter: Sendable {
    /// Whether to export into a non-empty directory that is not an earlier export of the same run: files with the
    /// export's names are replaced, everything else is left as it is. A folder in the way of a file is an error
    /// even then.
    public var force: Bool

    /// Creates an exporter.
    public init(force: Bool = false) {
        self.force = force
    }

    /// The name prefix of the hidden staging folders.
    static let stagingPrefix = ".storyforge-export-"
    /// Where the previous manifest waits while files are replaced, so that a killed export is still recognised.
    static let previousManifestName = ".storyforge-previous-manifest.json"
    /// The largest manifest read back to recognise an earlier export: 16 MiB, far above any real manifest.
    static let manifestReadLimit = 16 << 20

    /// Checks, before a run starts, that its export into `directory` will be accepted; creates nothing.
    ///
    /// - Throws: ``StoryPipelineError/file(_:underlying:)`` naming the path and the cause: a file where the folder
    ///   should be, a parent that cannot be written, or a non-empty folder that is not an export of `runID`.
    public func check(_ directory: URL, runID: RunID) throws(StoryPipelineError) {
        if try Self.checkLocation(directory) { try checkOwnership(directory, runID: runID) }
    }

    /// Checks that `directory` is a writable folder, or can be created; returns whether it exists.
    ///
    /// Ownership is checked apart, under the folder's lock: an export in progress has written files but not yet
    /// its manifest, and an unlocked look would take its files for someone else's.
    private static func checkLocation(_ directory: URL) throws(StoryPipelineError) -> Bool {
        var info = stat()
        if lstat(directory.path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFDIR else {
                throw .file("the output \(directory.path) is a file, not a folder: choose another --output")
            }
            guard access(directory.path, W_OK | X_OK) == 0 else {
                throw .file(
                    "cannot write into the output folder \(directory.path): \(String(cString: strerror(errno)))")
            }
            return true
        }
        // The nearest existing ancestor must be a folder this process can create folders in.
        var ancestor = directory.deletingLastPathComponent()
        while lstat(ancestor.path, &info) != 0, ancestor.path != "/" { ancestor = ancestor.deletingLastPathComponent() }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw .file("cannot create the output folder \(directory.path): \(ancestor.path) is a file, not a folder")
        }
        guard access(ancestor.path, W_OK | X_OK) == 0 else {
            throw .file(
                "cannot create the output folder \(directory.path): \(ancestor.path): "
                    + String(cString: strerror(errno)))
        }
        return false
    }

    /// Exports `state` to `directory` and returns the manifest written there.
    ///
    /// - Throws: ``StoryPipelineError/missingInput(_:)`` when the run has not made a video yet;
    ///   ``StoryPipelineError/file(_:underlying:)`` when the directory holds someone else's files (without
    ///   ``force``), a folder is in the way of a file, or writing fails; the message names the path and the cause.
    ///   Nothing is left half-written under a final name then.
    public func export(
        _ state: StoryState, runID: RunID, artifacts: any ArtifactStore, to directory: URL, createdAt: Date = Date()
    ) async throws -> ExportManifest {
        let idea = try state.require(state.idea, "the chosen idea", from: SelectIdea.id.rawValue)
        let script = try state.require(state.script, "the script", from: WriteScript.id.rawValue)
        let video = try state.require(state.video, "the video", from: AssembleVideo.id.rawValue)
        let voice = try state.require(state.voice, "the voice", from: SynthesizeVoice.id.rawValue)

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
        files += try Storyboard.exportFiles(state, runID: runID)
        if let qc = state.qc { files.append(("qc.json", try StoryJSON.encode(qc))) }
        let credits = ShotMedia.credits(state.shotMedia ?? [])
        if !credits.isEmpty {
            let text = "Stock media in this video\n\n" + credits.joined(separator: "\n") + "\n"
            files.append(("credits.txt", Data(text.utf8)))
        }

        var manifest = ExportManifest(
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
            files: files.map { .init(path: $0.path, bytes: $0.data.count, sha256: HexDigest.sha256($0.data)) },
            capsApplied: state.capsApplied)
        manifest.shotMedia = state.shotMedia.map { $0.map(\.manifestRecord) }
        files.append(("manifest.json", try StoryJSON.encode(manifest)))

        _ = try Self.checkLocation(directory)
        try Self.makeDirectories(directory, purpose: "the output folder")
        let lock = try await DirectoryLock.acquire(directory)
        defer { lock.release() }
        OwnedDirectory.removeStale(in: directory, prefix: Self.stagingPrefix)
        // Again under the lock: another export may have changed the directory since the first check.
        try checkOwnership(directory, runID: runID)

        let staging: OwnedDirectory
        do {
            staging = try OwnedDirectory(in: directory, prefix: Self.stagingPrefix)
        } catch {
            throw StoryPipelineError.file(
                "cannot write into the output folder \(directory.path): \(FileNames.reason(error))", underlying: error)
        }
        defer { staging.remove() }
        for file in files {
            let url = staging.url.appendingPathComponent(file.path)
            do {
                try FileManager.default.createDirectory(
                    at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try DurableFile.create(file.data, at: url.path)
            } catch {
                throw StoryPipelineError.file(
                    "cannot write \(file.path) into \(directory.path): \(FileNames.reason(error))", underlying: error)
            }
        }
        try checkTargets(files.map(\.path), in: directory)

        let manifestURL = directory.appendingPathComponent("manifest.json")
        let previous = directory.appendingPathComponent(Self.previousManifestName)
        try replace(manifestURL, to: previous, ifPresent: true, in: directory)
        for file in files where file.path != "manifest.json" {
            let target = directory.appendingPathComponent(file.path)
            let parent = target.deletingLastPathComponent()
            try Self.makeDirectories(parent, purpose: "the folder")
            try replace(staging.url.appendingPathComponent(file.path), to: target, ifPresent: false, in: directory)
        }
        try DurableFile.syncExported(directory.appendingPathComponent("keyframes").path)
        try replace(
            staging.url.appendingPathComponent("manifest.json"), to: manifestURL, ifPresent: false, in: directory)
        try DurableFile.syncExported(directory.path)
        unlink(previous.path)
        return manifest
    }

    /// Throws unless `directory` is empty (hidden StoryForge entries aside), an earlier export of `runID`, or
    /// ``force`` is set.
    private func checkOwnership(_ directory: URL, runID: RunID) throws(StoryPipelineError) {
        guard !force else { return }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw .file(
                "cannot read the output folder \(directory.path): \(FileNames.reason(error))", underlying: error)
        }
        let foreign = names.filter { !$0.hasPrefix(".storyforge-") }.sorted()
        guard !foreign.isEmpty else { return }
        for name in ["manifest.json", Self.previousManifestName] {
            if let earlier = Self.manifest(at: directory.appendingPathComponent(name)), earlier.runId == runID.rawValue
            {
                return
            }
        }
        let shown = foreign.prefix(3).joined(separator: ", ") + (foreign.count > 3 ? ", …" : "")
        throw .file(
            "the output folder \(directory.path) is not empty and is not an earlier export of run \(runID) (it holds "
                + "\(shown)): choose an empty or new folder, or pass --force to write beside those files (files "
                + "with the export's names are replaced; nothing else is touched)")
    }

    /// Throws when something other than a regular file is where a file goes, or a file is where a folder goes:
    /// checked before anything is replaced, so a refused export changes nothing.
    private func checkTargets(_ paths: [String], in directory: URL) throws(StoryPipelineError) {
        var info = stat()
        for path in paths {
            let target = directory.appendingPathComponent(path)
            let parent = target.deletingLastPathComponent()
            if parent.path != directory.path, lstat(parent.path, &info) == 0, (info.st_mode & S_IFMT) != S_IFDIR {
                throw .file("cannot export into \(directory.path): \(parent.path) is in the way and is not a folder")
            }
            if lstat(target.path, &info) == 0, (info.st_mode & S_IFMT) != S_IFREG {
                throw .file(
                    "cannot export into \(directory.path): \(target.path) is in the way and is not a regular file "
                        + "(the export never deletes what it did not write: move it, or choose another --output)")
            }
        }
    }

    /// `rename(2)`: replaces `destination` atomically.
    private func replace(_ source: URL, to destination: URL, ifPresent: Bool, in directory: URL)
        throws(StoryPipelineError)
    {
        if rename(source.path, destination.path) == 0 { return }
        let code = errno
        if ifPresent, code == ENOENT { return }
        throw .file(
            "cannot put \(destination.lastPathComponent) into \(directory.path): \(String(cString: strerror(code)))")
    }

    /// `mkdir -p` with `mkdir(2)`, so that a failure names the folder and the system's reason in a few words.
    static func makeDirectories(_ directory: URL, purpose: String) throws(StoryPipelineError) {
        var missing: [URL] = []
        var current = directory.standardizedFileURL
        var info = stat()
        while lstat(current.path, &info) != 0, current.path != "/" {
            missing.append(current)
            current = current.deletingLastPathComponent()
        }
        for folder in missing.reversed() where mkdir(folder.path, 0o755) != 0 && errno != EEXIST {
            throw .file(
                "cannot create \(purpose) \(directory.path): \(folder.path): \(String(cString: strerror(errno)))")
        }
        guard lstat(directory.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw .file("cannot create \(purpose) \(directory.path): it is a file, not a folder")
        }
    }

    /// The manifest at `url` when it is a regular file of sensible size that decodes.
    static func manifest(at url: URL) -> ExportManifest? {
        var info = stat()
        guard lstat(url.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_size <= manifestReadLimit,
            let data = try? Data(contentsOf: url)
        else { return nil }
        return try? StoryJSON.decode(ExportManifest.self, from: data)
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

/// An exclusive `flock(2)` on a directory, taken by every export into it so that exports take turns.
private final class DirectoryLock: Sendable {
    private let descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    /// Waits (polling every 20 ms, so the task stays cancellable) until the lock is free, then takes it.
    static func acquire(_ directory: URL) async throws -> DirectoryLock {
        let descriptor = open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw StoryPipelineError.file(
                "cannot open the output folder \(directory.path): \(String(cString: strerror(errno)))")
        }
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            guard code == EWOULDBLOCK || code == EINTR else {
                close(descriptor)
                throw StoryPipelineError.file(
                    "cannot lock the output folder \(directory.path): \(String(cString: strerror(code)))")
            }
            do {
                try await Task.sleep(for: .milliseconds(20))
            } catch {
                close(descriptor)
                throw error
            }
        }
        return DirectoryLock(descriptor: descriptor)
    }

    func release() { close(descriptor) }
}

/// The export's directory syncs.
extension DurableFile {
    /// fsyncs a directory, so that renames into it survive a power loss; a directory that cannot be opened (not
    /// made by this export, e.g. no keyframes) is skipped.
    static func syncExported(_ path: String) throws(StoryPipelineError) {
        do {
            try syncDirectory(path)
        } catch  where error.call == "open" {
            return
        } catch {
            throw .file("cannot sync \(path): \(String(cString: strerror(error.code)))")
        }
    }
}
