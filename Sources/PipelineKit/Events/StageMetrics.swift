import Metrics

/// The swift-metrics instruments of the engine; names follow `storyforge_<what>_<unit>`.
enum StageMetrics {
    /// What became of a stage, as the `outcome` dimension.
    enum Outcome: String {
        case success, failure, cached, skipped, recovered
    }

    static func recordStage(_ stage: StageID, outcome: Outcome, duration: Duration) {
        Timer(
            label: "storyforge_stage_duration_seconds",
            dimensions: [("stage", stage.rawValue), ("outcome", outcome.rawValue)]
        ).recordNanoseconds(duration.nanoseconds)
    }

    static func countAttempt(_ stage: StageID) {
        Counter(label: "storyforge_stage_attempts_total", dimensions: [("stage", stage.rawValue)]).increment()
    }

    static func countRetry(_ stage: StageID) {
        Counter(label: "storyforge_stage_retries_total", dimensions: [("stage", stage.rawValue)]).increment()
    }

    static func countRun(outcome: RunStatus) {
        Counter(label: "storyforge_runs_total", dimensions: [("outcome", outcome.rawValue)]).increment()
    }
}

extension Duration {
    /// The duration in whole nanoseconds, saturating.
    var nanoseconds: Int64 {
        let parts = components
        let (whole, overflow) = parts.seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return parts.seconds < 0 ? .min : .max }
        return whole &+ parts.attoseconds / 1_000_000_000
    }

    /// The duration in seconds, as a `Double`.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}
