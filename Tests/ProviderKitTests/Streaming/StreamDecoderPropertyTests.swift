import Foundation
import PropertyBased
import ProviderKit
import StoryForgeCore
import Testing

/// Random streams, cut into random chunks, decode to exactly what was encoded.
@Suite("Stream decoder properties")
struct StreamDecoderPropertyTests {
    /// SplitMix64, so that one generated seed drives the whole case reproducibly.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
    }

    static let alphabet = Array("abc XYZ:{}\"[]0189,é✓🙂-_=")

    static func text(_ random: inout Random, maxLength: Int) -> String {
        String((0..<random.below(maxLength + 1)).map { _ in alphabet[random.below(alphabet.count)] })
    }

    static func chunks(_ bytes: [UInt8], _ random: inout Random) -> [[UInt8]] {
        var chunks: [[UInt8]] = []
        var index = 0
        while index < bytes.count {
            let size = 1 + random.below(min(64, bytes.count - index))
            chunks.append(Array(bytes[index..<(index + size)]))
            index += size
        }
        return chunks
    }

    @Test("SSE: random events, line endings and chunking")
    func serverSentEvents() async {
        await propertyCheck(count: 400, input: Gen.uint64()) { seed in
            var random = Random(state: seed)
            let ending = ["\n", "\r\n", "\r"][random.below(3)]
            var expected: [ServerSentEvent] = []
            var stream = ""
            for _ in 0..<random.below(8) {
                if random.below(4) == 0 { stream += ": \(Self.text(&random, maxLength: 10))\(ending)" }
                let event = random.below(2) == 0 ? nil : "e\(random.below(100))"
                let lines = (0...random.below(3)).map { _ in Self.text(&random, maxLength: 20) }
                if let event { stream += "event: \(event)\(ending)" }
                for line in lines { stream += "data: \(line)\(ending)" }
                stream += ending
                expected.append(ServerSentEvent(event: event, data: lines.joined(separator: "\n")))
            }
            var decoder = ServerSentEventDecoder()
            var events: [ServerSentEvent] = []
            for chunk in Self.chunks(Array(stream.utf8), &random) { events += try decoder.feed(chunk) }
            if let last = decoder.finish() { events.append(last) }
            #expect(events == expected)
        }
    }

    @Test("NDJSON: random lines and chunking")
    func jsonLines() async {
        await propertyCheck(count: 400, input: Gen.uint64()) { seed in
            var random = Random(state: seed)
            let lines = (0..<random.below(10)).map { _ in
                JSONValue.object([
                    "t": .string(Self.text(&random, maxLength: 30)), "n": .number(Double(random.below(1000))),
                ])
                .jsonText
            }
            let ending = random.below(2) == 0 ? "\n" : "\r\n"
            var stream = lines.map { $0 + ending }.joined()
            if random.below(2) == 0, !stream.isEmpty { stream.removeLast(ending.count) }  // no final line end
            var decoder = JSONLinesDecoder()
            var decoded: [String] = []
            for chunk in Self.chunks(Array(stream.utf8), &random) {
                decoded += try decoder.feed(chunk).map { String(decoding: $0, as: UTF8.self) }
            }
            if let last = decoder.finish() { decoded.append(String(decoding: last, as: UTF8.self)) }
            #expect(decoded == lines)
        }
    }
}
