import Foundation

/// What a topic names, as ``TopicAnalyser`` reads it: its shape, the part of it that is used, and the hero, place,
/// time and object it gives (each `nil` when the topic leaves it open).
struct TopicPremise: Sendable, Hashable {
    /// The kind of text the topic is.
    enum Shape: Sendable, Hashable {
        /// No topic at all.
        case empty
        /// One word ("serendipity").
        case word
        /// A name ("Ada Lovelace").
        case name
        /// A noun phrase ("a lighthouse keeper's last night").
        case nounPhrase
        /// A sentence ("A robot learns to paint.").
        case sentence
        /// A question ("What if the moon disappeared?").
        case question
        /// Text the analyser does not read as English (another script, or no English word in it): used verbatim.
        case verbatim
    }

    /// The topic's shape.
    var shape: Shape
    /// The part of the topic that is used, as given (white space collapsed, a lead-in such as "write a story about"
    /// dropped, capped as ``TopicAnalyser`` documents).
    var text: String
    /// The topic as it reads after "the story of ": "a lighthouse keeper's last night", "how a robot learns to paint",
    /// "a question: what if the moon disappeared?", "“灯台守の最後の夜”".
    var frame: String
    /// The topic's hero.
    var hero: StoryHero?
    /// The topic's place.
    var place: StoryPlace?
    /// The topic's time.
    var time: StoryTime?
    /// What the story turns on, when the topic names it.
    var object: StoryThing?
    /// The topic's content words, lower case: every word but function words and request words ("story", "write").
    var contentWords: [String]
}

/// Who a story follows, with the forms a sentence needs.
struct StoryHero: Sendable, Hashable {
    /// First mention: "a lighthouse keeper", "Ada Lovelace", "I".
    var intro: String
    /// Later mentions, as a subject: "the keeper", "Ada Lovelace", "I".
    var subject: String
    /// As an object: "the keeper", "me".
    var object: String
    /// Possessive: "the keeper's", "my".
    var possessive: String
    /// Whether a verb agrees with it in the plural ("the sisters were", "we were").
    var plural: Bool
    /// Whether the hero is the narrator ("I", "we").
    var firstPerson: Bool
    /// The head noun, for titles: "keeper".
    var head: String

    /// `was` or `were`.
    var was: String { plural ? "were" : "was" }

    /// A hero named by a noun phrase: `intro` as written, `subject` its short form.
    static func noun(intro: String, subject: String, plural: Bool, head: String) -> StoryHero {
        let possessive = plural && subject.hasSuffix("s") ? subject + "’" : subject + "’s"
        return StoryHero(
            intro: intro, subject: subject, object: subject, possessive: possessive, plural: plural,
            firstPerson: false, head: head)
    }

    /// The narrator as the hero: "I" or "we".
    static func narrator(plural: Bool) -> StoryHero {
        plural
            ? StoryHero(
                intro: "we", subject: "we", object: "us", possessive: "our", plural: true, firstPerson: true, head: "we"
            )
            : StoryHero(
                intro: "I", subject: "I", object: "me", possessive: "my", plural: false, firstPerson: true, head: "I")
    }
}

/// Where a story happens.
struct StoryPlace: Sendable, Hashable {
    /// The place as a noun phrase after its preposition: "the lighthouse", "Mars", "school".
    var noun: String
    /// "at", "in", "on".
    var preposition: String
    /// The head noun, for titles.
    var head: String

    /// "at the lighthouse".
    var adverbial: String { preposition + " " + noun }
    /// The place as a definite noun phrase anywhere in a sentence: "the lighthouse", "Mars", "the school".
    var definite: String {
        if let first = noun.first, first.isUppercase { return noun }
        let lowered = noun.lowercased()
        if TopicAnalyser.startsWithDeterminer(lowered) { return noun }
        return "the " + noun
    }
}

/// When a story happens.
struct StoryTime: Sendable, Hashable {
    /// "on the last night", "one stormy night".
    var adverbial: String
    /// The time as a noun phrase: "the last night".
    var noun: String
}

