import Foundation
import MCP
import Testing

#if canImport(System)
    import System
#else
    import SystemPackage
#endif

/// `story-server mcp` as an agent starts it: a child process, the MCP SDK's own `Client` on its standard input and
/// output, a short offline story made by the command's in-process workers.
@Suite(.serialized) struct MCPStdioTests {
    @Test(.timeLimit(.minutes(10))) func anAgentMakesAStoryOverStdioAndReadsItsManifestAndVideo()
        async throws
    {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "mcp-stdio-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let child = try MCPChild(arguments: [
            "mcp", "--store", directory.appendingPathComponent("store").path,
        ])
        defer { child.stop() }

        let client = Client(name: "storyforge-tests", version: "1")
        let initialized = try await client.connect(transport: child.transport)
        #expect(initialized.serverInfo.name == "storyforge")
        #expect(initialized.capabilities.tools != nil && initialized.capabilities.resources != nil)
        #expect(initialized.instructions?.contains("create_story_video") == true)

        try await MCPScenario.run(client, topic: "a lighthouse keeper's last night")
        await client.disconnect()

        // Closing standard input is how an agent says goodbye: the command exits 0.
        let status = try await child.closeInputAndWait(timeout: .seconds(30))
        #expect(status == 0, "\(child.errorOutput())")
    }

    @Test(.timeLimit(.minutes(1))) func aBrokenLineIsAParseErrorAndTheServerKeepsServing()
        async throws
    {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "mcp-stdio-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let child = try MCPChild(arguments: [
            "mcp", "--store", directory.appendingPathComponent("store").path,
        ])
        defer { child.stop() }

        try child.write(
            #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","#)
        // The rest of that object never comes: the line ends, and what follows is a new message.
        try child.write("\n" + #"{"jsonrpc": "2.0", "id": 2, "method": "tools/list"}"# + "\n")
        let first = try await child.readLine(timeout: .seconds(20))
        #expect(first.contains("\"code\":-32700"), "a parse error: \(first)")
        let second = try await child.readLine(timeout: .seconds(20))
        #expect(second.contains("create_story_video"), "\(second)")
    }
}

/// `story-server` as a child process with pipes on its standard input and output (its standard error to a file).
final class MCPChild: @unchecked Sendable {
    // @unchecked: the Process and pipes are set up in init and only read after; Foundation's Pipe is not Sendable.
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let log: URL
    private var buffered = Data()

    init(arguments: [String]) throws {
        log = FileManager.default.temporaryDirectory.appendingPathComponent(
            "mcp-child-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = try Self.executable("story-server")
        process.arguments = arguments
        process.standardInput = input
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
    }

    /// The SDK's stdio transport on the child's pipes: it writes to the child's input, reads its output.
    var transport: StdioTransport {
        StdioTransport(
            input: FileDescriptor(rawValue: output.fileHandleForReading.fileDescriptor),
            output: FileDescriptor(rawValue: input.fileHandleForWriting.fileDescriptor))
    }

    func write(_ text: String) throws {
        try input.fileHandleForWriting.write(contentsOf: Data(text.utf8))
    }

    /// One line of the child's output, without its newline.
    func readLine(timeout: Duration) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let newline = buffered.firstIndex(of: UInt8(ascii: "\n")) {
                let line = buffered[..<newline]
                buffered = Data(buffered[(newline + 1)...])
                return String(decoding: line, as: UTF8.self)
            }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            buffered.append(chunk)
        }
        throw ChildError(message: "no line from story-server within \(timeout): \(errorOutput())")
    }

    /// Closes the child's standard input and waits for it to exit; its exit status.
    func closeInputAndWait(timeout: Duration) async throws -> Int32 {
        try input.fileHandleForWriting.close()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                throw ChildError(
                    message: "story-server mcp still running \(timeout) after its input closed")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        return process.terminationStatus
    }

    func errorOutput() -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: log)
    }

    struct ChildError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    private static func executable(_ name: String) throws -> URL {
        let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            Bundle.main.bundleURL.deletingLastPathComponent(),
            packageRoot.appendingPathComponent(".build/debug"),
        ]
        for directory in candidates {
            let url = directory.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        throw ChildError(
            message: "\(name) is not built next to the tests; run swift build --build-tests")
    }
}
