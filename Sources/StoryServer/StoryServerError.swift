public import StoryForgeCore

/// What went wrong in the server: each code maps to one HTTP status and one ``APIErrorBody`` code.
///
/// Compare ``code`` to tell cases apart: `error.code == .notFound`. New codes may be added.
public struct StoryServerError: StoryForgeError, CustomStringConvertible, Equatable {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidRequest, unauthorized, notFound, conflict, payloadTooLarge, rateLimited, unavailable,
                invalidConfiguration
        }

        private let base: Base

        private init(_ base: Base) { self.base = base }

        /// A malformed request: bad JSON, an unknown field, a value out of range (400, `invalid_request`).
        public static let invalidRequest = Code(.invalidRequest)
        /// No token, or one that is not in the tokens file (401, `unauthorized`).
        public static let unauthorized = Code(.unauthorized)
        /// No such story for this owner, or no such file in its manifest (404, `not_found`).
        public static let notFound = Code(.notFound)
        /// The story is not in a state that allows the operation (409, `conflict`).
        public static let conflict = Code(.conflict)
        /// The body is larger than the server accepts (413, `payload_too_large`).
        public static let payloadTooLarge = Code(.payloadTooLarge)
        /// The token sent more requests than its rate allows (429, `rate_limited`).
        public static let rateLimited = Code(.rateLimited)
        /// The queue or the store cannot be reached (503, `unavailable`).
        public static let unavailable = Code(.unavailable)
        /// The server's own settings are unusable (a tokens file that cannot be read, no tokens on a public
        /// address); the server refuses to start.
        public static let invalidConfiguration = Code(.invalidConfiguration)

        /// The code's name.
        public var description: String { base.rawValue }
    }

    /// The kind of failure.
    public let code: Code
    /// What happened, in words a person can act on; never a token.
    public let message: String
    /// The error underneath, if any (not part of equality).
    public let underlying: (any Error)?

    private init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    /// `notFound: <message>`.
    public var description: String { "\(code): \(message)" }

    /// Errors compare by code.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }

    /// A malformed request.
    public static func invalidRequest(_ message: String) -> Self { Self(.invalidRequest, message) }
    /// A missing or unknown token.
    public static func unauthorized(_ message: String) -> Self { Self(.unauthorized, message) }
    /// No such story or file for this owner.
    public static func notFound(_ message: String) -> Self { Self(.notFound, message) }
    /// Not allowed in the story's state.
    public static func conflict(_ message: String) -> Self { Self(.conflict, message) }
    /// A body over the limit.
    public static func payloadTooLarge(_ message: String) -> Self { Self(.payloadTooLarge, message) }
    /// Over the token's rate.
    public static func rateLimited(_ message: String) -> Self { Self(.rateLimited, message) }
    /// The queue or the store failed.
    public static func unavailable(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(.unavailable, message, underlying: underlying)
    }
    /// Unusable server settings.
    public static func invalidConfiguration(_ message: String) -> Self { Self(.invalidConfiguration, message) }
}
