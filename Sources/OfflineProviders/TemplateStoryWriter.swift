import Foundation
public import ProviderKit
import StoryForgeCore

/// A ``TextGenerator`` that is not a language model: it fills templates, deterministically from the
/// prompt and seed, so that a pipeline runs end to end with no network and no API key.
///
/// Plain requests get a short story built from the prompt's own words. Requests with a
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

    /// `template` with ``modelName`` as its model; it has no settings.
    public var identity: ProviderIdentity { ProviderIdentity(name: "template", models: [.chat: Self.modelName]) }

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

/// The templates and the seeded choices among them.
private struct Writer {
    var random: SeededGenerator
    let fields: [String: TemplateStoryWriter.Field]
    let keywords: [String]
    /// The hero and place of this answer: the ones the prompt already names (so that a shot list follows its
    /// script), else chosen by the seed.
    let hero: (intro: String, short: String)
    let place: String

    static let stopWords: Set<String> = [
        "about", "after", "again", "their", "there", "these", "those", "which", "while", "would", "could",
        "should", "story", "write", "please", "short", "with", "from", "into", "that", "this", "make", "video",
        "give", "have", "json", "return", "about", "where", "what", "when", "your", "topic", "language", "ideas",
        "different", "narration", "words", "seconds", "last", "first", "every", "never", "always",
    ]
    static let heroes: [(intro: String, short: String)] = [
        ("a lighthouse keeper", "the keeper"), ("a young cartographer", "the cartographer"),
        ("an old baker", "the baker"), ("a night-shift nurse", "the nurse"), ("a runaway robot", "the robot"),
    ]
    static let places = [
        "a fog-bound harbour", "a city of bridges", "a village under the mountain", "a night train",
        "a desert observatory",
    ]
    static let turns = [
        "finds a letter never sent", "hears a song no one else can", "loses the one thing that mattered",
        "is given a single day", "meets a stranger with the same face",
    ]
    static let moods = ["hopeful", "eerie", "bittersweet", "triumphant", "calm", "tense", "warm"]
    static let adjectives = ["Quiet", "Last", "Hidden", "Burning", "Silver", "Forgotten", "Endless"]
    static let themes = ["second chances", "memory", "courage", "belonging", "letting go", "small kindnesses"]
    static let narrators = ["a warm, unhurried voice", "a quiet older voice", "a curious young voice"]
    static let audiences = ["young adults", "families", "curious minds", "night owls", "dreamers"]
    static let times = ["grey morning", "late evening", "stormy night", "still afternoon", "first cold dawn"]

    init(prompt: String, seed: Int, fields: [String: TemplateStoryWriter.Field]) {
        self.fields = fields
        var random = SeededGenerator(text: prompt, seed: seed)
        let lowered = prompt.lowercased()
        keywords =
            lowered
            .split { !$0.isLetter }
            .map(String.init)
            .filter { $0.count >= 4 && !Self.stopWords.contains($0) }
        hero =
            Self.heroes.first { lowered.contains($0.intro) || lowered.contains($0.short) } ?? random.pick(Self.heroes)
        place = Self.places.first { lowered.contains($0) } ?? random.pick(Self.places)
        self.random = random
    }

    mutating func keyword() -> String? { keywords.isEmpty ? nil : random.pick(keywords) }

    mutating func title() -> String {
        let noun = (keyword() ?? random.pick(["Harbour", "Signal", "Garden", "Promise"])).capitalized
        return "The \(random.pick(Self.adjectives)) \(noun)"
    }

    mutating func sentence() -> String {
        let hero = random.pick(Self.heroes).intro
        let place = random.pick(Self.places)
        let turn = random.pick(Self.turns)
        if let word = keyword() {
            return "In \(place), \(hero) \(turn), and everything turns on the \(word)."
        }
        return "In \(place), \(hero) \(turn)."
    }

