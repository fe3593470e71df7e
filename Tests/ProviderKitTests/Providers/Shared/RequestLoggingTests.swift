import Foundation
import Logging
import ProviderKit
import ProviderKitTesting
import Testing

/// A log handler that keeps what it is given (no global bootstrap: the logger is built with it).
private final class CapturingLogHandler: LogHandler, @unchecked Sendable {
    // `@unchecked Sendable`: `records` is guarded by `lock`.
    private let lock = NSLock()
    private var records: [String] = []
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let fields = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        lock.withLock { records.append("\(event.level) \(event.message) \(fields.joined(separator: " "))") }
    }

    var lines: [String] { lock.withLock { records } }
}

@Suite("Request logging")
struct RequestLoggingTests {
    @Test("requests are logged with path, status and duration, and the key never appears")
    func logsWithoutSecrets() async throws {
        let secret = "sk-log-SECRET-987654321"
        let server = try LoopbackHTTPServer { request in
            request.path.hasSuffix("models")
                ? .json(#"{"data":[{"id":"m"}]}"#)
                : .json(#"{"error":{"message":"Incorrect API key provided: \#(secret)"}}"#, status: 401)
        }
        defer { server.shutdown() }
        let handler = CapturingLogHandler()
        let logger = Logger(label: "test") { _ in handler }
        let provider = OpenAICompatibleProvider(
            configuration: .init(baseURL: server.baseURL.appending(path: "v1"), apiKey: secret, logger: logger))
        _ = try await provider.models()
        _ = try? await provider.generate(ChatRequest(messages: [.user("Hi")]))
        let lines = handler.lines
        #expect(lines.count == 2)
        #expect(lines.first?.contains("http.path=models") == true)
        #expect(lines.first?.contains("http.status=200") == true)
        #expect(lines.last?.hasPrefix("warning") == true)
        #expect(lines.last?.contains("http.status=401") == true)
        #expect(lines.allSatisfy { !$0.contains(secret) })
    }
}
