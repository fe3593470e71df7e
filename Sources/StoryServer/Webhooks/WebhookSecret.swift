import Crypto
public import Foundation

/// The key that signs webhooks (HMAC-SHA256), read from a file or the environment, never from a flag's value
/// (which `ps` would show) and never printed: its description is redacted.
public struct WebhookSecret: Sendable, CustomStringConvertible {
    /// The fewest bytes a secret may have: 16 bytes (128 bits), the least RFC 2104 §3 advises for an HMAC key
    /// (`L`, the output size, is 32 for SHA-256; shorter keys are "strongly discouraged").
    public static let minimumBytes = 16
    /// The most bytes a secret file may hold: 4 KiB; a secret is a line, anything larger is the wrong file.
    public static let maximumFileBytes = 4096
    /// The environment variable ``fromEnvironment(_:)`` reads by default.
    public static let environmentVariable = "STORYFORGE_WEBHOOK_SECRET"

    /// The key's bytes (swift-crypto's `SymmetricKey` is not `Sendable`, so the key is made where it is used).
    private let bytes: Data

    /// The HMAC key.
    var key: SymmetricKey { SymmetricKey(data: bytes) }

    /// Creates a secret from its text (leading and trailing white space, such as a file's last newline, removed).
    ///
    /// - Throws: ``StoryServerError`` `invalidConfiguration` when it is shorter than ``minimumBytes``.
    public init(_ text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.utf8.count >= Self.minimumBytes else {
            throw StoryServerError.invalidConfiguration(
                "the webhook secret has \(trimmed.utf8.count) bytes; it needs at least \(Self.minimumBytes) "
                    + "(e.g. `openssl rand -hex 32`)")
        }
        bytes = Data(trimmed.utf8)
    }

    /// Reads a secret from a file of at most ``maximumFileBytes``.
    ///
    /// - Throws: ``StoryServerError`` `invalidConfiguration` when the file cannot be read, is too large or holds
    ///   too short a secret (the message names the file, never its content).
    public static func contentsOfFile(_ url: URL) throws -> WebhookSecret {
        let data: Data
        do {
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            data = try handle.read(upToCount: maximumFileBytes + 1) ?? Data()
        } catch {
            throw StoryServerError.invalidConfiguration(
                "cannot read the webhook secret file \(url.path): \(error.localizedDescription)")
        }
        guard data.count <= maximumFileBytes else {
            throw StoryServerError.invalidConfiguration(
                "the webhook secret file \(url.path) is larger than \(maximumFileBytes) bytes; it should hold one line")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw StoryServerError.invalidConfiguration("the webhook secret file \(url.path) is not UTF-8 text")
        }
        return try WebhookSecret(text)
    }

    /// Reads a secret from an environment variable, or returns `nil` when it is unset or empty.
    ///
    /// - Throws: ``StoryServerError`` `invalidConfiguration` when it is set but too short.
    public static func fromEnvironment(
        _ name: String = environmentVariable, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> WebhookSecret? {
        guard let text = environment[name], !text.isEmpty else { return nil }
        return try WebhookSecret(text)
    }

    /// `WebhookSecret(redacted)`: the key never reaches a log line.
    public var description: String { "WebhookSecret(redacted)" }
}
