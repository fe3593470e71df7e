import Foundation
public import ProviderKit
import StoryForgeCore

/// A ``TextGenerator`` that is not a language model: it fills templates, deterministically from the
/// prompt and seed, so that a pipeline runs end to end with no network and no API key.
///
/// It tells the story of the topic it is given. A small rule-based analyser (no model; see `TopicAnalyser`) reads the
/// topic's hero, place, time and object ("a lighthouse keeper's last night" → a lighthouse keeper, at the
/// lighthouse, on the last night), and the writer's lists fill only what the topic leaves open. Every text carries
/// that premise: titles, the one-sentence premise ("The story of <topic>: …"), which later prompts hand back so each
/// stage tells the same story, the tale (its first two sentences name the premise and the topic as given), and the
/// picture descriptions. Items of a list of objects (ideas) each take another angle: turn of events, mood,
/// narrator. Text in another language or script is kept verbatim, in quotes, never given English grammar. A long
/// tale (a `minLength` of thousands of characters) is told in chapters, each somewhere new with someone new, and
/// repeats no sentence.
///
/// Plain requests get a short story about the prompt's topic. Requests with a
/// ``ResponseFormat/jsonSchema(name:schema:strict:)`` get JSON that satisfies the schema (objects,
/// required and optional properties, strings with lengths and enums, numbers with bounds, arrays
/// with item counts), with the kind of text the caller's ``fields`` give each string property (a title, a
/// mood, a tale, ...); the writer knows no schema's property names itself. Its model name, ``modelName``,
/// says what it is.
///
/// ```swift
/// let writer = TemplateStoryWriter(fields: ["title": .title, "narration": .tale])
/// let draft = try await writer.generate(ChatRequest(messages: [.user("a lighthouse keeper")], seed: 3))
/// ```
public struct TemplateStoryWriter: TextGenerator {
    /// The model name every response carries.
    public static let modelName = "template-story-writer (not a language model)"

    /// The kind of text a string property of a schema gets.
    public enum Field: Sendable, Hashable {
        /// "The Silver Harbour".
        case title
        /// One mood word ("hopeful", "eerie").
        case mood
        /// A keyword of the prompt, or a mood word.
        case tag
        /// A theme ("second chances").
        case theme
        /// A narrator's voice ("a warm, unhurried voice").
        case narrator
        /// An audience ("young adults").
        case audience
        /// A camera move ("slow zoom in", "still").
        case camera
        /// A picture description for an image model.
        case visual
        /// A short tale with a beginning, a turn and an end, as long as the schema's `minLength` asks.
        case tale
        /// One sentence about a hero in a place.
        case sentence
    }

    /// The kind of text each string property gets, by property name; an array's items take the array's name
    /// without a trailing "s" (`tags` → `tag`). A property not named here gets a ``Field/sentence``.
    public var fields: [String: Field]

    /// Creates a writer that fills string properties as `fields` says.
    public init(fields: [String: Field] = [:]) {
        self.fields = fields
    }

    /// Streaming, structured output, seed; offline and deterministic.
    public var capabilities: ProviderCapabilities { [.streaming, .structuredOutput, .seed, .offline, .deterministic] }

    /// Bumped when the templates change what a prompt and seed give (2: the story is the topic's, see
    /// `TopicAnalyser`): part of the identity, so checkpoints and cached answers of an older writer are not reused.
    static let templatesVersion = 2

    /// `template` with ``modelName`` as its model; its settings are the templates' version and ``fields``, which both
    /// change what it writes.
    public var identity: ProviderIdentity {
        var configuration = ["templates": String(Self.templatesVersion)]
        if !fields.isEmpty {
            configuration["fields"] = fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                .joined(separator: ",")
        }
        return ProviderIdentity(name: "template", models: [.chat: Self.modelName], configuration: configuration)
    }

    /// Always healthy: it needs nothing outside the process.
    public func checkHealth() async throws -> HealthReport {
        HealthReport(latency: .zero, detail: "offline template writer, no dependencies")
    }

    /// Its single model.
    public func models() async throws -> [ModelInfo] { [ModelInfo(id: Self.modelName, ownedBy: "StoryForge")] }

