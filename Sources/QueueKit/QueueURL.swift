public import Foundation

/// Where a queue lives, parsed from a URL: `sqlite:///var/lib/stories/queue.sqlite` (embedded, one machine) or
/// `postgres://user@host:5432/db` (many machines; the password comes from the environment, never the URL in logs).
///
/// ``redacted`` is the form to print: it never holds a password.
public enum QueueURL: Sendable, Hashable, CustomStringConvertible {
    /// A SQLite file.
    case sqlite(path: String)
    /// A PostgreSQL server; `url` is the URL as given (it may hold a password: print ``redacted`` instead).
    case postgres(url: URL)

    /// Parses a queue URL.
    ///
    /// - Throws: ``JobQueueError`` with code `invalidURL` for an unknown scheme, a SQLite URL without an absolute
    ///   path, or a PostgreSQL URL without a host; the message shows the URL redacted.
    public init(parsing text: String) throws {
        let shown = Self.redact(text)
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw JobQueueError.invalidURL("\(shown) is not a URL; use sqlite:///path or postgres://user@host/db")
        }
        switch scheme {
        case "sqlite":
            guard components.host?.isEmpty ?? true else {
                throw JobQueueError.invalidURL(
                    "\(shown) names a host; a SQLite queue is a local file: sqlite:///absolute/path")
            }
            let path = components.percentEncodedPath.removingPercentEncoding ?? components.path
            guard path.hasPrefix("/"), path.count > 1 else {
                throw JobQueueError.invalidURL("\(shown) has no absolute path: use sqlite:///absolute/path")
            }
            self = .sqlite(path: path)
        case "postgres", "postgresql":
            guard let host = components.host, !host.isEmpty, let url = components.url else {
                throw JobQueueError.invalidURL("\(shown) has no host: use postgres://user@host:5432/database")
            }
            self = .postgres(url: url)
        default:
            throw JobQueueError.invalidURL(
                "\(shown): unknown scheme \"\(scheme)\"; use sqlite:///path or postgres://user@host/db")
        }
    }

    /// The URL with any password replaced by `***`.
    public var redacted: String {
        switch self {
        case .sqlite(let path): "sqlite://\(path)"
        case .postgres(let url): Self.redact(url.absoluteString)
        }
    }

    /// ``redacted``.
    public var description: String { redacted }

    /// `text` with the password of its user-info part replaced by `***` (also when it does not parse as a URL).
    public static func redact(_ text: String) -> String {
        guard let schemeEnd = text.range(of: "://") else { return text }
        let rest = text[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        guard let at = authority.lastIndex(of: "@") else { return text }
        let userInfo = authority[..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return text }
        return String(text[..<rest.startIndex]) + userInfo[..<colon] + ":***" + text[at...]
    }
}

extension QueueURL {
    /// Opens the queue a URL names, with a backend this module holds; hosts that link another backend's product
    /// (PostgreSQL) extend the switch with their own factory before falling back to this one.
    ///
    /// - Throws: ``JobQueueError`` with code `invalidURL` for a backend this build does not include.
    public func openBuiltIn(sqlite configuration: SQLiteJobQueue.Configuration = .init()) throws -> any JobQueue {
        switch self {
        case .sqlite(let path):
            return try SQLiteJobQueue(path: path, configuration: configuration)
        case .postgres:
            throw JobQueueError.invalidURL(
                "\(redacted): this program was built without the PostgreSQL backend (product QueueKitPostgres)")
        }
    }
}