/// What a story turns on.
struct StoryThing: Sendable, Hashable {
    /// "the engine", "serendipity", "Ada Lovelace’s engine".
    var noun: String
    /// Whether a verb agrees with it in the plural.
    var plural: Bool

    /// `was` or `were`.
    var was: String { plural ? "were" : "was" }
    /// `is` or `are`.
    var isAre: String { plural ? "are" : "is" }
}

/// Reads a story topic, deterministically and without a model: what shape it has (noun phrase, sentence, question,
/// name, word, or text to keep verbatim) and which hero, place, time and object it names.
///
/// The rules, in order:
/// - **Cap.** A topic of several sentences is read from its first sentence only, and at most its first
///   ``maxWords`` words (``maxVerbatimCharacters`` characters for text kept verbatim, such as Japanese), out of its
///   first ``maxInputCharacters`` characters: a paragraph's opening names its premise, and a 45-second video cannot
///   carry more.
/// - **Lead-ins** such as "write a story about" or "a story about" are dropped.
/// - **Verbatim.** Text in a script other than Latin, or of several words with no English function word and no
///   lexicon word (German, Spanish, French...), is kept exactly as given and never given English grammar.
/// - **Hero**: a role noun of ``TopicLexicon/roles`` with its modifiers ("a lighthouse keeper", "the last dragon",
///   "two sisters"); else the topic's narrator ("I", "my", "we", "our"); else a possessor ("Ada Lovelace's engine");
///   else a name (capitalised words that are not a known place).
/// - **Place**: a place noun, including a hero's modifier ("lighthouse keeper" → the lighthouse), a known named place
///   ("Paris"), or a phrase after "in", "at", "on", "under"... that is not a time ("on the Orient Express").
/// - **Time**: a time noun with its modifiers and an "of" phrase or a clause ("the last night", "the summer of
///   1969", "the day the music died"), or a year.
/// - **Object**: what a possessive names ("Ada Lovelace's engine"), else the first other noun phrase that is not a
///   verb: not after "to", a modal or "never" ("a chef who cannot taste"), not the last word of a question after its
///   subject ("Why do cats purr?").
/// Words the lexicon does not hold are kept as the topic gives them.
enum TopicAnalyser {
    /// The most words of a topic that are read.
    static let maxWords = 24
    /// The most characters of a topic kept verbatim (a title is at most 60; a frame a little more).
    static let maxVerbatimCharacters = 80
    /// The most characters of a topic looked at: 24 words of even a long-worded language fit many times over.
    static let maxInputCharacters = 2000

    /// The premise of `prompt`: of the topic inside "the story of …" when the prompt has one (the writer's own
    /// loglines and narrations carry it that way from stage to stage), else of the whole prompt.
    static func premise(of prompt: String) -> TopicPremise {
        if let (text, shape) = framed(in: prompt) { return analyse(text, shape: shape) }
        return analyse(prompt, shape: nil)
    }

    /// The topic after the first "the story of " in `prompt`, up to the end of its sentence, with the shape its frame
    /// says ("how …" a sentence, "a question: …" a question, quotes verbatim).
    static func framed(in prompt: String) -> (String, TopicPremise.Shape?)? {
        // Numbered lines ("1. …\n2. …", as the shot stage sends narration) read as one text.
        let lines = prompt.split(whereSeparator: \.isNewline).map { line -> Substring in
            let trimmed = line.drop { $0 == " " }
            let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
            if !digits.isEmpty, trimmed.dropFirst(digits.count).hasPrefix(". ") {
                return trimmed.dropFirst(digits.count + 2)
            }
            return line
        }
        let text = lines.joined(separator: " ")
        guard let marker = text.range(of: "the story of ", options: .caseInsensitive) else { return nil }
        var rest = text[marker.upperBound...]
        if rest.hasPrefix("“") {
            rest = rest.dropFirst()
            guard let close = rest.firstIndex(of: "”") else { return nil }
            return (String(rest[..<close]), .verbatim)
        }
        if rest.hasPrefix("a question: ") {
            rest = rest.dropFirst("a question: ".count)
            let end = rest.firstIndex(of: "?").map { rest.index(after: $0) } ?? rest.endIndex
            return (String(rest[..<end]), .question)
        }
        var shape: TopicPremise.Shape?
        if rest.hasPrefix("how ") {
            rest = rest.dropFirst(4)
            shape = .sentence
        }
        let end = sentenceEnd(in: rest, stopAtColon: true)
        let topic = String(rest[..<end]).trimmingCharacters(in: .whitespaces)
        return topic.isEmpty ? nil : (topic, shape)
    }

