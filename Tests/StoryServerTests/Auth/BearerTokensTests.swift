import Foundation
import StoryForgeCore
import Testing

@testable import StoryServer

@Suite struct BearerTokensTests {
    @Test func aTokensFileHoldsNamesAndDigestsOnly() throws {
        let text = """
            # two people
            alice sha256:\(HexDigest.sha256("alice-secret-token-1234"))

            bob\tsha256:\(HexDigest.sha256("bob-secret-token-123456"))
            """
        let tokens = try BearerTokens(parsing: text)
        #expect(tokens.entries.map(\.owner.rawValue) == ["alice", "bob"])
        #expect(tokens.owner(of: "alice-secret-token-1234") == StoryOwner(rawValue: "alice"))
        #expect(tokens.owner(of: "bob-secret-token-123456") == StoryOwner(rawValue: "bob"))
        #expect(tokens.owner(of: "alice-secret-token-123") == nil)
        #expect(tokens.owner(of: "") == nil)
        #expect(tokens.owner(of: String(repeating: "x", count: 5000)) == nil)
        #expect(BearerTokens.line(name: "carol", token: "t") == "carol sha256:\(HexDigest.sha256("t"))")
    }

    @Test func badLinesAreRefusedWithTheirNumber() {
        let digest = HexDigest.sha256("x")
        let cases: [(String, String)] = [
            ("alice \(digest)", "line 1"),
            ("alice sha256:\(digest.uppercased())", "line 1"),
            ("alice sha256:abc", "line 1"),
            ("alice sha256:\(digest) extra", "line 1"),
            ("# c\nal/ice sha256:\(digest)", "line 2"),
            ("local sha256:\(digest)", "local"),
            ("a sha256:\(digest)\na sha256:\(HexDigest.sha256("y"))", "twice"),
            ("alice plaintext-token", "line 1"),
        ]
        for (text, expected) in cases {
            #expect(throws: StoryServerError.invalidConfiguration("")) { try BearerTokens(parsing: text) }
            do {
                _ = try BearerTokens(parsing: text)
            } catch let error as StoryServerError {
                #expect(error.message.contains(expected), "\(text): \(error.message)")
                #expect(!error.message.contains(digest), "a digest in the message")
            } catch {
                Issue.record("\(error)")
            }
        }
    }

    @Test func aMissingTokensFileIsAConfigurationError() {
        let url = URL(fileURLWithPath: "/nonexistent/tokens-\(UUID().uuidString)")
        #expect(throws: StoryServerError.invalidConfiguration("")) { try BearerTokens(contentsOf: url) }
    }

    @Test func onlyLoopbackMayServeWithoutTokens() throws {
        for host in ["127.0.0.1", "127.1.2.3", "localhost", "::1", "LOCALHOST"] {
            #expect(ServerBinding.isLoopback(host), "\(host)")
            try ServerBinding.check(host: host, tokens: nil)
        }
        for host in ["0.0.0.0", "::", "192.168.1.4", "127.0.0.1.example.com", "example.com", "127.0.0.256", ""] {
            #expect(!ServerBinding.isLoopback(host), "\(host)")
            #expect(throws: StoryServerError.invalidConfiguration("")) {
                try ServerBinding.check(host: host, tokens: nil)
            }
        }
        try ServerBinding.check(host: "0.0.0.0", tokens: try ServerFixture.tokens)
        #expect(throws: StoryServerError.invalidConfiguration("")) {
            try ServerBinding.check(host: "0.0.0.0", tokens: BearerTokens(entries: []))
        }
    }

    @Test func aBucketRefillsAtItsRate() {
        let limiter = TokenBucketLimiter(rate: .init(perSecond: 2, burst: 3))
        #expect(limiter.take("a", now: 100) == nil)
        #expect(limiter.take("a", now: 100) == nil)
        #expect(limiter.take("a", now: 100) == nil)
        #expect(limiter.take("a", now: 100) == 1)
        #expect(limiter.take("b", now: 100) == nil)
        // Half a second later one request more is allowed (2 a second), and no more.
        #expect(limiter.take("a", now: 100.5) == nil)
        #expect(limiter.take("a", now: 100.5) == 1)
        // Never more than the burst, however long the wait.
        for _ in 0..<3 { #expect(limiter.take("a", now: 10_000) == nil) }
        #expect(limiter.take("a", now: 10_000) != nil)
        let slow = TokenBucketLimiter(rate: .init(perSecond: 0.1, burst: 1))
        #expect(slow.take("a", now: 0) == nil)
        #expect(slow.take("a", now: 0) == 10)
        // Nonsense rates are clamped, not trapped on.
        let clamped = TokenBucketLimiter.Rate(perSecond: .infinity, burst: .nan)
        #expect(clamped.perSecond.isFinite && clamped.burst >= 1)
    }

    @Test func overridesMergeObjectsMemberByMember() {
        let merged = StoryRequestCheck.merge(
            ["render": ["fps": 30, "aspect": "9:16"], "providers": ["text": "template"]],
            ["render": ["aspect": "16:9"], "story": ["seed": 3]])
        #expect(merged["render"] == ["fps": 30, "aspect": "16:9"])
        #expect(merged["providers"] == ["text": "template"])
        #expect(merged["story"] == ["seed": 3])
    }
}
