import Foundation
import ProviderKit
import ProviderKitTesting
import Testing

/// A server that sends absurd numbers everywhere a number can go, over real loopback HTTP: each
/// request ends in a typed error or a clamped wait, never a trap, and no retry, breaker or rate
/// limiter ever waits past its cap (checked on a virtual clock, so the suite takes no real time).
@Suite("Hostile server numbers")
struct HostileServerTests {
    typealias Fixtures = ResilienceFixtures

    /// What a hostile header carries: as text, since a header can say anything.
    static let hostileHeaderValues = [
        "1e300", "-1e300", "NaN", "nan", "inf", "-inf", "1e999", "99999999999999999999999", "-5", "0x1p1023",
        "1e30", "abc", "", " ", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "1.5e-300",
    ]

    /// What a hostile JSON number carries: literal JSON text (`NaN` and `1e999` are not JSON, or
    /// not a Double, so they test the not-JSON path).
    static let hostileJSONNumbers = [
        "1e300", "-1e300", "1e999", "-1e999", "99999999999999999999999", "-99999999999999999999999", "-5", "NaN",
        "Infinity", "1.5", "9223372036854775807", "9223372036854775808", "4.9e-324", "0",
    ]

    static let cap = Duration.seconds(600)

    /// Every sleep on `clock` stays within `cap`.
    static func expectCapped(_ clock: VirtualProviderClock, cap: Duration = cap, _ context: String) {
        for sleep in clock.sleeps {
            #expect(sleep >= .zero && sleep <= cap, "\(context): slept \(sleep), more than the cap \(cap)")
        }
    }

    @Test("Retry-After, retry-after-ms and x-ratelimit-reset-* at absurd values: clamped waits, never past the cap")
    func retryHeaders() async throws {
        for status in [429, 503] {
            for name in ["Retry-After", "retry-after-ms", "x-ratelimit-reset-requests"] {
                for value in Self.hostileHeaderValues {
                    var headers = [(name: name, value: value)]
                    if name.hasPrefix("x-ratelimit") { headers.append(("x-ratelimit-remaining-requests", "0")) }
                    let script = ScriptedResponses(
                        [Fixtures.error(status, headers: headers), Fixtures.error(status, headers: headers)],
                        then: Fixtures.ok("through"))
                    let server = try LoopbackHTTPServer(handler: script.handler)
                    defer { server.shutdown() }
                    let clock = VirtualProviderClock()
                    // A server delay allowance of two days: every clamped wait is accepted, so the
                    // wait cap (10 minutes) is what bounds the sleep.
                    let generator = Fixtures.provider(server).withRetry(
                        .exponentialJitter(maxAttempts: 3, jitter: .none, maxServerDelay: .seconds(172_800)),
                        clock: clock, logger: Fixtures.quiet)
                    let response = try await generator.generate(Fixtures.request)
                    #expect(response.text == "through")
                    #expect(clock.sleeps.count == 2)
                    Self.expectCapped(clock, "\(status) \(name): \(value)")
                }
            }
        }
    }

    @Test("with the default policy, a wait past the allowance returns the typed error at once, clamped to a day")
    func hugeWaitsFailFast() async throws {
        for value in ["1e300", "99999999999999999999999", "1e30", "9223372036854775808"] {
            let server = try LoopbackHTTPServer { _ in Fixtures.error(429, headers: [("Retry-After", value)]) }
            defer { server.shutdown() }
            let clock = VirtualProviderClock()
            let generator = Fixtures.provider(server).withRetry(
                .exponentialJitter(maxAttempts: 3), clock: clock, logger: Fixtures.quiet)
            let error = await #expect(throws: ProviderError.self) { try await generator.generate(Fixtures.request) }
            #expect(error?.code == .rateLimited)
            #expect(error?.retryAfter == .seconds(86_400), "Retry-After: \(value)")
            #expect(clock.sleeps.isEmpty)
            #expect(server.requests.count == 1)
        }
    }

