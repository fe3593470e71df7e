import Foundation
import MediaIO
import PipelineKit
import ProviderKit
import ProviderKitTesting
import StoryForgeCore
import StoryModels
import Testing

@testable import StoryPipeline

/// Whole runs in English, German, Spanish and Japanese at each frame shape: the text comes from a real
/// OpenAI-compatible HTTP server on loopback that answers each stage with a story in the run's language (the offline
/// template writer writes English only); espeak-ng speaks it with the language's voice, the procedural generator
/// paints the keyframes, ffmpeg renders with burned subtitles, and the quality gate checks the result. Each run then
/// checks a frame of the video for subtitle text in the subtitle area.
///
/// Two small runs are always on; `STORYFORGE_LANGUAGE_MATRIX=full` runs all 16 (4 languages × 4 aspect ratios) at their
/// full frame sizes (minutes each on a busy 2-core machine), `STORYFORGE_LANGUAGE_MATRIX=small` the same 16 at a third
/// of each size (360×640, 640×360, 360×360, 360×450) (`Scripts/language-aspect-matrix.sh [full|small]`).
@Suite(.serialized) struct LanguageAspectRunTests {
    struct Story: Sendable {
        var language: String
        var title: String
        var logline: String
        var narration: String
    }

    static let stories: [String: Story] = [
        "en": Story(
            language: "en", title: "The Last Light", logline: "A keeper's final night at the lighthouse.",
            narration: "On his last night the old keeper climbed the stairs once more. The storm pushed at the glass. "
                + "He lit the lamp with slow hands, and far out a small boat turned toward the light. "
                + "At dawn he wrote one line in the log: the light was kept."),
        "de": Story(
            language: "de", title: "Das letzte Licht", logline: "Die letzte Nacht eines Leuchtturmwärters.",
            narration: "In seiner letzten Nacht stieg der alte Wärter noch einmal die Treppe hinauf. Der Sturm drückte "
                + "gegen das Glas. Er zündete die Lampe mit müden Händen an, und weit draußen drehte ein kleines Boot "
                + "zum Licht. Am Morgen schrieb er einen Satz ins Buch: Das Licht blieb an."),
        "es": Story(
            language: "es", title: "La última luz", logline: "La última noche de un farero.",
            narration: "En su última noche, el viejo farero subió la escalera una vez más. La tormenta empujaba el "
                + "cristal. Encendió la lámpara con manos cansadas, y a lo lejos un pequeño barco giró hacia la luz. "
                + "¿Lo vio alguien? Al amanecer escribió una línea: la luz siguió encendida."),
        // In kana, spaced between words as in books for young readers: espeak-ng's Japanese voice reads kana, and
        // spells kanji out as "Chinese letter".
        "ja": Story(
            language: "ja", title: "さいごの ひかり", logline: "とうだいもりの さいごの よる。",
            narration: "さいごの よる、 としおいた とうだいもりは もう いちど かいだんを のぼった。 あらしが まどを おした。 "
                + "かれは ゆっくり ランプに ひを つけた。 とおくで ちいさな ふねが ひかりの ほうへ まがった。 "
                + "あさ、 かれは ノートに かいた。 ひかりは まもられた。"),
    ]