    /// Where the first sentence of `text` ends: before a `.`, `!` or `?` followed by white space or the end (not
    /// after an abbreviation or an initial), or a `:` followed by a space when `stopAtColon`.
    static func sentenceEnd(in text: Substring, stopAtColon: Bool) -> Substring.Index {
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            let next = text.index(after: index)
            let followedBySpace = next == text.endIndex || text[next].isWhitespace
            if stopAtColon, character == ":", followedBySpace { return index }
            if ".!?。！？".contains(character), followedBySpace {
                // The word before the mark, found by walking back to white space: linear in the word, not the text.
                var start = index
                while start > text.startIndex, !text[text.index(before: start)].isWhitespace {
                    start = text.index(before: start)
                }
                let word = text[start..<index]
                let isAbbreviation =
                    character == "."
                    && (TopicLexicon.abbreviations.contains(word.lowercased())
                        || (word.count == 1 && word.first?.isUppercase == true))
                if !isAbbreviation { return character == "." ? index : next }
            }
            index = next
        }
        return text.endIndex
    }

    /// A word of the topic: its text as given (punctuation and all), its lower-case core without punctuation or a
    /// possessive ending, and what ends it.
    struct Token: Sendable, Hashable {
        var raw: String
        var core: String
        var lower: String
        var possessive: Bool
        var endsClause: Bool
        var capitalised: Bool
    }

    static func tokens(_ text: String) -> [Token] {
        text.split(whereSeparator: \.isWhitespace).map { piece in
            let raw = String(piece)
            let closing: Set<Character> = ["”", "\"", "’", "'", ")", "]", "»"]
            var core = Substring(raw).drop { !($0.isLetter || $0.isNumber) }
            var endsClause = false
            while let last = core.last, !(last.isLetter || last.isNumber) {
                if ",;:.!?".contains(last) { endsClause = true }
                if closing.contains(last), core.dropLast().hasSuffix("s") { break }
                core = core.dropLast()
            }
            var possessive = false
            var word = String(core)
            for suffix in ["'s", "’s"] where word.lowercased().hasSuffix(suffix) && word.count > 2 {
                word = String(word.dropLast(2))
                possessive = true
            }
            for suffix in ["s'", "s’"] where !possessive && word.lowercased().hasSuffix(suffix) {
                word = String(word.dropLast())
                possessive = true
            }
            if let last = word.last, closing.contains(last) { word.removeLast() }
            return Token(
                raw: raw, core: word, lower: word.lowercased(), possessive: possessive, endsClause: endsClause,
                capitalised: word.first?.isUppercase ?? false)
        }
    }

    /// Whether `lowered` opens with a determiner ("the ", "my ", "two ").
    static func startsWithDeterminer(_ lowered: String) -> Bool {
        guard let first = lowered.split(separator: " ").first else { return false }
        return TopicLexicon.determiners.contains(String(first))
    }

    /// The premise of `topic`; `shape` when the caller already knows it (from a frame).
    static func analyse(_ topic: String, shape hint: TopicPremise.Shape?) -> TopicPremise {
        // Only the opening is read (`maxWords` words): a topic of a megabyte costs no more than one of a line.
        let collapsed = topic.prefix(maxInputCharacters).split(whereSeparator: \.isWhitespace).joined(separator: " ")
        guard !collapsed.isEmpty else {
            return TopicPremise(shape: .empty, text: "", frame: "", contentWords: [])
        }
        let first = String(collapsed[..<sentenceEnd(in: Substring(collapsed), stopAtColon: false)])
        if hint == .verbatim || isVerbatim(first) {
            let text = String(first.prefix(maxVerbatimCharacters)).trimmingCharacters(in: .whitespaces)
            return TopicPremise(
                shape: .verbatim, text: text, frame: "“" + text + "”", contentWords: verbatimWords(text))
        }
        var tokens = Array(tokens(first).prefix(maxWords))
        let lowered = tokens.map(\.lower)
        for leadIn in TopicLexicon.leadIns where lowered.starts(with: leadIn) && tokens.count > leadIn.count {
            tokens.removeFirst(leadIn.count)
            break
        }
        guard !tokens.isEmpty else { return TopicPremise(shape: .empty, text: "", frame: "", contentWords: []) }
        var reading = Reading(tokens: tokens)
        let shape = hint ?? reading.shape()
        reading.read(shape: shape)
        let text = tokens.map(\.raw).joined(separator: " ")
        return TopicPremise(
            shape: shape, text: text, frame: frame(text, tokens: tokens, shape: shape), hero: reading.hero,
            place: reading.place, time: reading.time, object: reading.object, contentWords: contentWords(tokens))
    }

    /// Whether `text` is to be kept verbatim: mostly letters of a script other than Latin, or several words none of
    /// which is an English function word or lexicon word.
    static func isVerbatim(_ text: String) -> Bool {
        let letters = text.unicodeScalars.filter { CharacterSet.letters.contains($0) }
        guard !letters.isEmpty else { return false }
        // Latin letters run to U+024F (Latin Extended-B); beyond is another script (Greek, Cyrillic, CJK...).
        let latin = letters.filter { $0.value <= 0x024F }.count
        if latin * 10 < letters.count * 7 { return true }
        let words = tokens(text).map(\.lower).filter { !$0.isEmpty }
        let english = words.contains { word in
            TopicLexicon.functionWords.contains(word) || TopicLexicon.isNoun(TopicLexicon.singular(word).word)
                || TopicLexicon.presentVerbs.contains(word) || TopicLexicon.pastVerbs.contains(word)
        }
        if english { return false }
        let accented = letters.contains { $0.value > 0x7F }
        return words.count >= 4 || (accented && words.count >= 2)
    }

    /// The "words" of verbatim text: white-space separated pieces, or the whole text when it has no spaces.
    static func verbatimWords(_ text: String) -> [String] {
        text.split(whereSeparator: \.isWhitespace).map { String($0).lowercased() }
    }

    /// The topic's content words.
    static func contentWords(_ tokens: [Token]) -> [String] {
        tokens.map(\.lower).filter { word in
            word.count >= 2 && word.contains { $0.isLetter } && !TopicLexicon.functionWords.contains(word)
                && !TopicLexicon.requestWords.contains(word)
        }
    }

    /// The topic as it reads after "the story of ".
    static func frame(_ text: String, tokens: [Token], shape: TopicPremise.Shape) -> String {
        var body = text
        while let last = body.last, ".!,;:".contains(last) { body.removeLast() }
        if let first = tokens.first, first.lower != "i",
            TopicLexicon.functionWords.contains(first.lower) || TopicLexicon.determiners.contains(first.lower)
                || (TopicLexicon.isNoun(TopicLexicon.singular(first.lower).word) && tokens.count > 1
                    && !(tokens[1].capitalised))
        {
            body = body.prefix(1).lowercased() + body.dropFirst()
        }
        switch shape {
        case .sentence: return "how " + body
        case .question: return "a question: " + (body.hasSuffix("?") ? body : body + "?")
        default: return body
        }
    }
}

