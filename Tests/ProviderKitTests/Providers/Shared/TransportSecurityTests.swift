import Foundation
import ProviderKit
import ProviderKitCache
import ProviderKitTesting
import StoryForgeCore
import Testing

/// What a provider will not do with a key or a link, over real loopback HTTP.
@Suite("Transport security")
struct TransportSecurityTests {
    typealias Fixtures = ResilienceFixtures

    static func provider(
        _ base: URL, apiKey: String? = Fixtures.secret, allowsInsecureHTTP: Bool = false, maxImageBytes: Int = 32 << 20
    ) -> OpenAICompatibleProvider {
        OpenAICompatibleProvider(
            configuration: .init(
                baseURL: base, apiKey: apiKey, chatModel: "test-model", logger: Fixtures.quiet,
                allowsInsecureHTTP: allowsInsecureHTTP, maxImageDownloadBytes: maxImageBytes))
    }

    @Test("a header value with CR/LF or a name that is not a token is refused before anything is sent")
    func refusesHeaderInjection() async throws {
        let server = try LoopbackHTTPServer { _ in Fixtures.ok() }
        defer { server.shutdown() }
        let base = server.baseURL.appending(path: "v1")
        let injectedKey = "sk-injected-SECRET\r\nX-Evil: 1"
        let configurations: [OpenAICompatibleProvider.Configuration] = [
            .init(baseURL: base, apiKey: injectedKey, chatModel: "m", logger: Fixtures.quiet),
            .init(
                baseURL: base, apiKey: Fixtures.secret, chatModel: "m", logger: Fixtures.quiet,
                extraHeaders: ["X-Org": "org\nX-Evil: 1"]),
            .init(
                baseURL: base, apiKey: Fixtures.secret, chatModel: "m", logger: Fixtures.quiet,
                extraHeaders: ["Bad Name": "value"]),
        ]
        for configuration in configurations {
            let provider = OpenAICompatibleProvider(configuration: configuration)
            let error = await #expect(throws: ProviderError.self) { try await provider.generate(Fixtures.request) }
            #expect(error?.code == .badRequest)
            #expect(error?.message.contains("SECRET") == false)
            #expect(error?.message.contains("X-Evil") == false)
            let streamed = await #expect(throws: ProviderError.self) {
                for try await _ in provider.stream(Fixtures.request) {}
            }
            #expect(streamed?.code == .badRequest)
        }
        #expect(server.requests.isEmpty)
    }

    @Test("an API key over http:// to a host that is not loopback is refused before anything is sent")
    func refusesKeyInClear() async throws {
        let server = try LoopbackHTTPServer { _ in Fixtures.ok() }
        defer { server.shutdown() }
        // 0.0.0.0 reaches this machine on Linux, but it is not a loopback name: the check must refuse it.
        let remote = try #require(URL(string: "http://0.0.0.0:\(server.port)/v1"))
        let error = await #expect(throws: ProviderError.self) {
            try await Self.provider(remote).generate(Fixtures.request)
        }
        #expect(error?.code == .insecureTransport)
        #expect(error?.message.contains("allowsInsecureHTTP") == true)
        #expect(error?.message.contains(Fixtures.secret) == false)
        #expect(server.requests.isEmpty)
        // The stream path checks too.
        let streamed = await #expect(throws: ProviderError.self) {
            for try await _ in Self.provider(remote).stream(Fixtures.request) {}
        }
        #expect(streamed?.code == .insecureTransport)
        let voice = ElevenLabsSpeechSynthesizer(
            configuration: .init(baseURL: remote, apiKey: "xi-key-1234", logger: Fixtures.quiet))
        let spoken = await #expect(throws: ProviderError.self) {
            try await voice.synthesize(SpeechRequest(text: "Hi", format: .mp3, wantsWordTimings: false))
        }
        #expect(spoken?.code == .insecureTransport)
        #expect(server.requests.isEmpty)
    }

    @Test("the allow flag, a loopback host or no key lets the same request through")
    func allowedCases() async throws {
        let server = try LoopbackHTTPServer { _ in Fixtures.ok("fine") }
        defer { server.shutdown() }
        let remote = try #require(URL(string: "http://0.0.0.0:\(server.port)/v1"))
        #expect(try await Self.provider(remote, allowsInsecureHTTP: true).generate(Fixtures.request).text == "fine")
        #expect(try await Self.provider(remote, apiKey: nil).generate(Fixtures.request).text == "fine")
        let localhost = try #require(URL(string: "http://localhost:\(server.port)/v1"))
        #expect(try await Self.provider(localhost).generate(Fixtures.request).text == "fine")
        #expect(try await Self.provider(server.baseURL.appending(path: "v1")).generate(Fixtures.request).text == "fine")
        #expect(server.requests.count == 4)
    }

    static func imageAnswer(_ link: String) -> LoopbackHTTPServer.Response {
        .json(#"{"data":[{"url":"\#(link)"}]}"#)
    }

    static let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + Data(repeating: 7, count: 4000)

    @Test("an image link to the server's own scheme, host and port is fetched, without the key")
    func sameOriginImage() async throws {
        let server = try LoopbackHTTPServer { request in
            if request.path.hasSuffix("/images/generations") {
                return Self.imageAnswer(
                    "http://127.0.0.1:\(request.header("Host")?.split(separator: ":").last ?? "")/files/a.png")
            }
            return .bytes(Self.png, contentType: "image/png")
        }
        defer { server.shutdown() }
        let images = try await Self.provider(server.baseURL.appending(path: "v1")).generateImages(
            ImageRequest(prompt: "a lighthouse"))
        #expect(images.map(\.data) == [Self.png])
        let fetch = try #require(server.requests.last)
        #expect(fetch.path == "/files/a.png")
        #expect(fetch.header("Authorization") == nil)
    }

    @Test(
        "an image link elsewhere over plain http, to another port, or not http at all is refused",
        arguments: ["http://169.254.169.254/latest/meta-data", "file:///etc/passwd", "ftp://127.0.0.1/a.png", "OTHER"])
    func foreignImage(link: String) async throws {
        let other = try LoopbackHTTPServer { _ in .bytes(Self.png, contentType: "image/png") }
        defer { other.shutdown() }
        let target = link == "OTHER" ? "\(other.baseURL.absoluteString)/a.png" : link
        let server = try LoopbackHTTPServer { _ in Self.imageAnswer(target) }
        defer { server.shutdown() }
        let error = await #expect(throws: ProviderError.self) {
            try await Self.provider(server.baseURL.appending(path: "v1")).generateImages(ImageRequest(prompt: "x"))
        }
        #expect(error?.code == .insecureTransport, "\(target)")
        #expect(other.requests.isEmpty)
    }

    @Test("an image larger than the configured cap is a responseTooLarge error")
    func imageSizeCap() async throws {
        let server = try LoopbackHTTPServer { request in
            if request.path.hasSuffix("/images/generations") {
                return Self.imageAnswer(
                    "http://127.0.0.1:\(request.header("Host")?.split(separator: ":").last ?? "")/big.png")
            }
            return .bytes(Self.png, contentType: "image/png")
        }
        defer { server.shutdown() }
        let error = await #expect(throws: ProviderError.self) {
            try await Self.provider(server.baseURL.appending(path: "v1"), maxImageBytes: 1000).generateImages(
                ImageRequest(prompt: "x"))
        }
        #expect(error?.code == .responseTooLarge)
    }

    @Test("two servers, or two keys on one server, never share cached answers; the file holds no key")
    func cacheKeySeparation() async throws {
        let first = try LoopbackHTTPServer { _ in Fixtures.ok("first server") }
        defer { first.shutdown() }
        let second = try LoopbackHTTPServer { request in
            Fixtures.ok(request.header("Authorization") == "Bearer sk-key-A-000000" ? "account A" : "account B")
        }
        defer { second.shutdown() }
        let directory = FileManager.default.temporaryDirectory.appending(path: "storyforge-cache-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appending(path: "cache.sqlite").path
        do {
            let cache = try ResponseCache(path: path)
            func ask(_ server: LoopbackHTTPServer, key: String) async throws -> String {
                // The same name for all: only the base URL and the account keep them apart.
                try await Self.provider(server.baseURL.appending(path: "v1"), apiKey: key)
                    .withRetry(.none).withCache(cache, name: "openai").generate(Fixtures.deterministic).text
            }
            #expect(try await ask(first, key: "sk-key-A-000000") == "first server")
            #expect(try await ask(second, key: "sk-key-A-000000") == "account A")
            #expect(try await ask(second, key: "sk-key-B-111111") == "account B")
            // And each is served from the cache the second time.
            #expect(try await ask(second, key: "sk-key-A-000000") == "account A")
            #expect(try await ask(first, key: "sk-key-A-000000") == "first server")
            #expect(first.requests.count == 1)
            #expect(second.requests.count == 2)
            try await Task.sleep(for: .milliseconds(100))  // let the batched writes land
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        for file in files {
            let bytes = try Data(contentsOf: directory.appending(path: file))
            #expect(bytes.range(of: Data("sk-key-A-000000".utf8)) == nil, "\(file) holds an API key")
        }
    }
}