    @Test("retry-after-ms: 1e30 on a 429 is a day, NaN and negatives are ignored")
    func retryAfterMilliseconds() async throws {
        let expectations: [(String, Duration?)] = [
            ("1e30", .seconds(86_400)), ("NaN", nil), ("-1e300", nil), ("-5", nil), ("1500", .milliseconds(1500)),
        ]
        for (value, expected) in expectations {
            let server = try LoopbackHTTPServer { _ in Fixtures.error(429, headers: [("retry-after-ms", value)]) }
            defer { server.shutdown() }
            let error = await #expect(throws: ProviderError.self) {
                try await Fixtures.provider(server).generate(Fixtures.request)
            }
            #expect(error?.code == .rateLimited)
            #expect(error?.retryAfter == expected, "retry-after-ms: \(value)")
        }
    }

    @Test("a breaker opened by a 429 with Retry-After: 1e300 stays open no longer than its cap")
    func breakerCooldownCapped() async throws {
        let server = try LoopbackHTTPServer { _ in Fixtures.error(429, headers: [("Retry-After", "1e300")]) }
        defer { server.shutdown() }
        let clock = VirtualProviderClock()
        let breaker = CircuitBreaker(provider: "hostile", clock: clock)
        let generator = Fixtures.provider(server).withCircuitBreaker(breaker)
        _ = await #expect(throws: ProviderError.self) { try await generator.generate(Fixtures.request) }
        #expect(breaker.state(model: nil) == .open)
        let open = await #expect(throws: ProviderError.self) { try await generator.generate(Fixtures.request) }
        #expect(open?.code == .circuitOpen)
        #expect(open?.retryAfter == .seconds(600))
        clock.advance(by: .seconds(600))
        #expect(breaker.state(model: nil) == .halfOpen)
    }

    @Test("a rate limiter told to wait 1e300 s by x-ratelimit-* fails typed and never sleeps past its maximum")
    func rateLimiterHeaders() async throws {
        for value in ["1e300s", "99999999999h", "1e999", "1e300", "NaN", "-3s"] {
            let server = try LoopbackHTTPServer { _ in
                .json(
                    Fixtures.chatJSON(),
                    headers: [
                        ("x-ratelimit-limit-requests", "99999999999999999999999"),
                        ("x-ratelimit-remaining-requests", "0"), ("x-ratelimit-reset-requests", value),
                        ("x-ratelimit-limit-tokens", "-1e300"), ("x-ratelimit-remaining-tokens", "NaN"),
                    ])
            }
            defer { server.shutdown() }
            let clock = VirtualProviderClock()
            let generator = Fixtures.provider(server).withRateLimit(
                .init(requestsPerMinute: 60, maxWait: .seconds(300)), clock: clock)
            _ = try await generator.generate(Fixtures.request)
            // A reset past the limiter's maximum wait (1e300 and 10^11 h, read as a day) fails at
            // once; one that is not a duration (NaN, -3s, 1e999 overflowing, 1e300s: Go durations
            // have no exponent) is ignored, and the request bucket's own refill (one second) is all
            // the next call waits.
            let blocked = ["99999999999h", "1e300"].contains(value)
            do {
                _ = try await generator.generate(Fixtures.request)
                #expect(!blocked, "reset \(value) did not block")
                #expect(clock.sleeps == [.seconds(1)], "reset \(value)")
            } catch let error as ProviderError {
                #expect(blocked, "reset \(value): \(error)")
                #expect(error.code == .rateLimited, "reset \(value)")
                #expect(clock.sleeps.isEmpty)
            }
            Self.expectCapped(clock, cap: .seconds(300), "reset \(value)")
        }
    }

    @Test("error bodies with absurd numeric codes map to typed errors", arguments: hostileJSONNumbers)
    func errorCodes(number: String) async throws {
        let server = try LoopbackHTTPServer { _ in
            .json(#"{"error":{"message":"no","type":\#(number),"code":\#(number)}}"#, status: 400)
        }
        defer { server.shutdown() }
        let error = await #expect(throws: ProviderError.self) {
            try await Fixtures.provider(server).generate(Fixtures.request)
        }
        #expect(error?.code == .badRequest)
        #expect(error?.statusCode == 400)
    }

    @Test("usage token counts at absurd values are clamped or dropped, and sums never overflow")
    func usageCounts() async throws {
        for number in Self.hostileJSONNumbers {
            let body =
                #"{"model":"m","choices":[{"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"#
                + #""usage":{"prompt_tokens":\#(number),"completion_tokens":\#(number)}}"#
            let server = try LoopbackHTTPServer { _ in .json(body) }
            defer { server.shutdown() }
            let ledger = CostLedger(budget: 1)
            let limited = Fixtures.provider(server).withRateLimit(
                .init(tokensPerMinute: 1000), clock: VirtualProviderClock())
            do {
                let response = try await limited.generate(Fixtures.request)
                if let usage = response.usage {
                    #expect(usage.promptTokens >= 0 && usage.promptTokens <= 1 << 53, "\(number)")
                    #expect(usage.totalTokens >= usage.promptTokens)
                    let cost = PriceTable.standard.cost(
                        ProviderCall(.chat(Fixtures.request)), model: "gpt-4o", usage: usage)
                    await ledger.record(
                        provider: "p", call: ProviderCall(.chat(Fixtures.request)), usage: usage, audioSeconds: nil,
                        cost: cost)
                    await ledger.record(
                        provider: "p", call: ProviderCall(.chat(Fixtures.request)),
                        usage: TokenUsage(promptTokens: .max, completionTokens: .max), audioSeconds: nil, cost: .nan)
                    #expect(await ledger.usageByProvider["p"]?.promptTokens == .max)
                }
            } catch let error as ProviderError {
                // 1e999, NaN and Infinity are not JSON numbers a Double holds: the body is malformed.
                #expect(error.code == .malformedResponse, "\(number)")
            }
        }
    }

    @Test("a streamed tool call's index must be a small whole number", arguments: hostileJSONNumbers)
    func toolCallIndex(number: String) async throws {
        let server = try LoopbackHTTPServer { _ in
            .stream([
                Fixtures.chunk(
                    #"{"tool_calls":[{"index":\#(number),"id":"c","function":{"name":"f","arguments":"{}"}}]}"#),
                Fixtures.chunk("{}", finish: "tool_calls"), "data: [DONE]\n\n",
            ])
        }
        defer { server.shutdown() }
        var accumulator = ChatStreamAccumulator()
        do {
            for try await part in Fixtures.provider(server).stream(Fixtures.request) { accumulator.add(part) }
            // Only a whole number in 0…65535 is an index.
            #expect(number == "0", "index \(number) was accepted")
            #expect(accumulator.response.toolCalls.count == 1)
        } catch let error as ProviderError {
            #expect(error.code == .malformedResponse, "index \(number)")
        }
    }

    @Test("Ollama sizes and eval counts at absurd values are clamped or dropped")
    func ollamaNumbers() async throws {
        for number in Self.hostileJSONNumbers {
            let server = try LoopbackHTTPServer { request in
                if request.path.hasSuffix("/api/tags") {
                    return .json(#"{"models":[{"name":"m","size":\#(number)}]}"#)
                }
                return .json(
                    #"{"model":"m","message":{"role":"assistant","content":"hi"},"done":true,"#
                        + #""prompt_eval_count":\#(number),"eval_count":\#(number),"total_duration":\#(number)}"#)
            }
            defer { server.shutdown() }
            let ollama = OllamaProvider(
                configuration: .init(baseURL: server.baseURL, chatModel: "m", logger: Fixtures.quiet))
            do {
                let models = try await ollama.models()
                #expect(models.allSatisfy { ($0.sizeBytes ?? 0) >= 0 && ($0.sizeBytes ?? 0) <= 1 << 53 })
                let response = try await ollama.generate(Fixtures.request)
                #expect(response.usage.map { $0.promptTokens >= 0 && $0.completionTokens <= 1 << 53 } ?? true)
            } catch let error as ProviderError {
                #expect(error.code == .malformedResponse, "\(number)")
            }
        }
    }

    @Test("ElevenLabs character times at absurd values are clamped to the audio, start ≤ end")
    func elevenLabsTimes() async throws {
        // One second of 24 kHz 16-bit PCM.
        let pcm = Data(count: 48_000).base64EncodedString()
        for number in Self.hostileJSONNumbers {
            let body =
                #"{"audio_base64":"\#(pcm)","alignment":{"characters":["H","i"," ","y","o"],"#
                + #""character_start_times_seconds":[\#(number),0.1,0.2,-1e300,\#(number)],"#
                + #""character_end_times_seconds":[0.1,\#(number),0.3,\#(number),0.5]}}"#
            let server = try LoopbackHTTPServer { _ in .json(body) }
            defer { server.shutdown() }
            let voice = ElevenLabsSpeechSynthesizer(
                configuration: .init(baseURL: server.baseURL, apiKey: "xi-test-key", logger: Fixtures.quiet))
            do {
                let speech = try await voice.synthesize(SpeechRequest(text: "Hi yo", format: .wav))
                let words = try #require(speech.wordTimings)
                #expect(words.map(\.word) == ["Hi", "yo"])
                for word in words {
                    #expect(word.start.isFinite && word.end.isFinite)
                    #expect(word.start >= 0 && word.start <= word.end && word.end <= 1.0, "\(number): \(word)")
                }
            } catch let error as ProviderError {
                #expect(error.code == .malformedResponse, "\(number)")
            }
        }
    }

    @Test("transcription word and segment times are clamped to the uploaded audio's length")
    func transcriptionTimes() async throws {
        // A real one-second WAV: 16 kHz mono 16-bit silence.
        let wav = Self.wav(seconds: 1, rate: 16_000)
        for number in Self.hostileJSONNumbers {
            let body =
                #"{"text":"a b c","duration":\#(number),"segments":[{"text":"a b c","start":\#(number),"end":-1e300}],"#
                + #""words":[{"word":"a","start":\#(number),"end":\#(number),"probability":\#(number)},"#
                + #"{"word":"b","start":0.9,"end":0.2},{"word":"c","start":-1e300,"end":1e300}]}"#
            let server = try LoopbackHTTPServer { _ in .json(body) }
            defer { server.shutdown() }
            do {
                let transcript = try await Fixtures.provider(server).transcribe(TranscriptionRequest(audio: wav))
                #expect(transcript.duration == 1)
                for word in transcript.words {
                    #expect(word.start >= 0 && word.start <= word.end && word.end <= 1, "\(number): \(word)")
                    if let confidence = word.confidence { #expect(confidence >= 0 && confidence <= 1) }
                }
                for segment in transcript.segments {
                    #expect(segment.start >= 0 && segment.start <= segment.end && segment.end <= 1)
                }
                #expect(transcript.words.map(\.word).suffix(2) == ["b", "c"])
            } catch let error as ProviderError {
                #expect(error.code == .malformedResponse, "\(number)")
            }
        }
    }

    static func wav(seconds: Int, rate: Int) -> Data {
        let dataSize = seconds * rate * 2
        var data = Data("RIFF".utf8)
        func put32(_ value: Int) { withUnsafeBytes(of: UInt32(value).littleEndian) { data.append(contentsOf: $0) } }
        func put16(_ value: Int) { withUnsafeBytes(of: UInt16(value).littleEndian) { data.append(contentsOf: $0) } }
        put32(36 + dataSize)
        data.append(contentsOf: Array("WAVEfmt ".utf8))
        put32(16)
        put16(1)
        put16(1)
        put32(rate)
        put32(rate * 2)
        put16(2)
        put16(16)
        data.append(contentsOf: Array("data".utf8))
        put32(dataSize)
        data.append(Data(count: dataSize))
        return data
    }
}