/// One pass over a topic's tokens, filling hero, place, time and object as ``TopicAnalyser`` documents.
private struct Reading {
    let tokens: [TopicAnalyser.Token]
    var used: Set<Int> = []
    var hero: StoryHero?
    var place: StoryPlace?
    var time: StoryTime?
    var object: StoryThing?

    init(tokens: [TopicAnalyser.Token]) { self.tokens = tokens }

    func lower(_ index: Int) -> String { tokens[index].lower }
    func isFunction(_ index: Int) -> Bool { TopicLexicon.functionWords.contains(lower(index)) }
    func isVerb(_ index: Int) -> Bool {
        TopicLexicon.presentVerbs.contains(lower(index)) || TopicLexicon.pastVerbs.contains(lower(index))
    }
    func singular(_ index: Int) -> (word: String, plural: Bool) { TopicLexicon.singular(lower(index)) }
    func isRole(_ index: Int) -> Bool { TopicLexicon.roles.contains(singular(index).word) }
    func placePreposition(_ index: Int) -> String? { TopicLexicon.places[singular(index).word] }
    func timePreposition(_ index: Int) -> String? { TopicLexicon.times[singular(index).word] }

    /// The shape of the topic.
    func shape() -> TopicPremise.Shape {
        let last = tokens[tokens.count - 1].raw
        if last.hasSuffix("?")
            || (TopicLexicon.questionWords.contains(lower(0)) && tokens.count > 1
                && !TopicLexicon.determiners.contains(lower(0)))
        {
            return .question
        }
        if tokens.count == 1 { return tokens[0].capitalised && !TopicLexicon.isNoun(singular(0).word) ? .name : .word }
        if TopicLexicon.subjectPronouns.contains(lower(0)) { return .sentence }
        if let verb = finiteVerb() { return verb > 0 ? .sentence : .nounPhrase }
        let content = tokens.indices.filter { !isFunction($0) }
        if !content.isEmpty, content.count <= 5, content.allSatisfy({ tokens[$0].capitalised }),
            !content.contains(where: { TopicLexicon.isNoun(singular($0).word) })
        {
            return .name
        }
        return .nounPhrase
    }

