import Foundation
import Testing

@testable import StoryServer

@Suite struct WebhookTargetPolicyTests {
    private let strict = WebhookTargetPolicy()
    private let lenient = WebhookTargetPolicy(allowPrivateAddresses: true)

    @Test(arguments: [
        "127.0.0.1", "127.255.0.9", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "100.64.0.1",
        "100.127.255.254", "169.254.169.254", "0.0.0.0", "224.0.0.1", "239.255.255.250", "255.255.255.255",
        "[::1]", "[::]", "[fc00::1]", "[fd12:3456::1]", "[fe80::1]", "[ff02::1]", "[::ffff:127.0.0.1]",
        "[::ffff:10.0.0.1]", "[64:ff9b::a00:1]", "localhost", "api.localhost",
    ])
    func refusesRestrictedLiteralsByDefault(host: String) throws {
        #expect(throws: StoryServerError.invalidRequest("")) { try strict.checkURL("https://\(host)/hook") }
        #expect(try lenient.checkURL("https://\(host)/hook").host != nil)
    }

    @Test(arguments: ["8.8.8.8", "1.1.1.1", "100.128.0.1", "172.32.0.1", "192.169.0.1", "[2606:4700::1111]"])
    func allowsPublicLiterals(host: String) throws {
        #expect(try strict.checkURL("http://\(host):8080/hook?token=abc").port == 8080)
    }

    @Test(arguments: [
        "ftp://example.com/hook", "file:///etc/passwd", "gopher://example.com", "example.com/hook", "https://",
        "https://user:pass@example.com/hook", "https://example.com:0/hook",
    ])
    func refusesOtherSchemesCredentialsAndMalformedURLs(url: String) {
        #expect(throws: StoryServerError.invalidRequest("")) { try lenient.checkURL(url) }
    }

    @Test func refusesAnOverlongURL() {
        let url = "https://example.com/" + String(repeating: "a", count: WebhookTargetPolicy.maximumURLBytes)
        #expect(throws: StoryServerError.invalidRequest("")) { try strict.checkURL(url) }
    }

    /// A name is resolved (through /etc/hosts here) and connects to what it resolved to.
    @Test func resolvesAName() async throws {
        let target = try await lenient.resolve(try #require(URL(string: "http://localhost:9/hook")))
        #expect(["127.0.0.1", "::1"].contains(target.address))
        await #expect(throws: StoryServerError.invalidRequest("")) {
            try await strict.resolve(try #require(URL(string: "http://LocalHost.:9/hook")))
        }
    }

    /// Every address of a name must pass: one private address among public ones refuses the name (a DNS answer
    /// that mixes them is how rebinding attacks start).
    @Test func oneRestrictedAddressAmongPublicOnesRefusesTheName() throws {
        let public4 = try #require(IPAddressBytes("93.184.215.14"))
        let public6 = try #require(IPAddressBytes("2606:2800:21f:cb07:6820:80da:af6b:8b2c"))
        let private4 = try #require(IPAddressBytes("10.0.0.7"))
        #expect(try strict.checked([public4, public6], host: "example.com") == "93.184.215.14")
        #expect(throws: StoryServerError.invalidRequest("")) {
            try strict.checked([public4, private4], host: "example.com")
        }
        #expect(try lenient.checked([private4, public4], host: "example.com") == "10.0.0.7")
        #expect(throws: StoryServerError.unavailable("")) { try strict.checked([], host: "example.com") }
    }

    @Test func aLiteralAddressIsItsOwnTarget() async throws {
        let target = try await lenient.resolve(try #require(URL(string: "http://127.0.0.1:9/hook")))
        #expect(target.address == "127.0.0.1")
        let v6 = try await strict.resolve(try #require(URL(string: "https://[2606:4700::1111]/hook")))
        #expect(v6.address == "2606:4700::1111")
    }

    @Test func aNameThatDoesNotResolveIsUnavailableNotRefused() async throws {
        // .invalid never resolves (RFC 2606).
        let url = try #require(URL(string: "https://no-such-host.invalid/hook"))
        await #expect(throws: StoryServerError.unavailable("")) { try await strict.resolve(url) }
    }
}
