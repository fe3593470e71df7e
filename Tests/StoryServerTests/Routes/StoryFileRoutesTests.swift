import Foundation
import Hummingbird
import HummingbirdTesting
import StoryForgeCore
import Testing

@testable import StoryServer

/// `GET /v1/stories/{id}/files/{name}` over real HTTP, on an export written where the runner writes one.
@Suite struct StoryFileRoutesTests {
    /// 1000 bytes whose values tell their offsets apart.
    static let video = Data((0..<1000).map { UInt8($0 % 251) })
    static let subtitles = Data("1\n00:00:00,000 --> 00:00:01,000\nHello\n".utf8)
    static let keyframe = Data([0x89, 0x50, 0x4e, 0x47, 1, 2, 3])

    @Test func filesOfTheManifestAreServedWithRangesAndTags() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        try await fixture.withServer(tokens: try ServerFixture.tokens) { client in
            let id = try await client.call(.post, "/v1/stories", json: #"{"topic": "a fox"}"#)
                .decode(StoryCreated.self).id
            // Not finished yet: no files.
            #expect(try await client.call(.get, "/v1/stories/\(id)/files/video.mp4").status == .notFound)
            try await fixture.finish(
                id,
                files: [
                    "video.mp4": Self.video, "subtitles.srt": Self.subtitles, "keyframes/shot-01.png": Self.keyframe,
                ])

            let status = try await client.call(.get, "/v1/stories/\(id)").decode(StoryStatus.self)
            #expect(status.status == .succeeded)
            #expect(status.fraction == 1)
            #expect(status.title == "The Keeper")
            #expect(status.costUSD == 0.25)
            let video = try #require(status.files.first { $0.name == "video.mp4" })
            #expect(video.size == 1000)
            #expect(video.sha256 == HexDigest.sha256(Self.video))
            #expect(video.contentType == "video/mp4")
            #expect(video.url == "/v1/stories/\(id)/files/video.mp4")
            #expect(
                Set(status.files.map(\.name)) == [
                    "video.mp4", "subtitles.srt", "keyframes/shot-01.png", "manifest.json",
                ])

            let whole = try await client.call(.get, video.url)
            #expect(whole.status == .ok)
            #expect(Data(whole.body.readableBytesView) == Self.video)
            #expect(whole.headers[.contentType] == "video/mp4")
            #expect(whole.headers[.acceptRanges] == "bytes")
            let etag = try #require(whole.headers[.eTag])
            #expect(etag == "\"\(HexDigest.sha256(Self.video))\"")

            let part = try await client.call(.get, video.url, headers: [.range: "bytes=100-199"])
            #expect(part.status == .partialContent)
            #expect(part.headers[.contentRange] == "bytes 100-199/1000")
            #expect(Data(part.body.readableBytesView) == Self.video[100..<200])
            let open = try await client.call(.get, video.url, headers: [.range: "bytes=990-"])
            #expect(open.status == .partialContent)
            #expect(Data(open.body.readableBytesView) == Self.video[990..<1000])
            let suffix = try await client.call(.get, video.url, headers: [.range: "bytes=-5"])
            #expect(suffix.headers[.contentRange] == "bytes 995-999/1000")
            let clamped = try await client.call(.get, video.url, headers: [.range: "bytes=900-5000"])
            #expect(clamped.headers[.contentRange] == "bytes 900-999/1000")

            let past = try await client.call(.get, video.url, headers: [.range: "bytes=1000-1001"])
            #expect(past.status == .rangeNotSatisfiable)
            #expect(past.headers[.contentRange] == "bytes */1000")
            let several = try await client.call(.get, video.url, headers: [.range: "bytes=0-1,5-6"])
            #expect(several.status == .ok)

            let cached = try await client.call(.get, video.url, headers: [.ifNoneMatch: etag])
            #expect(cached.status == .notModified)
            #expect(cached.body.readableBytes == 0)
            let stale = try await client.call(.get, video.url, headers: [.ifNoneMatch: "\"0000\""])
            #expect(stale.status == .ok)
            let ifRange = try await client.call(
                .get, video.url, headers: [.range: "bytes=0-9", .ifRange: "\"another\""])
            #expect(ifRange.status == .ok)

            let srt = try await client.call(.get, "/v1/stories/\(id)/files/subtitles.srt")
            #expect(srt.headers[.contentType] == "application/x-subrip")
            let png = try await client.call(.get, "/v1/stories/\(id)/files/keyframes/shot-01.png")
            #expect(png.status == .ok)
            #expect(png.headers[.contentType] == "image/png")
            #expect(Data(png.body.readableBytesView) == Self.keyframe)
            let manifest = try await client.call(.get, "/v1/stories/\(id)/files/manifest.json")
            #expect(manifest.headers[.contentType] == "application/json")
            #expect(manifest.text.contains("The Keeper"))
        }
    }

    @Test func namesOutsideTheManifestAreNotFound() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        // A file beside the export that the manifest does not list, and one outside the store.
        try await fixture.withServer(tokens: try ServerFixture.tokens) { client in
            let id = try await client.call(.post, "/v1/stories", json: #"{"topic": "a fox"}"#)
                .decode(StoryCreated.self).id
            try await fixture.finish(id, files: ["video.mp4": Self.video])
            let directory = fixture.store.appendingPathComponent("exports/job-\(id)")
            try Data("secret".utf8).write(to: directory.appendingPathComponent("unlisted.txt"))
            try Data("secret".utf8).write(to: fixture.root.appendingPathComponent("outside.txt"))
            let names = [
                "unlisted.txt", "../../outside.txt", "..%2F..%2Foutside.txt", "%2e%2e/%2e%2e/outside.txt",
                "%2E%2E%2F%2E%2E%2Foutside.txt", "/etc/passwd", "%2Fetc%2Fpasswd", "video.mp4%00", "video.mp4%00.txt",
                "./video.mp4", "VIDEO.MP4", "%zz", "..", "keyframes/../video.mp4",
            ]
            for name in names {
                let response = try await client.call(.get, "/v1/stories/\(id)/files/\(name)")
                #expect(response.status == .notFound, "\(name)")
                #expect(!response.text.contains("secret"), "\(name)")
            }
            #expect(try await client.call(.get, "/v1/stories/\(id)/files/video.mp4").status == .ok)
        }
    }

    @Test func rangeHeadersParseAsRFC9110Says() {
        #expect(FileResponse.parse(nil, size: 10) == .whole)
        #expect(FileResponse.parse("bytes=0-0", size: 10) == .bytes(0...0))
        #expect(FileResponse.parse("bytes=2-", size: 10) == .bytes(2...9))
        #expect(FileResponse.parse("bytes=-3", size: 10) == .bytes(7...9))
        #expect(FileResponse.parse("bytes=-30", size: 10) == .bytes(0...9))
        #expect(FileResponse.parse("bytes=10-", size: 10) == .unsatisfiable)
        #expect(FileResponse.parse("bytes=-0", size: 10) == .unsatisfiable)
        #expect(FileResponse.parse("bytes=5-2", size: 10) == .whole)
        #expect(FileResponse.parse("bytes=a-b", size: 10) == .whole)
        #expect(FileResponse.parse("items=0-1", size: 10) == .whole)
        #expect(FileResponse.parse("bytes=99999999999999999999-", size: 10) == .whole)
        #expect(FileResponse.matches("W/\"abc\", \"def\"", etag: "\"abc\""))
        #expect(FileResponse.matches("*", etag: "\"abc\""))
        #expect(!FileResponse.matches("\"abd\"", etag: "\"abc\""))
    }
}