    /// The index of the verb that follows the topic's opening noun phrase, when there is one.
    func finiteVerb() -> Int? {
        var index = 0
        if TopicLexicon.determiners.contains(lower(0)) { index = 1 }
        var sawNoun = false
        while index < tokens.count {
            let word = lower(index)
            if TopicLexicon.presentVerbs.contains(word) && sawNoun && !TopicLexicon.isNoun(word) { return index }
            if TopicLexicon.pastVerbs.contains(word) && sawNoun { return index }
            if isFunction(index) || tokens[index].possessive || tokens[index].endsClause { return nil }
            sawNoun = true
            index += 1
        }
        return nil
    }

    /// The noun phrase whose head is `head`: its modifiers back to a determiner (included) or to a function word,
    /// verb, possessive or punctuation (excluded), and an "of" phrase after it.
    func phrase(head: Int, stopAt floor: Int = 0) -> Range<Int> {
        var start = head
        while start > floor {
            let previous = start - 1
            let word = lower(previous)
            if TopicLexicon.determiners.contains(word) {
                start = previous
                break
            }
            if isFunction(previous) || isVerb(previous) || tokens[previous].possessive || tokens[previous].endsClause
                || TopicLexicon.prepositions.contains(word)
            {
                break
            }
            start = previous
        }
        var end = head + 1
        if end + 1 < tokens.count, lower(end) == "of", !tokens[head].endsClause {
            var index = end + 1
            if TopicLexicon.determiners.contains(lower(index)) { index += 1 }
            while index < tokens.count, !isFunction(index), !isVerb(index) || index == end + 1 {
                index += 1
                if tokens[index - 1].endsClause || tokens[index - 1].possessive { break }
            }
            if index > end + 1 { end = index }
        }
        return start..<end
    }

    /// The words of `range` as the topic gives them, without punctuation or a possessive ending; the topic's
    /// first word lower-cased when it is capitalised only for starting the topic ("The summer" → "the summer").
    func text(_ range: Range<Int>) -> String {
        var words = range.map { tokens[$0].core }
        if range.lowerBound == 0, let first = words.first, tokens[0].capitalised, isCommon(0) {
            words[0] = first.prefix(1).lowercased() + first.dropFirst()
        }
        return words.joined(separator: " ")
    }

    /// Whether the word at `index` is a common word (a function word, a lexicon noun or a verb), not a name.
    func isCommon(_ index: Int) -> Bool {
        lower(index) != "i"
            && (isFunction(index) || TopicLexicon.isNoun(singular(index).word) || isVerb(index)
                || TopicLexicon.determiners.contains(lower(index)))
    }

