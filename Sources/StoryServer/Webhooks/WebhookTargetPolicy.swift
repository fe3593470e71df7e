public import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Which webhook URLs the server will POST to: `http` or `https` only, and by default only to public addresses,
/// so that a story's `webhook_url` cannot make the server reach into its own network (SSRF).
///
/// Refused unless ``allowPrivateAddresses`` (`story-server --allow-private-webhooks`): loopback, private
/// (RFC 1918, `fc00::/7`), link-local, shared CGNAT space (RFC 6598), multicast, unspecified and reserved
/// addresses, and IPv6 forms that embed such an IPv4 address. A host name is resolved and **every** address it
/// has must pass; the delivery then connects to the checked address (``WebhookTarget/address``), so a DNS answer
/// that changes in between (rebinding) is never used.
public struct WebhookTargetPolicy: Sendable, Hashable {
    /// The longest webhook URL accepted: 2048 bytes, the practical URL limit browsers and proxies share.
    public static let maximumURLBytes = 2048

    /// Whether loopback, private, link-local and the other restricted addresses are allowed (for a receiver on
    /// the same machine or network, and for tests).
    public var allowPrivateAddresses: Bool

    /// Creates a policy; the default refuses restricted addresses.
    public init(allowPrivateAddresses: Bool = false) {
        self.allowPrivateAddresses = allowPrivateAddresses
    }

    /// Checks a URL's form without resolving it (for `POST /v1/stories`): `http`/`https`, a host, no user name
    /// or password, at most ``maximumURLBytes``; a literal address or `localhost` must be allowed by the policy.
    ///
    /// - Throws: ``StoryServerError`` `invalidRequest` naming `webhook_url`.
    public func checkURL(_ text: String) throws -> URL {
        guard text.utf8.count <= Self.maximumURLBytes else {
            throw StoryServerError.invalidRequest("webhook_url is longer than \(Self.maximumURLBytes) bytes")
        }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https"
        else {
            throw StoryServerError.invalidRequest("webhook_url must be an absolute http or https URL")
        }
        guard let host = url.host(percentEncoded: false), !host.isEmpty else {
            throw StoryServerError.invalidRequest("webhook_url has no host")
        }
        guard url.user == nil, url.password == nil else {
            throw StoryServerError.invalidRequest("webhook_url must not carry a user name or password")
        }
        if let port = url.port, !(1...65535).contains(port) {
            throw StoryServerError.invalidRequest("webhook_url's port \(port) is not 1 to 65535")
        }
        if !allowPrivateAddresses {
            let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            if let bytes = IPAddressBytes(bare), let reason = bytes.restriction {
                throw StoryServerError.invalidRequest(
                    "webhook_url points at a \(reason) address (\(bare)); the server refuses those unless started "
                        + "with --allow-private-webhooks")
            }
            // A trailing dot (the root) names the same host.
            let lower = bare.lowercased().hasSuffix(".") ? String(bare.lowercased().dropLast()) : bare.lowercased()
            if lower == "localhost" || lower.hasSuffix(".localhost") {
                throw StoryServerError.invalidRequest(
                    "webhook_url points at localhost; the server refuses it unless started with --allow-private-webhooks"
                )
            }
        }
        return url
    }

    /// Resolves the URL's host and checks every address: the target to connect to.
    ///
    /// - Throws: ``StoryServerError`` `invalidRequest` when the URL is malformed or an address is restricted (a
    ///   permanent refusal), `unavailable` when the name does not resolve (which may pass: retried).
    public func resolve(_ url: URL) async throws -> WebhookTarget {
        let url = try checkURL(url.absoluteString)
        let host = (url.host(percentEncoded: false) ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        let addresses: [IPAddressBytes]
        if let literal = IPAddressBytes(host) {
            addresses = [literal]
        } else {
            addresses = try await Self.lookUp(host)
        }
        return WebhookTarget(url: url, address: try checked(addresses, host: host))
    }

    /// The address to connect to, once every one of the host's addresses passed.
    func checked(_ addresses: [IPAddressBytes], host: String) throws -> String {
        guard let first = addresses.first else {
            throw StoryServerError.unavailable("the webhook host \(host) has no address")
        }
        if !allowPrivateAddresses {
            for address in addresses {
                if let reason = address.restriction {
                    throw StoryServerError.invalidRequest(
                        "the webhook host \(host) resolves to a \(reason) address (\(address)); the server refuses "
                            + "those unless started with --allow-private-webhooks")
                }
            }
        }
        return first.description
    }

    /// getaddrinfo on a thread of its own (it blocks, and must not hold a cooperative-pool thread).
    private static func lookUp(_ host: String) async throws -> [IPAddressBytes] {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                var hints = addrinfo()
                hints.ai_family = AF_UNSPEC
                #if canImport(Glibc)
                    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
                #else
                    hints.ai_socktype = SOCK_STREAM
                #endif
                var list: UnsafeMutablePointer<addrinfo>?
                let status = getaddrinfo(host, nil, &hints, &list)
                guard status == 0, let list else {
                    let reason = String(cString: gai_strerror(status))
                    continuation.resume(
                        throwing: StoryServerError.unavailable("the webhook host \(host) does not resolve: \(reason)"))
                    return
                }
                defer { freeaddrinfo(list) }
                var found: [IPAddressBytes] = []
                var entry: UnsafeMutablePointer<addrinfo>? = list
                while let current = entry {
                    if let address = IPAddressBytes(current.pointee.ai_addr), !found.contains(address) {
                        found.append(address)
                    }
                    entry = current.pointee.ai_next
                }
                continuation.resume(returning: found)
            }
            thread.name = "webhook.resolve"
            thread.start()
        }
    }
}

