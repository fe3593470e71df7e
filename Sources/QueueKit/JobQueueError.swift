public import StoryForgeCore

/// What went wrong with a queue operation.
///
/// Compare ``code`` to tell cases apart: `error.code == .staleToken`. New codes may be added.
public struct JobQueueError: StoryForgeError, CustomStringConvertible, Equatable {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case staleToken, notFound, invalidRequest, invalidState, backendFailure, corruptRecord, invalidURL
        }

        private let base: Base

        private init(_ base: Base) { self.base = base }

        /// The token no longer holds its job: the lease expired and another worker claimed it, or the job
        /// finished. The caller must stop working on the job and write nothing more for it.
        public static let staleToken = Code(.staleToken)
        /// No job with that id.
        public static let notFound = Code(.notFound)
        /// A request outside ``JobQueueLimits`` or otherwise malformed (an empty kind, a negative lease).
        public static let invalidRequest = Code(.invalidRequest)
        /// The job is not in a state that allows the operation.
        public static let invalidState = Code(.invalidState)
        /// The database failed or could not be reached; ``JobQueueError/underlying`` holds its error.
        public static let backendFailure = Code(.backendFailure)
        /// A stored job could not be read back (a value out of range, an unknown state).
        public static let corruptRecord = Code(.corruptRecord)
        /// A queue URL that cannot be used (unknown scheme, missing path or host).
        public static let invalidURL = Code(.invalidURL)

        /// The code's name.
        public var description: String { base.rawValue }
    }

    /// The kind of failure.
    public let code: Code
    /// What happened, in words a person can act on; never a password.
    public let message: String
    /// The error underneath, if any (not part of equality).
    public let underlying: (any Error)?

    private init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    /// `staleToken: <message>`.
    public var description: String { "\(code): \(message)" }

    /// Errors compare by code.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }

    /// The token no longer holds its job.
    public static func staleToken(_ token: FencingToken) -> Self {
        Self(.staleToken, "\(token) no longer holds the job: its lease expired or the job finished")
    }

    /// No job with that id.
    public static func notFound(_ id: JobID) -> Self { Self(.notFound, "no job \(id)") }

    /// A malformed request.
    public static func invalidRequest(_ message: String) -> Self { Self(.invalidRequest, message) }

    /// An operation the job's state does not allow.
    public static func invalidState(_ message: String) -> Self { Self(.invalidState, message) }

    /// The database failed.
    public static func backendFailure(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(.backendFailure, message, underlying: underlying)
    }

    /// A stored job that cannot be read back.
    public static func corruptRecord(_ message: String) -> Self { Self(.corruptRecord, message) }

    /// A queue URL that cannot be used.
    public static func invalidURL(_ message: String) -> Self { Self(.invalidURL, message) }
}
