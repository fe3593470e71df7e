public import Foundation
import StoryForgeCore

/// The bearer tokens a server accepts, each with the name its stories are owned by, kept as SHA-256 digests only.
///
/// The tokens file has one token a line, `<name> sha256:<64 hex digits>`, the digest of the token's UTF-8 bytes
/// (`story-server hash-token` prints it); empty lines and lines starting with `#` are skipped:
///
/// ```
/// # team a, made 2026-12-02
/// alice sha256:2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b
/// ci    sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
/// ```
///
/// A presented token is hashed and its digest compared with every stored one in constant time (the time does not
/// depend on where the digests differ, nor on which entry matches), so timing tells nothing about the tokens.
public struct BearerTokens: Sendable {
    /// One accepted token.
    public struct Entry: Sendable, Hashable {
        /// The owner of the stories the token makes.
        public var owner: StoryOwner
        /// The SHA-256 of the token.
        public var digest: [UInt8]

        /// Creates an entry.
        public init(owner: StoryOwner, digest: [UInt8]) {
            self.owner = owner
            self.digest = digest
        }
    }

    /// The most lines a tokens file may have: 10 000 (the file is read at start; a larger one is a mistake).
    public static let maximumEntries = 10_000
    /// The largest tokens file: 1 MiB.
    public static let maximumFileBytes = 1 << 20
    /// The longest token accepted in a request: 1 KiB (a token is 32–64 random characters).
    public static let maximumTokenBytes = 1024

    /// The tokens.
    public let entries: [Entry]

    /// Creates a set of tokens.
    public init(entries: [Entry]) { self.entries = entries }

    /// Reads a tokens file.
    ///
    /// - Throws: ``StoryServerError`` with code `invalidConfiguration` naming the file and line (never a digest).
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            data = try handle.read(upToCount: Self.maximumFileBytes + 1) ?? Data()
        } catch {
            throw StoryServerError.invalidConfiguration(
                "cannot read the tokens file \(url.path): \(error.localizedDescription)")
        }
        guard data.count <= Self.maximumFileBytes else {
            throw StoryServerError.invalidConfiguration("the tokens file \(url.path) is larger than 1 MiB")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw StoryServerError.invalidConfiguration("the tokens file \(url.path) is not UTF-8 text")
        }
        do {
            try self.init(parsing: text)
        } catch let error as StoryServerError {
            throw StoryServerError.invalidConfiguration("\(url.path): \(error.message)")
        }
    }

    /// Parses the text of a tokens file.
    ///
    /// - Throws: ``StoryServerError`` with code `invalidConfiguration` naming the line.
    public init(parsing text: String) throws {
        var entries: [Entry] = []
        var owners: Set<StoryOwner> = []
        for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let number = offset + 1
            guard entries.count < Self.maximumEntries else {
                throw StoryServerError.invalidConfiguration("more than \(Self.maximumEntries) tokens")
            }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count == 2 else {
                throw StoryServerError.invalidConfiguration(
                    "line \(number): expected `<name> sha256:<64 hex digits>` (story-server hash-token prints one)")
            }
            let name = String(fields[0])
            guard Self.isOwnerName(name) else {
                throw StoryServerError.invalidConfiguration(
                    "line \(number): the name must be 1…64 letters, digits, '-', '_' or '.'")
            }
            guard name != StoryOwner.local.rawValue else {
                throw StoryServerError.invalidConfiguration(
                    "line \(number): \"local\" is the owner of a server without tokens; choose another name")
            }
            guard fields[1].hasPrefix("sha256:"), let digest = Self.digest(fromHex: fields[1].dropFirst(7)) else {
                throw StoryServerError.invalidConfiguration(
                    "line \(number): the second field must be sha256: and 64 lowercase hex digits (the token itself "
                        + "never goes in the file)")
            }
            guard owners.insert(StoryOwner(rawValue: name)).inserted else {
                throw StoryServerError.invalidConfiguration("line \(number): the name \(name) appears twice")
            }
            entries.append(Entry(owner: StoryOwner(rawValue: name), digest: digest))
        }
        self.entries = entries
    }

    /// The line a tokens file holds for `token` under `name`: `name sha256:<hex>`.
    public static func line(name: String, token: String) -> String {
        "\(name) sha256:\(HexDigest.sha256(token))"
    }

    /// The owner of a presented token, or `nil` when it is not one of these.
    public func owner(of token: String) -> StoryOwner? {
        guard !token.isEmpty, token.utf8.count <= Self.maximumTokenBytes else { return nil }
        guard let presentedDigest = Self.digest(fromHex: Array(HexDigest.sha256(token))) else { return nil }
        var found: StoryOwner?
        // Every entry is compared, all 32 bytes each, whatever matched before.
        for entry in entries {
            var difference: UInt8 = 0
            for (left, right) in zip(entry.digest, presentedDigest) { difference |= left ^ right }
            if difference == 0, entry.digest.count == presentedDigest.count { found = entry.owner }
        }
        return found
    }

    static func isOwnerName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }

    static func digest(fromHex hex: some Collection<Character>) -> [UInt8]? {
        guard hex.count == 64 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        var high: UInt8?
        for character in hex {
            guard let value = character.hexDigitValue, character.isASCII, !character.isUppercase else { return nil }
            if let first = high {
                bytes.append(first << 4 | UInt8(value))
                high = nil
            } else {
                high = UInt8(value)
            }
        }
        return bytes
    }
}
