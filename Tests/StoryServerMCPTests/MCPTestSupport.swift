import Foundation
import MCP
import Testing

/// What the MCP tests share: a short offline story's settings, reading tool results, polling a story to its end.
enum MCPTest {
    /// A 5-second story at a small frame size with no upscaling: the tests are about the protocol, not the video
    /// (5 s is the configuration's shortest `target_seconds`).
    static let shortStory: Value = [
        "story": ["target_seconds": 5],
        "render": ["aspect": "256x456"],
        "pipeline": ["stages": ["upscale": ["enabled": false]]],
    ]

    /// How long a story may take on a loaded 2-core machine before the test gives up.
    static let storyDeadline: Duration = .seconds(300)

    /// The text of a tool result's first content item.
    static func text(_ content: [Tool.Content]) -> String {
        for item in content {
            if case .text(let text, _, _) = item { return text }
        }
        return ""
    }

    /// A tool result's JSON, as Foundation objects.
    static func object(_ content: [Tool.Content]) throws -> [String: Any] {
        let text = text(content)
        let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try #require(parsed as? [String: Any], "not a JSON object: \(text)")
    }

    /// Calls `get_story_status` until the story is final; its last status.
    static func waitUntilFinal(_ client: Client, id: String) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + storyDeadline
        var last: [String: Any] = [:]
        while ContinuousClock.now < deadline {
            let (content, isError) = try await client.callTool(name: "get_story_status", arguments: ["id": .string(id)])
            #expect(isError == false, "\(text(content))")
            last = try object(content)
            if let status = last["status"] as? String, ["succeeded", "failed", "cancelled"].contains(status) {
                return last
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        Issue.record("story \(id) not final after \(storyDeadline): \(last)")
        return last
    }

    /// A tool call that must fail: its message.
    static func toolError(_ client: Client, _ name: String, _ arguments: [String: Value]) async throws -> String {
        let (content, isError) = try await client.callTool(name: name, arguments: arguments)
        #expect(isError == true, "\(name) \(arguments) succeeded: \(text(content))")
        return text(content)
    }

    /// The files a status lists, by name.
    static func files(_ status: [String: Any]) -> [String: [String: Any]] {
        let files = status["files"] as? [[String: Any]] ?? []
        return Dictionary(files.compactMap { file in (file["name"] as? String).map { ($0, file) } }) { first, _ in first
        }
    }
}
