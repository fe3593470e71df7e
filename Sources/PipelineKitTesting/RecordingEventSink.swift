import Foundation
public import PipelineKit

/// An event sink that keeps every event, for assertions.
///
/// `@unchecked Sendable`: `recorded` is only touched under `lock`.
public final class RecordingEventSink: PipelineEventSink, @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [PipelineEvent] = []

    /// Creates an empty sink.
    public init() {}

    /// Keeps the event.
    public func receive(_ event: PipelineEvent) {
        lock.withLock { recorded.append(event) }
    }

    /// Every event so far, in order.
    public var events: [PipelineEvent] { lock.withLock { recorded } }

    /// The stages that started, in order.
    public var startedStages: [StageID] {
        events.compactMap { if case .stageStarted(_, let stage, _) = $0 { return stage } else { return nil } }
    }

    /// The stages that were reused (from the checkpoint or the cache), in order.
    public var reusedStages: [StageID] {
        events.compactMap { if case .cacheHit(_, let stage, _, _) = $0 { return stage } else { return nil } }
    }

    /// The `retrying` events' delays, in order.
    public var retryDelays: [Duration] {
        events.compactMap { if case .retrying(_, _, _, _, let delay, _) = $0 { return delay } else { return nil } }
    }

    /// Forgets the events so far.
    public func reset() {
        lock.withLock { recorded.removeAll() }
    }
}
