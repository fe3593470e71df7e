public import Foundation

/// One Server-Sent Event.
public struct ServerSentEvent: Sendable, Hashable {
    /// The `event:` field, or `nil` for the default "message" type.
    public var event: String?
    /// The `data:` lines joined with newlines.
    public var data: String
    /// The `id:` field, if any.
    public var id: String?

    /// Creates an event.
    public init(event: String? = nil, data: String, id: String? = nil) {
        self.event = event
        self.data = data
        self.id = id
    }
}

/// An incremental Server-Sent Events parser (the WHATWG `text/event-stream` format).
///
/// Feed it bytes as they arrive, in chunks of any size: a line, even a UTF-8 sequence, may be split
/// across chunks. Handles `\n`, `\r\n` and `\r` line ends, multi-line `data:`, comments (`:` lines),
/// `event:` and `id:`; `retry:` and unknown fields are ignored.
///
/// ```swift
/// var decoder = ServerSentEventDecoder()
/// for try await chunk in response.body {
///     for event in decoder.feed(chunk) { handle(event) }
/// }
/// let last = decoder.finish()
/// ```
public struct ServerSentEventDecoder: Sendable {
    private var buffer: [UInt8] = []
    private var lineStart = 0
    private var skipLeadingLineFeed = false
    private var dataLines: [String] = []
    private var hasData = false
    private var event: String?
    private var id: String?
    /// The longest line accepted, in bytes; a longer one is an error rather than unbounded memory.
    public var maxLineBytes: Int

    /// Creates a decoder.
    public init(maxLineBytes: Int = 16 << 20) {
        self.maxLineBytes = maxLineBytes
    }

    /// Parses a chunk and returns the events it completed.
    ///
    /// - Throws: ``ProviderError/malformedResponse(_:rawText:)`` when a line is longer than
    ///   ``maxLineBytes``.
    public mutating func feed(_ chunk: some Sequence<UInt8>) throws -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        // One dynamic call for the whole chunk rather than one per byte through the generic
        // Sequence path (this function is not specialised across the module boundary).
        if chunk.withContiguousStorageIfAvailable({ buffer.append(contentsOf: $0) }) == nil {
            buffer.append(contentsOf: chunk)
        }
        var index = lineStart
        let end = buffer.count
        do {
            // A local copy (no bytes are copied) so that `processLine` may mutate `self` meanwhile.
            let pending = buffer
            pending.withUnsafeBufferPointer { bytes in
                while index < end {
                    let byte = bytes[index]
                    if skipLeadingLineFeed {
                        skipLeadingLineFeed = false
                        if byte == 0x0A {
                            index += 1
                            lineStart = index
                            continue
                        }
                    }
                    if byte == 0x0A || byte == 0x0D {
                        if let event = processLine(UnsafeBufferPointer(rebasing: bytes[lineStart..<index])) {
                            events.append(event)
                        }
                        skipLeadingLineFeed = byte == 0x0D
                        index += 1
                        lineStart = index
                    } else {
                        index += 1
                    }
                }
            }
        }
        if lineStart > 0 {
            buffer.removeSubrange(0..<lineStart)
            lineStart = 0
        }
        if buffer.count > maxLineBytes {
            throw ProviderError.malformedResponse("an event-stream line is longer than \(maxLineBytes) bytes")
        }
        return events
    }

    /// Ends the stream: returns an event left without its closing blank line, if any.
    public mutating func finish() -> ServerSentEvent? {
        if !buffer.isEmpty {
            let line = buffer
            buffer = []
            lineStart = 0
            let event = line.withUnsafeBufferPointer { processLine($0) }
            if let event { return event }
        }
        return dispatch()
    }

    private mutating func processLine(_ line: UnsafeBufferPointer<UInt8>) -> ServerSentEvent? {
        if line.isEmpty { return dispatch() }
        if line[0] == UInt8(ascii: ":") { return nil }
        var fieldEnd = line.count
        for i in 0..<line.count where line[i] == UInt8(ascii: ":") {
            fieldEnd = i
            break
        }
        var valueStart = min(fieldEnd + 1, line.count)
        if valueStart < line.count, line[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
        let field = UnsafeBufferPointer(rebasing: line[0..<fieldEnd])
        let value = String(decoding: UnsafeBufferPointer(rebasing: line[valueStart...]), as: UTF8.self)
        if Self.equals(field, "data") {
            dataLines.append(value)
            hasData = true
        } else if Self.equals(field, "event") {
            event = value
        } else if Self.equals(field, "id") {
            id = value
        }
        return nil
    }

    private static func equals(_ bytes: UnsafeBufferPointer<UInt8>, _ name: StaticString) -> Bool {
        guard bytes.count == name.utf8CodeUnitCount else { return false }
        let pointer = name.utf8Start
        for i in 0..<bytes.count where bytes[i] != pointer[i] { return false }
        return true
    }

    private mutating func dispatch() -> ServerSentEvent? {
        defer {
            dataLines.removeAll(keepingCapacity: true)
            hasData = false
            event = nil
        }
        guard hasData else { return nil }
        let data = dataLines.count == 1 ? dataLines[0] : dataLines.joined(separator: "\n")
        return ServerSentEvent(event: event, data: data, id: id)
    }
}

extension AsyncSequence where Element == Data, Self: Sendable {
    /// The Server-Sent Events in a byte stream.
    ///
    /// An event left without its closing blank line at the end of the stream is still delivered;
    /// whether the stream was complete (a `[DONE]` sentinel, a final event type) is for the
    /// protocol on top to judge.
    public func serverSentEvents() -> AsyncThrowingStream<ServerSentEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream<ServerSentEvent, any Error>.makeStream()
        let task = Task {
            do {
                var decoder = ServerSentEventDecoder()
                for try await chunk in self {
                    for event in try decoder.feed(chunk) { continuation.yield(event) }
                }
                if let last = decoder.finish() { continuation.yield(last) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}
