public import Foundation
public import ProviderKit
import StoryForgeCore

/// A provider that records real answers to files and plays them back, so that a host can test
/// its own pipeline deterministically and offline.
///
/// Each answer is one JSON file in the directory, named by the SHA-256 of the canonical request
/// (the same key as the response cache) and holding the request and the answer: no credentials,
/// which are never part of a request. Streams are recorded once complete and replayed as streams.
///
/// ```swift
/// // Once, with the network:
/// let recorder = openAI.recording(to: fixtures, mode: .record, name: "openai")
/// // In tests, offline:
/// let replay = openAI.recording(to: fixtures, mode: .replay, name: "openai")
/// ```
public struct RecordingProvider<Base: Provider>: ProviderDecorator {
    /// What the recorder does.
    public enum Mode: String, Sendable, Hashable {
        /// Calls the provider and writes every answer, replacing older recordings.
        case record
        /// Answers from recordings only; a request with none fails with ``ProviderError/notFound``.
        case replay
        /// Answers from a recording when there is one, and records otherwise.
        case replayOrRecord = "replay_or_record"
    }

    /// The wrapped provider.
    public let base: Base
    /// Where the recordings are.
    public let directory: URL
    /// What it does.
    public let mode: Mode
    /// The provider's name, part of every key.
    public let name: String

    /// Wraps `base`; prefer ``Provider/recording(to:mode:name:)``.
    public init(_ base: Base, directory: URL, mode: Mode, name: String) {
        self.base = base
        self.directory = directory
        self.mode = mode
        self.name = name
    }

    /// The file that holds the recording of `call`.
    public func recordingURL(for call: ProviderCall) -> URL {
        directory.appending(path: CanonicalRequest.key(call, provider: name) + ".json")
    }

    /// Replays or records one call.
    public func intercept<Output: Sendable>(
        _ call: ProviderCall,
        _ operation: @escaping @Sendable () async throws -> Output
    ) async throws -> Output {
        if mode != .record, let stored = try read(call) {
            if let output = stored.output(as: Output.self, origin: origin(call)) { return output }
        }
        guard mode != .replay else { throw missing(call) }
        let output = try await operation()
        if let stored = StoredResponse(output: output) { try write(stored, for: call) }
        return output
    }

    /// Replays or records one stream.
    public func interceptStream(
        _ call: ProviderCall,
        _ open: @escaping @Sendable () -> AsyncThrowingStream<ChatStreamPart, any Error>
    ) -> AsyncThrowingStream<ChatStreamPart, any Error> {
        let recorder = self
        return makeDecoratedStream { continuation in
            if recorder.mode != .record, let parts = try recorder.read(call)?.streamParts {
                for part in parts { continuation.yield(part) }
                return
            }
            guard recorder.mode != .replay else { throw recorder.missing(call) }
            var parts: [ChatStreamPart] = []
            for try await part in open() {
                parts.append(part)
                continuation.yield(part)
            }
            try Task.checkCancellation()
            try recorder.write(StoredResponse(parts), for: call)
        }
    }

    private struct Recording: Codable {
        var request: JSONValue
        var response: StoredResponse
    }

    private func read(_ call: ProviderCall) throws -> StoredResponse? {
        let url = recordingURL(for: call)
        guard let data = try? Data(contentsOf: url) else { return nil }
        do {
            return try JSONDecoder().decode(Recording.self, from: data).response
        } catch {
            throw ProviderError.malformedResponse("the recording \(url.lastPathComponent) cannot be read: \(error)")
        }
    }

    private func write(_ response: StoredResponse, for call: ProviderCall) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let data = try encoder.encode(
                Recording(request: CanonicalRequest.json(call, provider: name), response: response))
            try data.write(to: recordingURL(for: call), options: .atomic)
        } catch {
            throw ProviderError.unsupported("cannot write a recording to \(directory.path): \(error)")
        }
    }

    private func missing(_ call: ProviderCall) -> ProviderError {
        .notFound(
            "no recording of this \(call.operation) request for \(name) in \(directory.path) "
                + "(expected \(recordingURL(for: call).lastPathComponent)); record it first",
            statusCode: nil)
    }

    private func origin(_ call: ProviderCall) -> ResponseOrigin {
        .stored(identity: base.identity, call: call, servedAs: name)
    }
}

extension RecordingProvider: NamedDecorator {
    package var decoratedName: String { name }
}

extension RecordingProvider: TextGenerator where Base: TextGenerator {}
extension RecordingProvider: SpeechSynthesizer where Base: SpeechSynthesizer {}
extension RecordingProvider: Transcriber where Base: Transcriber {}
extension RecordingProvider: ImageGenerator where Base: ImageGenerator {}

extension Provider {
    /// Records answers to files in `directory`, or replays them, by `mode`.
    ///
    /// - Parameter name: the provider's name, part of each file's key.
    public func recording(
        to directory: URL,
        mode: RecordingProvider<Self>.Mode,
        name: String? = nil
    ) -> RecordingProvider<Self> {
        RecordingProvider(self, directory: directory, mode: mode, name: name ?? providerName(of: self))
    }
}
