public import Foundation
import MediaIO
public import PipelineKit
import StoryForgeCore
import StoryModels

/// What an edited storyboard changes in a run, shot by shot; empty when the user changed nothing.
public struct StoryboardEdits: Sendable, Hashable {
    /// A shot's new picture prompt and mood.
    public struct Prompt: Sendable, Hashable {
        /// The visual prompt.
        public var prompt: String
        /// The mood, which the keyframe prompt names too.
        public var mood: String

        /// Creates an edit.
        public init(prompt: String, mood: String) {
            self.prompt = prompt
            self.mood = mood
        }
    }

    /// Shots whose picture prompt or mood changed: shot id → the new ones.
    public var prompts: [Int: Prompt]
    /// Shots whose narration changed: shot id → the new narration.
    public var narration: [Int: String]
    /// Shots the user pointed at a file of their own: shot id → the file.
    public var userMedia: [Int: URL]

    /// No edits.
    public init() {
        prompts = [:]
        narration = [:]
        userMedia = [:]
    }

    /// Whether the storyboard changes nothing.
    public var isEmpty: Bool { prompts.isEmpty && narration.isEmpty && userMedia.isEmpty }
}

extension Storyboard {
    /// Compares the storyboard with the run's state, strictly, and returns what the user changed.
    ///
    /// - Parameters:
    ///   - state: the run's state the storyboard was written from.
    ///   - runID: the run being resumed; the storyboard must be of that run.
    ///   - directory: the folder of the storyboard file, which relative `user_media` paths start from.
    /// - Throws: ``StoryPipelineError`` with code `invalidConfiguration` naming the field: another run's storyboard,
    ///   a changed number of shots, an unknown or reordered shot id, a read-only field changed (timing, kind, source,
    ///   media), an empty prompt or narration.
    public func edits(against state: StoryState, runID: RunID, relativeTo directory: URL) throws(StoryPipelineError)
        -> StoryboardEdits
    {
        let source = Self.fileName
        guard runId == runID.rawValue else {
            throw .invalidConfiguration(
                "\(source): run_id \"\(runId.prefix(80))\" is not run \(runID): resume run \(runId.prefix(80)) with "
                    + "it, or write the storyboard of \(runID) again")
        }
        let shots = try state.required(\.shotlist).shots
        guard self.shots.count == shots.count else {
            throw .invalidConfiguration(
                "\(source): \(self.shots.count) shots, but run \(runID) has \(shots.count): shots cannot be added or "
                    + "removed in a storyboard (edit narration, visual_prompt or user_media)")
        }
        let reference = Storyboard(state: state, runID: runID)
        var edits = StoryboardEdits()
        for (index, (entry, shot)) in zip(self.shots, shots).enumerated() {
            let path = "\(source): shots[\(index)]"
            guard entry.id == shot.id else {
                let known = shots.contains { $0.id == entry.id }
                throw .invalidConfiguration(
                    "\(path).id: \(entry.id) "
                        + (known
                            ? "is out of place (expected \(shot.id)): keep the shots in order"
                            : "is no shot of "
                                + "run \(runID) (expected \(shot.id))"))
            }
            let original = reference.shots[index]
            for (field, same) in [
                ("start", entry.start == original.start), ("end", entry.end == original.end),
                ("kind", entry.kind == original.kind), ("source", entry.source == original.source),
                ("source_item", entry.sourceItem == original.sourceItem),
                ("match_score", entry.matchScore == original.matchScore), ("media", entry.media == original.media),
            ] where !same {
                throw .invalidConfiguration(
                    "\(path).\(field): read only (it says what the run made); edit narration, visual_prompt, mood or "
                        + "user_media instead")
            }
            let prompt = entry.visualPrompt.trimmingCharacters(in: .whitespacesAndNewlines)
            let mood = entry.mood.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !prompt.isEmpty else {
                throw .invalidConfiguration("\(path).visual_prompt: empty; describe the picture")
            }
            if prompt != shot.visualPrompt || mood != shot.mood {
                edits.prompts[shot.id] = .init(prompt: prompt, mood: mood)
            }
            let narration = entry.narration.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            if narration != shot.narration.text.split(whereSeparator: \.isWhitespace).joined(separator: " ") {
                guard !PlanShots.words(narration).isEmpty else {
                    throw .invalidConfiguration(
                        "\(path).narration: no words; a shot's narration needs at least one word")
                }
                edits.narration[shot.id] = narration
            }
            if let file = entry.userMedia?.trimmingCharacters(in: .whitespacesAndNewlines), !file.isEmpty {
                edits.userMedia[shot.id] =
                    file.hasPrefix("/")
                    ? URL(fileURLWithPath: file) : directory.appendingPathComponent(file).standardizedFileURL
            }
        }
        return edits
    }
}

