import Foundation
import ProviderKit
import ProviderKitTesting
import StoryForgeCore
import Testing

/// OpenAI's `/v1/videos` job protocol over real loopback HTTP: create, poll, download, with its faults.
@Suite("OpenAI video over loopback")
struct OpenAIVideoGeneratorTests {
    static let secret = "sk-test-VIDEO-0123456789"
    /// The start of an ISO BMFF (MP4) file: a box size, `ftyp`, a brand; what the generator checks before ffprobe.
    static let mp4Prefix = Data([0, 0, 0, 0x18]) + Data("ftypisom".utf8) + Data(repeating: 0, count: 40)

    static func generator(_ server: LoopbackHTTPServer) -> OpenAIVideoGenerator {
        OpenAIVideoGenerator(
            configuration: .init(
                baseURL: server.baseURL.appending(path: "v1"), apiKey: secret, pollInterval: .milliseconds(10),
                maxWait: .seconds(120)))
    }

    static func directory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("video-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("a job is created, polled until completed, and its content downloaded into the file")
    func completes() async throws {
        let polls = MediaRequestCounter()
        let server = try LoopbackHTTPServer { request in
            switch (request.method, request.path) {
            case ("POST", "/v1/videos"):
                return .json(#"{"id":"video_123","object":"video","status":"queued","progress":0}"#)
            case ("GET", "/v1/videos/video_123"):
                let status = polls.next() < 2 ? "in_progress" : "completed"
                return .json(#"{"id":"video_123","status":"\#(status)","seconds":"8","size":"720x1280"}"#)
            case ("GET", "/v1/videos/video_123/content"):
                return .bytes(Self.mp4Prefix, contentType: "video/mp4")
            default:
                return .json(#"{"error":{"message":"no route"}}"#, status: 404)
            }
        }
        defer { server.shutdown() }
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let destination = directory.appendingPathComponent("clip.mp4")
        let reference = Data([0x89, 0x50, 0x4E, 0x47]) + Data(repeating: 1, count: 20)
        let clip = try await Self.generator(server).generateClip(
            ClipRequest(prompt: "waves at dusk", referenceImages: [reference], seconds: 5, width: 540, height: 960),
            to: destination)
        #expect(clip.file == destination)
        #expect(clip.seconds == 8)
        #expect(try Data(contentsOf: destination) == Self.mp4Prefix)
        let create = try #require(server.requests.first)
        #expect(create.header("Authorization") == "Bearer \(Self.secret)")
        #expect(create.header("Content-Type")?.hasPrefix("multipart/form-data; boundary=") == true)
        // 5 s rounds up to the offered 8 s; 540×960 is closest in shape to 720×1280; the reference is attached.
        #expect(create.bodyText.contains("name=\"seconds\"\r\n\r\n8\r\n"))
        #expect(create.bodyText.contains("name=\"size\"\r\n\r\n720x1280\r\n"))
        #expect(create.bodyText.contains("name=\"input_reference\"; filename=\"reference.png\""))
        #expect(polls.value >= 3)
    }

    @Test("a failed job is a server error with its message, and nothing is downloaded")
    func failedJob() async throws {
        let server = try LoopbackHTTPServer { request in
            if request.method == "POST" { return .json(#"{"id":"video_9","status":"queued"}"#) }
            return .json(
                #"{"id":"video_9","status":"failed","error":{"code":"moderation","message":"blocked by policy"}}"#)
        }
        defer { server.shutdown() }
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let error = await #expect(throws: ProviderError.self) {
            _ = try await Self.generator(server).generateClip(
                ClipRequest(prompt: "x", seconds: 4), to: directory.appendingPathComponent("clip.mp4"))
        }
        #expect(error?.code == .server)
        #expect(error?.message.contains("blocked by policy") == true)
        #expect(!server.requests.contains { $0.path.hasSuffix("/content") })
    }

    @Test("content that is not a video is a malformed response and leaves no file")
    func notAVideo() async throws {
        let server = try LoopbackHTTPServer { request in
            switch (request.method, request.path) {
            case ("POST", _): return .json(#"{"id":"video_5","status":"completed"}"#)
            case (_, "/v1/videos/video_5/content"):
                return .bytes(Data("<html>gateway error</html>".utf8), contentType: "text/html")
            default: return .json(#"{"id":"video_5","status":"completed"}"#)
            }
        }
        defer { server.shutdown() }
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let destination = directory.appendingPathComponent("clip.mp4")
        let error = await #expect(throws: ProviderError.self) {
            _ = try await Self.generator(server).generateClip(ClipRequest(prompt: "x", seconds: 4), to: destination)
        }
        #expect(error?.code == .malformedResponse)
        #expect(!FileManager.default.fileExists(atPath: destination.path))
    }

    @Test("a 429 on create is a rate-limit error carrying Retry-After, with the key nowhere in it")
    func rateLimited() async throws {
        let server = try LoopbackHTTPServer { _ in
            .json(
                #"{"error":{"message":"slow down","type":"rate_limit"}}"#, status: 429,
                headers: [("Retry-After", "7"), ("x-ratelimit-remaining-requests", "0")])
        }
        defer { server.shutdown() }
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let error = await #expect(throws: ProviderError.self) {
            _ = try await Self.generator(server).generateClip(
                ClipRequest(prompt: "x", seconds: 4), to: directory.appendingPathComponent("clip.mp4"))
        }
        #expect(error?.code == .rateLimited)
        #expect(error?.retryAfter == .seconds(7))
        #expect(!"\(String(describing: error))".contains(Self.secret))
    }

    @Test("cancelling while the job runs deletes the job")
    func cancelDeletes() async throws {
        let server = try LoopbackHTTPServer { request in
            if request.method == "POST" { return .json(#"{"id":"video_7","status":"queued"}"#) }
            if request.method == "DELETE" { return .json(#"{"id":"video_7","deleted":true}"#) }
            return .json(#"{"id":"video_7","status":"in_progress"}"#)
        }
        defer { server.shutdown() }
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let generator = Self.generator(server)
        let task = Task {
            try await generator.generateClip(
                ClipRequest(prompt: "x", seconds: 4), to: directory.appendingPathComponent("c.mp4"))
        }
        while !server.requests.contains(where: { $0.method == "GET" }) { try await Task.sleep(for: .milliseconds(5)) }
        task.cancel()
        _ = await task.result
        for _ in 0..<2000 where !server.requests.contains(where: { $0.method == "DELETE" }) {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(server.requests.contains { $0.method == "DELETE" && $0.path == "/v1/videos/video_7" })
    }
}

/// A thread-safe counter for handlers, which run on the server's threads.
final class MediaRequestCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    /// Returns the count before this call and adds one (guarded by `lock`).
    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        count += 1
        return count - 1
    }
    /// The count so far.
    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }
}
