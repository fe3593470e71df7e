/// A summary of the quality checks a finished video went through, as written to `qc.json`.
///
/// MediaIO's `QualityGate` measures and returns a `QCReport`; this is the storable summary of its verdicts.
public struct QCSummary: Codable, Hashable, Sendable {
    /// One check's verdict.
    public struct Check: Codable, Hashable, Sendable {
        /// The check's name, e.g. "loudness".
        public var name: String
        /// Whether the check passed.
        public var passed: Bool
        /// The measured value, if the check measures one.
        public var measured: Double?
        /// The threshold it was held to, if any.
        public var threshold: Double?
        /// A human-readable explanation.
        public var message: String

        /// Creates a check verdict.
        public init(name: String, passed: Bool, measured: Double? = nil, threshold: Double? = nil, message: String = "")
        {
            self.name = name
            self.passed = passed
            self.measured = measured
            self.threshold = threshold
            self.message = message
        }
    }

    /// The schema version this document was written with; see ``StoryJSON/schemaVersion``.
    public var schemaVersion: Int
    /// Every check, in the order they ran.
    public var checks: [Check]
    /// Failures that were configured to warn instead of failing the run.
    public var warnings: [String]

    /// Creates a report written with the current ``StoryJSON/schemaVersion``.
    public init(checks: [Check], warnings: [String] = []) {
        self.schemaVersion = StoryJSON.schemaVersion
        self.checks = checks
        self.warnings = warnings
    }

    /// Whether every check passed.
    public var passed: Bool { checks.allSatisfy(\.passed) }

    /// The checks that failed.
    public var failures: [Check] { checks.filter { !$0.passed } }
}
