import Foundation
import MediaIO
import PipelineKit
import StoryModels

extension AssembleVideo {
    /// Checks, before burning subtitles, that an installed font has every glyph of their text (the family the
    /// `timing` stage chose for the script, or any other that fontconfig falls back to), so that a missing font is a
    /// clear error rather than boxes in the video.
    ///
    /// - Throws: ``StoryPipelineError`` with code `missingDependency` naming the characters and the packages.
    static func checkSubtitleFont(_ subtitles: SubtitleFiles, context: StageContext) async throws {
        let track = subtitles.track
        // Every line the ASS file shows, the title hook's included.
        let ass = String(decoding: try await context.artifacts.data(for: subtitles.ass), as: UTF8.self)
        let shown = ASS.parse(ass).cues.map(\.text)
        let text = (track.cues.map(\.text) + shown).joined(separator: "\n")
        let family = SubtitleFont.family(for: track.cues.map(\.text).joined(separator: "\n"), language: track.language)
        let coverage: SubtitleFont.Coverage
        do {
            coverage = try await SubtitleFont.check(text, family: family)
        } catch {
            throw StoryPipelineError.missingDependency(
                "the subtitles cannot be burned in: \(error.message)", underlying: error)
        }
        switch coverage {
        case .covered: break
        case .fallback(let families):
            context.logger.warning(
                "the subtitle font is not installed; fontconfig falls back to another",
                metadata: ["subtitles.font": "\(family)", "subtitles.fallback": "\(families.prefix(3))"])
        case .unchecked:
            context.logger.warning(
                "fc-list is not installed: the subtitle font's glyphs were not checked",
                metadata: ["subtitles.font": "\(family)"])
        }
    }
}
