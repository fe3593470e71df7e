import ArgumentParser
import Foundation
import OfflineProviders
import ProviderKit
import StoryForgeCore

/// Streams a model's answer to standard output; errors go to standard error with a non-zero exit.
@main
struct ProviderChat: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provider-chat",
        abstract: "Ask a provider a question and stream the answer.",
        discussion: """
            openai reads OPENAI_BASE_URL and OPENAI_API_KEY; ollama reads OLLAMA_HOST; elevenlabs reads \
            ELEVENLABS_API_KEY and writes speech to --output; offline uses the template story writer \
            (not a language model) and needs nothing.
            """
    )

    enum ProviderName: String, ExpressibleByArgument, CaseIterable {
        case openai, ollama, elevenlabs, offline
    }

    @Option(help: "Which provider to ask.")
    var provider: ProviderName = .offline

    @Option(help: "The model; the provider's default when omitted.")
    var model: String?

    @Option(name: .customLong("json-schema"), help: "A JSON schema file the answer must follow.")
    var jsonSchema: String?

    @Option(help: "A seed, for providers that honour one.")
    var seed: Int?

    @Option(help: "Where elevenlabs writes the speech (MP3).")
    var output: String = "speech.mp3"

    @Argument(help: "The prompt, or - to read it from standard input.")
    var prompt: String

    func run() async throws {
        do {
            let text = try readPrompt()
            switch provider {
            case .elevenlabs: try await speak(text)
            case .openai: try await chat(OpenAICompatibleProvider(configuration: .fromEnvironment()), text)
            case .ollama: try await chat(OllamaProvider(configuration: .fromEnvironment()), text)
            case .offline: try await chat(TemplateStoryWriter(), text)
            }
        } catch let error as ProviderError {
            FileHandle.standardError.write(Data("provider-chat: \(error)\n".utf8))
            throw ExitCode(error.code == .authentication ? 3 : 1)
        }
    }

    private func readPrompt() throws -> String {
        guard prompt == "-" else { return prompt }
        let data = FileHandle.standardInput.readDataToEndOfFile()
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw ProviderError.badRequest("standard input held no prompt") }
        return text
    }

    private func chat(_ generator: some TextGenerator, _ text: String) async throws {
        var format = ResponseFormat.text
        if let jsonSchema {
            let url = URL(filePath: jsonSchema)
            guard let data = try? Data(contentsOf: url) else {
                throw ProviderError.badRequest("cannot read the schema file \(jsonSchema)")
            }
            format = .jsonSchema(
                name: url.deletingPathExtension().lastPathComponent, schema: try JSONValue(parsing: data))
        }
        let request = ChatRequest(model: model, messages: [.user(text)], seed: seed, responseFormat: format)
        for try await part in generator.stream(request) {
            if case .textDelta(let delta) = part {
                FileHandle.standardOutput.write(Data(delta.utf8))
            }
        }
        FileHandle.standardOutput.write(Data("\n".utf8))
    }

    private func speak(_ text: String) async throws {
        let voice = ElevenLabsSpeechSynthesizer(configuration: .fromEnvironment())
        let speech = try await voice.synthesize(SpeechRequest(text: text, model: model, format: .mp3))
        do {
            try speech.audio.write(to: URL(filePath: output))
        } catch {
            throw ProviderError.badRequest("cannot write \(output): \(error.localizedDescription)")
        }
        print("wrote \(speech.audio.count) bytes to \(output)")
        for word in speech.wordTimings ?? [] {
            print(String(format: "%7.3f %7.3f  %@", word.start, word.end, word.word))
        }
    }
}
