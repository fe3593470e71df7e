import Foundation
import MediaIO
import PipelineKit
import ProviderKitTesting
import StoryForgeCore
import StoryModels
import Testing

@testable import StoryPipeline

/// A whole offline story whose pictures come from stock search (Pexels over loopback), for real: the manifest's
/// per-shot records, `credits.txt`, and a rerun from the cache.
@Suite(.serialized) struct MediaRunTests {
    static func photoServer(_ photo: Data) throws -> LoopbackHTTPServer {
        try LoopbackHTTPServer { request in
            if request.path.hasPrefix("/v1/search") {
                // A link back to this server: the client fetches only over https or from the API's own origin.
                let host = request.header("Host") ?? "127.0.0.1"
                return .json(
                    #"{"photos":[{"id":55,"width":1200,"height":2000,"url":"https://www.pexels.com/photo/55/","#
                        + #""photographer":"Mina Ortiz","photographer_url":"https://www.pexels.com/@mina","#
                        + #""src":{"portrait":"http://\#(host)/files/55.jpg","original":"http://\#(host)/files/55.jpg"}}]}"#,
                    headers: [("X-Ratelimit-Remaining", "199"), ("X-Ratelimit-Reset", "0")])
            }
            return .bytes(photo, contentType: "image/jpeg")
        }
    }

    @Test func aStoryWithStockPhotosRecordsEachShotAndWritesCredits() async throws {
        let root = try temporaryDirectory("media-run")
        defer { try? FileManager.default.removeItem(at: root) }
        // A picture with something in it (the quality gate fails black frames): ffmpeg's test pattern.
        let ffmpeg = try await FFmpeg.locate()
        let photoURL = root.appendingPathComponent("photo.jpg")
        try await ffmpeg.run([
            "-y", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=120x200", "-frames:v", "1", "file:" + photoURL.path,
        ])
        let photo = try Data(contentsOf: photoURL)
        let server = try Self.photoServer(photo)
        defer { server.shutdown() }
        var configuration = OfflineRunTests.configuration()
        configuration.story.targetSeconds = 5  // the shortest story: the test is about the pictures' records
        configuration.media = MediaConfiguration(sources: ["pexels", "procedural"])
        let environment = ["PEXELS_API_KEY": "pexels-key-XYZ", "PEXELS_BASE_URL": server.baseURL.absoluteString]
        let (studio, notes) = try await StoryStudio.make(
            store: root.appendingPathComponent("store"), configuration: configuration, environment: environment)
        #expect(notes.contains("media: pexels>procedural (media.sources)"))
        #expect(studio.services.fingerprint.contains("media=pexels="))
        let output = root.appendingPathComponent("out")
        let result = try await studio.run(studio.request(), runID: "stock", exportTo: output)

        let shots = try #require(result.state.shotlist).shots
        let media = try #require(result.state.shotMedia)
        #expect(media.count == shots.count)
        #expect(media.allSatisfy { $0.source == "pexels" && $0.attribution?.author == "Mina Ortiz" })
        let manifest = try StoryJSON.decode(
            ExportManifest.self, from: Data(contentsOf: output.appendingPathComponent("manifest.json")))
        #expect(manifest.shotMedia?.count == shots.count)
        #expect(manifest.shotMedia?.first?.url == "https://www.pexels.com/photo/55/")
        #expect(manifest.shotMedia?.first?.sourceItem == "pexels:55")
        let credits = try String(contentsOf: output.appendingPathComponent("credits.txt"), encoding: .utf8)
        #expect(credits.contains("Mina Ortiz on Pexels, Pexels License, https://www.pexels.com/photo/55/"))
        #expect(manifest.files.contains { $0.path == "credits.txt" })
        let qc = try StoryJSON.decode(QCSummary.self, from: Data(contentsOf: output.appendingPathComponent("qc.json")))
        #expect(qc.passed, "\(qc.failures)")
        // The key went only to the API, never into the manifest or the saved configuration.
        #expect(
            !String(decoding: try Data(contentsOf: output.appendingPathComponent("manifest.json")), as: UTF8.self)
                .contains("pexels-key-XYZ"))
        let downloads = server.requests.filter { $0.path.hasPrefix("/files/") }
        #expect(!downloads.isEmpty && downloads.allSatisfy { $0.header("Authorization") == nil })

        // A rerun of the same request comes from the cache: no new search.
        let searches = server.requests.count
        _ = try await studio.run(studio.request(), runID: "stock-again", exportTo: root.appendingPathComponent("out2"))
        #expect(server.requests.count == searches)
    }
}
