public import Foundation
public import QueueKit

/// Where a PostgreSQL queue lives: `postgres://user@host:port/database`, parsed with checks.
///
/// The password comes from the environment (`STORYFORGE_POSTGRES_PASSWORD`, else libpq's `PGPASSWORD`). A URL that
/// carries one (`postgres://user:secret@host/db`) is accepted, and the URL's password wins over the environment's, but
/// every description, log line and error shows the URL with the password replaced (``redacted``).
///
/// Query parameters, all optional: `sslmode` (`disable`, `prefer`, the default, or `require`) and `host` (a directory
/// holding the server's Unix socket, as libpq's `host=/run/postgresql`; the socket is `<dir>/.s.PGSQL.<port>`).
///
/// ```swift
/// let url = try PostgresQueueURL("postgres://storyforge@db.internal:5432/jobs")
/// ```
public struct PostgresQueueURL: Sendable, Hashable, CustomStringConvertible {
    /// How the connection is encrypted.
    public struct TLSMode: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Base: String, Sendable, Hashable { case disable, prefer, require }
        fileprivate let base: Base

        /// Plain TCP.
        public static let disable = TLSMode(base: .disable)
        /// TLS when the server offers it, plain otherwise (libpq's default).
        public static let prefer = TLSMode(base: .prefer)
        /// TLS or no connection.
        public static let require = TLSMode(base: .require)

