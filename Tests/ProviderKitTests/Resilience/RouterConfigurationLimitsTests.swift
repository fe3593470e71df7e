import Foundation
import OfflineProviders
import ProviderKit
import Testing

/// Every number in a router configuration file at extreme values: an error naming its key path,
/// never a trap and never a silent clamp.
@Suite("Router configuration limits")
struct RouterConfigurationLimitsTests {
    /// Each numeric key, as a JSON fragment with `VALUE` for the number, and the path the error names.
    static let keys: [(json: String, path: String)] = [
        (#""budget_usd": VALUE, "providers": [{"name": "a", "kind": "template"}]"#, "budget_usd"),
        (
            #""prices": {"m": {"input_per_million_tokens": VALUE}}, "providers": [{"name": "a", "kind": "template"}]"#,
            "prices.m.input_per_million_tokens"
        ),
        (
            #""prices": {"m": {"per_image": VALUE}}, "providers": [{"name": "a", "kind": "template"}]"#,
            "prices.m.per_image"
        ),
        (
            #""providers": [{"name": "a", "kind": "template", "retry": {"max_attempts": VALUE}}]"#,
            "providers.0.retry.max_attempts"
        ),
        (
            #""providers": [{"name": "a", "kind": "template", "retry": {"initial_delay": VALUE}}]"#,
            "providers.0.retry.initial_delay"
        ),
        (
            #""providers": [{"name": "a", "kind": "template", "retry": {"max_delay": VALUE}}]"#,
            "providers.0.retry.max_delay"
        ),
        (
            #""providers": [{"name": "a", "kind": "template", "retry": {"max_server_delay_seconds": VALUE}}]"#,
            "providers.0.retry.max_server_delay_seconds"
        ),
        (
            #""providers": [{"name": "a", "kind": "template"}, {"name": "b", "kind": "template", "circuit_breaker": {"failure_ratio": VALUE}}]"#,
            "providers.1.circuit_breaker.failure_ratio"
        ),
        (
            #""providers": [{"name": "a", "kind": "template", "circuit_breaker": {"minimum_calls": VALUE}}]"#,
            "providers.0.circuit_breaker.minimum_calls"
        ),
        (
            #""providers": [{"name": "a", "kind": "template", "circuit_breaker": {"window_seconds": VALUE}}]"#,
            "providers.0.circuit_breaker.window_seconds"
        ),
        (
            #""providers": [{"name": "a", "kind": "template", "circuit_breaker": {"open_seconds": VALUE}}]"#,
            "providers.0.circuit_breaker.open_seconds"
        ),
        (
            #""providers": [{"name": "a", "kind": "template", "rate_limit": {"requests_per_minute": VALUE}}]"#,
            "providers.0.rate_limit.requests_per_minute"
        ),
        (
            #""providers": [{"name": "a", "kind": "template", "rate_limit": {"tokens_per_minute": VALUE}}]"#,
            "providers.0.rate_limit.tokens_per_minute"
        ),
        (
            #""providers": [{"name": "a", "kind": "template", "rate_limit": {"max_concurrent": VALUE}}]"#,
            "providers.0.rate_limit.max_concurrent"
        ),
    ]

    static let extremes = [
        "1e300", "-1e300", "1e999", "99999999999999999999999", "-1", "-0.5", "1.5", "1e25", "9223372036854775807",
        "-9223372036854775808", "1000000001", "NaN",
    ]

    @Test("each numeric key at each extreme value is an error naming its path, or a value in range")
    func extremes() throws {
        var tried = 0
        for (fragment, path) in Self.keys {
            for value in Self.extremes {
                tried += 1
                let json = "{" + fragment.replacingOccurrences(of: "VALUE", with: value) + "}"
                do {
                    let configuration = try RouterConfiguration.decode(json: Data(json.utf8))
                    // Accepted only when it is in range: then a router builds from it.
                    _ = try ProviderRouter(
                        configuration: configuration, environment: [:], factories: ProviderRouter.offlineFactories)
                } catch let error as ProviderError {
                    #expect(error.code == .badRequest)
                    if value == "NaN" || value == "1e999" {
                        // Not JSON (or no JSON number a Double holds): the parser's own words, with where.
                        #expect(error.message.contains("not valid JSON"), "\(path) = \(value): \(error.message)")
                    } else {
                        #expect(error.message.contains(path), "\(path) = \(value): \(error.message)")
                    }
                }
            }
        }
        #expect(tried == Self.keys.count * Self.extremes.count)
    }

    @Test("the message says the range and the value")
    func message() throws {
        let json = #"{"providers": [{"name": "a", "kind": "template", "circuit_breaker": {"open_seconds": 1e300}}]}"#
        let error = #expect(throws: ProviderError.self) { try RouterConfiguration.decode(json: Data(json.utf8)) }
        #expect(
            error?.message
                == "invalid router configuration: providers.0.circuit_breaker.open_seconds: must be a number in 0…600 (got 1e+300)"
        )
        let zero = #"{"providers": [{"name": "a", "kind": "template", "retry": {"max_attempts": 0}}]}"#
        let attempts = #expect(throws: ProviderError.self) { try RouterConfiguration.decode(json: Data(zero.utf8)) }
        #expect(
            attempts?.message
                == "invalid router configuration: providers.0.retry.max_attempts: must be a whole number in 1…100 (got 0)"
        )
    }

    @Test("text that is not JSON says where")
    func syntax() throws {
        let json =
            "{\n  \"providers\": [\n    {\"name\": \"a\", \"kind\": \"template\", \"retry\": {\"max_attempts\": NaN}}]}"
        let error = #expect(throws: ProviderError.self) { try RouterConfiguration.decode(json: Data(json.utf8)) }
        #expect(error?.message.contains("line 3") == true, "\(error?.message ?? "")")
        let huge = #"{"providers": [{"name": "a", "kind": "template", "retry": {"max_attempts": 1e999}}]}"#
        let number = #expect(throws: ProviderError.self) { try RouterConfiguration.decode(json: Data(huge.utf8)) }
        #expect(number?.message.contains("1e999") == true, "\(number?.message ?? "")")
    }

    @Test("each numeric key at each extreme value in YAML gets the JSON message, or says where the YAML is wrong")
    func extremesInYAML() throws {
        var tried = 0
        for (fragment, path) in Self.keys {
            for value in Self.extremes {
                tried += 1
                // JSON is YAML's flow style: the same text, read as YAML.
                let text = Data(("{" + fragment.replacingOccurrences(of: "VALUE", with: value) + "}").utf8)
                let fromJSON = Result { try RouterConfiguration.decode(json: text) }
                let fromYAML = Result { try RouterConfiguration.decode(yaml: text) }
                switch (fromJSON, fromYAML) {
                case (.success(let json), .success(let yaml)):
                    #expect(json == yaml, "\(path) = \(value)")
                case (.failure(let json as ProviderError), .failure(let yaml as ProviderError)):
                    #expect(yaml.code == .badRequest)
                    if json.message.contains("not valid JSON") {
                        // NaN is a string in YAML (then a type error at its path); 1e999 is out of range, with where.
                        #expect(
                            yaml.message.contains(path) || yaml.message.contains("line 1"),
                            "\(path) = \(value): \(yaml)")
                    } else {
                        #expect(yaml.message == json.message)
                    }
                default:
                    Issue.record("\(path) = \(value): JSON \(fromJSON), YAML \(fromYAML)")
                }
            }
        }
        #expect(tried == Self.keys.count * Self.extremes.count)
    }

    @Test("a block-style YAML file gives the configuration of its JSON equivalent")
    func blockYAML() throws {
        let yaml = """
            strategy: ordered
            budget_usd: 2.5
            providers:
              - name: local
                kind: template
                retry: { max_attempts: 3, initial_delay: 0.25, max_delay: 2 }
                circuit_breaker:
                  failure_ratio: 0.5
                  open_seconds: 30
              - name: offline
                kind: procedural
            """
        let json = """
            {"strategy": "ordered", "budget_usd": 2.5, "providers": [
              {"name": "local", "kind": "template", "retry": {"max_attempts": 3, "initial_delay": 0.25, "max_delay": 2},
               "circuit_breaker": {"failure_ratio": 0.5, "open_seconds": 30}},
              {"name": "offline", "kind": "procedural"}]}
            """
        let configuration = try RouterConfiguration.decode(yaml: Data(yaml.utf8))
        #expect(configuration == (try RouterConfiguration.decode(json: Data(json.utf8))))
        #expect(configuration.providers.map(\.name) == ["local", "offline"])
        let broken = "providers:\n  - name: a\n    kind: [template\n"
        let error = #expect(throws: ProviderError.self) { try RouterConfiguration.decode(yaml: Data(broken.utf8)) }
        #expect(
            error?.message.hasPrefix("invalid router configuration: not valid YAML: line ") == true,
            "\(error?.message ?? "")")
    }

    @Test("a millisecond key of an earlier release is an error naming its seconds replacement")
    func renamedKeys() throws {
        for (old, new) in [("initial_delay_ms", "initial_delay"), ("max_delay_ms", "max_delay")] {
            let json = #"{"providers": [{"name": "a", "kind": "template", "retry": {"OLD": 500}}]}"#
                .replacingOccurrences(of: "OLD", with: old)
            let error = #expect(throws: ProviderError.self) { try RouterConfiguration.decode(json: Data(json.utf8)) }
            #expect(
                error?.message
                    == "invalid router configuration: providers.0.retry.\(old): renamed to \(new), in seconds (500 ms is 0.5)"
            )
        }
        let seconds =
            #"{"providers": [{"name": "a", "kind": "template", "retry": {"initial_delay": 0.5, "max_delay": 30}}]}"#
        let retry = try RouterConfiguration.decode(json: Data(seconds.utf8)).providers[0].retry
        #expect(retry?.initialDelay == 0.5)
        #expect(retry?.maxDelay == 30)
    }

    @Test("a configuration built in code is checked too")
    func inCode() throws {
        let configuration = RouterConfiguration(
            providers: [
                .init(name: "a", kind: "template", circuitBreaker: .init(failureRatio: .nan))
            ])
        let error = #expect(throws: ProviderError.self) {
            try ProviderRouter(configuration: configuration, factories: ProviderRouter.offlineFactories)
        }
        #expect(error?.message.contains("providers.0.circuit_breaker.failure_ratio") == true)
    }
}