    /// A short tale with a beginning, a turn and an end, told about one hero in one place, as long as `minLength`
    /// characters asks for (at least four sentences); its arc is fixed, its details come from the prompt and seed.
    mutating func tale(minLength: Int) -> String {
        // The first noun-like keyword: a title this writer made ("The Silver Keeper") names its subject last.
        let adjectives = Set(Self.adjectives.map { $0.lowercased() })
        let object = keywords.first { !adjectives.contains($0) } ?? random.pick(["light", "letter", "song", "door"])
        let short = hero.short
        let capital = short.prefix(1).uppercased() + short.dropFirst()
        let arc: [[String]] = [
            [
                "Nobody in \(place) paid much attention to \(hero.intro).",
                "In \(place) lived \(hero.intro) who noticed everything.",
            ],
            [
                "Every evening \(short) walked the same road, thinking about the \(object).",
                "For years \(short) kept to the same quiet routine, and the \(object) was part of it.",
            ],
            [
                "Then, one \(random.pick(Self.times)), \(short) \(random.pick(Self.turns)).",
                "Until the day \(short) \(random.pick(Self.turns)).",
            ],
            ["At first it seemed like nothing at all.", "It should have been a small thing."],
            [
                "But the closer \(short) looked, the more the \(object) seemed to be waiting for an answer.",
                "But the \(object) would not leave \(short) alone.",
            ],
            ["\(capital) could have walked away, as everyone always did.", "\(capital) was afraid, and went anyway."],
            [
                "Instead, with cold hands and a warm heart, \(short) followed it into the \(random.pick(Self.moods)) night.",
                "Step by step, \(short) followed where it led.",
            ],
            ["What waited there was not what anyone expected.", "At the end of the road there was a light."],
            [
                "It was a small thing: a window still lit, a voice that remembered a name.",
                "Someone had been waiting all along, and had kept a place by the fire.",
            ],
            [
                "And for the first time in years, \(place) felt like home.",
                "And \(short) smiled, because now it made sense.",
            ],
            ["Sometimes the \(object) is the whole story.", "Some stories only need one brave step."],
            ["You only have to listen.", "Listen closely, and you will hear it too."],
        ]
        var sentences: [String] = []
        var length = 0
        for options in arc where sentences.count < 4 || length < minLength {
            let sentence = random.pick(options)
            sentences.append(sentence)
            length += sentence.count + 1
        }
        while length < minLength {
            let extra = sentence()
            sentences.append(extra)
            length += extra.count + 1
        }
        return sentences.joined(separator: " ")
    }

    mutating func story() -> String {
        let title = title()
        let paragraphs = (0..<3).map { _ in (0..<3).map { _ in sentence() }.joined(separator: " ") }
        return ([title, ""] + paragraphs.flatMap { [$0, ""] }).joined(separator: "\n").trimmingCharacters(in: .newlines)
    }

    mutating func visual() -> String {
        let mood = random.pick(Self.moods)
        let detail = random.pick([
            "warm window light", "mist rolling in", "long evening shadows", "rain on the glass", "a single lamp",
            "stars overhead", "dust in a beam of light",
        ])
        return "\(mood) cinematic shot of \(hero.intro) in \(place), \(detail), soft volumetric light, vertical frame"
    }

    mutating func text(forProperty name: String, minLength: Int = 0) -> String {
        switch fields[name] ?? .sentence {
        case .title: return title()
        case .mood: return random.pick(Self.moods)
        case .tag: return keyword() ?? random.pick(Self.moods)
        case .theme: return random.pick(Self.themes)
        case .narrator: return random.pick(Self.narrators)
        case .audience: return random.pick(Self.audiences)
        case .camera: return random.pick(["slow zoom in", "slow zoom out", "pan left", "pan right", "pan up", "still"])
        case .visual: return visual()
        case .tale: return tale(minLength: minLength)
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
            return .array((0..<count).map { _ in instance(of: items, name: singular, depth: depth + 1) })
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
            while text.count < minimum { text += " " + sentence() }
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