    /// The phrase with a leading "a"/"an" made "the" (and one added when it has no determiner and is not a name).
    func definite(_ range: Range<Int>, bare: Bool = false) -> String {
        let phrase = text(range)
        let first = lower(range.lowerBound)
        if first == "a" || first == "an" { return "the " + text((range.lowerBound + 1)..<range.upperBound) }
        if TopicLexicon.determiners.contains(first) || tokens[range.lowerBound].capitalised || bare { return phrase }
        return "the " + phrase
    }

    mutating func read(shape: TopicPremise.Shape) {
        readHero()
        // The time before the place: "the first day of school" is a time, its school no setting of its own.
        readTime()
        readPlace()
        readObject(shape: shape)
    }

    mutating func readHero() {
        // A role noun; in a compound ("dragon keeper") the last noun is the head.
        if var head = tokens.indices.first(where: { isRole($0) }) {
            while head + 1 < tokens.count, !tokens[head].possessive, !tokens[head].endsClause, isRole(head + 1) {
                head += 1
            }
            // A role noun that modifies a place or time ("the dog park") is no hero.
            let modifiesNoun =
                head + 1 < tokens.count && !tokens[head].possessive && !tokens[head].endsClause
                && (placePreposition(head + 1) != nil || timePreposition(head + 1) != nil)
            if !modifiesNoun {
                let range = phrase(head: head)
                let (noun, plural) = singular(head)
                let intro = text(range)
                let first = lower(range.lowerBound)
                let possessiveDeterminer = ["my", "our", "your", "his", "her", "their"].contains(first)
                let introduced =
                    TopicLexicon.determiners.contains(first) || plural ? intro : TemplatePhrasing.indefinite(intro)
                let subject = possessiveDeterminer ? introduced : "the " + tokens[head].core.lowercased()
                hero = .noun(intro: introduced, subject: subject, plural: plural, head: noun)
                used.formUnion(range)
                return
            }
        }
        let words = tokens.map(\.lower)
        if words.contains(where: { ["i", "me", "my", "myself"].contains($0) }) {
            hero = .narrator(plural: false)
            return
        }
        if words.contains(where: { ["we", "us", "our", "ourselves"].contains($0) }) {
            hero = .narrator(plural: true)
            return
        }
        if let owner = tokens.indices.first(where: { tokens[$0].possessive }), placePreposition(owner) == nil,
            timePreposition(owner) == nil
        {
            let range = phrase(head: owner)
            let name = text(range)
            let isName = tokens[range].allSatisfy { $0.capitalised }
            if TopicLexicon.namedPlaces[name.lowercased()] == nil {
                let plural = tokens[owner].raw.hasSuffix("s'") || tokens[owner].raw.hasSuffix("s’")
                let determined = TopicAnalyser.startsWithDeterminer(name.lowercased())
                hero = .noun(
                    intro: isName || determined || plural ? name : TemplatePhrasing.indefinite(name),
                    subject: isName ? name : definite(range), plural: plural, head: tokens[owner].core)
                used.formUnion(range)
                return
            }
        }
        if let name = nameRange(), TopicLexicon.namedPlaces[text(name).lowercased()] == nil {
            let value = text(name)
            hero = .noun(intro: value, subject: value, plural: false, head: value)
            used.formUnion(name)
        }
    }

    /// A run of capitalised words that is a name: not a function word, not a lexicon noun, not the topic's first
    /// word alone (which is capitalised anyway) unless the topic is that word.
    func nameRange() -> Range<Int>? {
        var index = 0
        while index < tokens.count {
            guard tokens[index].capitalised, !isFunction(index), !TopicLexicon.isNoun(singular(index).word),
                !isVerb(index)
            else {
                index += 1
                continue
            }
            var end = index + 1
            while end < tokens.count, tokens[end].capitalised, !isFunction(end), !tokens[end - 1].possessive,
                !tokens[end - 1].endsClause
            {
                end += 1
            }
            if index > 0 || end - index >= 2 || tokens.count == 1 { return index..<end }
            index = end
        }
        return nil
    }