/// A file of the user's own, checked and copied into the artifact store.
struct ImportedMedia: Sendable, Hashable {
    /// The still the shot shows: the image itself, or a clip's first frame.
    var still: ArtifactRef
    /// What the shot shows and where it came from (`source: "user"`).
    var media: ShotMedia
}

extension ImportedMedia {
    /// The largest user file accepted: 512 MiB, about a minute of 4K video at 60 Mbit/s; a shot lasts seconds.
    static let maxBytes = 512 << 20
    /// Extensions read as video clips; anything else must decode as a PNG or JPEG.
    static let clipExtensions: Set<String> = ["mp4", "mov", "m4v", "webm", "mkv", "avi"]

    /// Reads `url` once, checks it (a PNG or JPEG that decodes, or a video ffprobe reads with a finite duration),
    /// and stores it; nothing reads `url` again.
    ///
    /// - Throws: ``StoryPipelineError`` with code `file` (missing, not a regular file, too large) or `media` (not a
    ///   decodable image, not a video).
    static func load(
        _ url: URL, shot: Shot, artifacts: any ArtifactStore, ffmpeg: FFmpeg?, scratch: URL
    ) async throws -> ImportedMedia {
        let name = url.lastPathComponent
        let data: Data
        do {
            data = try InputFile.read(url, maxByteCount: maxBytes)
        } catch {
            throw StoryPipelineError.file(
                "shot \(shot.id): user_media \(url.path) cannot be read: \(error.message)", underlying: error)
        }
        let fileExtension = url.pathExtension.lowercased()
        guard clipExtensions.contains(fileExtension) else {
            let decoded: DecodedImage
            do {
                decoded = try ImageDecoder().decode(data)
            } catch {
                throw StoryPipelineError.media(
                    "shot \(shot.id): user_media \(name) is not a PNG or JPEG image that decodes (\(error)); a clip "
                        + "needs one of the extensions \(clipExtensions.sorted().joined(separator: ", "))",
                    underlying: error)
            }
            let png = try ImageEncoder(format: .png(.init(compressionLevel: 3))).encode(
                decoded.pixels.converted(to: .rgb, componentType: .uint8))
            let still = try await artifacts.put(png, fileExtension: "png")
            return ImportedMedia(
                still: still, media: ShotMedia(shotID: shot.id, kind: .still, source: "user", sourceItem: name))
        }
        guard let ffmpeg else {
            throw StoryPipelineError.missingDependency("ffmpeg is needed to read the clip \(name) of shot \(shot.id)")
        }
        // ffprobe and ffmpeg read a copy in scratch space, never the user's file (which may change meanwhile).
        let work: OwnedDirectory
        do {
            work = try OwnedDirectory(in: scratch, prefix: "storyboard-media-")
        } catch {
            throw StoryPipelineError.file(
                "cannot create a scratch directory in \(scratch.path): \(FileNames.reason(error))", underlying: error)
        }
        defer { work.remove() }
        let copy = work.url.appendingPathComponent("clip." + fileExtension)
        let poster = work.url.appendingPathComponent("poster.png")
        do {
            try data.write(to: copy)
        } catch {
            throw StoryPipelineError.file(
                "cannot write scratch files into \(work.url.path): \(FileNames.reason(error))", underlying: error)
        }
        let duration: Double
        do {
            let probe = try await ffmpeg.probe(copy)
            guard probe.video != nil, let seconds = probe.duration ?? probe.video?.duration, seconds.isFinite,
                seconds > 0
            else {
                throw StoryPipelineError.media(
                    "shot \(shot.id): user_media \(name) has no video stream with a duration")
            }
            duration = seconds
            try await ffmpeg.run(["-y", "-i", "file:" + copy.path, "-frames:v", "1", "file:" + poster.path])
        } catch let error as StoryPipelineError {
            throw error
        } catch {
            throw StoryPipelineError.media(
                "shot \(shot.id): user_media \(name) is not a video ffmpeg can read: \(error)", underlying: error)
        }
        let frame: DecodedImage
        do {
            frame = try ImageDecoder().decode(contentsOf: poster)
        } catch {
            throw StoryPipelineError.media(
                "shot \(shot.id): the first frame of \(name) does not decode: \(error)", underlying: error)
        }
        let png = try ImageEncoder(format: .png(.init(compressionLevel: 3))).encode(
            frame.pixels.converted(to: .rgb, componentType: .uint8))
        let clip = try await artifacts.put(data, fileExtension: fileExtension)
        let still = try await artifacts.put(png, fileExtension: "png")
        // A clip at most 2× shorter than the shot plays slower (ShotMedia's limit); shorter still, it loops.
        let fit: ShotMedia.ClipFit = duration >= shot.duration ? .trim : (duration * 2 >= shot.duration ? .slow : .loop)
        return ImportedMedia(
            still: still,
            media: ShotMedia(shotID: shot.id, kind: .clip, source: "user", clip: clip, clipFit: fit, sourceItem: name))
    }
}

