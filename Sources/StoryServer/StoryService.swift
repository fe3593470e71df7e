public import Foundation

/// Who owns a story: the hashed bearer token that created it (never the token itself), or `local` for a server
/// bound to loopback without tokens. Another owner cannot see, cancel or download the story.
public struct StoryOwner: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    /// The owner's id: a token's name from the tokens file, or `local`.
    public let rawValue: String

    /// Creates an owner id.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The owner of every story on a loopback server without tokens.
    public static let local = StoryOwner(rawValue: "local")

    /// The id.
    public var description: String { rawValue }
}

/// A file of a finished story that a client may download: only files listed in that story's manifest are
/// reachable, so a name is looked up, never joined to a path.
public struct StoryFileLocation: Sendable, Hashable {
    /// The file on disk.
    public var url: URL
    /// Its size in bytes.
    public var size: Int64
    /// Its MIME type (`video/mp4`, `text/vtt`, `application/json`, …).
    public var contentType: String
    /// Its strong entity tag: the quoted hex SHA-256 from the manifest.
    public var etag: String

    /// Creates a location.
    public init(url: URL, size: Int64, contentType: String, etag: String) {
        self.url = url
        self.size = size
        self.contentType = contentType
        self.etag = etag
    }
}

/// What the REST routes, the web page and the MCP tools do with stories, whatever runs them: the one place the
/// server's adapters (``StoryServer`` routes, the MCP server) call, so that they answer the same way.
///
/// Every method takes the caller's ``StoryOwner`` and answers `nil` (or throws `notFound`) for a story of
/// another owner, exactly as for one that does not exist, so that ids cannot be probed.
public protocol StoryService: Sendable {
    /// Queues a story. The same `idempotencyKey` from the same owner returns the story it made first (while
    /// that one is not final, or for as long as the queue keeps it).
    ///
    /// - Throws: ``StoryServerError`` with code `invalidRequest` naming the bad field.
    func create(_ request: CreateStoryRequest, owner: StoryOwner, idempotencyKey: String?) async throws -> StoryStatus

    /// The story's status, or `nil` when there is none for this owner.
    func story(_ id: String, owner: StoryOwner) async throws -> StoryStatus?

    /// The owner's stories, newest first, a page at a time.
    func stories(owner: StoryOwner, status: StoryStatus.State?, cursor: String?, limit: Int) async throws -> StoryPage

    /// Cancels a story; returns it as it now stands, or `nil` when there is none for this owner.
    func cancel(_ id: String, owner: StoryOwner) async throws -> StoryStatus?

    /// Runs a failed or cancelled story again from its last checkpoint; returns it as it now stands, or `nil`
    /// when there is none for this owner.
    ///
    /// - Throws: ``StoryServerError`` with code `conflict` when the story is not failed or cancelled.
    func retry(_ id: String, owner: StoryOwner) async throws -> StoryStatus?

    /// The story's events after the event with id `after` (all of them for `nil`): every change of state, stage
    /// or fraction, each with an increasing id, ending after the event of a final state. `nil` when there is no
    /// such story for this owner.
    func events(_ id: String, owner: StoryOwner, after: Int?) async throws -> AsyncThrowingStream<
        StoryEvent, any Error
    >?

    /// Where an exported file of a finished story is, or `nil` when the story or the name is not in its manifest.
    func file(_ id: String, name: String, owner: StoryOwner) async throws -> StoryFileLocation?
}
