import Foundation
import ProviderKit
import ProviderKitCache
import ProviderKitTesting
import Testing

/// The SQLite response cache over loopback HTTP.
@Suite("Resilience: response cache")
struct ResilienceCacheTests {
    typealias Fixtures = ResilienceFixtures

    static func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appending(path: "storyforge-cache-\(UUID().uuidString).sqlite").path
    }

    @Test("a repeated deterministic request is served with zero HTTP calls, and the key holds no secret")
    func repeatIsFree() async throws {
        let server = try LoopbackHTTPServer { _ in Fixtures.ok("cached answer") }
        defer { server.shutdown() }
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let cache = try ResponseCache(path: path)
        let generator = Fixtures.provider(server).withCache(cache, name: "openai")

        let first = try await generator.generate(Fixtures.deterministic)
        let second = try await generator.generate(Fixtures.deterministic)
        #expect(server.requests.count == 1)
        #expect(second.text == first.text)
        #expect(second.usage == first.usage)
        #expect(second.origin?.route == ResponseOrigin(provider: "openai", fromCache: true))
        #expect(second.origin?.fingerprint == Fixtures.provider(server).identity.fingerprint)
        #expect(cache.statistics.hits == 1)
        #expect(cache.statistics.misses == 1)

        try cache.flush()
        #expect(cache.statistics.stores == 1)
        for file in [path, path + "-wal"] {
            let bytes = (try? Data(contentsOf: URL(filePath: file))) ?? Data()
            #expect(bytes.range(of: Data(Fixtures.secret.utf8)) == nil)
        }
    }

    @Test("a cache file reopened later still answers, with zero HTTP calls")
    func persistsAcrossOpens() async throws {
        let server = try LoopbackHTTPServer { _ in Fixtures.ok("kept") }
        defer { server.shutdown() }
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let cache = try ResponseCache(path: path)
            _ = try await Fixtures.provider(server).withCache(cache, name: "openai").generate(Fixtures.deterministic)
            try cache.flush()
        }
        let reopened = try ResponseCache(path: path)
        let response = try await Fixtures.provider(server).withCache(reopened, name: "openai")
            .generate(Fixtures.deterministic)
        #expect(response.text == "kept")
        #expect(response.origin?.fromCache == true)
        #expect(server.requests.count == 1)
        #expect(reopened.storedBytes > 0)
    }

    @Test("requests that are not deterministic are not cached by default")
    func nondeterministicPassesThrough() async throws {
        let server = try LoopbackHTTPServer { _ in Fixtures.ok() }
        defer { server.shutdown() }
        let cache = try ResponseCache.inMemory()
        let generator = Fixtures.provider(server).withCache(cache, name: "openai")
        let request = ChatRequest(messages: [.user("Hi")], temperature: 0.8)
        _ = try await generator.generate(request)
        _ = try await generator.generate(request)
        #expect(server.requests.count == 2)
        // A seed makes it deterministic.
        let seeded = ChatRequest(messages: [.user("Hi")], temperature: 0.8, seed: 7)
        _ = try await generator.generate(seeded)
        _ = try await generator.generate(seeded)
        #expect(server.requests.count == 3)
        // Different parameters are different keys.
        _ = try await generator.generate(ChatRequest(messages: [.user("Hi")], temperature: 0.8, seed: 8))
        #expect(server.requests.count == 4)
    }

    @Test("a stream is stored once complete and replayed as the same stream")
    func streamReplay() async throws {
        let server = try LoopbackHTTPServer { _ in Fixtures.completeStream }
        defer { server.shutdown() }
        let cache = try ResponseCache.inMemory()
        let generator = Fixtures.provider(server).withCache(cache, name: "openai")
        var first: [ChatStreamPart] = []
        for try await part in generator.stream(Fixtures.deterministic) { first.append(part) }
        var second: [ChatStreamPart] = []
        for try await part in generator.stream(Fixtures.deterministic) { second.append(part) }
        #expect(server.requests.count == 1)
        #expect(second == first)
        #expect(first.contains(.finish(.stop)))
    }

    @Test("an incomplete stream is not stored")
    func cutStreamNotStored() async throws {
        let server = try LoopbackHTTPServer { _ in .stream([Fixtures.chunk(#"{"content":"par"}"#)]) }
        defer { server.shutdown() }
        let cache = try ResponseCache.inMemory()
        let generator = Fixtures.provider(server).withCache(cache, name: "openai")
        for _ in 0..<2 {
            await #expect(throws: ProviderError.self) {
                for try await _ in generator.stream(Fixtures.deterministic) {}
            }
        }
        #expect(server.requests.count == 2)
        #expect(cache.statistics.stores == 0)
    }

    @Test("entries expire after their time to live")
    func expiry() async throws {
        let server = try LoopbackHTTPServer { _ in Fixtures.ok() }
        defer { server.shutdown() }
        let now = DateBox()
        let cache = try ResponseCache.inMemory(configuration: .init(timeToLive: .seconds(60), now: { now.value }))
        let generator = Fixtures.provider(server).withCache(cache, name: "openai")
        _ = try await generator.generate(Fixtures.deterministic)
        now.value += 59
        _ = try await generator.generate(Fixtures.deterministic)
        #expect(server.requests.count == 1)
        now.value += 2
        _ = try await generator.generate(Fixtures.deterministic)
        #expect(server.requests.count == 2)
        try cache.flush()
        now.value += 61
        #expect(try cache.removeExpired() == 1)
        #expect(cache.storedBytes == 0)
    }

    @Test("the size limit evicts the least recently used entries")
    func sizeLimit() async throws {
        let server = try LoopbackHTTPServer { request in
            Fixtures.ok(String(repeating: "x", count: 600) + String(request.body.count))
        }
        defer { server.shutdown() }
        let cache = try ResponseCache.inMemory(configuration: .init(maxBytes: 2_500))
        let generator = Fixtures.provider(server).withCache(cache, name: "openai")
        for index in 0..<10 {
            _ = try await generator.generate(ChatRequest(messages: [.user("prompt \(index)")], temperature: 0))
        }
        try cache.flush()
        #expect(cache.storedBytes <= 2_500)
        #expect(cache.statistics.evictions > 0)
        // The newest is still there.
        _ = try await generator.generate(ChatRequest(messages: [.user("prompt 9")], temperature: 0))
        #expect(server.requests.count == 10)
    }

    @Test("speech, transcription and images are cached too")
    func otherKinds() async throws {
        let server = try LoopbackHTTPServer { request in
            if request.path.hasSuffix("audio/speech") { return .bytes(Data([1, 2, 3]), contentType: "audio/mpeg") }
            if request.path.hasSuffix("audio/transcriptions") {
                return .json(#"{"text":"hello","language":"en","duration":1.0,"segments":[],"words":[]}"#)
            }
            return .json(#"{"data":[{"b64_json":"iVBORw0KGgo="}]}"#)
        }
        defer { server.shutdown() }
        let cache = try ResponseCache.inMemory()
        let provider = Fixtures.provider(server).withCache(cache, name: "openai")
        for _ in 0..<2 {
            _ = try await provider.synthesize(SpeechRequest(text: "Hello", format: .mp3))
            _ = try await provider.transcribe(TranscriptionRequest(audio: Data([9, 9])))
            _ = try await provider.generateImages(ImageRequest(prompt: "sea", seed: 1))
        }
        #expect(server.requests.count == 3)
        #expect(cache.statistics.hits == 3)
    }
}

/// A date shared with the cache's clock closure.
final class DateBox: @unchecked Sendable {
    // `@unchecked Sendable`: `stored` is only touched under `lock`.
    private let lock = NSLock()
    private var stored = Date(timeIntervalSince1970: 1_800_000_000)

    var value: Date {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
