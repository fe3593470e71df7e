import Foundation
import StoryForgeCore

/// Real speech from the espeak-ng program, offline, as 16-bit mono WAV with word timings.
///
/// The text is split into sentences and each is synthesised by its own espeak-ng run (an argument
/// array, the text passed in a file so that nothing in it can read as an option). A sentence's
/// duration is measured from its audio. Inside it, the phrase breaks at commas (and `;:—`) are
/// placed on the silences espeak-ng leaves there, found in the audio, and words share their
/// phrase's voiced time in proportion to their length. The sentences are joined into one WAV, so
/// timings are exact at sentence and phrase boundaries and estimated between them.
///
/// ```swift
/// let speech = try await EspeakSpeechSynthesizer().synthesize(SpeechRequest(text: "Hello. Goodbye."))
/// ```
public struct EspeakSpeechSynthesizer: SpeechSynthesizer {
    /// How to run espeak-ng.
    public struct Configuration: Sendable {
        /// The program: a name looked up on `PATH`, or a path.
        public var executable: String
        /// The voice used when a request names none, e.g. `en-us`.
        public var voice: String
        /// Speaking rate in words per minute at speed 1.0 (espeak-ng's default is 175).
        public var wordsPerMinute: Int
        /// Silence added between sentences, in seconds.
        public var sentenceGap: Double

        /// Creates a configuration.
        public init(
            executable: String = "espeak-ng", voice: String = "en-us", wordsPerMinute: Int = 165,
            sentenceGap: Double = 0.25
        ) {
            self.executable = executable
            self.voice = voice
            self.wordsPerMinute = wordsPerMinute
            self.sentenceGap = sentenceGap
        }
    }

    /// The configuration.
    public var configuration: Configuration

    /// Creates a synthesiser.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Word timings; offline and deterministic.
    public var capabilities: ProviderCapabilities { [.wordTimings, .offline, .deterministic] }

    /// `espeak-ng` with the voice as its model, and a digest of the rate and the pause between sentences (the
    /// executable's path is left out: the same espeak-ng elsewhere speaks the same way).
    public var identity: ProviderIdentity {
        ProviderIdentity(
            name: "espeak-ng", models: [.speech: configuration.voice],
            configuration: [
                "words_per_minute": String(configuration.wordsPerMinute),
                "sentence_gap": String(configuration.sentenceGap),
            ])
    }

    /// Runs `espeak-ng --version`.
    public func checkHealth() async throws -> HealthReport {
        let start = ContinuousClock.now
        let program = try executable()
        let result = try await Self.run(program, ["--version"])
        guard result.status == 0 else {
            throw ProviderError.server("espeak-ng --version exited with \(result.status): \(result.stderr)")
        }
        return HealthReport(latency: .now - start, detail: "\(program.path) runs")
    }

    /// The most standard error kept for an error message: its last 4 KiB, where a failing program says why.
    static let errorTailLimit = 4 << 10

    /// Runs espeak-ng through StoryForgeCore's runner (it dies with this process; its pipes are read while it
    /// runs); its audio goes to a file, so at most a version line of stdout (1 MiB) is kept.
    static func run(_ program: URL, _ arguments: [String]) async throws -> SubprocessResult {
        do {
            return try await Subprocess.run(program, arguments, outputLimit: 1 << 20, errorTailLimit: errorTailLimit)
        } catch let error as SubprocessError {
            throw ProviderError.unsupported(error.message)
        }
    }

    private func executable() throws -> URL {
        guard let url = Subprocess.find(configuration.executable) else {
            throw ProviderError.unsupported(
                "\(configuration.executable) was not found on PATH; install espeak-ng (apt-get install espeak-ng)")
        }
        return url
    }