        /// The `sslmode` value.
        public var description: String { base.rawValue }
    }

    /// The environment variables the password is read from, first found wins.
    public static let passwordVariables = ["STORYFORGE_POSTGRES_PASSWORD", "PGPASSWORD"]
    /// The default port, PostgreSQL's.
    public static let defaultPort = 5432
    /// The longest URL accepted: 4 KiB is far beyond any real one and keeps hostile input cheap to reject.
    public static let maximumLength = 4096

    /// The role to log in as.
    public var user: String
    /// The server's host name or IP address (brackets removed from an IPv6 literal).
    public var host: String
    /// The TCP port (1...65535); also names the Unix socket file.
    public var port: Int
    /// The database.
    public var database: String
    /// The password, if any; never printed.
    public var password: String?
    /// How the connection is encrypted.
    public var tls: TLSMode
    /// The directory of the server's Unix socket, when the URL asked for one.
    public var socketDirectory: String?

    /// Parses `text`, taking the password from the URL or else from `environment`.
    ///
    /// - Throws: ``JobQueueError`` with code ``JobQueueError/Code/invalidURL``; its message never contains the
    ///   password (nor the URL's text, which might).
    public init(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard text.utf8.count <= Self.maximumLength else {
            throw JobQueueError.invalidURL(
                "the PostgreSQL URL is \(text.utf8.count) bytes long; at most \(Self.maximumLength) are accepted")
        }
        guard !text.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7F }) else {
            throw JobQueueError.invalidURL(
                "the PostgreSQL URL contains a space or a control character; percent-encode it (%20)")
        }
        let rest: Substring
        if text.hasPrefix("postgres://") {
            rest = text.dropFirst("postgres://".count)
        } else if text.hasPrefix("postgresql://") {
            rest = text.dropFirst("postgresql://".count)
        } else {
            throw JobQueueError.invalidURL(
                "a PostgreSQL queue URL starts with postgres:// (postgres://user@host:port/database)")
        }
        let (beforeQuery, query) = Self.split(rest, at: "?")
        let (authority, path) = Self.split(beforeQuery, at: "/")
        guard let path, !path.isEmpty else {
            throw JobQueueError.invalidURL(
                "the PostgreSQL URL names no database: add it after the host (postgres://user@host:5432/database)")
        }
        guard !path.contains("/") else {
            throw JobQueueError.invalidURL("the PostgreSQL URL's database name contains a '/'")
        }
        // The last '@' separates credentials from the host: a password may contain an encoded or a raw '@'.
        guard let at = authority.lastIndex(of: "@") else {
            throw JobQueueError.invalidURL(
                "the PostgreSQL URL names no user: write postgres://user@host:port/database")
        }
        let credentials = authority[..<at]
        let hostAndPort = authority[authority.index(after: at)...]
        let (rawUser, rawPassword) = Self.split(credentials, at: ":")
        user = try Self.decode(rawUser, what: "user name")
        guard !user.isEmpty else { throw JobQueueError.invalidURL("the PostgreSQL URL's user name is empty") }
        database = try Self.decode(path, what: "database name")
        let urlPassword = try rawPassword.map { try Self.decode($0, what: "password") }
        password = urlPassword ?? Self.passwordVariables.lazy.compactMap { environment[$0] }.first

        // Host: a name, an IPv4 address or a bracketed IPv6 literal, then an optional port.
        var portText: Substring?
        if hostAndPort.hasPrefix("[") {
            guard let close = hostAndPort.firstIndex(of: "]") else {
                throw JobQueueError.invalidURL("the PostgreSQL URL's IPv6 address has no closing ']'")
            }
            host = String(hostAndPort[hostAndPort.index(after: hostAndPort.startIndex)..<close])
            let after = hostAndPort[hostAndPort.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else {
                    throw JobQueueError.invalidURL("the PostgreSQL URL has text after its IPv6 address ']'")
                }
                portText = after.dropFirst()
            }
            guard !host.isEmpty, host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                throw JobQueueError.invalidURL("the PostgreSQL URL's IPv6 address is not one")
            }
        } else {
            let (name, rawPort) = Self.split(hostAndPort, at: ":")
            host = try Self.decode(name, what: "host")
            portText = rawPort
            let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._"))
            guard !host.isEmpty, host.unicodeScalars.allSatisfy({ $0.isASCII && allowed.contains($0) }) else {
                throw JobQueueError.invalidURL(
                    "the PostgreSQL URL's host must be a name or an address (letters, digits, '-', '.')")
            }
        }
        if let portText {
            // At most 5 digits before converting: a long digit string must not overflow `Int`.
            guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
                let value = Int(portText), (1...65535).contains(value)
            else {
                throw JobQueueError.invalidURL("the PostgreSQL URL's port must be a number from 1 to 65535")
            }
            port = value
        } else {
            port = Self.defaultPort
        }

        tls = .prefer
        socketDirectory = nil
        if let query {
            for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
                let (key, value) = Self.split(pair, at: "=")
                let decoded = try Self.decode(value ?? "", what: "query parameter")
                switch key {
                case "sslmode":
                    guard let mode = TLSMode.Base(rawValue: decoded) else {
                        throw JobQueueError.invalidURL(
                            "the PostgreSQL URL's sslmode must be disable, prefer or require")
                    }
                    tls = TLSMode(base: mode)
                case "host":
                    guard decoded.hasPrefix("/"), !decoded.contains("\0") else {
                        throw JobQueueError.invalidURL(
                            "the PostgreSQL URL's host parameter must be the absolute path of the socket directory")
                    }
                    socketDirectory = decoded
                default:
                    throw JobQueueError.invalidURL(
                        "the PostgreSQL URL has an unknown parameter; known ones are sslmode and host")
                }
            }
        }
    }

    /// The PostgreSQL URL a ``QueueKit/QueueURL`` names (a `--queue postgres://…` option), with this type's checks.
    public init(_ url: QueueURL, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard case .postgres(let postgres) = url else {
            throw JobQueueError.invalidURL("\(url.redacted) is not a PostgreSQL URL")
        }
        try self.init(postgres.absoluteString, environment: environment)
    }

    /// The Unix socket to connect to, when ``socketDirectory`` is set.
    public var socketPath: String? {
        socketDirectory.map { ($0.hasSuffix("/") ? String($0.dropLast()) : $0) + "/.s.PGSQL.\(port)" }
    }

    /// The URL with any password shown as `***`: safe for logs and messages.
    public var redacted: String {
        var text = "postgres://\(Self.encode(user))"
        if password != nil { text += ":***" }
        let hostText = host.contains(":") ? "[\(host)]" : host
        text += "@\(hostText):\(port)/\(Self.encode(database))"
        var parameters: [String] = []
        if tls != .prefer { parameters.append("sslmode=\(tls)") }
        if let socketDirectory { parameters.append("host=\(Self.encode(socketDirectory, keepSlash: true))") }
        if !parameters.isEmpty { text += "?" + parameters.joined(separator: "&") }
        return text
    }

    /// The redacted URL.
    public var description: String { redacted }

    private static func split(_ text: Substring, at separator: Character) -> (Substring, Substring?) {
        guard let index = text.firstIndex(of: separator) else { return (text, nil) }
        return (text[..<index], text[text.index(after: index)...])
    }

    private static func decode(_ text: Substring, what: String) throws -> String {
        guard let decoded = String(text).removingPercentEncoding else {
            throw JobQueueError.invalidURL("the PostgreSQL URL's \(what) has a malformed %-escape")
        }
        guard !decoded.contains("\0") else {
            throw JobQueueError.invalidURL("the PostgreSQL URL's \(what) contains a NUL byte")
        }
        return decoded
    }

    private static func encode(_ text: String, keepSlash: Bool = false) -> String {
        var allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        if keepSlash { allowed.insert("/") }
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
