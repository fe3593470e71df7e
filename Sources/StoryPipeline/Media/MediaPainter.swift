import Foundation
import MediaIO
import PipelineKit
import ProviderKit
import StoryModels

/// The paint stage's work when a story has media sources: asks them in order, turns the first candidate into the
/// shot's keyframe (a still fitted to the keyframe size, or a clip's poster frame) and its ``ShotMedia`` record.
struct MediaPainter {
    let services: StoryServices
    let sources: ShotMediaSources
    let context: StageContext

    /// 512 MiB: the largest clip a source may hand over (the artifact store holds it in memory once).
    static let maxClipBytes = 512 << 20

    func paint(_ job: KeyframeJob, prompt: String, negativePrompt: String?, width: Int, height: Int) async throws
        -> KeyframeImage
    {
        let state: StoryState
        do {
            state = try StoryJSON.decode(StoryState.self, from: try await context.artifacts.data(for: job.state))
        } catch {
            throw StoryPipelineError.file("the stored story state is unreadable: \(error)", underlying: error)
        }
        let shots = state.shotlist?.shots ?? []
        let shot = shots.first { $0.id == job.prompt.shotId }
        let painted = Set((state.keyframePrompts ?? []).map(\.shotId))
        let storyShots = shots.filter { painted.isEmpty || painted.contains($0.id) }.map {
            ShotMediaRequest.ShotQuery(shotID: $0.id, keywords: Self.keywords(of: $0))
        }
        let request = ShotMediaRequest(
            shotID: job.prompt.shotId, prompt: prompt, negativePrompt: negativePrompt,
            visualPrompt: shot?.visualPrompt ?? job.prompt.prompt, narration: shot?.narration.text ?? "",
            keywords: shot.map(Self.keywords(of:)) ?? MediaKeywords.keywords(in: job.prompt.prompt),
            seconds: shot?.duration ?? 4, width: width, height: height,
            seed: Int(truncatingIfNeeded: job.prompt.seed), references: sources.references, storyShots: storyShots)

        let ffmpeg = try services.requireFFmpeg(for: PaintKeyframe.id.rawValue)
        let scratch = try services.scratchDirectory("media", context: context)
        defer { scratch.remove() }
        var reasons: [String] = []
        for source in sources.sources {
            try Task.checkCancellation()
            let estimate = source.estimatedCostUsd
            guard await sources.budget.reserve(estimate) else {
                reasons.append("\(source.name): skipped, media.budget_usd is spent")
                continue
            }
            let candidate: ShotMediaCandidate?
            do {
                candidate = try await source.media(for: request, in: scratch.url)
            } catch {
                await sources.budget.settle(reserved: estimate, actually: 0)
                if error is CancellationError || Task.isCancelled { throw error }
                reasons.append("\(source.name): \(error)")
                context.logger.warning(
                    "a media source failed; asking the next one",
                    metadata: [
                        "story.shot": "\(job.prompt.shotId)", "media.source": "\(source.name)", "error": "\(error)",
                    ])
                continue
            }
            guard let candidate else {
                await sources.budget.settle(reserved: estimate, actually: 0)
                reasons.append("\(source.name): nothing for this shot")
                continue
            }
            await sources.budget.settle(reserved: estimate, actually: candidate.costUsd)
            do {
                return try await record(
                    candidate, from: source, job: job, shotSeconds: request.seconds, width: width, height: height,
                    ffmpeg: ffmpeg, scratch: scratch.url)
            } catch let error as StoryPipelineError where error.code == .media {
                reasons.append("\(source.name): \(error.message)")
                context.logger.warning(
                    "a media source's file is unusable; asking the next one",
                    metadata: [
                        "story.shot": "\(job.prompt.shotId)", "media.source": "\(source.name)", "error": "\(error)",
                    ])
            }
        }
        throw StoryPipelineError.provider(
            "no media source had a picture for shot \(job.prompt.shotId): " + reasons.joined(separator: "; ")
                + ". Add a source that always answers (procedural) at the end of media.sources")
    }

    /// The shot's search words: its visual prompt's, then its narration's.
    static func keywords(of shot: Shot) -> [String] {
        MediaKeywords.keywords(in: [shot.visualPrompt, shot.narration.text])
    }