    /// Writes the response at once.
    public func generate(_ request: ChatRequest) async throws -> ChatResponse {
        let start = ContinuousClock.now
        let prompt = request.messages.filter { $0.role == .user }.map(\.content).joined(separator: " ")
        var writer = Writer(prompt: prompt, seed: request.seed ?? 0, fields: fields)
        let text: String
        switch request.responseFormat {
        case .jsonSchema(_, let schema, _): text = writer.instance(of: schema, name: "root", depth: 0).jsonText
        case .jsonObject: text = JSONValue.object(["text": .string(writer.story())]).jsonText
        case .text: text = writer.story()
        }
        var finish = FinishReason.stop
        var output = text
        for stop in request.stop where !stop.isEmpty {
            if let range = output.range(of: stop) { output = String(output[..<range.lowerBound]) }
        }
        if let maxTokens = request.maxTokens, case .text = request.responseFormat {
            let words = output.split(separator: " ", omittingEmptySubsequences: false)
            if words.count > maxTokens {
                output = words.prefix(maxTokens).joined(separator: " ")
                finish = .length
            }
        }
        return ChatResponse(
            text: output, finishReason: finish, usage: nil, model: Self.modelName, latency: .now - start)
    }

    /// Streams the same text as ``generate(_:)``, a word at a time.
    public func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatStreamPart, any Error> {
        makeProviderStream { continuation in
            let response = try await generate(request)
            continuation.yield(.model(response.model))
            var first = true
            for word in response.text.split(separator: " ", omittingEmptySubsequences: false) {
                try Task.checkCancellation()
                continuation.yield(.textDelta(first ? String(word) : " " + word))
                first = false
            }
            continuation.yield(.finish(response.finishReason))
        }
    }
}

/// The seeded choices of one answer: the premise (from the prompt's topic), the angle, and the templates.
private struct Writer {
    var random: SeededGenerator
    let fields: [String: TemplateStoryWriter.Field]
    let premise: StoryPremise
    /// The random starting points of the angles: idea `n` of an answer takes the angle `n` steps from them.
    let bases: [Int]
    /// The angle being written.
    var angle: StoryAngle
    /// Whether the prompt fixed the angle (a logline's turn, a "Tone:"): then every item keeps it.
    let angleFixed: Bool
    /// Whether an array whose items each take their own angle is being written.
    var inAngleArray = false
    /// Titles, tags and pictures written so far in this angle: each one differs from the one before.
    var titleCount = 0
    var tagCount = 0
    var visualCount = 0
    /// The numbered lines of the prompt ("1. …"), one per shot of a shot plan.
    let lines: [String]

    init(prompt: String, seed: Int, fields: [String: TemplateStoryWriter.Field]) {
        self.fields = fields
        var random = SeededGenerator(text: prompt, seed: seed)
        premise = StoryPremise(prompt: prompt, random: &random)
        bases = StoryAngle.bases(&random)
        let fresh = StoryAngle(bases: bases, offset: 0)
        let recovered = StoryAngle.recovered(from: prompt, fallback: fresh)
        angle = recovered ?? fresh
        angleFixed = recovered != nil
        lines = prompt.split(whereSeparator: \.isNewline).compactMap { line in
            let digits = line.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, line.dropFirst(digits.count).hasPrefix(". ") else { return nil }
            return String(line.dropFirst(digits.count + 2))
        }
        self.random = random
    }

    var tale: TemplateTale { TemplateTale(premise: premise, angle: angle) }

    /// The next tag of this angle: the topic's words in turn, then the mood and other moods, so an idea's tags do not
    /// repeat.
    mutating func tag() -> String {
        var words: [String] = []
        for word in premise.topic.contentWords + [angle.mood] + StoryAngle.moods where !words.contains(word) {
            words.append(word)
        }
        defer { tagCount += 1 }
        return words[tagCount % words.count]
    }

    mutating func title() -> String {
        let titles = tale.titles()
        defer { titleCount += 1 }
        return titles[(angle.title + titleCount) % titles.count]
    }

    mutating func sentence() -> String { tale.logline() }

    mutating func story() -> String {
        let body = tale.tale(minLength: 600, random: &random)
        let sentences = TemplatePhrasing.sentences(body)
        let paragraphs = stride(from: 0, to: sentences.count, by: 4).map {
            sentences[$0..<min($0 + 4, sentences.count)].joined(separator: " ")
        }
        return ([title(), ""] + paragraphs.flatMap { [$0, ""] }).joined(separator: "\n")
            .trimmingCharacters(in: .newlines)
    }

