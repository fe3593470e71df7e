import Foundation
import ProviderKit
import ProviderKitTesting
import StoryForgeCore
import Testing

/// OpenAI image edits with reference pictures over real loopback HTTP.
@Suite("OpenAI image edits over loopback")
struct OpenAIImageEditorTests {
    static let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3])

    static func server() throws -> LoopbackHTTPServer {
        try LoopbackHTTPServer { _ in .json(#"{"data":[{"b64_json":"\#(png.base64EncodedString())"}]}"#) }
    }

    @Test("references go to /images/edits as image[] parts, beside the prompt and size")
    func edits() async throws {
        let server = try Self.server()
        defer { server.shutdown() }
        let editor = OpenAIImageEditor(
            configuration: .init(baseURL: server.baseURL.appending(path: "v1"), apiKey: "sk-x"))
        let images = try await editor.generateImages(
            ImageRequest(prompt: "the keeper at dawn", width: 1024, height: 1536), references: [Self.png, Self.png])
        #expect(images.first?.data == Self.png)
        let request = try #require(server.requests.first)
        #expect(request.path == "/v1/images/edits")
        #expect(request.bodyText.components(separatedBy: "name=\"image[]\"").count == 3)
        #expect(request.bodyText.contains("name=\"size\"\r\n\r\n1024x1536\r\n"))
        #expect(request.bodyText.contains("name=\"model\"\r\n\r\ngpt-image-1\r\n"))
    }

    @Test("without references it generates, as JSON")
    func generates() async throws {
        let server = try Self.server()
        defer { server.shutdown() }
        let editor = OpenAIImageEditor(
            configuration: .init(baseURL: server.baseURL.appending(path: "v1"), apiKey: "sk-x"))
        _ = try await editor.generateImages(ImageRequest(prompt: "a harbour"))
        let request = try #require(server.requests.first)
        #expect(request.path == "/v1/images/generations")
        #expect(try JSONValue(parsing: request.body)["prompt"] == "a harbour")
    }
}