    mutating func readPlace() {
        let words = tokens.map(\.lower)
        // Named places, two words first ("new york").
        for index in tokens.indices {
            let two = index + 1 < tokens.count ? words[index] + " " + words[index + 1] : ""
            if let preposition = TopicLexicon.namedPlaces[two] {
                place = StoryPlace(noun: text(index..<(index + 2)), preposition: preposition, head: two)
                used.formUnion(index..<(index + 2))
                return
            }
            if let preposition = TopicLexicon.namedPlaces[words[index]] {
                var noun = tokens[index].core
                if words[index] == "moon" || !tokens[index].capitalised { noun = "the " + words[index] }
                place = StoryPlace(noun: noun, preposition: given(before: index) ?? preposition, head: words[index])
                used.insert(index)
                return
            }
        }
        if let head = tokens.indices.first(where: {
            placePreposition($0) != nil && (!used.contains($0) || isModifier($0))
        }) {
            let preposition = given(before: head) ?? placePreposition(head) ?? "in"
            let noun: String
            if used.contains(head) {
                // The modifier of the hero ("lighthouse keeper"): the hero's own place.
                noun = "the " + words[head]
            } else {
                let range = phrase(head: head, stopAt: 0)
                let bare =
                    TopicLexicon.barePlaces.contains(words[head]) && range.count == 1 && given(before: head) != nil
                noun = definite(range, bare: bare)
                used.formUnion(range)
            }
            place = StoryPlace(noun: noun, preposition: preposition, head: singular(head).word)
            return
        }
        // A phrase after a place preposition that is not a time: kept as given ("on the Orient Express").
        let placeWords: Set<String> = [
            "in", "at", "on", "under", "inside", "near", "aboard", "beyond", "behind", "beneath",
        ]
        for index in tokens.indices.dropLast() where placeWords.contains(words[index]) {
            var head = index + 1
            if TopicLexicon.determiners.contains(words[head]) { head += 1 }
            guard head < tokens.count, !used.contains(head), !isFunction(head), !isVerb(head),
                timePreposition(head) == nil, !(words[head].allSatisfy(\.isNumber))
            else { continue }
            var end = head
            while end + 1 < tokens.count, !tokens[end].endsClause, !isFunction(end + 1), !isVerb(end + 1) { end += 1 }
            let range = (index + 1)..<(end + 1)
            place = StoryPlace(noun: definite(range), preposition: words[index], head: words[end])
            used.formUnion(range)
            return
        }
    }

    /// Whether the token at `index` modifies the hero's head (the "lighthouse" of "lighthouse keeper").
    func isModifier(_ index: Int) -> Bool {
        index + 1 < tokens.count && used.contains(index + 1) && !tokens[index].possessive && isRole(index) == false
    }

    /// The preposition just before the phrase at `index` (or before its determiner), when the topic gives one.
    func given(before index: Int) -> String? {
        var previous = index - 1
        while previous >= 0, !isFunction(previous) || TopicLexicon.determiners.contains(lower(previous)),
            !TopicLexicon.prepositions.contains(lower(previous)), !tokens[previous].possessive, index - previous < 4
        {
            previous -= 1
        }
        guard previous >= 0 else { return nil }
        let word = lower(previous)
        let places: Set<String> = ["in", "at", "on", "under", "inside", "near", "aboard", "beyond", "behind", "by"]
        return places.contains(word) ? word : nil
    }

