import Foundation
import MCP
import StoryForgeCore
import StoryServer
import Testing

@testable import StoryServerMCP

/// The tools' arguments are read as strictly as the REST API's JSON: each wrong one is an error naming it.
struct ToolArgumentsTests {
    private func arguments(_ values: [String: Value]) throws(StoryServerError) -> ToolArguments {
        try ToolArguments(tool: "create_story_video", arguments: values, allowed: StoryTools.createArguments)
    }

    @Test func anUnknownArgumentIsNamedWithTheOnesTheToolTakes() throws {
        let error = #expect(throws: StoryServerError.self) {
            try arguments(["topic": "owls", "lenght": 30])
        }
        #expect(error?.code == .invalidRequest)
        #expect(error?.message.contains("unknown argument `lenght`") == true, "\(String(describing: error))")
        #expect(error?.message.contains("`target_seconds`") == true)
    }

    @Test func wrongTypesAreNamedWithTheTypeExpectedAndTheTypeSent() throws {
        let read = try arguments(["topic": 7, "seed": "seven", "target_seconds": true, "config": [1, 2]])
        #expect(
            message { () throws(StoryServerError) in try read.requiredString("topic") }
                == "argument `topic` must be a string, not a number")
        #expect(
            message { () throws(StoryServerError) in try read.integer("seed") }
                == "argument `seed` must be an integer, not a string")
        #expect(
            message { () throws(StoryServerError) in try read.number("target_seconds") }
                == "argument `target_seconds` must be a number, not a boolean")
        #expect(
            message { () throws(StoryServerError) in try read.object("config") }
                == "argument `config` must be an object, not an array")
    }

    /// The message of the error `body` throws, or `nil` when it throws none.
    private func message<T>(_ body: () throws(StoryServerError) -> T) -> String? {
        do {
            _ = try body()
            return nil
        } catch {
            return error.message
        }
    }

    @Test func aMissingRequiredArgumentAndANullOneAreMissing() throws {
        for values: [String: Value] in [[:], ["topic": .null]] {
            #expect(
                message { () throws(StoryServerError) in try arguments(values).requiredString("topic") }
                    == "missing argument `topic` (a string)", "\(values)")
        }
        #expect(try arguments(["seed": .null]).integer("seed") == nil)
    }

    @Test func integersComeFromWholeNumbersThatFitAndNeverFromTruncation() throws {
        #expect(try arguments(["seed": 42]).integer("seed") == 42)
        #expect(try arguments(["seed": 1e3]).integer("seed") == 1000)
        for bad: Double in [2.5, 1e30, -1e300] {
            let text = message { () throws(StoryServerError) in try arguments(["seed": .double(bad)]).integer("seed") }
            #expect(
                text?.hasPrefix("argument `seed` must be an integer") == true, "\(bad): \(String(describing: text))")
        }
        #expect(try arguments(["target_seconds": 12]).number("target_seconds") == 12)
        #expect(try arguments(["target_seconds": 12.5]).number("target_seconds") == 12.5)
    }

    @Test func argumentsDecodedFromTheWireKeepTheirMeaning() throws {
        // As the SDK decodes a tools/call: a data-URL-looking string becomes `.data`, numbers `.int` or `.double`.
        let json = #"""
            {"topic": "data: the new oil, explained", "voice": "data:text/plain,hello", "seed": 7,
             "language": "data:image/png;base64,iVBORw0KGgo=", "config": {"story": {"target_seconds": 6.5}}}
            """#
        let values = try JSONDecoder().decode([String: Value].self, from: Data(json.utf8))
        let read = try arguments(values)
        #expect(try read.requiredString("topic") == "data: the new oil, explained")
        #expect(try read.string("voice") == "data:text/plain,hello")
        #expect(
            message { () throws(StoryServerError) in try read.string("language") }
                == "argument `language` must be text, not a data URL of binary data")
        #expect(try read.integer("seed") == 7)
        let config = try #require(try read.object("config"))
        #expect(config["story"]?["target_seconds"]?.numberValue == 6.5)
    }

    @Test func aToolWithoutArgumentsRefusesAny() throws {
        let text = message { () throws(StoryServerError) in
            try ToolArguments(tool: "get_story_status", arguments: ["id": "x", "verbose": true], allowed: ["id"])
        }
        #expect(text == "unknown argument `verbose`: get_story_status takes `id`")
    }
}

/// Resource URIs name a story and a manifest file name, nothing else.
struct StoryResourceURITests {
    @Test func aFileURIParsesIntoItsStoryAndName() throws {
        let uri = try StoryResourceURI(parsing: "storyforge://stories/42/keyframes/001.png")
        #expect(uri.story == "42" && uri.name == "keyframes/001.png")
        #expect(uri.text == "storyforge://stories/42/keyframes/001.png")
    }

    @Test func otherURIsAreInvalidParameters() {
        for text in [
            "file:///etc/passwd", "storyforge://stories/42", "storyforge://stories//video.mp4",
            "storyforge://stories/42/", "storyforge://other/42/video.mp4", "storyforge://stories/42/a\u{0}b",
            "storyforge://stories/" + String(repeating: "x", count: 3000) + "/video.mp4",
        ] {
            #expect(throws: MCPError.self, "\(text.prefix(60))") { try StoryResourceURI(parsing: text) }
        }
    }

    @Test func textTypesAreSentAsTextAndTheRestAsBlobs() {
        for type in ["application/json", "text/plain; charset=utf-8", "application/x-subrip", "text/vtt"] {
            #expect(StoryResources.isText(type), "\(type)")
        }
        for type in ["video/mp4", "audio/wav", "image/png", "application/octet-stream"] {
            #expect(!StoryResources.isText(type), "\(type)")
        }
    }
}
