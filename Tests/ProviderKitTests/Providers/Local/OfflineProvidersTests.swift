import Foundation
import MediaIO
import OfflineProviders
import ProviderKit
import StoryForgeCore
import Testing

@Suite("Offline text and image providers")
struct OfflineProvidersTests {
    @Test("the template writer is deterministic per seed and says it is not a language model")
    func templateWriterDeterministic() async throws {
        let writer = TemplateStoryWriter()
        let request = ChatRequest(messages: [.user("a story about a lighthouse in winter")], seed: 3)
        let first = try await writer.generate(request)
        let again = try await writer.generate(request)
        var other = request
        other.seed = 4
        let different = try await writer.generate(other)
        #expect(first.text == again.text)
        #expect(first.text != different.text)
        #expect(first.model.contains("not a language model"))
        #expect(first.text.lowercased().contains("lighthouse") || first.text.lowercased().contains("winter"))
    }

    @Test("the template writer fills each string property as the caller's fields say, not by its name")
    func templateWriterFields() async throws {
        let schema: JSONValue = [
            "type": "object",
            "properties": ["headline": ["type": "string"], "title": ["type": "string"], "feeling": ["type": "string"]],
        ]
        let request = ChatRequest(
            messages: [.user("a lighthouse")], seed: 5,
            responseFormat: .jsonSchema(name: "t", schema: schema, strict: false))
        let writer = TemplateStoryWriter(fields: ["headline": .title, "feeling": .mood])
        let answer = try JSONValue(parsing: Data(try await writer.generate(request).text.utf8))
        // A title names the topic ("The Lighthouse"); a sentence carries the premise ("The story of a lighthouse:
        // ..."); a mood is one word.
        #expect(answer["headline"]?.stringValue?.hasPrefix("The ") == true, "\(answer.jsonText)")
        #expect(answer["headline"]?.stringValue?.contains("Lighthouse") == true, "\(answer.jsonText)")
        #expect(
            answer["title"]?.stringValue?.hasPrefix("The story of a lighthouse: ") == true,
            "named title, but not a field: \(answer.jsonText)")
        let moods: Set<String> = ["hopeful", "eerie", "bittersweet", "triumphant", "calm", "tense", "warm"]
        #expect(moods.contains(answer["feeling"]?.stringValue ?? ""), "\(answer.jsonText)")
    }

    @Test("the template writer fills a JSON schema that decodes into the caller's type")
    func templateWriterSchema() async throws {
        struct Shot: Decodable {
            var prompt: String
            var duration: Double
        }
        struct Plan: Decodable {
            var title: String
            var mood: String
            var shots: [Shot]
            var score: Int
        }
        let schema: JSONValue = [
            "type": "object",
            "properties": [
                "title": ["type": "string", "maxLength": 60],
                "mood": ["type": "string", "enum": ["calm", "tense"]],
                "score": ["type": "integer", "minimum": 1, "maximum": 10],
                "shots": [
                    "type": "array", "minItems": 4, "maxItems": 6,
                    "items": [
                        "type": "object",
                        "properties": [
                            "prompt": ["type": "string"], "duration": ["type": "number", "minimum": 2, "maximum": 5],
                        ],
                    ],
                ],
            ],
            "required": ["title", "mood", "shots", "score"],
        ]
        let (plan, response) = try await TemplateStoryWriter().generate(
            Plan.self,
            ChatRequest(
                messages: [.user("plan shots")], seed: 1, responseFormat: .jsonSchema(name: "plan", schema: schema)))
        #expect(plan.title.count <= 60)
        #expect(["calm", "tense"].contains(plan.mood))
        #expect((4...6).contains(plan.shots.count))
        #expect((1...10).contains(plan.score))
        #expect(plan.shots.allSatisfy { (2...5).contains($0.duration) && !$0.prompt.isEmpty })
        #expect(response.finishReason == .stop)
    }

    @Test("the template writer streams the same text it generates")
    func templateWriterStreams() async throws {
        let request = ChatRequest(messages: [.user("a fox")], seed: 9)
        var accumulator = ChatStreamAccumulator()
        for try await part in TemplateStoryWriter().stream(request) { accumulator.add(part) }
        #expect(accumulator.response.text == (try await TemplateStoryWriter().generate(request)).text)
        #expect(accumulator.isFinished)
    }

    @Test("procedural images are valid PNGs of the asked size, deterministic, and tinted by mood")
    func proceduralImages() async throws {
        let generator = ProceduralImageGenerator()
        let dark = try await generator.generateImages(
            ImageRequest(prompt: "a dark night", width: 64, height: 96, seed: 1))
        let again = try await generator.generateImages(
            ImageRequest(prompt: "a dark night", width: 64, height: 96, seed: 1))
        let sunny = try await generator.generateImages(
            ImageRequest(prompt: "a sunny happy day", width: 64, height: 96, seed: 1))
        #expect(dark == again)
        #expect(dark != sunny)
        let darkImage = try ImageDecoder().decode(try #require(dark.first).data).pixels
        let sunnyImage = try ImageDecoder().decode(try #require(sunny.first).data).pixels
        #expect(darkImage.width == 64 && darkImage.height == 96)
        func meanBrightness(_ image: PixelBuffer) -> Double {
            Double(image.bytes.reduce(0) { $0 + Int($1) }) / Double(image.bytes.count)
        }
        #expect(meanBrightness(darkImage) < meanBrightness(sunnyImage))
        let odd = try await generator.generateImages(ImageRequest(prompt: "x", width: 1, height: 3, count: 2))
        #expect(odd.count == 2 && odd[0] != odd[1])
        let error = await #expect(throws: ProviderError.self) {
            try await generator.generateImages(ImageRequest(prompt: "x", width: 0, height: 10))
        }
        #expect(error?.code == .badRequest)
    }
}
