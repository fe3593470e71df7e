import Foundation
import ProviderKit
import StoryModels

/// Limits on what a model's answer can make the pipeline do: how many words the narrator reads, how many shots the
/// plan has, how many images are paid for. A model that answers with one 5,000-word sentence, or a page of Chinese
/// whose full stops (`。`) the sentence splitter never saw, would otherwise mean minutes of voice and a hundred
/// image calls.
///
/// Each limit is a stage parameter with a default derived from the request's target length; the defaults sit far
/// above what a script of the target length needs, so a well-behaved run never meets them. A limit that cuts is
/// noted in ``StoryState/capsApplied`` and so in the manifest.
enum OutputCaps {
    /// The most shots (and image calls) any configuration may ask for: 400 shots of the shortest 3 s are 20
    /// minutes, the longest target length (``StoryConfiguration/Limits/targetSeconds``).
    static let hardMaximumShots = 400
    /// The most words any configuration may allow: 20 minutes at 300 words (or CJK characters) a minute, Japanese's
    /// rate in ``SpeakingRate``, twice over.
    static let hardMaximumWords = 12_000

    /// 1.5 × the words the target length takes at the language's rate (`SpeakingRate`): 169 words for 45 s of
    /// English (3.75 words/s), 270 characters of Chinese.
    static func defaultMaxWords(targetSeconds: Double, language: String) -> Int {
        let words = safeTarget(targetSeconds) * SpeakingRate.wordsPerMinute(for: language) / 60 * 1.5
        return Int(min(max(words.rounded(.up), 1), Double(hardMaximumWords)))
    }

    /// One shot per 2 s of target length (a plan of 5 s shots needs one per 5 s), at most ``hardMaximumShots``:
    /// 23 for 45 s.
    static func defaultMaxShots(targetSeconds: Double) -> Int {
        Int(min(max((safeTarget(targetSeconds) / 2).rounded(.up), 1), Double(hardMaximumShots)))
    }

    /// A target length for deriving limits: a request built in code may hold anything, so it is clamped to
    /// 1 s…``StoryConfiguration/Limits/targetSeconds``' upper bound (20 minutes).
    static func safeTarget(_ seconds: Double) -> Double {
        seconds.isFinite ? min(max(seconds, 1), StoryConfiguration.Limits.targetSeconds.upperBound) : 45
    }

    /// The full-width `。`, `！`, `？`, `．` of Chinese and Japanese, which no space follows.
    static var fullWidthSentenceEnds: Set<Character> { Sentences.fullWidthEnds }

    /// Whether `character` ends a sentence when followed by `next` (or the end of the text): `.`, `!`, `?` followed
    /// by white space or the end (as ``HeuristicScriptScorer`` splits), and the full-width ends.
    static func endsSentence(_ character: Character, next: Character?) -> Bool {
        Sentences.ends(character, next: next, fullWidth: true)
    }

    /// The sentences of `text`, trimmed; Western text splits exactly as ``HeuristicScriptScorer`` splits it.
    static func sentences(_ text: String) -> [String] { Sentences.split(text, fullWidth: true) }

    /// `text` cut to at most `maxWords` words as ``SpeakingRate/wordCount(of:language:)`` counts them (CJK
    /// characters for Chinese and Japanese): at the last sentence end within the limit when that keeps at least
    /// half of it, else at the last word (or character) within it, closed with a full stop.
    ///
    /// - Returns: the text, and the word count before cutting when it was cut (`nil` when within the limit).
    static func capped(_ text: String, maxWords: Int, language: String) -> (text: String, cutFrom: Int?) {
        let total = SpeakingRate.wordCount(of: text, language: language)
        // A "word" of a million letters counts once: cap the characters too, at 30 a word (longer than a German
        // compound with its space).
        let characterLimit = maxWords > Int.max / 30 ? Int.max : maxWords * 30
        guard maxWords > 0, total > maxWords || text.count > characterLimit else { return (text, nil) }
        let characters = Array(text)
        let byCharacter = SpeakingRate.countsCharacters(for: language)
        var end = min(characters.count, characterLimit)
        var words = 0
        var tokenStart = 0
        var tokenCounted = false
        var lastSentenceEnd: (index: Int, words: Int)?
        var reachedWordLimit = false
        for (index, character) in characters[..<end].enumerated() {
            let counts = character.isLetter || character.isNumber
            if byCharacter {
                if counts {
                    if words == maxWords {
                        end = index
                        reachedWordLimit = true
                        break
                    }
                    words += 1
                }
            } else if character.isWhitespace {
                tokenStart = index + 1
                tokenCounted = false
            } else if counts, !tokenCounted {
                if words == maxWords {
                    end = tokenStart
                    reachedWordLimit = true
                    break
                }
                words += 1
                tokenCounted = true
            }
            if endsSentence(character, next: index + 1 < characters.count ? characters[index + 1] : nil) {
                lastSentenceEnd = (index + 1, words)
            }
        }
        if !reachedWordLimit, !byCharacter, end < characters.count, tokenStart > 0 {
            // Cut by the character limit: end at the last white space rather than inside a word.
            end = tokenStart
        }
        if let sentence = lastSentenceEnd, sentence.words * 2 >= maxWords, sentence.index <= end {
            end = sentence.index
        }
        var result = String(characters[..<end]).trimmingCharacters(in: .whitespacesAndNewlines)
        while let last = result.last, last.isPunctuation, !endsSentence(last, next: nil) { result.removeLast() }
        if let last = result.last, !endsSentence(last, next: nil) { result.append(byCharacter ? "。" : ".") }
        return (result, total)
    }
}
