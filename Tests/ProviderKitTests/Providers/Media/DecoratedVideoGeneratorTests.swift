import Foundation
import ProviderKit
import ProviderKitTesting
import Testing

/// Clip generators get the decorators every other provider gets: retry, circuit breaker, fallback, cost; with the
/// real OpenAI video provider over loopback HTTP.
@Suite("Decorated video generators")
struct DecoratedVideoGeneratorTests {
    typealias Video = OpenAIVideoGeneratorTests

    /// A `/v1/videos` server whose first `failures` creates answer `status`, then completes every job at once.
    static func server(failingFirst failures: Int, status: Int = 503) throws -> LoopbackHTTPServer {
        let creates = MediaRequestCounter()
        return try LoopbackHTTPServer { request in
            switch (request.method, request.path) {
            case ("POST", "/v1/videos"):
                if creates.next() < failures {
                    return .json(#"{"error":{"message":"overloaded"}}"#, status: status)
                }
                return .json(#"{"id":"video_1","status":"queued"}"#)
            case ("GET", "/v1/videos/video_1"):
                return .json(#"{"id":"video_1","status":"completed","seconds":"4"}"#)
            case ("GET", "/v1/videos/video_1/content"):
                return .bytes(Video.mp4Prefix, contentType: "video/mp4")
            default:
                return .json(#"{"error":{"message":"no route"}}"#, status: 404)
            }
        }
    }

    @Test("a retried clip: the overloaded create is made again after the backoff, and the clip is written")
    func retry() async throws {
        let server = try Self.server(failingFirst: 1)
        defer { server.shutdown() }
        let directory = try Video.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let clock = VirtualProviderClock()
        let generator = Video.generator(server).withRetry(
            .exponentialJitter(maxAttempts: 3, initialDelay: .milliseconds(500), jitter: .none), clock: clock)
        let destination = directory.appendingPathComponent("clip.mp4")
        let clip = try await generator.generateClip(ClipRequest(prompt: "surf", seconds: 4), to: destination)
        #expect(try Data(contentsOf: clip.file) == Video.mp4Prefix)
        #expect(server.requests.filter { $0.method == "POST" }.count == 2)
        #expect(clock.sleeps == [.milliseconds(500)])
    }

    @Test("a breaker opens after failing clips and then refuses without calling the server")
    func breaker() async throws {
        let server = try Self.server(failingFirst: .max, status: 500)
        defer { server.shutdown() }
        let directory = try Video.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let generator = Video.generator(server).withCircuitBreaker(
            name: "video", .init(failureRatio: 0.5, minimumCalls: 2))
        let request = ClipRequest(prompt: "surf", seconds: 4)
        for _ in 0..<2 {
            await #expect(throws: ProviderError.self) {
                _ = try await generator.generateClip(request, to: directory.appendingPathComponent("clip.mp4"))
            }
        }
        let calls = server.requests.count
        let refused = await #expect(throws: ProviderError.self) {
            _ = try await generator.generateClip(request, to: directory.appendingPathComponent("clip.mp4"))
        }
        #expect(refused?.code == .circuitOpen)
        #expect(server.requests.count == calls)
    }

    @Test("a fallback makes the clip with the second provider and says so in its origin")
    func fallback() async throws {
        let primary = try Self.server(failingFirst: .max, status: 500)
        defer { primary.shutdown() }
        let secondary = try Self.server(failingFirst: 0)
        defer { secondary.shutdown() }
        let directory = try Video.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let generator = Video.generator(primary).fallback(
            to: Video.generator(secondary), name: "first", fallbackName: "second")
        let clip = try await generator.generateClip(
            ClipRequest(prompt: "surf", seconds: 4), to: directory.appendingPathComponent("clip.mp4"))
        #expect(try Data(contentsOf: clip.file) == Video.mp4Prefix)
        #expect(clip.origin?.usedFallback == true)
        #expect(secondary.requests.contains { $0.method == "POST" })
    }

    @Test("a clip's cost is its requested seconds at the model's price; a length that is not a number costs nothing")
    func cost() throws {
        let prices = PriceTable(["sora-2": ModelPrice(perVideoSecond: 0.1)])
        let call = ProviderCall(.video(ClipRequest(prompt: "surf", seconds: 8, model: "sora-2")))
        #expect(call.operation == "video")
        #expect(call.role == .video)
        #expect(call.model == "sora-2")
        #expect(abs(prices.estimate(call, model: "sora-2") - 0.8) < 1e-9)
        #expect(prices.cost(call, model: "sora-2", usage: nil) == prices.estimate(call, model: "sora-2"))
        for seconds in [Double.nan, -4, .infinity] {
            #expect(
                prices.estimate(ProviderCall(.video(ClipRequest(prompt: "x", seconds: seconds))), model: "sora-2") == 0)
        }
        let decoded = try JSONDecoder().decode(ModelPrice.self, from: Data(#"{"perVideoSecond": 0.25}"#.utf8))
        #expect(decoded.perVideoSecond == 0.25)
        #expect(try JSONDecoder().decode(ModelPrice.self, from: Data("{}".utf8)).perVideoSecond == 0)
    }

    @Test("the ledger books the seconds of video a clip was asked for")
    func ledger() async {
        let ledger = CostLedger()
        let call = ProviderCall(.video(ClipRequest(prompt: "surf", seconds: 6)))
        await ledger.record(provider: "openai", call: call, usage: nil, audioSeconds: nil, cost: 0.6)
        await ledger.record(
            provider: "openai", call: ProviderCall(.video(ClipRequest(prompt: "x", seconds: .nan))), usage: nil,
            audioSeconds: nil, cost: 0)
        let usage = await ledger.usageByProvider["openai"]
        #expect(usage?.videoSeconds == 6)
        #expect(usage?.calls == 2)
    }
}
