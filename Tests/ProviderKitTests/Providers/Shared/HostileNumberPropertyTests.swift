import Foundation
import HTTPTypes
import PropertyBased
import StoryForgeCore
import Testing

@testable import ProviderKit

/// Random doubles (any bit pattern: NaN, infinities, subnormals, ±1e308) and random strings fed
/// straight into the parsers a server's numbers reach: none traps, and each result is inside its
/// documented range. 4 properties × 3,000 cases, each case trying several parsers.
@Suite("Hostile number properties")
struct HostileNumberPropertyTests {
    static let cases = 3_000

    /// SplitMix64, so one generated seed drives a whole case reproducibly.
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

        static let specials: [Double] = [
            .nan, -.nan, .infinity, -.infinity, 1e300, -1e300, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
            .leastNonzeroMagnitude, -0.0, 0, 9_223_372_036_854_775_808, 1e23, -1, 0.5,
            65_535, 65_536, 9_007_199_254_740_992, 86_400, 86_401,
        ]

        /// Any double: a raw bit pattern, a special value, or an ordinary one.
        mutating func double() -> Double {
            switch below(3) {
            case 0: Double(bitPattern: next())
            case 1: Self.specials[below(Self.specials.count)]
            default: Double(Int64(bitPattern: next()) % 1_000_000) / Double(1 + below(1000))
            }
        }

        static let pieces = [
            "0", "1", "9", "e", "E", "-", "+", ".", "x", "p", "h", "m", "s", "ms", "µs", "ns", " ", "\t", "inf", "nan",
            "NaN", "Infinity", "99999999999999999999999", "1e300", "1e999", "٣", "abc", ",", "GMT", "Wed, 21 Oct 2015",
        ]

