public import Foundation
import StoryForgeCore
import StoryPipeline
import StoryQueue

/// The checks of a `POST /v1/stories` body: strict JSON (an unknown field or a wrong type is a 400 naming it),
/// values in range, and `config` overrides limited to what is safe to take from a caller.
public enum StoryRequestCheck {
    /// The longest topic, in characters.
    public static let maximumTopicLength = 500
    /// The longest webhook URL, in UTF-8 bytes (2 KiB: what browsers and proxies reliably pass).
    public static let maximumWebhookURLBytes = 2048

    /// Decodes a request body strictly.
    ///
    /// - Throws: ``StoryServerError`` with code `invalidRequest` naming the unknown field, or the field whose value
    ///   has the wrong type, or saying the body is not a JSON object.
    public static func decode(_ body: Data) throws -> CreateStoryRequest {
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: body)
        } catch {
            throw StoryServerError.invalidRequest("the body is not JSON: send a JSON object such as {\"topic\": \"…\"}")
        }
        guard case .object(let members) = value else {
            throw StoryServerError.invalidRequest("the body must be a JSON object such as {\"topic\": \"…\"}")
        }
        let known = Set(CreateStoryRequest.CodingKeys.allCases.map(\.rawValue))
        if let unknown = members.keys.sorted().first(where: { !known.contains($0) }) {
            throw StoryServerError.invalidRequest(
                "unknown field \"\(unknown.prefix(100))\" (expected \(known.sorted().joined(separator: ", ")))")
        }
        // Each field's JSON type, checked before decoding so that the message names the field whatever the
        // decoder's own wording (Foundation's differs between platforms and loses the path for numbers).
        for (name, member) in members.sorted(by: { $0.key < $1.key }) {
            if case .null = member, name != "topic" { continue }
            switch (name, member) {
            case ("topic", .string), ("aspect", .string), ("voice", .string), ("language", .string),
                ("webhook_url", .string), ("target_seconds", .number), ("config", .object):
                continue
            case ("seed", .number(let number)):
                // 2^63: the first Double past Int.max.
                guard number.rounded() == number, number >= 0, number < 9_223_372_036_854_775_808 else {
                    throw StoryServerError.invalidRequest("seed: expected a whole number from 0 to 2^63−1")
                }
            default:
                throw StoryServerError.invalidRequest("\(name): expected \(expectedType[name] ?? "another type")")
            }
        }
        do {
            return try JSONDecoder().decode(CreateStoryRequest.self, from: body)
        } catch let error as DecodingError {
            throw StoryServerError.invalidRequest(describe(error))
        } catch {
            throw StoryServerError.invalidRequest("the body cannot be read: \(error)")
        }
    }

    private static let expectedType: [String: String] = [
        "topic": "a string", "seed": "a whole number", "target_seconds": "a number", "aspect": "a string",
        "voice": "a string", "language": "a string", "webhook_url": "a string", "config": "an object",
    ]

    /// The queue job for a checked request: the request's settings and `config` over `baseConfiguration`, checked
    /// as a configuration file is.
    ///
    /// - Throws: ``StoryServerError`` with code `invalidRequest` naming the field.
    static func job(_ request: CreateStoryRequest, owner: StoryOwner, baseConfiguration: [String: JSONValue]) throws
        -> StoryJob
    {
        let topic = request.topic.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !topic.isEmpty, topic.count <= maximumTopicLength else {
            throw StoryServerError.invalidRequest("topic: must be 1…\(maximumTopicLength) characters")
        }
        if let voice = request.voice {
            guard !voice.isEmpty, voice.utf8.count <= 64, voice.allSatisfy(isNameCharacter) else {
                throw StoryServerError.invalidRequest(
                    "voice: must be a voice name such as en-us (letters, digits, -_+)")
            }
        }
        if let webhook = request.webhookURL { try checkWebhookURL(webhook) }
        var overrides: [String: JSONValue] = [:]
        if let config = request.config {
            try checkOverrides(config)
            overrides = config
        }
        var story: [String: JSONValue] = ["topic": .string(topic)]
        // The seed stays out of the JSON (a Double would round seeds above 2^53); the job's story section carries it.
        if let seed = request.seed, seed < 0 {
            throw StoryServerError.invalidRequest("seed: must be an integer in 0…2^63−1, got \(seed)")
        }
        if let seconds = request.targetSeconds { story["target_seconds"] = .number(seconds) }
        if let language = request.language { story["language"] = .string(language) }
        var settings: [String: JSONValue] = ["story": .object(story)]
        if let aspect = request.aspect { settings["render"] = .object(["aspect": .string(aspect)]) }
        if let voice = request.voice { settings["providers"] = .object(["espeak_voice": .string(voice)]) }
        let merged = merge(merge(baseConfiguration, overrides), settings)
        let text: Data
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            text = try encoder.encode(merged)
            _ = try StoryConfiguration.decode(json: text)
        } catch let error as StoryPipelineError {
            throw StoryServerError.invalidRequest("config: \(error.message)")
        } catch {
            throw StoryServerError.invalidRequest("config: \(error)")
        }
        var section = StoryConfiguration.Story(topic: topic)
        section.seed = request.seed
        section.targetSeconds = request.targetSeconds
        section.language = request.language
        do {
            return try StoryJob(
                story: section, configuration: .contents(String(decoding: text, as: UTF8.self), yaml: false),
                owner: owner.rawValue, webhookURL: request.webhookURL)
        } catch {
            throw StoryServerError.invalidRequest("\(error)")
        }
    }

    /// A webhook URL: absolute `http` or `https` with a host, at most ``maximumWebhookURLBytes``. (Whether its
    /// address may be reached is the webhook sender's check, when it resolves the host.)
    static func checkWebhookURL(_ text: String) throws {
        guard text.utf8.count <= maximumWebhookURLBytes, let components = URLComponents(string: text),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = components.host, !host.isEmpty, components.user == nil, components.password == nil
        else {
            throw StoryServerError.invalidRequest(
                "webhook_url: must be an absolute http(s) URL with a host and no user or password, at most "
                    + "\(maximumWebhookURLBytes) bytes")
        }
    }

    /// The sections of `config` a caller may set: the story and render sections, the voice (`providers.espeak_voice`),
    /// and stages' `enabled` flags and parameters. Not the other providers (which run, and whose keys pay, is the
    /// server's choice), not `routing` (it names servers and the environment variables that hold API keys), and no
    /// parameter string that could name a file on the server (a music bed path): those belong in the server's own
    /// base configuration.
    static func checkOverrides(_ config: [String: JSONValue]) throws {
        let sections: Set<String> = ["story", "render", "providers", "pipeline"]
        for (key, value) in config.sorted(by: { $0.key < $1.key }) {
            guard sections.contains(key) else {
                throw StoryServerError.invalidRequest(
                    "config.\(key.prefix(100)): not accepted over the API (expected story, render, providers or "
                        + "pipeline); routing and other settings belong in the server's --config file")
            }
            guard case .object(let members) = value else {
                throw StoryServerError.invalidRequest("config.\(key): must be an object")
            }
            if key == "providers" {
                // Which providers run (and whose keys pay for them) is the server's choice; the voice is the caller's.
                for name in members.keys.sorted() where name != "espeak_voice" {
                    throw StoryServerError.invalidRequest(
                        "config.providers.\(name.prefix(100)): the providers are the server's choice (its --config "
                            + "file); only espeak_voice may be set")
                }
            }
            if key != "pipeline" {
                for (name, member) in members where !isScalar(member) {
                    throw StoryServerError.invalidRequest("config.\(key).\(name.prefix(100)): must be a plain value")
                }
                continue
            }
            for (name, member) in members {
                guard name == "stages", case .object(let stages) = member else {
                    throw StoryServerError.invalidRequest(
                        "config.pipeline.\(name.prefix(100)): only pipeline.stages is accepted over the API")
                }
                for (stage, settings) in stages {
                    let path = "config.pipeline.stages.\(stage.prefix(100))"
                    guard case .object(let fields) = settings else {
                        throw StoryServerError.invalidRequest("\(path): must be an object")
                    }
                    for (field, fieldValue) in fields {
                        switch (field, fieldValue) {
                        case ("enabled", .bool): continue
                        case ("parameters", .object(let parameters)):
                            for (parameter, parameterValue) in parameters where !isSafeParameter(parameterValue) {
                                throw StoryServerError.invalidRequest(
                                    "\(path).parameters.\(parameter.prefix(100)): only numbers, booleans and short "
                                        + "names (letters, digits, -_:+) are accepted over the API")
                            }
                        default:
                            throw StoryServerError.invalidRequest(
                                "\(path).\(field.prefix(100)): only enabled (a boolean) and parameters are accepted")
                        }
                    }
                }
            }
        }
    }

    /// `base` with `overrides` over it, objects merged member by member.
    static func merge(_ base: [String: JSONValue], _ overrides: [String: JSONValue]) -> [String: JSONValue] {
        var result = base
        for (key, value) in overrides {
            if case .object(let inner) = value, case .object(let existing)? = result[key] {
                result[key] = .object(merge(existing, inner))
            } else {
                result[key] = value
            }
        }
        return result
    }

    private static func isScalar(_ value: JSONValue) -> Bool {
        switch value {
        case .null, .bool, .number, .string: true
        case .array, .object: false
        }
    }

    private static func isSafeParameter(_ value: JSONValue) -> Bool {
        switch value {
        case .bool, .number: true
        case .string(let text): text.utf8.count <= 64 && text.allSatisfy { isNameCharacter($0) || $0 == ":" }
        case .null, .array, .object: false
        }
    }

    private static func isNameCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || "-_+".contains(character))
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let text = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
            return text.isEmpty ? "the body" : text
        }
        switch error {
        case .keyNotFound(let key, _):
            return "\(key.stringValue): is required"
        case .typeMismatch(let type, let context):
            return "\(path(context)): expected \(typeName(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context)): expected \(typeName(type)), got null"
        case .dataCorrupted(let context):
            return "\(path(context)): \(context.debugDescription)"
        @unknown default:
            return "the body cannot be read"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type: "an integer"
        case is Double.Type: "a number"
        case is Bool.Type: "a boolean"
        default: "\(type)"
        }
    }
}
