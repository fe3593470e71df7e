import Foundation
import ProviderKit
import Testing

@Suite("Server-Sent Events decoder")
struct ServerSentEventDecoderTests {
    static let stream = """
        : a comment, ignored\r
        event: update\r
        id: 7\r
        data: first line\r
        data: second line\r
        \r
        data:no space after colon\r
        \r
        retry: 1000\r
        data: {"x":1}\r
        \r
        data: [DONE]\r
        \r

        """

    static let expected = [
        ServerSentEvent(event: "update", data: "first line\nsecond line", id: "7"),
        ServerSentEvent(data: "no space after colon", id: "7"),
        ServerSentEvent(data: #"{"x":1}"#, id: "7"),
        ServerSentEvent(data: "[DONE]", id: "7"),
    ]

    func decode(_ chunks: [[UInt8]]) throws -> [ServerSentEvent] {
        var decoder = ServerSentEventDecoder()
        var events: [ServerSentEvent] = []
        for chunk in chunks { events += try decoder.feed(chunk) }
        if let last = decoder.finish() { events.append(last) }
        return events
    }

    @Test("multi-line data, comments, event and id fields, CRLF line ends")
    func wholeStream() throws {
        #expect(try decode([Array(Self.stream.utf8)]) == Self.expected)
    }

    @Test("every split point of the stream into two chunks gives the same events")
    func everySplit() throws {
        let bytes = Array(Self.stream.utf8)
        for split in 0...bytes.count {
            #expect(try decode([Array(bytes[..<split]), Array(bytes[split...])]) == Self.expected, "split at \(split)")
        }
    }

    @Test("one byte at a time, with LF, CR and CRLF line ends")
    func byteByByte() throws {
        for ending in ["\n", "\r", "\r\n"] {
            let text = "data: a\(ending)data: b\(ending)\(ending)data: é✓\(ending)\(ending)"
            let events = try decode(Array(text.utf8).map { [$0] })
            #expect(events.map(\.data) == ["a\nb", "é✓"], "line ending \(ending.debugDescription)")
        }
    }

    @Test("an event without its closing blank line is delivered at the end")
    func unterminatedLastEvent() throws {
        #expect(try decode([Array("data: tail".utf8)]) == [ServerSentEvent(data: "tail")])
        #expect(try decode([Array(": only a comment\n".utf8)]).isEmpty)
    }

    @Test("a line longer than the limit is an error, not unbounded memory")
    func lineLimit() {
        var decoder = ServerSentEventDecoder(maxLineBytes: 1024)
        let error = #expect(throws: ProviderError.self) {
            _ = try decoder.feed(Array(repeating: UInt8(ascii: "a"), count: 2048))
        }
        #expect(error?.code == .malformedResponse)
    }

    @Test("the AsyncSequence adapter decodes a chunked byte stream")
    func asyncAdapter() async throws {
        let bytes = Array(Self.stream.utf8)
        let chunks = stride(from: 0, to: bytes.count, by: 7).map { Data(bytes[$0..<min($0 + 7, bytes.count)]) }
        let source = AsyncThrowingStream<Data, any Error> { continuation in
            for chunk in chunks { continuation.yield(chunk) }
            continuation.finish()
        }
        var events: [ServerSentEvent] = []
        for try await event in source.serverSentEvents() { events.append(event) }
        #expect(events == Self.expected)
    }
}

@Suite("NDJSON decoder")
struct JSONLinesDecoderTests {
    @Test("lines split anywhere, CRLF and blank lines, and a last line without newline")
    func splits() throws {
        let text = "{\"a\":1}\r\n\n  \n{\"b\":\"x\\ny\"}\n{\"c\":3}"
        let bytes = Array(text.utf8)
        for split in 0...bytes.count {
            var decoder = JSONLinesDecoder()
            var lines = try decoder.feed(bytes[..<split]) + decoder.feed(bytes[split...])
            if let last = decoder.finish() { lines.append(last) }
            #expect(lines.map { String(decoding: $0, as: UTF8.self) } == [#"{"a":1}"#, #"{"b":"x\ny"}"#, #"{"c":3}"#])
        }
    }

    @Test("a line longer than the limit is an error")
    func lineLimit() {
        var decoder = JSONLinesDecoder(maxLineBytes: 100)
        let error = #expect(throws: ProviderError.self) {
            _ = try decoder.feed(Array(repeating: UInt8(ascii: "a"), count: 200))
        }
        #expect(error?.code == .malformedResponse)
    }
}