        /// A short string of number-like pieces.
        mutating func text() -> String {
            if below(4) == 0 { return "\(double())" }
            return (0..<below(6)).map { _ in Self.pieces[below(Self.pieces.count)] }.joined()
        }
    }

    static func json(_ number: Double) -> JSONValue { .number(number) }

    @Test("header parsers: Retry-After, retry-after-ms and x-ratelimit-* from random text")
    func headers() async {
        await propertyCheck(count: Self.cases, input: Gen.uint64()) { seed in
            var random = Random(state: seed)
            let head = HTTPResponseHead(
                status: [429, 503, 200][random.below(3)],
                headers: HTTPFields(
                    [
                        "Retry-After", "retry-after-ms", "x-ratelimit-limit-requests", "x-ratelimit-remaining-requests",
                        "x-ratelimit-reset-requests", "X-RateLimit-Limit-Tokens", "x-ratelimit-remaining-tokens",
                        "x-ratelimit-reset-tokens",
                    ].compactMap { HTTPField.Name($0) }.map { HTTPField(name: $0, value: random.text()) }))
            if let wait = ProviderErrorMapping.retryAfter(head) {
                #expect(wait >= .zero && wait <= CheckedNumber.longestServerWait)
            }
            if let limits = RateLimitHeaders(head) {
                for count in [
                    limits.limitRequests, limits.remainingRequests, limits.limitTokens, limits.remainingTokens,
                ] {
                    #expect((count ?? 0) >= 0)
                }
                if let wait = limits.suggestedWait { #expect(wait >= .zero && wait <= CheckedNumber.longestServerWait) }
            }
            if let parsed = RateLimitHeaders.parseDuration(random.text()) {
                #expect(parsed >= .zero && parsed <= CheckedNumber.longestServerWait)
            }
            // And the policy built on them never waits past its cap.
            let policy = ProviderRetryPolicy(maxServerDelay: .seconds(1_000_000), maxWait: .seconds(600))
            let error = ProviderError.rateLimited("x", retryAfter: ProviderErrorMapping.retryAfter(head))
            if let delay = policy.delay(afterAttempt: 1 + random.below(100), error: error) {
                #expect(delay >= .zero && delay <= .seconds(600))
            }
        }
    }

    @Test("usage, tool-call index and error-code decoders from random doubles")
    func jsonNumbers() async throws {
        await propertyCheck(count: Self.cases, input: Gen.uint64()) { seed in
            var random = Random(state: seed)
            let (a, b) = (random.double(), random.double())
            if let usage = OpenAIWire.usage(["prompt_tokens": Self.json(a), "completion_tokens": Self.json(b)]) {
                #expect(usage.promptTokens >= 0 && usage.promptTokens <= CheckedNumber.largestExactInteger)
                #expect(usage.totalTokens >= usage.promptTokens)
            }
            if let index = try? OpenAIWire.toolCallIndex(Self.json(a), position: 0, redact: { $0 }) {
                #expect(index >= 0 && index <= OpenAIWire.toolCallIndexLimit)
                #expect(Double(index) == a)
            }
            let details = ErrorDetails(
                ["error": ["message": "m", "code": Self.json(a), "type": Self.json(b)]], fallback: "")
            #expect(details.code != nil)
            _ = ProviderErrorMapping.error(
                status: 400 + random.below(200), retryAfter: nil, details: details, provider: "p", redact: { $0 })
            #expect(CheckedNumber.count(a).map { $0 >= 0 && $0 <= CheckedNumber.largestExactInteger } ?? !a.isFinite)
            if let wait = CheckedNumber.serverWait(seconds: a) {
                #expect(wait >= .zero && wait <= CheckedNumber.longestServerWait)
            }
            _ = CheckedNumber.milliseconds(.seconds(Int64(bitPattern: random.next())))
            _ = CheckedNumber.nanoseconds(.seconds(Int64(bitPattern: random.next())))
        }
    }

    @Test("word times from a transcription and from ElevenLabs' alignment, random doubles")
    func wordTimes() async throws {
        await propertyCheck(count: Self.cases, input: Gen.uint64()) { seed in
            var random = Random(state: seed)
            let length = [1.0, 30, 0.001][random.below(3)]
            let words: [JSONValue] = (0..<random.below(6)).map { _ in
                [
                    "word": "w", "start": Self.json(random.double()), "end": Self.json(random.double()),
                    "probability": Self.json(random.double()),
                ]
            }
            let json: JSONValue = [
                "text": "w", "duration": Self.json(random.double()), "words": .array(words),
                "segments": [["text": "w", "start": Self.json(random.double()), "end": Self.json(random.double())]],
            ]
            let transcript = try OpenAIWire.transcription(json, audioDuration: random.below(2) == 0 ? length : nil)
            let bound = transcript.duration ?? OpenAIWire.longestTranscribedAudio
            for word in transcript.words {
                #expect(word.start >= 0 && word.start <= word.end && word.end <= bound)
                if let confidence = word.confidence { #expect(confidence >= 0 && confidence <= 1) }
            }
            for segment in transcript.segments { #expect(segment.start >= 0 && segment.start <= segment.end) }

            let count = random.below(8)
            let characters: [JSONValue] = (0..<count).map { _ in random.below(3) == 0 ? " " : "a" }
            let alignment: JSONValue = [
                "characters": .array(characters),
                "character_start_times_seconds": .array((0..<count).map { _ in Self.json(random.double()) }),
                "character_end_times_seconds": .array((0..<count).map { _ in Self.json(random.double()) }),
            ]
            for word in ElevenLabsSpeechSynthesizer.words(from: alignment, audioLength: length) ?? [] {
                #expect(word.start >= 0 && word.start <= word.end && word.end <= length)
            }
        }
    }

    @Test("whole JSON bodies with random number text: parse or fail typed")
    func bodies() async throws {
        await propertyCheck(count: Self.cases, input: Gen.uint64()) { seed in
            var random = Random(state: seed)
            let number = random.text()
            let body =
                #"{"choices":[{"message":{"content":"x"},"finish_reason":"stop"}],"usage":{"prompt_tokens":\#(number),"completion_tokens":1}}"#
            do {
                let json = try JSONValue(parsing: Data(body.utf8))
                let response = try OpenAIWire.chatResponse(json)
                #expect((response.usage?.promptTokens ?? 0) >= 0)
            } catch let error as ProviderError {
                #expect(error.code == .malformedResponse)
            }
        }
    }
}
