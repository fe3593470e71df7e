import Foundation
import StoryForgeCore
import Testing

@testable import StoryServer

@Suite struct StoryAPITests {
    @Test func statusEncodesSnakeCaseKeys() throws {
        let status = StoryStatus(
            id: "7", status: .running, topic: "a lighthouse", stage: "assemble", fraction: 0.5, attempt: 1,
            createdAt: Date(timeIntervalSince1970: 0))
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let object = try #require(
            try JSONSerialization.jsonObject(with: encoder.encode(status)) as? [String: Any])
        #expect(object["created_at"] as? String == "1970-01-01T00:00:00Z")
        #expect(object["status"] as? String == "running")
        #expect(object["createdAt"] == nil)
    }

    @Test func createRequestReadsConfigOverrides() throws {
        let json = #"{"topic": "a fox", "target_seconds": 30, "config": {"render": {"aspect": "16:9"}}}"#
        let request = try JSONDecoder().decode(CreateStoryRequest.self, from: Data(json.utf8))
        #expect(request.targetSeconds == 30)
        #expect(request.config?["render"] == .object(["aspect": .string("16:9")]))
    }
}
