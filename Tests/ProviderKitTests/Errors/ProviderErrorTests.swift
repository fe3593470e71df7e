import Foundation
import PropertyBased
import ProviderKit
import Testing

/// The error shape every module shares: a code, a message a person can act on, the underlying error, `==` by code.
@Suite("ProviderError shape")
struct ProviderErrorTests {
    /// One of each kind, made through its public factory, as the providers make them.
    static let samples: [ProviderError] = [
        .authentication("the key was refused"), .rateLimited("slow down", retryAfter: .seconds(2)),
        .quotaExhausted("top up"), .contextTooLong("shorten it"), .contentFiltered("rephrase"),
        .badRequest("bad field"), .notFound("no such model"), .server("upstream failed"), .timeout("no answer in 30 s"),
        .transport("connection reset"), .responseTooLarge("over 32 MiB"), .malformedResponse("not JSON"),
        .unsupported("no streaming"), .cancelled("the caller cancelled"), .circuitOpen("breaker open"),
        .budgetExceeded("over budget"), .insecureTransport("key over http"),
    ]

    @Test("every kind has its own code, a message and a description that names the kind")
    func everyKind() {
        #expect(Set(Self.samples.map(\.code)).count == Self.samples.count)
        for error in Self.samples {
            #expect(!error.message.isEmpty, "\(error.code)")
            #expect(error.description.hasPrefix(error.code.description), "\(error)")
            #expect(error.underlying == nil)
        }
    }

    @Test("equality and hashing follow the code alone, whatever the message; the underlying error is kept")
    func equalityByCode() async {
        await propertyCheck(count: 300, input: Gen.int(in: 0...16), Gen.int(in: 0...16), Gen.uint64()) {
            first, second, salt in
            let underlying = POSIXError(.ECONNRESET)
            let a = Self.samples[first]
            let b = Self.samples[second]
            // A second error of `a`'s kind with another message and an underlying error.
            let other: ProviderError = a.code == .transport ? .transport("reset \(salt)", underlying: underlying) : a
            #expect((a == b) == (first == second))
            #expect(other == a)
            #expect(other.hashValue == a.hashValue)
            if a.code == .transport { #expect((other.underlying as? POSIXError)?.code == .ECONNRESET) }
        }
    }

    @Test("isRetryable is true for rate limits, server errors, timeouts and transport errors only")
    func retryable() {
        let retryable = Self.samples.filter(\.isRetryable).map(\.code)
        #expect(Set(retryable) == [.rateLimited, .server, .timeout, .transport])
    }
}