    mutating func readTime() {
        let words = tokens.map(\.lower)
        if let head = tokens.indices.first(where: { timePreposition($0) != nil && !used.contains($0) }) {
            var range = phrase(head: head)
            // A clause after the time ("the day the music died") belongs to it.
            if range.upperBound < tokens.count, !tokens[range.upperBound - 1].endsClause {
                let next = words[range.upperBound]
                if TopicLexicon.determiners.contains(next) || TopicLexicon.subjectPronouns.contains(next)
                    || next == "when"
                {
                    var end = range.upperBound
                    while end < tokens.count {
                        end += 1
                        if tokens[end - 1].endsClause { break }
                    }
                    range = range.lowerBound..<end
                }
            }
            var noun = text(range)
            let first = words[range.lowerBound]
            if first == "a" || first == "an" || first == "one" {
                noun = "the " + text((range.lowerBound + 1)..<range.upperBound)
            } else if !TopicLexicon.determiners.contains(first), !tokens[range.lowerBound].capitalised {
                noun = "the " + noun
            }
            let preposition =
                given(before: head).flatMap { ["in", "at", "on"].contains($0) ? $0 : nil }
                ?? timePreposition(head) ?? "on"
            let adverbial: String
            if range.count == 1, !tokens[head].capitalised {
                adverbial = (preposition == "in" ? "that " : "one ") + words[head]
            } else {
                adverbial = preposition + " " + noun
            }
            time = StoryTime(adverbial: adverbial, noun: noun)
            used.formUnion(range)
            return
        }
        if let year = tokens.indices.first(where: { words[$0].count == 4 && words[$0].allSatisfy(\.isNumber) }),
            !used.contains(year)
        {
            time = StoryTime(adverbial: "in " + tokens[year].core, noun: tokens[year].core)
            used.insert(year)
        }
    }

    mutating func readObject(shape: TopicPremise.Shape) {
        let words = tokens.map(\.lower)
        // What a possessive names ("Ada Lovelace's engine").
        if let owner = tokens.indices.first(where: { tokens[$0].possessive }), owner + 1 < tokens.count {
            var head = owner + 1
            while head + 1 < tokens.count, !tokens[head].endsClause, !isFunction(head + 1), !isVerb(head + 1) {
                head += 1
            }
            let range = (owner + 1)..<(head + 1)
            if !range.contains(where: { used.contains($0) }), !isFunction(owner + 1) {
                let ownerText = hero.map { used.contains(owner) ? $0.possessive : nil } ?? nil
                let phrase = text(range)
                object = StoryThing(
                    noun: ownerText.map { $0 + " " + phrase } ?? "the " + phrase, plural: singular(head).plural)
                used.formUnion(range)
                return
            }
        }
        // The first other noun phrase: content words not used, not verbs, not after "to" (an infinitive).
        var index = 0
        while index < tokens.count {
            guard !used.contains(index), !isFunction(index), !isVerb(index), !tokens[index].possessive,
                index == 0 || !TopicLexicon.verbLeads.contains(words[index - 1]), !words[index].hasSuffix("ly"),
                !TopicLexicon.notNouns.contains(words[index]), !TopicLexicon.prepositions.contains(words[index]),
                !(shape == .question && index == tokens.count - 1 && index > 0 && !isFunction(index - 1)),
                words[index].contains(where: \.isLetter), !TopicLexicon.requestWords.contains(words[index])
            else {
                index += 1
                continue
            }
            var end = index
            while end + 1 < tokens.count, !tokens[end].endsClause, !used.contains(end + 1), !isFunction(end + 1),
                !isVerb(end + 1), !TopicLexicon.notNouns.contains(words[end + 1])
            {
                end += 1
            }
            var start = index
            if start > 0, TopicLexicon.determiners.contains(words[start - 1]) { start -= 1 }
            // "The history of coffee": an "of" phrase belongs to the object.
            let range = start..<max(end + 1, phrase(head: end).upperBound)
            let last = words[end]
            let plural = last.hasSuffix("s") && !last.hasSuffix("ss") && !last.hasSuffix("us")
            var phrase = text(range)
            // "Quantum entanglement": capitalised only for opening the topic; "Zorblax" stays as given.
            if start == 0, tokens[0].capitalised, end > 0, !tokens[1].capitalised {
                phrase = phrase.prefix(1).lowercased() + phrase.dropFirst()
            }
            let noun: String
            if TopicLexicon.determiners.contains(words[start]) || (tokens[start].capitalised && start > 0) {
                noun = definite(range)
            } else if TemplatePhrasing.readsBare(last) || plural || shape == .word || tokens[start].capitalised {
                noun = phrase
            } else {
                noun = "the " + phrase
            }
            object = StoryThing(noun: noun, plural: plural)
            used.formUnion(range)
            return
        }
    }
}
