import Foundation
import ProviderKit
import ProviderKitTesting
import StoryForgeCore
import Testing

/// Pexels' search API over real loopback HTTP: results, attribution, renditions, and its rate limit.
@Suite("Pexels over loopback")
struct PexelsClientTests {
    static let secret = "pexels-SECRET-abcdef0123"

    static func client(_ server: LoopbackHTTPServer, maxWait: Duration = .seconds(3)) -> PexelsClient {
        PexelsClient(configuration: .init(baseURL: server.baseURL, apiKey: secret, maxRateLimitWait: maxWait))
    }

    static func photos(_ base: URL) -> String {
        #"{"page":1,"per_page":15,"total_results":2,"photos":["#
            + #"{"id":101,"width":3000,"height":4500,"url":"https://www.pexels.com/photo/101/","photographer":"Ana Ruiz","#
            + #""photographer_url":"https://www.pexels.com/@ana","src":{"original":"\#(base)files/101.jpg","#
            + #""portrait":"\#(base)files/101-portrait.jpg","landscape":"\#(base)files/101-land.jpg"}},"#
            + #"{"id":"102","width":1e300,"height":-5,"url":"https://www.pexels.com/photo/102/","src":{}}]}"#
    }

    @Test("a photo search sends the key, the keywords and the orientation, and decodes attribution")
    func photoSearch() async throws {
        let server = try LoopbackHTTPServer { request in
            .json(Self.photos(URL(string: "http://127.0.0.1:1/")!))
        }
        defer { server.shutdown() }
        let results = try await Self.client(server).search(
            .photo, keywords: ["lighthouse", "storm"], orientation: "portrait")
        // The second result has no usable size or file: it is dropped, not trapped on.
        #expect(results.count == 1)
        let photo = try #require(results.first)
        #expect(photo.id == "101" && photo.author == "Ana Ruiz" && photo.pageURL == "https://www.pexels.com/photo/101/")
        #expect(photo.downloadURL.absoluteString.hasSuffix("101-portrait.jpg"))
        let request = try #require(server.requests.first)
        #expect(request.path.hasPrefix("/v1/search?"))
        #expect(request.path.contains("query=lighthouse%20storm") && request.path.contains("orientation=portrait"))
        #expect(request.header("Authorization") == Self.secret)
    }

    @Test("a video search picks the smallest rendition at least as large as asked")
    func videoRendition() async throws {
        let server = try LoopbackHTTPServer { _ in
            .json(
                #"{"videos":[{"id":7,"url":"https://www.pexels.com/video/7/","duration":12,"#
                    + #""user":{"name":"Kai","url":"https://www.pexels.com/@kai"},"video_files":["#
                    + #"{"width":360,"height":640,"file_type":"video/mp4","link":"https://cdn/360.mp4"},"#
                    + #"{"width":2160,"height":3840,"file_type":"video/mp4","link":"https://cdn/2160.mp4"},"#
                    + #"{"width":1080,"height":1920,"file_type":"video/mp4","link":"https://cdn/1080.mp4"}]}]}"#)
        }
        defer { server.shutdown() }
        let videos = try await Self.client(server).search(
            .video, keywords: ["sea"], orientation: "portrait", width: 540, height: 960)
        let video = try #require(videos.first)
        #expect(video.downloadURL.absoluteString == "https://cdn/1080.mp4")
        #expect(video.seconds == 12 && video.author == "Kai")
        #expect(server.requests.first?.path.hasPrefix("/videos/search?") == true)
    }

    @Test("a 429 waits for X-Ratelimit-Reset and tries once more")
    func waitsOutA429() async throws {
        let calls = MediaRequestCounter()
        let server = try LoopbackHTTPServer { _ in
            if calls.next() == 0 {
                let reset = Int(Date().timeIntervalSince1970) + 1
                return .json(
                    #"{"error":"Rate limit exceeded"}"#, status: 429,
                    headers: [
                        ("X-Ratelimit-Limit", "200"), ("X-Ratelimit-Remaining", "0"), ("X-Ratelimit-Reset", "\(reset)"),
                    ])
            }
            return .json(#"{"photos":[]}"#, headers: [("X-Ratelimit-Remaining", "199")])
        }
        defer { server.shutdown() }
        let results = try await Self.client(server).search(.photo, keywords: ["sea"], orientation: nil)
        #expect(results.isEmpty)
        #expect(calls.value == 2)
    }

    @Test("a reset further off than the client waits is a rate-limit error with the wait, without the key")
    func longResetIsAnError() async throws {
        let server = try LoopbackHTTPServer { _ in
            .json(
                #"{"error":"Rate limit exceeded"}"#, status: 429,
                headers: [
                    ("X-Ratelimit-Remaining", "0"),
                    ("X-Ratelimit-Reset", "\(Int(Date().timeIntervalSince1970) + 3600)"),
                ])
        }
        defer { server.shutdown() }
        let error = await #expect(throws: ProviderError.self) {
            _ = try await Self.client(server, maxWait: .milliseconds(100)).search(
                .photo, keywords: ["sea"], orientation: nil)
        }
        #expect(error?.code == .rateLimited)
        #expect((error?.retryAfter ?? .zero) > .seconds(3000))
        #expect(server.requests.count == 1)
        #expect(!"\(String(describing: error))".contains(Self.secret))
    }

    @Test("a spent limit is waited out before the next call")
    func spentLimitWaits() async throws {
        let calls = MediaRequestCounter()
        let server = try LoopbackHTTPServer { _ in
            // Whole seconds: +2 is 1 to 2 s away.
            let reset = Int(Date().timeIntervalSince1970) + 2
            return .json(
                #"{"photos":[]}"#,
                headers: [("X-Ratelimit-Remaining", calls.next() == 0 ? "0" : "5"), ("X-Ratelimit-Reset", "\(reset)")])
        }
        defer { server.shutdown() }
        let client = Self.client(server)
        _ = try await client.search(.photo, keywords: ["a1"], orientation: nil)
        let start = Date()
        _ = try await client.search(.photo, keywords: ["b2"], orientation: nil)
        #expect(Date().timeIntervalSince(start) > 0.2)
    }

    @Test("downloads go without the key and only over https or to Pexels' own server")
    func downloads() async throws {
        let server = try LoopbackHTTPServer { _ in .bytes(Data([0xFF, 0xD8, 0xFF, 0xE0]), contentType: "image/jpeg") }
        defer { server.shutdown() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pexels-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let client = Self.client(server)
        let local = StockMedia(
            id: "1", kind: .photo, width: 10, height: 10, pageURL: "p", author: "a", authorURL: nil,
            downloadURL: server.baseURL.appending(path: "files/1.jpg"))
        try await client.download(local, to: directory.appendingPathComponent("1.jpg"))
        #expect(try Data(contentsOf: directory.appendingPathComponent("1.jpg")).count == 4)
        #expect(server.requests.last?.header("Authorization") == nil)
        var elsewhere = local
        elsewhere.downloadURL = URL(string: "http://198.51.100.7/evil.jpg")!
        let error = await #expect(throws: ProviderError.self) {
            try await client.download(elsewhere, to: directory.appendingPathComponent("2.jpg"))
        }
        #expect(error?.code == .insecureTransport)
    }
}
