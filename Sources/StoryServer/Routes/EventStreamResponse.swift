import Foundation
import HTTPTypes
import Hummingbird

/// A story's events as Server-Sent Events (`text/event-stream`): `retry:` first, then each event as `id:`, `event:`
/// (`progress` or `done`) and `data:` (the ``StoryStatus`` JSON on one line), a `: heartbeat` comment whenever the
/// stream is idle for the heartbeat interval, and the end after `done`.
///
/// The response body runs two child tasks (the events and the heartbeat) feeding the one loop that writes; when the
/// client goes away the write fails, the task group is cancelled, and with it the events' poll: nothing outlives
/// the connection.
enum EventStreamResponse {
    private enum Item: Sendable {
        case event(StoryEvent)
        case heartbeat
        case end
    }

    static func response(
        _ events: AsyncThrowingStream<StoryEvent, any Error>, heartbeat: Duration, reconnect: Int,
        counter: StreamCounter
    ) -> Response {
        let headers: HTTPFields = [
            .contentType: "text/event-stream", .cacheControl: "no-store",
            // nginx buffers responses unless told not to; an event stream must pass through as it is written.
            HTTPField.Name("X-Accel-Buffering")!: "no",
        ]
        let body = ResponseBody { writer in
            counter.add(1)
            defer { counter.add(-1) }
            try await writer.write(ByteBuffer(string: "retry: \(reconnect)\n\n"))
            let (items, continuation) = AsyncStream<Item>.makeStream(bufferingPolicy: .bufferingNewest(16))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    do {
                        for try await event in events { continuation.yield(.event(event)) }
                    } catch {
                        // A failed poll (the queue unreachable) ends the stream; the client reconnects with
                        // Last-Event-ID and misses nothing.
                    }
                    continuation.yield(.end)
                    continuation.finish()
                }
                group.addTask {
                    while !Task.isCancelled {
                        try await Task.sleep(for: heartbeat)
                        continuation.yield(.heartbeat)
                    }
                }
                defer { group.cancelAll() }
                for await item in items {
                    switch item {
                    case .event(let event):
                        try await writer.write(ByteBuffer(string: try encode(event)))
                    case .heartbeat:
                        try await writer.write(ByteBuffer(string: ": heartbeat\n\n"))
                    case .end:
                        return
                    }
                }
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    /// One event in the stream's framing; the JSON has no newline in it (JSONEncoder writes none unless asked).
    static func encode(_ event: StoryEvent) throws -> String {
        let data = try APIResponse.encoder().encode(event.status)
        return "id: \(event.id)\nevent: \(event.kind.rawValue)\ndata: \(String(decoding: data, as: UTF8.self))\n\n"
    }
}

/// How many event streams are open, for a host's metrics and for the tests that check a client that goes away
/// closes its stream.
///
/// `@unchecked Sendable`: `count` is only touched under `lock`.
final class StreamCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func add(_ delta: Int) { lock.withLock { count += delta } }

    var value: Int { lock.withLock { count } }
}
