/// What a run would do, stage by stage, as computed by ``PipelineRunner/plan(_:input:)``.
public struct PipelinePlan: Sendable, Hashable, CustomStringConvertible {
    /// What would happen to a stage.
    public enum Action: Sendable, Hashable, CustomStringConvertible {
        /// Its result is in the cache.
        case cached
        /// It would run.
        case runs
        /// It is disabled by configuration; its fallback output would be used.
        case skipped
        /// It comes after a stage that must run, so its input (and cache key) is not known yet.
        case runsAfterUpstream
        /// A fan-out: `cached` of `total` children are in the cache, the rest would run.
        case fanOut(cached: Int, total: Int)

        /// A short description.
        public var description: String {
            switch self {
            case .cached: return "cached"
            case .runs: return "will run"
            case .skipped: return "skipped (disabled)"
            case .runsAfterUpstream: return "will run (input known only after upstream runs)"
            case .fanOut(let cached, let total):
                return "fan-out: \(cached)/\(total) children cached, \(total - cached) will run"
            }
        }
    }

    /// One line of the plan.
    public struct Step: Sendable, Hashable {
        /// The stage's position.
        public let index: Int
        /// The stage's identifier.
        public let stage: StageID
        /// The stage's version.
        public let version: Int
        /// What would happen.
        public let action: Action
    }

    /// The pipeline's name.
    public let pipeline: String
    /// The steps in order.
    public let steps: [Step]

    /// A readable plan, one stage per line.
    public var description: String {
        var lines = ["pipeline \"\(pipeline)\": \(steps.count) stages"]
        for step in steps {
            lines.append("  \(step.index). \(step.stage)@\(step.version): \(step.action)")
        }
        return lines.joined(separator: "\n")
    }
}