    /// Answers the idea, script, revision and shot requests of the story stages with `story`.
    static func server(for story: Story) throws -> LoopbackHTTPServer {
        try LoopbackHTTPServer { request in
            let body = (try? JSONSerialization.jsonObject(with: Data(request.bodyText.utf8))) as? [String: Any] ?? [:]
            let format = (body["response_format"] as? [String: Any])?["json_schema"] as? [String: Any]
            let name = format?["name"] as? String ?? ""
            let properties = (format?["schema"] as? [String: Any])?["properties"] as? [String: Any]
            func count(_ key: String) -> Int {
                ((properties?[key] as? [String: Any])?["minItems"] as? NSNumber)?.intValue ?? 1
            }
            let answer: Any
            switch name {
            case "story_ideas":
                func segments(_ names: [String]) -> [[String: Any]] { names.map { ["segment": $0, "score": 70] } }
                let idea: [String: Any] = [
                    "title": story.title, "logline": story.logline, "tone": "warm", "theme": "duty",
                    "narrator": "calm", "target_audience": "adults",
                    "platforms": segments(["tiktok", "youtube_shorts", "instagram_reels"]),
                    "regions": segments(["north_america", "europe", "latin_america", "asia_pacific"]),
                    "age_groups": segments(["13-17", "18-24", "25-34", "35-54", "55+"]),
                    "genders": segments(["female", "male"]),
                    "titles": (0..<3).map { ["title": story.title + String(repeating: "!", count: $0), "score": 60] },
                    "tags": ["light", "sea", "night"].map { ["tag": $0, "score": 50] },
                ]
                answer = ["ideas": Array(repeating: idea, count: count("ideas"))]
            case "story_script": answer = ["title": story.title, "narration": story.narration]
            case "revised_script": answer = ["narration": story.narration]
            case "shot_visuals":
                answer = [
                    "shots": (0..<count("shots")).map { index in
                        [
                            "visual_prompt": "an old lighthouse keeper at night, storm, lamp light, shot \(index + 1)",
                            "mood": "quiet", "camera": "zoom in",
                        ]
                    }
                ]
            default:
                return .json(#"{"error": {"message": "unexpected request \#(name)"}}"#, status: 400)
            }
            let content = String(decoding: try! JSONSerialization.data(withJSONObject: answer), as: UTF8.self)
            let escaped = String(decoding: try! JSONEncoder().encode(content), as: UTF8.self)
            return .json(
                #"{"id":"c1","object":"chat.completion","model":"scripted","choices":[{"index":0,"#
                    + #""message":{"role":"assistant","content":\#(escaped)},"finish_reason":"stop"}],"#
                    + #""usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}}"#)
        }
    }

    struct Outcome {
        var qcPassed: Bool
        var failures: [String]
        var width: Int
        var height: Int
        var subtitlePixels: Int
        var controlPixels: Int
        var font: String
    }

    /// Runs the whole pipeline in `language` at `aspect` and measures the result.
    static func run(
        language: String, aspect: String, hook: StoryConfiguration.TitleHook? = nil, speechRate: Double? = nil
    ) async throws -> Outcome {
        let story = try #require(stories[language])
        let server = try server(for: story)
        defer { server.shutdown() }
        let root = try temporaryDirectory("language-\(language)")
        defer { try? FileManager.default.removeItem(at: root) }
        var providers = StoryProviders.offline()
        providers.text = OpenAICompatibleProvider(
            configuration: .init(baseURL: server.baseURL, apiKey: "sk-test-secret", chatModel: "scripted"))
        let configuration = StoryConfiguration(
            story: .init(
                topic: "a lighthouse keeper's last night", seed: 5, targetSeconds: 10, language: language,
                speechRate: speechRate, titleHook: hook),
            render: .init(fps: 30, aspect: aspect),
            pipeline: PipelineConfiguration(
                stages: [
                    // The scripted story is the story: no revision round trips.
                    "revise": StageConfiguration(parameters: StageParameters(["threshold": .number(0)]))
                ]))
        let ffmpeg = try await FFmpeg.locate()
        let studio = try StoryStudio(
            store: root.appendingPathComponent("store"), configuration: configuration, providers: providers,
            ffmpeg: ffmpeg)
        let output = root.appendingPathComponent("out")
        let result = try await studio.run(studio.request(), runID: RunID("run-\(language)"), exportTo: output)
        let qc = try StoryJSON.decode(QCSummary.self, from: Data(contentsOf: output.appendingPathComponent("qc.json")))
        let frame = try FrameAspect(aspect)
        let ass = try String(contentsOf: output.appendingPathComponent("subtitles.ass"), encoding: .utf8)
        let font =
            ass.split(separator: "\n").first { $0.hasPrefix("Style: Default,") }?
            .split(separator: ",").dropFirst().first.map(String.init) ?? ""
        #expect(ass.contains("PlayResX: \(frame.width)\n") && ass.contains("PlayResY: \(frame.height)\n"))
        if let hook {
            #expect(ass.contains(",Title,,0,0,0,,{\\q0\\fad(300,300)}\(hook.text ?? story.title)\n"))
        } else {
            #expect(!ass.contains("Style: Title"))
        }

        // A frame in the middle of the middle cue.
        let cues = try #require(result.state.subtitles?.track.cues)
        let cue = cues[cues.count / 2]
        let raw = root.appendingPathComponent("frame.rgb")
        _ = try await ffmpeg.run([
            "-ss", String(format: "%.3f", (cue.start + cue.end) / 2), "-i",
            "file:" + output.appendingPathComponent("video.mp4").path, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt",
            "rgb24", "-y", "file:" + raw.path,
        ])
        let pixels = [UInt8](try Data(contentsOf: raw))
        #expect(pixels.count == frame.width * frame.height * 3)
        let style = ASSStyle.forFrame(width: frame.width, height: frame.height)
        let bottom = frame.height - style.marginV + style.fontSize / 2
        let top = max(0, frame.height - style.marginV - 3 * style.fontSize)
        let subtitle = textPixels(pixels, width: frame.width, rows: top..<min(bottom, frame.height), style: style)
        // The same band at the top of the frame, where no subtitle is drawn: the picture alone.
        let control = textPixels(pixels, width: frame.width, rows: 0..<(min(bottom, frame.height) - top), style: style)
        return Outcome(
            qcPassed: qc.passed, failures: qc.failures.map { "\($0)" }, width: frame.width, height: frame.height,
            subtitlePixels: subtitle, controlPixels: control, font: font)
    }

    /// Pixels that look like subtitle text: bright white or the karaoke yellow, with the black outline within a few
    /// pixels to the left or right (the procedural pictures are soft gradients: they have neither).
    static func textPixels(_ pixels: [UInt8], width: Int, rows: Range<Int>, style: ASSStyle) -> Int {
        let reach = max(2, Int(style.outline.rounded()) + 2)
        func at(_ x: Int, _ y: Int) -> (Int, Int, Int)? {
            let index = (y * width + x) * 3
            guard x >= 0, x < width, index >= 0, index + 2 < pixels.count else { return nil }
            return (Int(pixels[index]), Int(pixels[index + 1]), Int(pixels[index + 2]))
        }
        var count = 0
        for y in rows {
            for x in style.marginL..<(width - style.marginR) {
                guard let (r, g, _) = at(x, y), r > 200, g > 180 else { continue }
                let outlined = (1...reach).contains { offset in
                    [at(x - offset, y), at(x + offset, y)].contains { pixel in
                        guard let (r, g, b) = pixel else { return false }
                        return r < 60 && g < 60 && b < 60
                    }
                }
                if outlined { count += 1 }
            }
        }
        return count
    }

    static func expectGood(_ outcome: Outcome, _ label: String) {
        #expect(outcome.qcPassed, "\(label): \(outcome.failures)")
        #expect(
            outcome.subtitlePixels > 40 && outcome.subtitlePixels > 4 * outcome.controlPixels,
            "\(label): \(outcome.subtitlePixels) text pixels in the subtitle area, \(outcome.controlPixels) above")
    }

    @Test func japaneseVerticalAndGermanHorizontalRunPassTheGateWithSubtitlesInTheFrame() async throws {
        let japanese = try await Self.run(language: "ja", aspect: "256x456")
        Self.expectGood(japanese, "ja 256x456")
        #expect(japanese.font == "Noto Sans CJK JP")
        let german = try await Self.run(language: "de", aspect: "456x256", hook: .storyTitle, speechRate: 1.25)
        Self.expectGood(german, "de 456x256")
        #expect(german.font == "DejaVu Sans")
    }

    static let matrix = ProcessInfo.processInfo.environment["STORYFORGE_LANGUAGE_MATRIX"]

    /// All 16: `STORYFORGE_LANGUAGE_MATRIX=full` (or `small`) `swift test --filter LanguageAspectRunTests`.
    @Test(.enabled(if: matrix == "full" || matrix == "small"))
    func everyLanguageAtEveryAspectRatioPassesTheGate() async throws {
        var passed = 0
        var lines: [String] = []
        let aspects =
            Self.matrix == "full" ? ["9:16", "16:9", "1:1", "4:5"] : ["360x640", "640x360", "360x360", "360x450"]
        for language in ["en", "de", "es", "ja"] {
            for aspect in aspects {
                let clock = ContinuousClock()
                let start = clock.now
                let outcome: Outcome
                do {
                    outcome = try await Self.run(language: language, aspect: aspect)
                } catch {
                    Issue.record("\(language) \(aspect): \(error)")
                    lines.append("\(language)\t\(aspect)\tfailed: \(error)")
                    continue
                }
                Self.expectGood(outcome, "\(language) \(aspect)")
                let good = outcome.qcPassed && outcome.subtitlePixels > 4 * outcome.controlPixels
                if good { passed += 1 }
                lines.append(
                    "\(language)\t\(aspect)\t\(outcome.width)x\(outcome.height)\tqc=\(outcome.qcPassed)\t"
                        + "text_px=\(outcome.subtitlePixels)\tcontrol_px=\(outcome.controlPixels)\tfont=\(outcome.font)"
                        + "\t\(clock.now - start)")
            }
        }
        print(lines.joined(separator: "\n"))
        print("QC pass rate: \(passed)/16")
        #expect(passed == 16)
    }
}
