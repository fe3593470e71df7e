public import Foundation

/// An incremental newline-delimited JSON (NDJSON) splitter.
///
/// Feed it bytes as they arrive; it returns each complete non-blank line (without its line end),
/// ready for `JSONDecoder`. A line may be split across any number of chunks.
///
/// ```swift
/// var lines = JSONLinesDecoder()
/// for try await chunk in response.body {
///     for line in try lines.feed(chunk) { try handle(JSONDecoder().decode(Chunk.self, from: line)) }
/// }
/// if let rest = lines.finish() { try handle(JSONDecoder().decode(Chunk.self, from: rest)) }
/// ```
public struct JSONLinesDecoder: Sendable {
    private var buffer: [UInt8] = []
    private var scanned = 0
    /// The longest line accepted, in bytes; a longer one is an error rather than unbounded memory.
    public var maxLineBytes: Int

    /// Creates a decoder.
    public init(maxLineBytes: Int = 16 << 20) {
        self.maxLineBytes = maxLineBytes
    }

    /// Splits a chunk and returns the lines it completed.
    ///
    /// - Throws: ``ProviderError/malformedResponse(_:rawText:)`` when a line is longer than
    ///   ``maxLineBytes``.
    public mutating func feed(_ chunk: some Sequence<UInt8>) throws -> [Data] {
        // One dynamic call for the whole chunk rather than one per byte through the generic
        // Sequence path (this function is not specialised across the module boundary).
        if chunk.withContiguousStorageIfAvailable({ buffer.append(contentsOf: $0) }) == nil {
            buffer.append(contentsOf: chunk)
        }
        var lines: [Data] = []
        var start = 0
        buffer.withUnsafeBufferPointer { bytes in
            guard let base = bytes.baseAddress else { return }
            var index = scanned
            // memchr finds each line end with the C library's vectorised search.
            while index < bytes.count, let found = memchr(base + index, 0x0A, bytes.count - index) {
                let newline = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                var end = newline
                if end > start, bytes[end - 1] == 0x0D { end -= 1 }
                if Self.hasContent(bytes, start, end) {
                    lines.append(Data(UnsafeBufferPointer(rebasing: bytes[start..<end])))
                }
                start = newline + 1
                index = newline + 1
            }
        }
        if start > 0 { buffer.removeSubrange(0..<start) }
        scanned = buffer.count
        if buffer.count > maxLineBytes {
            throw ProviderError.malformedResponse("an NDJSON line is longer than \(maxLineBytes) bytes")
        }
        return lines
    }

    /// Ends the stream: returns a last line that had no line end, if any.
    public mutating func finish() -> Data? {
        defer {
            buffer = []
            scanned = 0
        }
        let hasContent = buffer.withUnsafeBufferPointer { Self.hasContent($0, 0, $0.count) }
        return hasContent ? Data(buffer) : nil
    }

    private static func hasContent(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        // Usually decided by the first byte: a JSON line starts with `{`.
        for i in start..<end where bytes[i] != 0x20 && bytes[i] != 0x09 && bytes[i] != 0x0D { return true }
        return false
    }
}
