import Foundation
import StoryServer
import Testing

@Suite struct WebhookSignatureTests {
    private let secret: WebhookSecret
    private let body = Data(#"{"id":"s1","status":"succeeded"}"#.utf8)
    private let signedAt = Date(timeIntervalSince1970: 1_700_000_000)

    init() throws { secret = try WebhookSecret("whsec-0123456789abcdef") }

    /// The vector was made with OpenSSL, not this code:
    /// `printf '%s' '1700000000.{"id":"s1","status":"succeeded"}' | openssl dgst -sha256 -hmac 'whsec-0123456789abcdef'`
    @Test func matchesOpenSSLsHMAC() {
        #expect(
            WebhookSignature.header(body: body, secret: secret, timestamp: signedAt)
                == "t=1700000000,v1=795d818accbda3502ed42cf175ce5c5606be10b0cf2f5629c44aa4c339009398")
    }

    @Test func verifiesItsOwnSignatureWithinTheTolerance() {
        let header = WebhookSignature.header(body: body, secret: secret, timestamp: signedAt)
        #expect(WebhookSignature.verify(header: header, body: body, secret: secret, now: signedAt + 299))
        #expect(WebhookSignature.verify(header: header, body: body, secret: secret, now: signedAt - 299))
    }

    @Test func refusesATamperedBodyAnOldTimestampAnotherSecretAndGarbage() throws {
        let header = WebhookSignature.header(body: body, secret: secret, timestamp: signedAt)
        #expect(!WebhookSignature.verify(header: header, body: body + Data(" ".utf8), secret: secret, now: signedAt))
        #expect(!WebhookSignature.verify(header: header, body: body, secret: secret, now: signedAt + 301))
        let other = try WebhookSecret("another-secret-of-enough-bytes")
        #expect(!WebhookSignature.verify(header: header, body: body, secret: other, now: signedAt))
        // The timestamp is signed: moving it forward breaks the signature.
        let moved = header.replacingOccurrences(of: "t=1700000000", with: "t=1700000100")
        #expect(!WebhookSignature.verify(header: moved, body: body, secret: secret, now: signedAt + 100))
        for garbage in [
            "", "t=", "v1=00", "t=abc,v1=00", "t=1700000000", "t=1700000000,v1=zz",
            "t=9223372036854775807,v1=00", "t=-9223372036854775808,v1=00",
        ] {
            #expect(!WebhookSignature.verify(header: garbage, body: body, secret: secret, now: signedAt))
        }
        #expect(!WebhookSignature.verify(header: nil, body: body, secret: secret, now: signedAt))
    }

    @Test func aShortSecretIsRefusedAndNeverPrinted() throws {
        #expect(throws: StoryServerError.invalidConfiguration("")) { try WebhookSecret("short") }
        #expect(String(describing: secret) == "WebhookSecret(redacted)")
        #expect(try WebhookSecret.fromEnvironment(environment: [:]) == nil)
        #expect(throws: StoryServerError.invalidConfiguration("")) {
            try WebhookSecret.fromEnvironment(environment: [WebhookSecret.environmentVariable: "x"])
        }
    }

    @Test func aSecretFileIsReadWithoutItsNewlineAndAnOversizedOneIsRefused() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("webhook-secret-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("secret")
        try Data("whsec-0123456789abcdef\n".utf8).write(to: file)
        let read = try WebhookSecret.contentsOfFile(file)
        #expect(
            WebhookSignature.header(body: body, secret: read, timestamp: signedAt)
                == WebhookSignature.header(body: body, secret: secret, timestamp: signedAt))
        try Data(repeating: UInt8(ascii: "a"), count: WebhookSecret.maximumFileBytes + 1).write(to: file)
        #expect(throws: StoryServerError.invalidConfiguration("")) { try WebhookSecret.contentsOfFile(file) }
        #expect(throws: StoryServerError.invalidConfiguration("")) {
            try WebhookSecret.contentsOfFile(directory.appendingPathComponent("missing"))
        }
    }
}
