import Foundation
import MCP
import StoryForgeCore
import Testing

/// What an agent does, run by a real MCP client over either transport: it lists the tools, is told precisely what is
/// wrong with bad arguments, makes a short offline story, polls it to `succeeded`, and reads its manifest and video as
/// resources.
enum MCPScenario {
    /// Runs the scenario; the finished story's id.
    @discardableResult
    static func run(_ client: Client, topic: String) async throws -> String {
        let tools = try await client.listTools().tools
        #expect(
            Set(tools.map(\.name)) == ["create_story_video", "get_story_status", "list_stories", "cancel_story"])
        for tool in tools {
            #expect(tool.inputSchema.objectValue?["additionalProperties"] == .bool(false), "\(tool.name)")
        }
        try await badArgumentsAreToolErrorsNamingThem(client)

        let (content, isError) = try await client.callTool(
            name: "create_story_video",
            arguments: ["topic": .string(topic), "seed": 4, "config": MCPTest.shortStory])
        #expect(isError == false, "\(MCPTest.text(content))")
        let created = try MCPTest.object(content)
        let id = try #require(created["id"] as? String, "\(created)")
        #expect((created["status_url"] as? String)?.hasSuffix("/v1/stories/\(id)") == true, "\(created)")
        #expect(created["resource_uri_prefix"] as? String == "storyforge://stories/\(id)/")

        let status = try await MCPTest.waitUntilFinal(client, id: id)
        try #require(status["status"] as? String == "succeeded", "\(status)")
        let files = MCPTest.files(status)
        #expect(files["video.mp4"] != nil && files["manifest.json"] != nil, "\(files.keys.sorted())")

        let listed = try await client.callTool(name: "list_stories", arguments: ["status": "succeeded", "limit": 5])
        let page = try MCPTest.object(listed.content)
        let ids = (page["stories"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        #expect(ids.contains(id), "\(page)")

        let resources = try await client.listResources().resources
        let manifestURI = "storyforge://stories/\(id)/manifest.json"
        let videoURI = "storyforge://stories/\(id)/video.mp4"
        #expect(resources.contains { $0.uri == manifestURI && $0.mimeType == "application/json" }, "\(resources)")
        #expect(resources.contains { $0.uri == videoURI && $0.mimeType == "video/mp4" })
        let templates = try await client.listResourceTemplates().templates
        #expect(templates.map(\.uriTemplate) == ["storyforge://stories/{id}/{name}"])

        // The manifest as text: the exporter's JSON, listing the video with the hash the status gave.
        let manifest = try #require(try await client.readResource(uri: manifestURI).first)
        #expect(manifest.mimeType == "application/json" && manifest.blob == nil)
        let manifestJSON = try #require(
            try JSONSerialization.jsonObject(with: Data((manifest.text ?? "").utf8)) as? [String: Any])
        let listedFiles = manifestJSON["files"] as? [[String: Any]] ?? []
        let videoEntry = try #require(listedFiles.first { $0["path"] as? String == "video.mp4" }, "\(manifestJSON)")
        #expect(videoEntry["sha256"] as? String == files["video.mp4"]?["sha256"] as? String)

        // The video as a blob, byte for byte the file the manifest hashed.
        let video = try #require(try await client.readResource(uri: videoURI).first)
        #expect(video.mimeType == "video/mp4" && video.text == nil)
        let bytes = try #require(Data(base64Encoded: video.blob ?? ""), "the blob is not base64")
        #expect(HexDigest.sha256(bytes) == videoEntry["sha256"] as? String)
        #expect(bytes.count == videoEntry["bytes"] as? Int)

        // Names outside the manifest find nothing, whatever they try.
        for name in ["../../etc/passwd", "nothing.txt", "%2e%2e/manifest.json"] {
            await #expect(throws: MCPError.self, "\(name)") {
                _ = try await client.readResource(uri: "storyforge://stories/\(id)/\(name)")
            }
        }
        return id
    }

    /// Each wrong argument is an `isError` result that names it, and an unknown tool a protocol error.
    static func badArgumentsAreToolErrorsNamingThem(_ client: Client) async throws {
        let create = "create_story_video"
        var message = try await MCPTest.toolError(client, create, ["topic": "owls", "lenght": 30])
        #expect(message.contains("unknown argument `lenght`"), "\(message)")
        message = try await MCPTest.toolError(client, create, ["topic": 7])
        #expect(message == "invalid_request: argument `topic` must be a string, not a number", "\(message)")
        message = try await MCPTest.toolError(client, create, [:])
        #expect(message == "invalid_request: missing argument `topic` (a string)", "\(message)")
        message = try await MCPTest.toolError(client, create, ["topic": "owls", "seed": 2.5])
        #expect(message.hasPrefix("invalid_request: argument `seed` must be an integer"), "\(message)")
        message = try await MCPTest.toolError(client, create, ["topic": "owls", "target_seconds": "long"])
        #expect(message == "invalid_request: argument `target_seconds` must be a number, not a string", "\(message)")
        // Values the service checks, as it checks the REST API's: the message names the field.
        message = try await MCPTest.toolError(client, create, ["topic": "owls", "aspect": "2:3"])
        #expect(message.hasPrefix("invalid_request:") && message.contains("aspect"), "\(message)")
        message = try await MCPTest.toolError(client, create, ["topic": "owls", "seed": -1])
        #expect(message.hasPrefix("invalid_request: seed:"), "\(message)")
        message = try await MCPTest.toolError(client, "list_stories", ["limit": 1000])
        #expect(message == "invalid_request: argument `limit` must be 1...100, not 1000", "\(message)")
        message = try await MCPTest.toolError(client, "list_stories", ["status": "done"])
        #expect(message.hasPrefix("invalid_request: argument `status` must be one of queued"), "\(message)")
        message = try await MCPTest.toolError(client, "get_story_status", [:])
        #expect(message == "invalid_request: missing argument `id` (a string)", "\(message)")
        message = try await MCPTest.toolError(client, "cancel_story", ["id": "no-such-story"])
        #expect(message.hasPrefix("not_found: no story `no-such-story`"), "\(message)")
        // An unknown tool is a protocol error, as MCP asks.
        await #expect(throws: MCPError.self) { _ = try await client.callTool(name: "make_video", arguments: [:]) }
    }
}