    /// Speaks the text as WAV (only ``AudioFormat/wav`` and ``AudioFormat/pcm`` are produced).
    public func synthesize(_ request: SpeechRequest) async throws -> SynthesizedSpeech {
        guard request.format == .wav || request.format == .pcm else {
            throw ProviderError.unsupported("espeak-ng produces WAV or raw PCM, not \(request.format.rawValue)")
        }
        let program = try executable()
        let sentences = Self.sentences(request.text)
        guard !sentences.isEmpty else { throw ProviderError.badRequest("there is no text to speak") }
        let directory = FileManager.default.temporaryDirectory.appending(path: "storyforge-espeak-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        // espeak-ng takes 80…450 words per minute; the speed (the caller's, maybe NaN or 1e300) is
        // clamped in Double before it becomes an Int.
        let wanted = Double(configuration.wordsPerMinute) * (request.speed ?? 1)
        let rate = wanted.isNaN ? configuration.wordsPerMinute : Int(min(max(wanted, 80), 450).rounded())
        let voice = request.voice ?? Self.voice(for: request.language, configured: configuration.voice)
        var joined: PCM16Audio?
        var words: [TimedWord] = []
        for (index, sentence) in sentences.enumerated() {
            try Task.checkCancellation()
            let textFile = directory.appending(path: "s\(index).txt")
            let wavFile = directory.appending(path: "s\(index).wav")
            try Data(sentence.utf8).write(to: textFile)
            let result = try await Self.run(
                program,
                [
                    "-v", voice, "-s", String(max(80, min(450, rate))), "-w",
                    wavFile.path, "-f", textFile.path,
                ])
            guard result.status == 0 else {
                // espeak-ng's words for a voice it does not have (src/libespeak-ng/speech.c's error text).
                if result.stderr.contains("voice does not exist") {
                    throw ProviderError.badRequest(
                        "espeak-ng has no voice \"\(voice)\" (for language \(request.language ?? "unset")): list its "
                            + "voices with `espeak-ng --voices`, and set providers.espeak_voice to one: \(result.stderr)"
                    )
                }
                throw ProviderError.server("espeak-ng exited with status \(result.status): \(result.stderr)")
            }
            let audio = try PCM16Audio(wav: try Data(contentsOf: wavFile))
            let offset = joined?.duration ?? 0
            words += Self.distribute(sentence, over: audio, startingAt: offset)
            if var all = joined {
                // At most 10 s of silence between sentences; a NaN or negative gap is none.
                let gapSeconds = configuration.sentenceGap.isNaN ? 0 : min(max(configuration.sentenceGap, 0), 10)
                let gap = Int(gapSeconds * Double(audio.sampleRate)) * audio.channels
                all.samples += [Int16](repeating: 0, count: gap)
                // Re-offset this sentence's words by the gap just inserted.
                let shift = Double(gap) / Double(audio.sampleRate * audio.channels)
                let count = Self.words(sentence).count
                for i in (words.count - count)..<words.count {
                    words[i].start += shift
                    words[i].end += shift
                }
                all.samples += audio.samples
                joined = all
            } else {
                joined = audio
            }
        }
        guard let audio = joined else { throw ProviderError.badRequest("there is no text to speak") }
        var bytes = audio.wav
        if request.format == .pcm { bytes = Data(bytes.dropFirst(44)) }
        return SynthesizedSpeech(
            audio: bytes, format: request.format, sampleRate: audio.sampleRate,
            wordTimings: request.wantsWordTimings ? words : nil)
    }

    /// The espeak-ng voice for `language` (a BCP 47 tag): the configured voice when it already speaks that language
    /// (and region, when the tag names one), else espeak-ng's voice for it: `en-us`/`en-gb`, `fr-fr`, `pt`/`pt-br`,
    /// `es`/`es-419` (any Latin American region), `cmn` for Chinese, and the primary subtag for the others (`de`,
    /// `ja`, `it`: espeak-ng names most voices by ISO 639-1 code).
    static func voice(for language: String?, configured: String) -> String {
        guard let language, !language.isEmpty else { return configured }
        let parts = language.lowercased().split { $0 == "-" || $0 == "_" }.map(String.init)
        guard let primary = parts.first else { return configured }
        // A script subtag (4 letters) sits between the language and the region.
        let region = parts.dropFirst().first { $0.count != 4 }
        let configuredParts = configured.lowercased().split(separator: "-").map(String.init)
        if configuredParts.first == primary, region == nil || configuredParts.dropFirst().first == region {
            return configured
        }
        let latinAmerica: Set<String> = ["419", "mx", "ar", "co", "cl", "pe", "ve", "uy", "py", "bo", "ec", "cu"]
        switch primary {
        case "en": return ["gb", "uk", "ie", "au", "nz"].contains(region ?? "") ? "en-gb" : "en-us"
        case "fr": return region.map { ["be", "ch"].contains($0) ? "fr-\($0)" : "fr-fr" } ?? "fr-fr"
        case "pt": return region == "br" ? "pt-br" : "pt"
        case "es": return latinAmerica.contains(region ?? "") ? "es-419" : "es"
        case "zh", "cmn": return "cmn"
        default: return primary
        }
    }

    /// Sentences: text up to `.`, `!`, `?` or a line break.
    static func sentences(_ text: String) -> [String] {
        var sentences: [String] = []
        var current = ""
        for character in text {
            if character.isNewline {
                sentences.append(current)
                current = ""
                continue
            }
            current.append(character)
            if ".!?…。！？".contains(character) {
                sentences.append(current)
                current = ""
            }
        }
        sentences.append(current)
        return sentences.map { $0.trimmingCharacters(in: .whitespaces) }.filter {
            $0.contains { $0.isLetter || $0.isNumber }
        }
    }

    static func words(_ sentence: String) -> [Substring] {
        sentence.split { $0.isWhitespace }.filter { $0.contains { $0.isLetter || $0.isNumber } }
    }

    /// Times a sentence's words: the sentence is cut into phrases at words ending in `,;:—`, and
    /// when the audio has at least as many silent gaps as there are phrase breaks, the longest gaps
    /// become the breaks (espeak-ng pauses there); words then share their phrase's time by length.
    /// Without enough gaps the whole voiced part is shared, with extra room after punctuation.
    static func distribute(_ sentence: String, over audio: PCM16Audio, startingAt offset: Double) -> [TimedWord] {
        let words = words(sentence)
        guard !words.isEmpty else { return [] }
        let voiced = audio.voicedRange() ?? (0, audio.duration)
        var phrases: [[Substring]] = [[]]
        for word in words {
            phrases[phrases.count - 1].append(word)
            if word.last.map({ ",;:—".contains($0) }) == true { phrases.append([]) }
        }
        phrases.removeAll { $0.isEmpty }
        let gaps = audio.silentGaps(within: voiced)
        guard phrases.count > 1, gaps.count >= phrases.count - 1 else {
            return share(words, from: voiced.start, to: voiced.end, offset: offset, pauseWeight: 3)
        }
        let breaks = gaps.sorted { $0.end - $0.start > $1.end - $1.start }.prefix(phrases.count - 1)
            .sorted { $0.start < $1.start }
        var timed: [TimedWord] = []
        var phraseStart = voiced.start
        for (index, phrase) in phrases.enumerated() {
            let phraseEnd = index < breaks.count ? breaks[index].start : voiced.end
            timed += share(phrase, from: phraseStart, to: phraseEnd, offset: offset, pauseWeight: 0)
            if index < breaks.count { phraseStart = breaks[index].end }
        }
        return timed
    }

    /// Shares `start...end` among `words` in proportion to their length (plus `pauseWeight` after
    /// punctuation, which is left silent).
    private static func share(
        _ words: [Substring],
        from start: Double,
        to end: Double,
        offset: Double,
        pauseWeight: Double
    ) -> [TimedWord] {
        func letters(_ word: Substring) -> Double { Double(word.filter { $0.isLetter || $0.isNumber }.count) }
        let weights = words.map { word in
            letters(word) + 1.5 + (word.last.map { ",;:—".contains($0) } == true ? pauseWeight : 0)
        }
        let total = weights.reduce(0, +)
        var cursor = start
        var timed: [TimedWord] = []
        for (word, weight) in zip(words, weights) {
            let span = max(0, end - start) * weight / total
            let spoken = span * (letters(word) + 1.5) / weight
            let text = word.trimmingCharacters(in: .punctuationCharacters)
            timed.append(TimedWord(word: text, start: offset + cursor, end: offset + cursor + spoken))
            cursor += span
        }
        return timed
    }
}