extension StoryState {
    /// The state with a storyboard's prompt and narration edits applied, and `imported` user media in place.
    ///
    /// A narration edit adds a script version (the shots' narration joined) and renumbers every shot's words; the
    /// voice, word timings and subtitles are then stale and cleared, as are the video and its quality report, which
    /// the re-render makes again.
    func applying(_ edits: StoryboardEdits, imported: [Int: ImportedMedia]) throws -> StoryState {
        var state = self
        var shotlist = try required(\.shotlist)
        for index in shotlist.shots.indices {
            let id = shotlist.shots[index].id
            if let edit = edits.prompts[id] {
                shotlist.shots[index].visualPrompt = edit.prompt
                shotlist.shots[index].mood = edit.mood
            }
            if let text = edits.narration[id] {
                shotlist.shots[index].narration.text = text
                shotlist.shots[index].sceneDescription = text
            }
        }
        if !edits.narration.isEmpty {
            var script = try required(\.script)
            var word = 0
            for index in shotlist.shots.indices {
                let count = PlanShots.words(shotlist.shots[index].narration.text).count
                shotlist.shots[index].narration.firstWord = word
                shotlist.shots[index].narration.endWord = word + count
                word += count
            }
            // No version kind says "edited by hand"; an enhanced version is the nearest (improved after review).
            try script.append(.enhanced, text: shotlist.shots.map(\.narration.text).joined(separator: " "))
            state.script = script
            state.voice = nil
            state.words = nil
            state.subtitles = nil
        }
        state.shotlist = shotlist
        if !imported.isEmpty {
            var keyframes = try required(\.keyframes)
            var media = state.shotMedia ?? []
            for (index, shot) in shotlist.shots.enumerated() {
                guard let file = imported[shot.id], index < keyframes.count else { continue }
                keyframes[index] = file.still
                media.removeAll { $0.shotID == shot.id }
                media.append(file.media)
            }
            state.keyframes = keyframes
            state.shotMedia = media.sorted { $0.shotID < $1.shotID }
        }
        state.upscaledKeyframes = nil
        state.video = nil
        state.videoDuration = nil
        state.qc = nil
        return state
    }
}
