import Crypto
public import Foundation
import StoryForgeCore

/// The `StoryForge-Signature` header of a webhook: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
///
/// Signing the timestamp with the body lets a receiver refuse a replayed delivery: it recomputes the HMAC over
/// the header's `t`, a dot and the raw body, compares in constant time, and rejects a `t` older than its
/// tolerance (``defaultTolerance``). The scheme is Stripe's, so receivers' existing code carries over.
///
/// ```swift
/// let ok = WebhookSignature.verify(header: request.headers["StoryForge-Signature"], body: rawBody, secret: secret)
/// ```
public enum WebhookSignature {
    /// The header's name.
    public static let headerName = "StoryForge-Signature"
    /// How old a signature a receiver accepts by default: 5 minutes (Stripe's default tolerance), room for a
    /// retry's transit and clocks a little apart, not for a replay hours later.
    public static let defaultTolerance: Duration = .seconds(300)

    /// The header's value for `body` signed at `timestamp` (whole seconds since 1970, rounded down).
    public static func header(body: Data, secret: WebhookSecret, timestamp: Date) -> String {
        let seconds = unixSeconds(timestamp)
        return "t=\(seconds),v1=\(HexDigest.hex(mac(seconds: seconds, body: body, secret: secret)))"
    }

    /// Whether `header` is a valid signature of `body` with `secret`, made at most `tolerance` before (or after,
    /// for clocks apart) `now`. A malformed header is invalid; every `v1=` in it is tried (a sender rotating
    /// secrets may send two).
    public static func verify(
        header: String?, body: Data, secret: WebhookSecret, now: Date = Date(), tolerance: Duration = defaultTolerance
    ) -> Bool {
        guard let header else { return false }
        var timestamp: Int64?
        var signatures: [Data] = []
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else { return false }
            switch pair[0] {
            case "t": timestamp = Int64(pair[1])
            case "v1": if let bytes = HexText.bytes(pair[1]) { signatures.append(bytes) }
            default: continue
            }
        }
        guard let timestamp, !signatures.isEmpty else { return false }
        let age = unixSeconds(now).subtractingReportingOverflow(timestamp)
        guard !age.overflow, age.partialValue.magnitude <= UInt64(tolerance.components.seconds.magnitude) else {
            return false
        }
        let message = Data("\(timestamp).".utf8) + body
        return signatures.contains {
            HMAC<SHA256>.isValidAuthenticationCode($0, authenticating: message, using: secret.key)
        }
    }

    private static func mac(seconds: Int64, body: Data, secret: WebhookSecret) -> Data {
        Data(HMAC<SHA256>.authenticationCode(for: Data("\(seconds).".utf8) + body, using: secret.key))
    }

    /// Seconds since 1970, rounded down; a date beyond Int64 (which no clock gives) saturates instead of trapping.
    private static func unixSeconds(_ date: Date) -> Int64 {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        guard seconds.isFinite else { return 0 }
        return Int64(exactly: seconds) ?? (seconds < 0 ? Int64.min : Int64.max)
    }
}

/// Hex text back to bytes, for a received signature (StoryForgeCore's `HexDigest` only writes hex).
enum HexText {
    /// The bytes of an even-length hex string, or `nil` for anything else.
    static func bytes(_ text: String) -> Data? {
        let utf8 = Array(text.utf8)
        guard utf8.count.isMultiple(of: 2), !utf8.isEmpty else { return nil }
        var out = Data(capacity: utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