/// A webhook URL whose addresses passed the policy, and the one address to connect to.
public struct WebhookTarget: Sendable, Hashable {
    /// The URL (its host goes into `Host`, SNI and the certificate check).
    public var url: URL
    /// The checked IP address the delivery connects to.
    public var address: String
}

/// An IPv4 (4 bytes) or IPv6 (16 bytes) address.
struct IPAddressBytes: Hashable, Sendable, CustomStringConvertible {
    let bytes: [UInt8]

    init?(_ text: String) {
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
        } else if inet_pton(AF_INET6, text, &v6) == 1 {
            bytes = withUnsafeBytes(of: &v6) { Array($0) }
        } else {
            return nil
        }
    }

    init?(_ socketAddress: UnsafeMutablePointer<sockaddr>?) {
        guard let socketAddress else { return nil }
        switch Int32(socketAddress.pointee.sa_family) {
        case AF_INET:
            bytes = socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                withUnsafeBytes(of: pointer.pointee.sin_addr) { Array($0) }
            }
        case AF_INET6:
            bytes = socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                withUnsafeBytes(of: pointer.pointee.sin6_addr) { Array($0) }
            }
        default:
            return nil
        }
    }

    init(bytes: [UInt8]) { self.bytes = bytes }

    var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        let written = bytes.withUnsafeBytes { raw in
            inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count))
        }
        guard written != nil else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Why the address is refused by default, or `nil` for a public one.
    var restriction: String? {
        bytes.count == 4 ? Self.restriction(v4: bytes) : Self.restriction(v6: bytes)
    }

    /// IPv4 special-purpose blocks (IANA's registry, RFC 6890) a webhook must not reach.
    private static func restriction(v4 b: [UInt8]) -> String? {
        switch (b[0], b[1]) {
        case (0, _): return "unspecified"  // 0.0.0.0/8, "this network" (RFC 1122)
        case (10, _): return "private"  // RFC 1918
        case (100, 64...127): return "shared CGNAT"  // 100.64.0.0/10, RFC 6598
        case (127, _): return "loopback"
        case (169, 254): return "link-local"  // RFC 3927, and cloud metadata endpoints (169.254.169.254)
        case (172, 16...31): return "private"  // RFC 1918
        case (192, 168): return "private"  // RFC 1918
        case (192, 0) where b[2] == 0: return "reserved"  // 192.0.0.0/24, IETF protocol assignments
        case (198, 18...19): return "reserved"  // 198.18.0.0/15, benchmarking (RFC 2544)
        case (224...239, _): return "multicast"
        case (240...255, _): return "reserved"  // 240.0.0.0/4 and the broadcast address
        default: return nil
        }
    }

    private static func restriction(v6 b: [UInt8]) -> String? {
        let prefix96Zero = b[0..<10].allSatisfy { $0 == 0 }
        if prefix96Zero, b[10] == 0xff, b[11] == 0xff {  // ::ffff:a.b.c.d, IPv4-mapped
            return restriction(v4: Array(b[12..<16]))
        }
        if prefix96Zero, b[10] == 0, b[11] == 0 {
            if b[12..<15].allSatisfy({ $0 == 0 }) {
                if b[15] == 0 { return "unspecified" }  // ::
                if b[15] == 1 { return "loopback" }  // ::1
            }
            return "reserved"  // ::a.b.c.d, the deprecated IPv4-compatible form
        }
        // 64:ff9b::/96, NAT64 (RFC 6052): the embedded IPv4 address is where the packets go.
        if b[0] == 0x00, b[1] == 0x64, b[2] == 0xff, b[3] == 0x9b, b[4..<12].allSatisfy({ $0 == 0 }) {
            return restriction(v4: Array(b[12..<16]))
        }
        if b[0] & 0xfe == 0xfc { return "private" }  // fc00::/7, unique local (RFC 4193)
        if b[0] == 0xfe, b[1] & 0xc0 == 0x80 { return "link-local" }  // fe80::/10
        if b[0] == 0xfe, b[1] & 0xc0 == 0xc0 { return "site-local" }  // fec0::/10, deprecated (RFC 3879)
        if b[0] == 0xff { return "multicast" }  // ff00::/8
        return nil
    }
}
