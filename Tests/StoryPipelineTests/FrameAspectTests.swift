import Foundation
import PipelineKit
import Testing

@testable import StoryPipeline

/// `render.aspect`, `story.language` and `story.speech_rate`: parsing, checks, and where they flow.
@Suite struct FrameAspectTests {
    @Test(arguments: [
        ("9:16", 1080, 1920), ("16:9", 1920, 1080), ("1:1", 1080, 1080), ("4:5", 1080, 1350),
        ("1280x720", 1280, 720), ("256×256", 256, 256), (" 4096X2160 ", 4096, 2160),
    ])
    func namedRatiosAndSizesParse(text: String, width: Int, height: Int) throws {
        let aspect = try FrameAspect(text)
        #expect(aspect.width == width && aspect.height == height)
    }

    @Test(arguments: [
        "", "9:15", "16/9", "1281x720", "1280x721", "254x254", "4098x2160", "99999999999999999999x2", "x720",
        "1280x", "1280x720x2", "-1280x720", "+128x256", "1e3x1e3", "١٢٨٠x٧٢٠",
    ])
    func everythingElseIsRejectedWithWhatIsAccepted(text: String) {
        #expect {
            _ = try FrameAspect(text)
        } throws: { error in
            guard let error = error as? StoryPipelineError else { return false }
            return error.code == .invalidConfiguration && error.message.contains("9:16")
                || error.message.contains("256…4096")
        }
    }

    @Test func keyframesAreHalfTheFrameAndTheStyleNamesTheShape() throws {
        func size(_ aspect: FrameAspect) -> [Int] { [aspect.keyframeSize.width, aspect.keyframeSize.height] }
        #expect(size(FrameAspect.vertical) == [540, 960])
        #expect(size(try FrameAspect("4:5")) == [540, 676])
        #expect(size(try FrameAspect("16:9")) == [960, 540])
        #expect(FrameAspect.promptPhrase(width: 540, height: 960) == "vertical 9:16")
        #expect(FrameAspect.promptPhrase(width: 960, height: 540) == "horizontal 16:9")
        #expect(FrameAspect.promptPhrase(width: 540, height: 540) == "square 1:1")
        #expect(FrameAspect.promptPhrase(width: 540, height: 676) == "vertical 4:5")
        #expect(FrameAspect.promptPhrase(width: 600, height: 400) == "horizontal 3:2")
        #expect(FrameAspect.promptPhrase(width: 0, height: 0) == "square 1:1")
    }

    @Test func theAspectSetsTheFrameOfEveryStageThatLaysOutForIt() throws {
        let configuration = try StoryConfiguration.decode(
            json: Data(#"{"render": {"aspect": "16:9"}, "story": {"speech_rate": 1.25, "language": "de"}}"#.utf8))
        let frame = try #require(configuration.render.frameSize)
        #expect(frame.width == 1920 && frame.height == 1080)
        let stages = configuration.effectivePipeline.stages
        for stage in ["upscale", "assemble", "qc", "timing"] {
            #expect(stages[stage]?.parameters?.number("width") == 1920, "\(stage)")
            #expect(stages[stage]?.parameters?.number("height") == 1080, "\(stage)")
        }
        #expect(stages["keyframes"]?.parameters?.number("width") == 960)
        #expect(stages["keyframes"]?.parameters?.number("height") == 540)
        for stage in ["voice", "script", "revise"] {
            #expect(stages[stage]?.parameters?.number("speech_rate") == 1.25, "\(stage)")
        }
        #expect(try StoryConfiguration.decode(json: configuration.jsonData()) == configuration)
        // The stages accept what is copied into them.
        let services = StoryServices(
            providers: .offline(), ffmpeg: nil, library: nil, workDirectory: try temporaryDirectory())
        let pipeline = StoryStudio.defaultPipeline(services: services)
        #expect(configuration.effectivePipeline.issues(for: pipeline.stages).isEmpty)

        // A keyframe size of the user's is kept whole.
        var own = configuration
        own.pipeline.stages["keyframes"] = StageConfiguration(parameters: StageParameters(["width": .number(640)]))
        #expect(own.effectivePipeline.stages["keyframes"]?.parameters?.number("width") == 640)
        #expect(own.effectivePipeline.stages["keyframes"]?.parameters?.number("height") == nil)
    }

    @Test func anAspectAndTheSameSizeAgree() throws {
        let configuration = try StoryConfiguration.decode(
            json: Data(#"{"render": {"aspect": "4:5", "width": 1080, "height": 1350}}"#.utf8))
        #expect(configuration.effectivePipeline.stages["qc"]?.parameters?.number("height") == 1350)
    }

    @Test func theDefaultConfigurationCopiesNothingNew() {
        let stages = StoryConfiguration().effectivePipeline.stages
        #expect(stages["timing"] == nil && stages["keyframes"] == nil && stages["voice"] == nil)
    }

    @Test(arguments: [
        (#"{"render": {"aspect": "3:2"}}"#, "render.aspect: must be one of 9:16, 16:9, 1:1, 4:5 or a size WxH"),
        (#"{"render": {"aspect": "301x600"}}"#, "render.aspect: a size WxH needs each side even"),
        (#"{"render": {"aspect": 1.77}}"#, "render.aspect: must be a string, got a number"),
        (#"{"render": {"aspect": "16:9", "width": 1080}}"#, "render.aspect: 16:9 is 1920×1080, which render.width"),
        (#"{"story": {"language": "german!"}}"#, "story.language: must be a BCP 47 language tag"),
        (#"{"story": {"language": "e"}}"#, "story.language: must be a BCP 47 language tag"),
        (#"{"story": {"speech_rate": 2}}"#, "story.speech_rate: must be a number between 0.75 and 1.5"),
        (#"{"story": {"speech_rate": "fast"}}"#, "story.speech_rate: must be a number between 0.75 and 1.5"),
    ])
    func badValuesAreErrorsNamingTheKey(json: String, message: String) {
        #expect {
            _ = try StoryConfiguration.decode(json: Data(json.utf8))
        } throws: { error in
            (error as? StoryPipelineError)?.message.contains(message) == true
        }
    }

    @Test func aConfigurationBuiltInCodeIsCheckedToo() {
        var configuration = StoryConfiguration()
        configuration.render.aspect = "7:3"
        configuration.story.language = "xx-!!"
        configuration.story.speechRate = .nan
        let paths = configuration.issues.map(\.path)
        #expect(paths == ["story.language", "story.speech_rate", "render.aspect"])
    }

    @Test(arguments: ["en", "de", "es-419", "ja", "pt-BR", "zh-Hant-TW", "sr-Latn", "de-CH-1996", "en_US", "yue"])
    func wellFormedTags(tag: String) {
        #expect(LanguageTag.isWellFormed(tag))
    }

    @Test(arguments: ["", "e", "english", "de-", "-de", "de--CH", "12", "ja-JP-x-private", "de-CH-ab", "日本"])
    func malformedTags(tag: String) {
        #expect(!LanguageTag.isWellFormed(tag))
    }

    @Test func promptsNameTheLanguageAndKeepTheEnglishWording() {
        #expect(LanguageTag.promptName("en") == "en")
        #expect(LanguageTag.promptName("de") == "German (de)")
        #expect(LanguageTag.promptName("ja") == "Japanese (ja)")
        #expect(LanguageTag.keepLanguageClause("en-GB") == "")
        #expect(LanguageTag.keepLanguageClause("es") == ", its language (Spanish (es))")
    }
}