    private func record(
        _ candidate: ShotMediaCandidate, from source: any ShotMediaSource, job: KeyframeJob, shotSeconds: Double,
        width: Int, height: Int, ffmpeg: FFmpeg, scratch: URL
    ) async throws -> KeyframeImage {
        let shotID = job.prompt.shotId
        let cost = candidate.costUsd > 0 ? candidate.costUsd : nil
        let references = candidate.usedReferences ? sources.referenceNames : nil
        switch candidate.content {
        case .still(let data):
            let png: Data
            if candidate.matchScore == nil, candidate.attribution == nil {
                // A generator's picture at the size asked: kept pixel for pixel, as the stage without sources does.
                png = try Self.normalizedPNG(data, shotID: shotID)
            } else {
                // A found picture has any size and shape: cropped to fill the keyframe's.
                let input = scratch.appendingPathComponent("found-\(shotID)")
                do {
                    try data.write(to: input)
                } catch {
                    throw StoryPipelineError.file("cannot write to the scratch directory: \(error)", underlying: error)
                }
                png = try await Self.frame(
                    of: input, at: 0, width: width, height: height, ffmpeg: ffmpeg, scratch: scratch)
            }
            let ref = try await context.artifacts.put(png, fileExtension: "png")
            let media = ShotMedia(
                shotID: shotID, kind: .still, source: source.name, matchScore: candidate.matchScore,
                sourceItem: candidate.sourceItem, attribution: candidate.attribution, costUsd: cost,
                references: references)
            return KeyframeImage(shotId: shotID, image: ref, state: job.state, media: media)
        case .clip(let file):
            let seconds = try await Self.checkedClipSeconds(file, shotID: shotID, ffmpeg: ffmpeg)
            let poster = try await Self.frame(
                of: file, at: min(0.5, seconds / 2), width: width, height: height, ffmpeg: ffmpeg, scratch: scratch)
            let data: Data
            do {
                data = try Data(contentsOf: file)
            } catch {
                throw StoryPipelineError.file("cannot read the clip for shot \(shotID): \(error)", underlying: error)
            }
            let ext =
                ["mp4", "mov", "m4v", "webm", "mkv"].contains(file.pathExtension.lowercased())
                ? file.pathExtension.lowercased() : "mp4"
            let clipRef = try await context.artifacts.put(data, fileExtension: ext)
            let posterRef = try await context.artifacts.put(poster, fileExtension: "png")
            let media = ShotMedia(
                shotID: shotID, kind: .clip, source: source.name, clip: clipRef,
                clipFit: seconds + 0.001 >= shotSeconds ? .trim : .loop, clipAudio: sources.clipAudio,
                matchScore: candidate.matchScore, sourceItem: candidate.sourceItem, attribution: candidate.attribution,
                costUsd: cost, references: references)
            return KeyframeImage(shotId: shotID, image: posterRef, state: job.state, media: media)
        }
    }

    /// The image re-encoded as an RGB PNG; a `media` error when it is not a readable PNG or JPEG.
    static func normalizedPNG(_ data: Data, shotID: Int) throws -> Data {
        let decoded: DecodedImage
        do {
            decoded = try ImageDecoder().decode(data)
        } catch {
            throw StoryPipelineError.media(
                "the image for shot \(shotID) is not a readable PNG or JPEG: \(error)", underlying: error)
        }
        return try ImageEncoder(format: .png(.init(compressionLevel: 3))).encode(
            decoded.pixels.converted(to: .rgb, componentType: .uint8))
    }

    /// The clip's length; a `media` error when ffprobe finds no video in it (an HTML error page, a WAV, a
    /// truncated download) or it is larger than ``maxClipBytes``.
    static func checkedClipSeconds(_ file: URL, shotID: Int, ffmpeg: FFmpeg) async throws -> Double {
        let size = (try? file.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? 0
        guard size > 0, size <= maxClipBytes else {
            throw StoryPipelineError.media(
                "the clip for shot \(shotID) is \(size == 0 ? "empty" : "larger than \(maxClipBytes >> 20) MiB")")
        }
        let probe: MediaProbe
        do {
            probe = try await ffmpeg.probe(file)
        } catch {
            throw StoryPipelineError.media("the clip for shot \(shotID) is not a video: \(error)", underlying: error)
        }
        guard let video = probe.video, let width = video.width, let height = video.height, width > 0, height > 0,
            let seconds = video.duration ?? probe.duration, seconds.isFinite, seconds > 0
        else {
            throw StoryPipelineError.media(
                "the clip for shot \(shotID) is not a video: ffprobe finds no video stream with a size and a length")
        }
        return seconds
    }

    /// One frame of `input` (an image or a video) at `seconds`, scaled and cropped to fill `width`×`height`, as PNG.
    static func frame(of input: URL, at seconds: Double, width: Int, height: Int, ffmpeg: FFmpeg, scratch: URL)
        async throws -> Data
    {
        let output = scratch.appendingPathComponent("frame-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: output) }
        do {
            try await ffmpeg.run([
                "-y", "-v", "error", "-ss", String(format: "%.3f", max(0, seconds)), "-i", "file:" + input.path,
                "-frames:v", "1", "-vf",
                "scale=\(width):\(height):force_original_aspect_ratio=increase,crop=\(width):\(height),format=rgb24",
                "file:" + output.path,
            ])
            return try Data(contentsOf: output)
        } catch let error as CancellationError {
            throw error
        } catch {
            throw StoryPipelineError.media(
                "\(input.lastPathComponent) has no readable picture: \(error)", underlying: error)
        }
    }
}
