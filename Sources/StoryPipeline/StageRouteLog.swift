import ProviderKit
import StoryModels
import Synchronization

/// The routing decisions of one stage's model calls, for its manifest record (``StoryModels/ExportManifest/RouteRecord``).
///
/// The ``StoryStage`` adapter makes one per run of a stage and binds it to ``current``; ``StructuredGeneration`` adds
/// the decision of every answer a router with per-task routes gave. Guarded by a `Mutex`: a stage may fan out.
final class StageRouteLog: Sendable {
    /// The log of the stage running in this task, if any.
    @TaskLocal static var current: StageRouteLog?

    private let decisions = Mutex<[RoutingDecision]>([])

    /// Adds a decision.
    func add(_ decision: RoutingDecision) {
        decisions.withLock { $0.append(decision) }
    }

    /// The decisions as manifest records: calls of the same task, route, model and reason counted together, in the
    /// order first seen; `nil` when no call was routed by task.
    var records: [ExportManifest.RouteRecord]? {
        let all = decisions.withLock { $0 }
        guard !all.isEmpty else { return nil }
        var records: [ExportManifest.RouteRecord] = []
        for decision in all {
            let record = ExportManifest.RouteRecord(
                task: decision.task.rawValue, route: decision.route, model: decision.model ?? "",
                reason: decision.reason.rawValue)
            if let index = records.firstIndex(where: {
                ($0.task, $0.route, $0.model, $0.reason) == (record.task, record.route, record.model, record.reason)
            }) {
                records[index].calls += 1  // at most one per model call: cannot overflow
            } else {
                records.append(record)
            }
        }
        return records
    }
}
