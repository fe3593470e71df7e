import Foundation
import PipelineKit
import PropertyBased
import StoryForgeCore
import Testing

@testable import StoryPipeline

/// Every numeric key of the configuration file at hostile values: each is an error naming its path, or a value in
/// range that a dry run then accepts; none traps (a trap would end the test process).
///
/// The keys are enumerated from the real types, not from a list that can drift: the `story` and `render` sections
/// and a stage's settings from full samples encoded by their own `Encodable` conformances (with a check, by
/// reflection, that each sample sets every field), and the stage parameters from what each stage of the default
/// pipeline declares.
@Suite struct ConfigurationFuzzTests {
    /// Numbers and non-numbers that must never pass as a numeric setting.
    static let alwaysRejected = [
        "1e300", "-1e300", "1e25", "-1e25", "9223372036854775808", "18446744073709551616", "-9223372036854775809",
        String(repeating: "9", count: 400), "1e400", "-1e400", #""12""#, "null", "true", "[]", "{}",
    ]
    /// Values that are fine for some keys and wrong for others.
    static let sometimesAccepted = ["0", "-1", "1.5", "-0", "1e-320", "2", "45", "1080", "9223372036854775807", "-14"]

    /// A key of the configuration file and how to reach it.
    struct Key: CustomStringConvertible {
        /// Where in the document, e.g. `["pipeline", "stages", "voice", "timeout"]`.
        var path: [String]
        /// The dotted path an error must name.
        var dotted: String
        /// Whether the key takes a number (others, like `style`, take strings or booleans).
        var numeric: Bool
        var description: String { dotted }

        /// Whether `message` names this key: its whole path, or (for a check across keys, such as
        /// `stages.voice.retry.max_delay: must be >= retry.initial_delay`) its parent's path and its own name.
        func isNamed(in message: String) -> Bool {
            if message.contains(dotted) { return true }
            let parent = path.dropLast().joined(separator: ".")
            return message.contains(parent) && message.contains(path.last ?? "")
        }
    }

    static func sampleStage() -> StageConfiguration {
        StageConfiguration(
            enabled: true, retry: .init(maxAttempts: 3, initialDelay: 0.5, maxDelay: 4, jitter: 0.5), timeout: 30,
            totalTimeout: 90, cache: .ttl, cacheTTL: 60, continueOnError: false, parameters: StageParameters())
    }

    static func sampleFile() -> StoryConfiguration {
        StoryConfiguration(
            story: .init(
                topic: "a night train", seed: 7, targetSeconds: 45, language: "en", ideaCount: 3, speechRate: 1.1,
                titleHook: .init(text: "Last stop")),
            providers: .offline, render: .init(width: 1080, height: 1920, fps: 30, loudness: -14, aspect: "9:16"))
    }

    /// Whether every optional stored property of `value` is set, recursively through nested structs.
    static func unsetFields(of value: Any, prefix: String = "") -> [String] {
        var unset: [String] = []
        for child in Mirror(reflecting: value).children {
            let name = prefix + (child.label ?? "?")
            let mirror = Mirror(reflecting: child.value)
            if mirror.displayStyle == .optional {
                guard let wrapped = mirror.children.first?.value else {
                    unset.append(name)
                    continue
                }
                if Mirror(reflecting: wrapped).displayStyle == .struct {
                    unset += unsetFields(of: wrapped, prefix: name + ".")
                }
            }
        }
        return unset
    }

    /// The paths of the number leaves of an encoded value.
    static func numberPaths(_ value: JSONValue, prefix: [String] = []) -> [[String]] {
        switch value {
        case .number: return [prefix]
        case .object(let members):
            return members.keys.sorted().flatMap { numberPaths(members[$0]!, prefix: prefix + [$0]) }
        default: return []
        }
    }

