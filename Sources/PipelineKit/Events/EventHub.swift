import Foundation

/// Fans events out to the registered sinks and `AsyncStream` subscribers.
///
/// `@unchecked Sendable`: `subscribers` is only touched under `lock`.
final class EventHub: @unchecked Sendable {
    private let lock = NSLock()
    private var subscribers: [UUID: AsyncStream<PipelineEvent>.Continuation] = [:]
    private let sinks: [any PipelineEventSink]

    init(sinks: [any PipelineEventSink]) {
        self.sinks = sinks
    }

    func subscribe() -> AsyncStream<PipelineEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: PipelineEvent.self)
        let id = UUID()
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            self.lock.withLock { _ = self.subscribers.removeValue(forKey: id) }
        }
        lock.withLock { subscribers[id] = continuation }
        return stream
    }

    func emit(_ event: PipelineEvent) {
        for sink in sinks { sink.receive(event) }
        let current = lock.withLock { subscribers }
        for continuation in current.values { continuation.yield(event) }
    }
}
