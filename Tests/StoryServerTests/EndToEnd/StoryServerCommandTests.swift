import Foundation
import HummingbirdTesting
import StoryForgeCore
import Testing

@testable import StoryServer

/// The `story-server` executable as a real process: it refuses a public address without tokens, serves on
/// loopback, stops on SIGTERM, and `hash-token` prints a tokens-file line.
@Suite(.serialized) struct StoryServerCommandTests {
    @Test func aPublicAddressWithoutTokensIsRefused() throws {
        let store = FileManager.default.temporaryDirectory.appendingPathComponent("storyserver-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: store) }
        let (process, output, errors) = try Self.start(["--host", "0.0.0.0", "--port", "0", "--store", store.path])
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(text.contains("refusing to listen on 0.0.0.0 without tokens"), "\(text)")
        #expect(output.fileHandleForReading.readDataToEndOfFile().isEmpty)
    }

    @Test func theServerServesOnLoopbackAndStopsOnSIGTERM() async throws {
        let store = FileManager.default.temporaryDirectory.appendingPathComponent("storyserver-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: store) }
        let tokens = store.deletingLastPathComponent().appendingPathComponent("tokens-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: tokens) }
        try Data((BearerTokens.line(name: "ci", token: "ci-token-0123456789abcdef") + "\n").utf8).write(to: tokens)
        let (process, output, _) = try Self.start([
            "--port", "0", "--store", store.path, "--workers", "0", "--tokens", tokens.path,
        ])
        defer { if process.isRunning { process.terminate() } }
        let port = try #require(Self.port(from: output))
        let client = TestClient(host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(300)))
        client.connect()
        let health = try await client.get("/healthz")
        #expect(health.status == .ok)
        let refused = try await client.get("/v1/stories")
        #expect(refused.status == .unauthorized)
        let listed = try await client.get("/v1/stories", headers: [.authorization: "Bearer ci-token-0123456789abcdef"])
        #expect(listed.status == .ok)
        try await client.shutdown()
        // The queue was made under the store.
        #expect(FileManager.default.fileExists(atPath: store.appendingPathComponent("queue.sqlite").path))

        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!process.isRunning)
        #expect(process.terminationStatus == 0)
    }

    /// With a PostgreSQL queue (`STORYFORGE_POSTGRES_URL`, set by `.ci/run`), the server queues for workers
    /// elsewhere: no worker of its own takes the story.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["STORYFORGE_POSTGRES_URL"] != nil))
    func overPostgreSQLTheServerQueuesForWorkersElsewhere() async throws {
        let url = try #require(ProcessInfo.processInfo.environment["STORYFORGE_POSTGRES_URL"])
        let store = FileManager.default.temporaryDirectory.appendingPathComponent("storyserver-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: store) }
        let (process, output, _) = try Self.start(["--port", "0", "--store", store.path, "--queue", url])
        defer { if process.isRunning { process.terminate() } }
        let port = try #require(Self.port(from: output))
        let client = TestClient(host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(300)))
        client.connect()
        let created = try await client.post(
            "/v1/stories", headers: [.contentType: "application/json"],
            body: .init(string: #"{"topic": "a fox over postgres"}"#))
        #expect(created.status == .accepted)
        let decoder = JSONDecoder()
        let id = try decoder.decode(StoryCreated.self, from: Data((created.body ?? .init()).readableBytesView)).id
        try await Task.sleep(for: .milliseconds(1500))
        let status = try await client.get("/v1/stories/\(id)")
        #expect(status.status == .ok)
        decoder.dateDecodingStrategy = .iso8601
        let story = try decoder.decode(StoryStatus.self, from: Data((status.body ?? .init()).readableBytesView))
        #expect(story.status == .queued)
        #expect(story.topic == "a fox over postgres")
        // Cancelled, so that no other test's worker on this database picks it up.
        #expect(try await client.delete("/v1/stories/\(id)", body: .init()).status == .ok)
        try await client.shutdown()
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(process.terminationStatus == 0)
    }

    @Test func hashTokenPrintsALineTheTokensFileReads() throws {
        let (process, output, _) = try Self.start(
            ["hash-token", "--name", "alice"], input: "a-long-enough-token-value\n")
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let line = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(line == "alice sha256:\(HexDigest.sha256("a-long-enough-token-value"))\n")
        let tokens = try BearerTokens(parsing: line)
        #expect(tokens.owner(of: "a-long-enough-token-value") == StoryOwner(rawValue: "alice"))
        let (short, _, _) = try Self.start(["hash-token", "--name", "alice"], input: "short\n")
        short.waitUntilExit()
        #expect(short.terminationStatus != 0)
    }

    // MARK: Helpers

    static func start(_ arguments: [String], input: String? = nil) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = try executable()
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        let stdin = Pipe()
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        return (process, output, errors)
    }

    /// The port from the `story-server listening on http://127.0.0.1:<port>` line.
    static func port(from output: Pipe) -> Int? {
        var text = ""
        let handle = output.fileHandleForReading
        while !text.contains("\n") {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        guard let line = text.split(separator: "\n").first(where: { $0.contains("listening on") }),
            let colon = line.lastIndex(of: ":")
        else { return nil }
        return Int(line[line.index(after: colon)...])
    }

    static func executable() throws -> URL {
        let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            packageRoot.appendingPathComponent(".build/debug"),
            Bundle.main.bundleURL,
            Bundle.main.bundleURL.deletingLastPathComponent(),
        ]
        for directory in candidates {
            let url = directory.appendingPathComponent("story-server")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        throw CocoaError(
            .fileNoSuchFile, userInfo: [NSFilePathErrorKey: "story-server (searched \(candidates.map(\.path)))"])
    }
}