    static func json(_ encoded: Data) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: encoded)
    }

    static func services() throws -> StoryServices {
        StoryServices(providers: .offline(), ffmpeg: nil, library: nil, workDirectory: try temporaryDirectory("fuzz"))
    }

    /// Every key, enumerated from the types.
    static func keys() throws -> [Key] {
        var keys: [Key] = []
        let file = try json(sampleFile().jsonData())
        for path in numberPaths(file) where path.first != "pipeline" {
            keys.append(Key(path: path, dotted: path.joined(separator: "."), numeric: true))
        }
        let stageKeys = numberPaths(try json(JSONEncoder().encode(sampleStage())))
        let stages = StoryStudio.defaultPipeline(services: try services()).stages
        for stage in stages {
            let id = stage.id.rawValue
            for path in stageKeys {
                let full = ["pipeline", "stages", id] + path
                keys.append(Key(path: full, dotted: full.joined(separator: "."), numeric: true))
            }
            for parameter in stage.declaredParameters ?? [] {
                let full = ["pipeline", "stages", id, "parameters", parameter.name]
                let numeric =
                    parameter.expectation.hasPrefix("a number") || parameter.expectation.hasPrefix("an integer")
                keys.append(Key(path: full, dotted: full.joined(separator: "."), numeric: numeric))
            }
        }
        return keys
    }

    /// The document for one case: the full sample (for `story` and `render`) or the sample stage settings (for a
    /// stage), with `literal` written verbatim at `key`.
    static func document(_ key: Key, literal: String) throws -> String {
        var root: JSONValue
        if key.path.first == "pipeline" {
            var stage = try json(JSONEncoder().encode(sampleStage()))
            if key.path.count > 4, key.path[3] == "parameters" { stage = .object(["parameters": .object([:])]) }
            root = .object([
                "providers": .object([
                    "text": .string("template"), "speech": .string("espeak"), "images": .string("procedural"),
                ]),
                "pipeline": .object(["stages": .object([key.path[2]: stage])]),
            ])
        } else {
            root = try json(sampleFile().jsonData())
        }
        root = set(root, at: key.path[...], to: .string("__FUZZ__"))
        let text = String(decoding: try JSONEncoder().encode(root), as: UTF8.self)
        return text.replacingOccurrences(of: #""__FUZZ__""#, with: literal)
    }

    static func set(_ value: JSONValue, at path: ArraySlice<String>, to leaf: JSONValue)
        -> JSONValue
    {
        guard let first = path.first else { return leaf }
        var members: [String: JSONValue] = [:]
        if case .object(let existing) = value { members = existing }
        members[first] = set(members[first] ?? .object([:]), at: path.dropFirst(), to: leaf)
        return .object(members)
    }

    enum Outcome: Equatable {
        case accepted(StoryConfiguration)
        case rejected(String)
    }

    /// Reads the document as `story-demo --config` does, then checks it against the default pipeline as the studio
    /// does before anything runs.
    /// The text decoded as JSON, or (JSON being YAML's flow style) as YAML, and checked against the pipeline.
    static func outcome(_ text: String, stages: [AnyPipelineStage], yaml: Bool = false) -> Outcome {
        do {
            let configuration =
                yaml
                ? try StoryConfiguration.decode(yaml: Data(text.utf8))
                : try StoryConfiguration.decode(json: Data(text.utf8))
            let issues = configuration.effectivePipeline.issues(for: stages)
            guard issues.isEmpty else {
                return .rejected(issues.map { "pipeline.\($0.description)" }.joined(separator: "; "))
            }
            return .accepted(configuration)
        } catch {
            return .rejected(error.message)
        }
    }

    @Test func theSamplesSetEveryFieldSoNoKeyIsMissed() throws {
        #expect(Self.unsetFields(of: Self.sampleStage()) == [])
        #expect(Self.unsetFields(of: Self.sampleFile().story) == [])
        #expect(Self.unsetFields(of: Self.sampleFile().render) == [])
        // Every stage of the default pipeline declares its parameters, so none escapes the checks.
        let undeclared = StoryStudio.defaultPipeline(services: try Self.services()).stages
            .filter { $0.declaredParameters == nil }.map(\.id.rawValue)
        #expect(undeclared == [])
        let keys = try Self.keys().map(\.dotted)
        for expected in [
            "story.seed", "story.target_seconds", "story.idea_count", "render.width", "render.height", "render.fps",
            "render.loudness", "pipeline.stages.assemble.timeout", "pipeline.stages.voice.retry.initial_delay",
            "pipeline.stages.keyframes.parameters.width", "pipeline.stages.shots.parameters.max_shots",
            "pipeline.stages.keyframe-plan.parameters.max_images", "pipeline.stages.script.parameters.max_words",
        ] {
            #expect(keys.contains(expected), "\(expected)")
        }
    }

    @Test func everyKeyAtEveryExtremeValueIsAnErrorNamingItsPathOrAValueInRange() async throws {
        let stages = StoryStudio.defaultPipeline(services: try Self.services()).stages
        let keys = try Self.keys()
        var tried = 0
        var rejected = 0
        var acceptedOptions: [String: Set<String>] = [:]
        for key in keys {
            for literal in Self.alwaysRejected + Self.sometimesAccepted {
                tried += 1
                let text = try Self.document(key, literal: literal)
                let json = Self.outcome(text, stages: stages)
                // The same document read as YAML gets the same verdict: the same configuration, or an error naming
                // the same path (or, for a number JSON spells but YAML's reader refuses, its line and column).
                switch (json, Self.outcome(text, stages: stages, yaml: true)) {
                case (.accepted(let fromJSON), .accepted(let fromYAML)):
                    #expect(fromJSON == fromYAML, "\(key) = \(literal)")
                case (.rejected, .rejected(let message)):
                    #expect(
                        key.isNamed(in: message) || message.contains("line "), "YAML \(key) = \(literal): \(message)")
                default:
                    Issue.record("\(key) = \(literal): JSON and YAML disagree")
                }
                switch json {
                case .rejected(let message):
                    rejected += 1
                    #expect(key.isNamed(in: message), "\(key) = \(literal): \(message)")
                case .accepted:
                    #expect(
                        !(key.numeric && Self.alwaysRejected.contains(literal)), "\(key) = \(literal) was accepted")
                    if key.path.count == 4 || (key.path.count == 5 && key.path[3] == "retry") {
                        acceptedOptions[key.path[3...].joined(separator: "."), default: []].insert(literal)
                    }
                }
            }
        }
        print(
            "configuration fuzz: \(keys.count) keys, \(tried) inputs (each as JSON and as YAML), \(rejected) rejected "
                + "with their path, crashes: 0")
        #expect(keys.count > 100)

        // The values accepted for a stage's timeouts and retries go through a real dry run, set on every stage at
        // once: `"initial_delay": 1e300` used to trap right here ("Duration overflow") even with --dry-run.
        let store = try temporaryDirectory("fuzz-plan")
        defer { try? FileManager.default.removeItem(at: store) }
        var planned = 0
        for (option, literals) in acceptedOptions.sorted(by: { $0.key < $1.key }) {
            for literal in literals.sorted() {
                var text = #"{"providers": {"text": "template", "speech": "espeak", "images": "procedural"}, "#
                text += #""pipeline": {"stages": {"#
                text += stages.map { stage in
                    let parts = option.split(separator: ".").map(String.init)
                    let value =
                        parts == ["retry", "max_attempts"]
                        ? #"{"retry": {"max_attempts": \#(literal)}}"#
                        : parts.count == 2
                            ? #"{"retry": {"max_attempts": 3, "\#(parts[1])": \#(literal)}}"#
                            : parts[0] == "cache_ttl"
                                ? #"{"cache": "ttl", "cache_ttl": \#(literal)}"# : #"{"\#(parts[0])": \#(literal)}"#
                    return #""\#(stage.id.rawValue)": \#(value)"#
                }.joined(separator: ", ")
                text += "}}}"
                guard case .accepted(let configuration) = Self.outcome(text, stages: stages) else {
                    // Relations (maxDelay ≥ initialDelay) may reject a value alone fine: then it names its path.
                    continue
                }
                let studio = try StoryStudio(
                    store: store, configuration: configuration, providers: .offline(), ffmpeg: nil)
                let plan = try await studio.plan(studio.request(topic: "fuzz"))
                #expect(!plan.steps.isEmpty)
                planned += 1
            }
        }
        print("configuration fuzz: \(planned) accepted timeout and retry settings went through a dry run")
        #expect(planned > 0)
    }

    /// Random values at random keys: numbers over every magnitude, integers over the whole 64-bit range, strings,
    /// nulls, nesting.
    @Test func randomValuesAtRandomKeysNeverTrap() async throws {
        let stages = StoryStudio.defaultPipeline(services: try Self.services()).stages
        let keys = try Self.keys()
        let counter = Counter()
        await propertyCheck(count: 400, input: Gen.uint64()) { seed in
            var random = SplitMix(seed: seed)
            let key = keys[Int(random.next() % UInt64(keys.count))]
            let literal = Self.randomLiteral(&random)
            guard let text = try? Self.document(key, literal: literal) else { return }
            counter.add()
            if case .rejected(let message) = Self.outcome(text, stages: stages) {
                #expect(key.isNamed(in: message), "\(key) = \(literal): \(message)")
            }
        }
        print("configuration property test: \(counter.value) random inputs, crashes: 0")
        #expect(counter.value == 400)
    }

    static func randomLiteral(_ random: inout SplitMix) -> String {
        switch random.next() % 8 {
        case 0: return String(Int64(bitPattern: random.next()))
        case 1: return String(random.next())
        case 2:
            let exponent = Int(random.next() % 620) - 310
            return "\(random.next() % 2 == 0 ? "-" : "")\(random.next() % 10).\(random.next() % 1000)e\(exponent)"
        case 3:
            let number = Double(bitPattern: random.next())
            return number.isFinite ? String(number) : "0"
        case 4: return String(repeating: String(random.next() % 10), count: Int(random.next() % 40) + 1)
        case 5: return #""\#(random.next())""#
        case 6: return ["null", "true", "false", "[]", "{}", "[1e300]", #"{"a": 1}"#][Int(random.next() % 7)]
        default: return String(Double(Int64(bitPattern: random.next())) / Double(random.next() | 1))
        }
    }
}

/// A count shared with a property check's closure.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
