import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import StoryServer

/// The hand-written OpenAPI document against the code: it parses, every reference resolves, and the wire types'
/// JSON conforms to its schemas, field for field.
@Suite struct OpenAPIDocumentTests {
    private let checker: OpenAPISchemaChecker

    init() throws { checker = try OpenAPISchemaChecker(json: StoryServerOpenAPI.json) }

    private static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    @Test func isOpenAPI31WithEveryReferenceResolved() {
        #expect(checker.document["openapi"] as? String == "3.1.0")
        let references = checker.references()
        #expect(references.count > 20)
        for reference in references { #expect(checker.resolve(reference) != nil, "\(reference)") }
    }

    @Test func everyOperationDocumentsItsAnswersAndEveryErrorUsesTheErrorBody() throws {
        let paths = try #require(checker.document["paths"] as? [String: [String: Any]])
        for (path, item) in paths {
            for method in ["get", "post", "put", "patch", "delete"] {
                guard let operation = item[method] as? [String: Any] else { continue }
                let responses = try #require(operation["responses"] as? [String: Any], "\(method) \(path)")
                #expect(responses["default"] == nil, "\(method) \(path) must list its statuses")
                #expect(responses.keys.contains { $0.hasPrefix("2") }, "\(method) \(path)")
                for (status, response) in responses where status.hasPrefix("4") || status.hasPrefix("5") {
                    let reference = (response as? [String: Any])?["$ref"] as? String
                    #expect(reference == "#/components/responses/Error", "\(method) \(path) \(status)")
                }
                #expect(operation["operationId"] is String, "\(method) \(path)")
            }
        }
    }

    @Test func theWireTypesConformFieldForField() throws {
        let sparse = StoryStatus(id: "s1", status: .queued, topic: "t", createdAt: Date(timeIntervalSince1970: 0))
        let full = StoryStatus(
            id: "s2", status: .failed, topic: "t", title: "T", stage: "assemble", fraction: 0.5, attempt: 2,
            createdAt: Date(timeIntervalSince1970: 0), startedAt: Date(timeIntervalSince1970: 1),
            finishedAt: Date(timeIntervalSince1970: 2), error: .init(code: "qc_failed", message: "silent"),
            files: [.init(name: "video.mp4", size: 10, sha256: "ab", contentType: "video/mp4", url: "/v1/x")],
            costUSD: 0.25)
        for status in [sparse, full] {
            #expect(try checker.problems(json: Self.encoder.encode(status), against: "StoryStatus") == [])
        }
        let page = StoryPage(stories: [sparse, full], nextCursor: "c")
        #expect(try checker.problems(json: Self.encoder.encode(page), against: "StoryPage") == [])
        let created = StoryCreated(id: "s1", statusURL: "/v1/stories/s1", eventsURL: "/v1/stories/s1/events")
        #expect(try checker.problems(json: Self.encoder.encode(created), against: "StoryCreated") == [])
        let error = APIErrorBody(code: "not_found", message: "no story s9")
        #expect(try checker.problems(json: Self.encoder.encode(error), against: "Error") == [])
        let request = CreateStoryRequest(
            topic: "t", seed: 1, targetSeconds: 30, aspect: "9:16", voice: "v", language: "en", config: [:],
            webhookURL: "https://example.com/hook")
        #expect(try checker.problems(json: Self.encoder.encode(request), against: "CreateStoryRequest") == [])
        // The request schema names exactly the fields the strict decoder accepts.
        let properties = try #require(checker.schema("CreateStoryRequest")?["properties"] as? [String: Any])
        #expect(Set(properties.keys) == Set(CreateStoryRequest.CodingKeys.allCases.map(\.rawValue)))
        let states = try #require(checker.schema("State")?["enum"] as? [String])
        #expect(Set(states) == Set(StoryStatus.State.allCases.map(\.rawValue)))
    }

    @Test func theCheckerItselfCatchesMissingExtraAndMistypedFields() throws {
        let missing = Data(#"{"id":"s1","status":"queued"}"#.utf8)
        #expect(try !checker.problems(json: missing, against: "StoryStatus").isEmpty)
        let mistyped = Data(
            #"{"id":"s1","status":"queued","topic":"t","fraction":"half","attempt":0,"created_at":"x","files":[]}"#.utf8
        )
        #expect(try checker.problems(json: mistyped, against: "StoryStatus") == ["$.fraction: string is not number"])
        let extra = Data(#"{"topic":"t","colour":"red"}"#.utf8)
        #expect(try checker.problems(json: extra, against: "CreateStoryRequest") == ["$: colour is not a property"])
        let badState = Data(#""paused""#.utf8)
        #expect(try !checker.problems(json: badState, against: "State").isEmpty)
    }

    @Test func isServedAtOpenAPIJSON() async throws {
        let router = Router()
        StoryServerOpenAPI.addRoutes(to: router)
        try await Application(router: router).test(.router) { client in
            try await client.execute(uri: "/openapi.json", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json")
                #expect(String(buffer: response.body) == StoryServerOpenAPI.json)
            }
        }
    }
}
