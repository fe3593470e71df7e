import Foundation

/// Scores a script version.
public protocol ScriptScorer: Sendable {
    /// Names the scorer and the version of its rules or model, e.g. `heuristic/1`; part of every cache key after
    /// the revision stage, so change it whenever the scores it gives change.
    var identity: String { get }
    /// Scores `text` (0–100 per criterion) for a narration meant to last about `targetSeconds`.
    func score(_ text: String, language: String, targetSeconds: Double) async throws -> ScriptScore
}

/// A deterministic critic made of measurable rules, not a model: it needs nothing and always gives the same score
/// for the same text.
///
/// - hook: the first sentence is 5–16 words, and better still a question or addressed to "you";
/// - structure: at least four sentences, and the length fits the target (±20 % full marks, falling to 0 at ±80 %);
/// - clarity: mean sentence length 8–20 words, few sentences over 30 words, few words over 12 letters;
/// - emotional impact: the share of sentences with words of feeling or the senses;
/// - voice suitability: no digits, symbols or bracketed text left, no sentence over 35 words;
/// - overall: the mean of the five. The feedback names each rule that cost points.
public struct HeuristicScriptScorer: ScriptScorer {
    /// Creates the scorer.
    public init() {}

    /// `heuristic/1`: bump the number when a rule changes.
    public var identity: String { "heuristic/1" }

    static let feelingWords: Set<String> = [
        "love", "fear", "hope", "alone", "heart", "tears", "cried", "smiled", "laughed", "whispered", "trembled",
        "warm", "cold", "quiet", "silence", "dark", "light", "lost", "found", "remember", "forgot", "never", "always",
        "home", "mother", "father", "friend", "afraid", "brave", "joy", "grief", "secret", "promise", "breath",
        "glow", "shadow", "storm", "song", "dream", "wonder", "heard", "felt", "saw", "last", "first",
    ]

    /// Scores `text` by the rules above.
    public func score(_ text: String, language: String, targetSeconds: Double) async throws -> ScriptScore {
        let sentences = Self.sentences(text)
        let words = text.split(whereSeparator: \.isWhitespace)
        var feedback: [String] = []

        let firstLength = sentences.first.map { $0.split(separator: " ").count } ?? 0
        var hook = (5...16).contains(firstLength) ? 75.0 : max(20, 75 - 5 * Double(abs(firstLength - 10)))
        if let first = sentences.first, first.hasSuffix("?") || first.lowercased().contains("you") { hook += 25 }
        if hook < 60 { feedback.append("open with a short, direct first sentence (5 to 16 words)") }

        let duration = SpeakingRate.estimatedDuration(of: text, language: language)
        let deviation = targetSeconds > 0 ? abs(duration - targetSeconds) / targetSeconds : 0
        let lengthScore = deviation <= 0.2 ? 100 : max(0, 100 * (1 - (deviation - 0.2) / 0.6))
        let structure = 0.5 * (sentences.count >= 4 ? 100 : 25 * Double(sentences.count)) + 0.5 * lengthScore
        if sentences.count < 4 { feedback.append("tell it in at least four sentences: a start, a turn and an end") }
        if deviation > 0.2 {
            feedback.append(
                "fit the length: about \(Int(targetSeconds)) s spoken, now about \(Int(duration.rounded())) s")
        }

        let lengths = sentences.map { Double($0.split(separator: " ").count) }
        let mean = lengths.isEmpty ? 0 : lengths.reduce(0, +) / Double(lengths.count)
        let longShare = lengths.isEmpty ? 1 : Double(lengths.filter { $0 > 30 }.count) / Double(lengths.count)
        let hardShare = words.isEmpty ? 1 : Double(words.filter { $0.count > 12 }.count) / Double(words.count)
        let clarity = max(
            0,
            ((8...20).contains(mean) ? 100 : max(0, 100 - 6 * min(abs(mean - 8), abs(mean - 20)))) - 100 * longShare
                - 200 * hardShare)
        if clarity < 60 { feedback.append("use shorter sentences and plainer words") }

        let feeling = sentences.filter { sentence in
            sentence.lowercased().split { !$0.isLetter }.contains { Self.feelingWords.contains(String($0)) }
        }
        let emotionalImpact =
            sentences.isEmpty ? 0 : min(100, 40 + 80 * Double(feeling.count) / Double(sentences.count))
        if emotionalImpact < 60 { feedback.append("let the listener feel something: name a sense or a feeling") }

        let leftovers = text.filter { $0.isNumber || "[]()*#_<>{}|/\\@".contains($0) }.count
        let voiceSuitability = max(0, 100 - 10 * Double(leftovers) - (lengths.contains { $0 > 35 } ? 30 : 0))
        if voiceSuitability < 100 { feedback.append("remove digits, symbols and very long sentences for the voice") }

        let overall = (hook + structure + clarity + emotionalImpact + voiceSuitability) / 5
        return ScriptScore(
            hook: hook.rounded(), structure: structure.rounded(), clarity: clarity.rounded(),
            emotionalImpact: emotionalImpact.rounded(), voiceSuitability: voiceSuitability.rounded(),
            overall: overall.rounded(),
            feedback: feedback.isEmpty ? "reads well aloud" : feedback.joined(separator: "; "))
    }

    /// Splits text into sentences at `.`, `!` and `?` followed by white space (not at full-width ends: the
    /// scorer's verdicts on Chinese and Japanese text stay as they were).
    static func sentences(_ text: String) -> [String] { Sentences.split(text, fullWidth: false) }
}
