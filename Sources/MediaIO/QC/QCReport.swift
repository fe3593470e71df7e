/// The quality gate's verdict on a video: every check, and whether all passed.
public struct QCReport: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The checks in the order they ran.
    public var checks: [QCCheck]

    /// Creates a report.
    public init(checks: [QCCheck]) {
        self.checks = checks
    }

    /// True when every check passed: the video may be exported.
    public var passed: Bool { checks.allSatisfy(\.passed) }

    /// The checks that failed.
    public var failures: [QCCheck] { checks.filter { !$0.passed } }

    /// The check of one kind, if it ran.
    public subscript(kind: QCCheck.Kind) -> QCCheck? { checks.first { $0.kind == kind } }

    /// One line per check and the verdict.
    public var description: String {
        checks.map { "\($0.passed ? "PASS" : "FAIL") \($0.kind.rawValue): \($0.measured) (expected \($0.expected))" }
            .joined(separator: "\n") + "\nverdict: \(passed ? "PASS" : "FAIL")"
    }
}