    mutating func visual() -> String {
        defer { visualCount += 1 }
        let line = visualCount < lines.count ? lines[visualCount] : ""
        return tale.visual(index: visualCount, line: line)
    }

    mutating func text(forProperty name: String, minLength: Int = 0) -> String {
        switch fields[name] ?? .sentence {
        case .title: return title()
        case .mood: return angle.mood
        case .tag: return tag()
        case .theme: return angle.theme
        case .narrator: return angle.narrator
        case .audience: return angle.audience
        case .camera: return random.pick(["slow zoom in", "slow zoom out", "pan left", "pan right", "pan up", "still"])
        case .visual: return visual()
        case .tale: return tale.tale(minLength: minLength, random: &random)
        case .sentence: return sentence()
        }
    }

    mutating func instance(of schema: JSONValue, name: String, depth: Int) -> JSONValue {
        if case .array(let options)? = schema["enum"], !options.isEmpty { return random.pick(options) }
        if let constant = schema["const"] { return constant }
        if case .array(let options)? = schema["anyOf"] ?? schema["oneOf"], let first = options.first {
            return instance(of: first, name: name, depth: depth)
        }
        var type = schema["type"]?.stringValue
        if case .array(let types)? = schema["type"] { type = types.compactMap(\.stringValue).first { $0 != "null" } }
        switch type {
        case "object":
            var object: [String: JSONValue] = [:]
            if case .object(let properties)? = schema["properties"], depth < 8 {
                for (key, property) in properties.sorted(by: { $0.key < $1.key }) {
                    object[key] = instance(of: property, name: key, depth: depth + 1)
                }
            }
            return .object(object)
        case "array":
            // Schema numbers are the caller's and may be anything (1e300, NaN): clamped, never
            // converted unchecked. 256 items and 100,000 characters are past any story field.
            let minimum = Self.schemaCount(schema["minItems"], default: 3, limit: 256)
            let maximum = Self.schemaCount(schema["maxItems"], default: max(minimum, 5), limit: 256)
            let count = depth < 8 ? max(minimum, min(maximum, minimum + Int(random.next() % 3))) : 0
            let items = schema["items"] ?? ["type": "string"]
            let singular = name.hasSuffix("s") ? String(name.dropLast()) : name
            // Each idea of a list takes its own angle on the one premise.
            let rotates = !angleFixed && !inAngleArray && items["type"]?.stringValue == "object"
            if rotates { inAngleArray = true }
            defer { if rotates { inAngleArray = false } }
            return .array(
                (0..<count).map { item in
                    if rotates {
                        angle = StoryAngle(bases: bases, offset: item)
                        titleCount = 0
                        tagCount = 0
                    }
                    return instance(of: items, name: singular, depth: depth + 1)
                })
        case "integer", "number":
            let low = schema["minimum"]?.numberValue ?? 1
            let high = schema["maximum"]?.numberValue ?? max(low, 10)
            let value = low + (high - low) * random.unit()
            return .number(type == "integer" ? value.rounded(.down) : (value * 100).rounded() / 100)
        case "boolean": return .bool(random.next() % 2 == 0)
        case "null": return .null
        default:
            let minimum = Self.schemaCount(schema["minLength"], default: 0, limit: 100_000)
            var text = text(forProperty: name, minLength: minimum)
            if schema["maxLength"]?.numberValue != nil {
                let maxLength = Self.schemaCount(schema["maxLength"], default: 0, limit: 100_000)
                if text.count > maxLength { text = String(text.prefix(maxLength)) }
            }
            if text.count < minimum { text += " " + tale.tale(minLength: minimum - text.count, random: &random) }
            return .string(text)
        }
    }

    /// A count from a JSON schema (`minItems`, `maxLength`): rounded down and clamped to
    /// `0…limit`; `default` when absent, NaN or not a number.
    private static func schemaCount(_ value: JSONValue?, default fallback: Int, limit: Int) -> Int {
        guard let number = value?.numberValue, !number.isNaN else { return min(max(fallback, 0), limit) }
        return min(CheckedNumber.count(min(number, Double(limit))) ?? 0, limit)
    }
}
