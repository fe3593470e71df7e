import Foundation
import ProviderKitTesting
import Testing

/// Runs the built `provider-chat` executable (SwiftPM builds it next to the test bundle).
@Suite("provider-chat example")
struct ProviderChatTests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static var executable: URL {
        var directory = Bundle.main.bundleURL
        // On Linux the tests run from `.build/<config>/`; on macOS from inside an .xctest bundle.
        while directory.pathComponents.count > 1,
            !FileManager.default.isExecutableFile(atPath: directory.appending(path: "provider-chat").path)
        {
            directory.deleteLastPathComponent()
        }
        return directory.appending(path: "provider-chat")
    }

    func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) throws -> Run {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        let errors = Pipe()
        let input = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
            stderr: String(decoding: err, as: UTF8.self))
    }

    @Test("offline: streams a deterministic story; - reads the prompt from standard input")
    func offline() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable.path), "build provider-chat first")
        let first = try run(["--seed", "5", "a lighthouse in winter"])
        let again = try run(["--seed", "5", "-"], stdin: "a lighthouse in winter\n")
        #expect(first.status == 0)
        #expect(first.stdout.count > 100)
        #expect(first.stdout == again.stdout)
    }

    @Test("offline with --json-schema prints JSON")
    func jsonSchema() throws {
        let schema = FileManager.default.temporaryDirectory.appending(path: "provider-chat-\(UUID().uuidString).json")
        try Data(#"{"type":"object","properties":{"title":{"type":"string"}},"required":["title"]}"#.utf8)
            .write(to: schema)
        defer { try? FileManager.default.removeItem(at: schema) }
        let result = try run(["--json-schema", schema.path, "an idea"])
        #expect(result.status == 0)
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(json?["title"] is String)
    }

    @Test("openai against a server that refuses the key: typed error on stderr, non-zero exit, no key")
    func failure() throws {
        let server = try LoopbackHTTPServer { _ in
            .json(#"{"error":{"message":"Incorrect API key provided","code":"invalid_api_key"}}"#, status: 401)
        }
        defer { server.shutdown() }
        let result = try run(
            ["--provider", "openai", "hello"],
            environment: [
                "OPENAI_BASE_URL": server.baseURL.absoluteString + "/v1", "OPENAI_API_KEY": "sk-hidden-123456",
            ])
        #expect(result.status != 0)
        #expect(result.stderr.contains("authentication"))
        #expect(!result.stderr.contains("sk-hidden-123456"))
        #expect(result.stdout.isEmpty)
    }
}
