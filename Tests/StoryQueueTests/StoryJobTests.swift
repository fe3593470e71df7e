import Foundation
import QueueKit
import StoryPipeline
import StoryQueue
import Testing

@Suite struct StoryJobTests {
    @Test func aPayloadRoundTripsAndOverridesTheConfigurationsStorySection() throws {
        let base = #"{"story": {"topic": "ignored", "seed": 1, "language": "de"}}"#
        let job = try StoryJob(
            story: StoryJob.Story(topic: "a lighthouse keeper", seed: 7, targetSeconds: 30),
            configuration: .contents(base, yaml: false))
        let back = try StoryJob(payload: try job.payload())
        #expect(back == job)
        let configuration = try back.resolvedConfiguration()
        #expect(configuration.story.topic == "a lighthouse keeper")
        #expect(configuration.story.seed == 7)
        #expect(configuration.story.targetSeconds == 30)
        #expect(configuration.story.language == "de")
        #expect(String(decoding: try job.payload(), as: UTF8.self).contains(#""target_seconds":30"#))
    }

    @Test func badPayloadsAreInvalidRequests() {
        for payload in [
            #"{"story": {}}"#, #"{"story": {"topic": "x", "seed": 1.5}}"#, #"{"story": {"topic": "x", "seed": -1}}"#,
            #"{"story": {"topic": "x"}, "config_text": "{}", "config_path": "/a"}"#, "not json", #"{"story": {"topic": "  "}}"#,
        ] {
            #expect(throws: JobQueueError.invalidRequest(""), "\(payload)") { try StoryJob(payload: Data(payload.utf8)) }
        }
    }

    @Test func aBatchTakesTopicLinesAndJSONLines() throws {
        let text = """
            # stories for Monday
            a lighthouse keeper's last night

            {"topic": "the last train", "seed": 3, "target_seconds": 20, "unique_key": "train", "priority": 2}
            """
        let batch = try StoryBatch(parsing: text, configuration: .path("/srv/base.json"))
        #expect(batch.entries.count == 2)
        #expect(batch.entries[0].line == 2)
        #expect(batch.entries[0].job.story.topic == "a lighthouse keeper's last night")
        #expect(batch.entries[0].job.configuration == .path("/srv/base.json"))
        #expect(batch.entries[1].job.story.seed == 3)
        #expect(batch.entries[1].job.story.targetSeconds == 20)
        #expect(batch.entries[1].uniqueKey == "train")
        #expect(batch.entries[1].priority == 2)
    }

    @Test func aBadBatchLineIsNamed() {
        for (text, line) in [
            ("fine\n{\"topic\": \"x\", \"seeds\": 3}", 2), ("{\"topic\": \"x\", \"target_seconds\": 1e309}", 1),
            ("ok\nok\n{\"topic\": \"\"}", 3),
        ] {
            do {
                _ = try StoryBatch(parsing: text)
                Issue.record("accepted: \(text)")
            } catch let error as JobQueueError {
                #expect(error.code == .invalidRequest)
                #expect(error.message.hasPrefix("line \(line):"), "\(error.message)")
            } catch {
                Issue.record("\(error)")
            }
        }
    }

    @Test func theStoreCheckWritesOneMarkerAndRefusesAnotherStore() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("storyqueue-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try SharedStore.check(directory)
        let second = try SharedStore.check(directory, expectedID: first.id)
        #expect(second.id == first.id)
        #expect(second.hosts == [ProcessInfo.processInfo.hostName])
        #expect(throws: JobQueueError.invalidRequest("")) { try SharedStore.check(directory, expectedID: "another-store") }
        let elsewhere = directory.appendingPathComponent("not-mounted")
        #expect(throws: JobQueueError.invalidRequest("")) { try SharedStore.check(elsewhere, expectedID: first.id) }
    }
}
