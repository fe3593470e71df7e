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
        events.compactMap { $0.kind == .stageStarted ? $0.stage : nil }
    }

    /// The stages that were reused (from the checkpoint or the cache), in order.
    public var reusedStages: [StageID] {
        events.compactMap { $0.kind == .cacheHit ? $0.stage : nil }
    }

    /// The `retrying` events' delays, in order.
    public var retryDelays: [Duration] {
        events.compactMap { $0.kind == .retrying ? $0.delay : nil }
    }

    /// The events of one kind, in order.
    public func events(of kind: PipelineEvent.Kind) -> [PipelineEvent] { events.filter { $0.kind == kind } }

    /// Forgets the events so far.
    public func reset() {
        lock.withLock { recorded.removeAll() }
    }
}
