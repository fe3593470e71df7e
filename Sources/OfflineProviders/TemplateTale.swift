/// The texts a template story is made of, written from a ``StoryPremise`` and a ``StoryAngle``: title, logline, tale
/// and picture descriptions. Every sentence is in the past tense with its verbs agreeing with the hero ("the keeper
/// was", "the sisters were", "I was"), and each names the premise's own hero, place, time and object.
struct TemplateTale {
    let premise: StoryPremise
    var angle: StoryAngle

    static let adjectives = ["Quiet", "Last", "Hidden", "Burning", "Silver", "Forgotten", "Endless"]
    static let nouns = ["Signal", "Promise", "Song", "Light", "Door"]

    // MARK: Title

    /// The titles the premise allows, each naming something of the topic (the topic itself first).
    func titles() -> [String] {
        let topic = premise.topic
        var titles: [String] = []
        switch topic.shape {
        case .empty: break
        case .verbatim: titles.append(topic.text)
        case .question: titles.append(TemplatePhrasing.capitalised(topic.text))
        case .sentence:
            titles.append(TemplatePhrasing.titleCased(topic.frame.prefix(1).uppercased() + topic.frame.dropFirst()))
        case .word, .name, .nounPhrase:
            var frame = topic.frame
            for article in ["a ", "an "] where frame.hasPrefix(article) {
                frame = "the " + frame.dropFirst(article.count)
            }
            titles.append(TemplatePhrasing.titleCased(TemplatePhrasing.capitalised(frame)))
        }
        let hero = premise.hero
        let heroTitle =
            hero.subject.first?.isUppercase == true && hero.subject == hero.intro
            ? hero.subject : TemplatePhrasing.titleCased(TemplatePhrasing.capitalised(hero.subject))
        if premise.heroGiven, !hero.firstPerson, premise.timeGiven, premise.time.noun.hasPrefix("the ") {
            titles.append(heroTitle + "’s " + TemplatePhrasing.titleCased(String(premise.time.noun.dropFirst(4))))
        }
        if premise.heroGiven, !hero.firstPerson, !premise.object.noun.contains(hero.possessive) {
            titles.append(heroTitle + " and " + TemplatePhrasing.titleCased(premise.object.noun))
        }
        if premise.placeGiven {
            let adjective = Self.adjectives[angle.title % Self.adjectives.count]
            let noun = Self.nouns[angle.title % Self.nouns.count]
            titles.append(
                "The \(adjective) \(noun) \(premise.place.preposition) "
                    + TemplatePhrasing.titleCased(premise.place.noun))
        }
        if premise.objectGiven, !premise.heroGiven {
            titles.append(TemplatePhrasing.titleCased(TemplatePhrasing.capitalised(premise.object.noun)))
        }
        if titles.isEmpty {
            titles.append(
                "The \(Self.adjectives[angle.title % Self.adjectives.count]) "
                    + TemplatePhrasing.titleCased(premise.object.noun.replacingFirst("the ", with: "")))
        }
        // A title in title case throughout ("The Keeper and the Brass Key"); verbatim text and questions as given.
        let cased = titles.enumerated().map { index, title in
            index == 0 && [.verbatim, .question].contains(topic.shape) ? title : TemplatePhrasing.titleCased(title)
        }
        return cased.map { TemplatePhrasing.clipped($0, to: 60) }
    }

    // MARK: Logline

    /// One sentence that carries the premise from stage to stage: "The story of a lighthouse keeper's last night: on
    /// the last night at the lighthouse, the keeper finds a letter that was never sent, and everything turns on the
    /// brass key."
    func logline() -> String {
        let hero = premise.hero
        let who = premise.heroGiven ? hero.subject : hero.intro
        let verb = hero.plural || hero.firstPerson ? angle.turn.plain : angle.turn.third
        let topic = premise.topic.frame
        // A question keeps its question mark and the premise follows as its own sentence.
        let frame = topic.isEmpty ? "" : topic.hasSuffix("?") ? "The story of \(topic) " : "The story of \(topic): "
        let setting = "\(premise.time.adverbial) \(premise.place.adverbial), \(who) \(verb)"
        let opening = frame.isEmpty || topic.hasSuffix("?") ? TemplatePhrasing.capitalised(setting) : setting
        return "\(frame)\(opening), and everything turns on \(premise.object.noun)."
    }

    // MARK: Tale

    /// A tale of at least `minLength` characters: an opening that names the premise and the topic, a turn, as many
    /// chapters as the length needs (each with its own place, helper, clue and obstacle, in order), and an ending.
    /// No sentence is repeated verbatim.
    func tale(minLength: Int, random: inout SeededGenerator) -> String {
        var writer = SentenceBook(premise: premise, angle: angle)
        let beats = writer.arc(random: &random)
        var total = beats.reduce(0) { $0 + $1.sentence.count + 1 }
        var chosen: [String]
        if total <= minLength {
            // Long: chapters go between the turn and the ending until the length is reached.
            let split = beats.firstIndex { $0.part == .ending } ?? beats.count
            var chapters: [String] = []
            var index = 0
            while total < minLength, index < SentenceBook.maxChapters {
                let chapter = writer.chapter(index, random: &random)
                chapters += chapter
                total += chapter.reduce(0) { $0 + $1.count + 1 }
                index += 1
            }
            chosen = beats[..<split].map(\.sentence) + chapters + beats[split...].map(\.sentence)
        } else {
            // Short: the beats of the lowest priorities that reach the length, in story order.
            var level = 0
            var kept = beats.filter { $0.priority <= level }
            while kept.reduce(0, { $0 + $1.sentence.count + 1 }) < minLength, level < 9 {
                level += 1
                kept = beats.filter { $0.priority <= level }
            }
            chosen = kept.map(\.sentence)
        }
        return chosen.joined(separator: " ")
    }

    // MARK: Pictures

    static let lightDetails = [
        "warm window light", "mist rolling in", "long evening shadows", "rain on the glass", "a single lamp",
        "stars overhead", "dust in a beam of light",
    ]

    /// A picture description for an image model: the premise's hero, place and time, what narration line `line`
    /// shows of the story's chapters, and the topic itself wherever those do not already name its words.
    func visual(index: Int, line: String) -> String {
        let hero = premise.hero
        var parts: [String] = []
        let subject =
            hero.firstPerson
            ? "point-of-view shot \(premise.place.adverbial)" : "shot of \(hero.intro) \(premise.place.adverbial)"
        parts.append("\(angle.mood) cinematic \(subject)")
        parts.append(premise.time.noun)
        let lowered = line.lowercased()
        for detail in SentenceBook.helpers.map(\.intro) + SentenceBook.clues.map(\.intro) + SentenceBook.stations
        where lowered.contains(detail.dropFirst(2)) {
            parts.append(detail)
            break
        }
        let sofar = parts.joined(separator: ", ").lowercased()
        if !premise.topic.contentWords.allSatisfy({ sofar.contains($0) }) {
            parts.append("scene from the story of \(premise.topic.frame)")
        }
        // A light that repeats no word already there ("the rain, rain on the glass").
        let lights = Self.lightDetails.filter { light in
            !light.split(separator: " ").contains { $0.count > 3 && sofar.contains($0) }
        }
        parts.append(lights.isEmpty ? "soft haze" : lights[(angle.opening + index) % lights.count])
        parts.append("soft volumetric light, vertical frame")
        return parts.joined(separator: ", ")
    }
}

extension String {
    fileprivate func replacingFirst(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }
}

/// The sentences of a tale, each with its part of the arc and a priority: a short tale keeps the lowest priorities.
struct SentenceBook {
    enum Part { case opening, middle, ending }

    let premise: StoryPremise
    let angle: StoryAngle
    /// Sentences already written: none is written twice.
    var written: Set<String> = []
    /// The clue of the first chapter, which a later one comes back to.
    var firstClue: (intro: String, short: String)?

    init(premise: StoryPremise, angle: StoryAngle) {
        self.premise = premise
        self.angle = angle
    }

    /// 99 chapters at about 60 words each is about 6,000 words, past the 4,500 a 20-minute target (the longest) takes.
    static let maxChapters = 99

    // The hero's forms.
    var he: String { premise.hero.subject }
    var heStart: String { TemplatePhrasing.capitalised(premise.hero.subject) }
    var him: String { premise.hero.object }
    var was: String { premise.hero.was }
    var place: String { premise.place.definite }
    var atPlace: String { premise.place.adverbial }
    var object: String { premise.object.noun }

    mutating func pick(_ options: [String], _ random: inout SeededGenerator) -> String? {
        let start = Int(random.next() % UInt64(options.count))
        for offset in 0..<options.count {
            let sentence = options[(start + offset) % options.count]
            if !written.contains(sentence) {
                written.insert(sentence)
                return sentence
            }
        }
        return nil
    }

    /// The arc of a short tale; a long one puts its chapters before the `.ending` part.
    mutating func arc(random: inout SeededGenerator) -> [(part: Part, priority: Int, sentence: String)] {
        let hero = premise.hero
        let time = TemplatePhrasing.capitalised(premise.time.adverbial)
        let introObject = hero.firstPerson ? hero.object : hero.intro
        let openings = [
            "\(time), \(hero.intro) \(was) alone \(atPlace).",
            "\(time), nobody \(atPlace) paid much attention to \(introObject).",
            "\(time), \(hero.intro) stood \(atPlace) and listened.",
        ]
        let frame = premise.topic.frame
        let end = frame.hasSuffix("?") ? "" : "."
        let frames = [
            "This is the story of \(frame)\(end)", "They still tell the story of \(frame)\(end)",
            "Listen to the story of \(frame)\(end)",
        ]
        let objectWas = premise.object.was
        let beats: [(Part, Int, [String])] = [
            (.opening, 0, [openings[angle.opening % openings.count]]),
            (.opening, 0, frame.isEmpty ? [] : [frames[angle.opening % frames.count]]),
            (
                .opening, 3,
                [
                    "For years \(he) had kept to the same quiet routine, and \(object) \(objectWas) part of it.",
                    "Every evening \(he) walked the same road, thinking about \(object).",
                    "\(heStart) knew every corner of \(place), and every story about \(object).",
                ]
            ),
            (
                .opening, 1,
                [
                    "Then, without any warning, \(he) \(angle.turn.past).",
                    "It all changed when \(he) \(angle.turn.past).",
                ]
            ),
            (.opening, 5, ["At first it seemed like nothing at all.", "It should have been a small thing."]),
            (
                .opening, 4,
                [
                    "But \(object) would not leave \(him) alone.",
                    "But the closer \(he) looked, the more \(object) seemed to be waiting for an answer.",
                ]
            ),
            (
                .ending, 2,
                [
                    "\(heStart) could have walked away, as everyone always did.",
                    "\(heStart) \(was) afraid, and went anyway.",
                ]
            ),
            (
                .ending, 6,
                [
                    "Step by step, \(he) followed where it led.",
                    "With cold hands and a warm heart, \(he) followed it into the \(angle.mood) night.",
                ]
            ),
            (
                .ending, 3,
                ["What waited there was not what anyone expected.", "At the end of the road there was a light."]
            ),
            (
                .ending, 2,
                [
                    "It was a small thing: a window still lit, a voice that remembered a name.",
                    "Someone had been waiting all along, and had kept a place by the fire.",
                ]
            ),
            (
                .ending, 1,
                [
                    "And for the first time in years, \(place) felt like home.",
                    "And \(he) smiled, because now it made sense.",
                ]
            ),
            (
                .ending, 4,
                [
                    "Sometimes \(object) \(premise.object.isAre) the whole story.",
                    "Some stories only need one brave step.",
                    "You only have to listen.",
                ]
            ),
        ]
        var result: [(part: Part, priority: Int, sentence: String)] = []
        for (part, priority, options) in beats where !options.isEmpty {
            if let sentence = pick(options, &random) { result.append((part, priority, sentence)) }
        }
        return result
    }

    static let helpers: [(intro: String, short: String)] = [
        ("an old woman with a lantern", "the old woman"), ("a boy who sold newspapers", "the boy"),
        ("a retired sailor", "the sailor"), ("a girl with a red kite", "the girl"),
        ("a tired night guard", "the guard"), ("a stray dog with one ear up", "the dog"),
        ("a woman who mended clocks", "the clockmender"), ("a postman at the end of his round", "the postman"),
        ("a fisherman mending his nets", "the fisherman"), ("a street musician", "the musician"),
        ("a librarian who never forgot a face", "the librarian"), ("a bus driver at the end of the line", "the driver"),
        ("a schoolteacher on her way home", "the teacher"), ("a ferryman who never hurried", "the ferryman"),
        ("a baker with flour on his sleeves", "the baker"), ("a pilot waiting for clear skies", "the pilot"),
    ]
    static let clues: [(intro: String, short: String)] = [
        ("a name scratched into the wood", "the name"), ("a photograph with one corner torn off", "the photograph"),
        ("a map drawn in pencil", "the pencil map"), ("a key that fitted no door", "the key"),
        ("a ticket dated twenty years earlier", "the ticket"), ("a page torn from a diary", "the page"),
        ("footprints that ended at the water", "the footprints"),
        ("a compass that pointed the wrong way", "the compass"),
        ("a coat left on a chair", "the coat"), ("a song hummed under someone's breath", "the song"),
        ("a window that was always lit", "the window"), ("a chalk mark on a gate", "the chalk mark"),
        ("a button from a uniform", "the button"), ("an unfinished drawing", "the drawing"),
    ]
    static let stations = [
        "the harbour wall", "an empty station", "the market before dawn", "a bridge over dark water",
        "the archive room", "the edge of the woods", "a shuttered school", "the old water tower",
        "the bus shelter at the crossroads", "a ferry crossing", "the clock tower", "an abandoned greenhouse",
        "the last house on the hill", "a café that never closed",
    ]
    static let obstacles = [
        "the storm came in faster than anyone expected", "the road was closed", "the bridge had washed away",
        "the lights went out", "the last bus had already gone", "nobody wanted to talk",
        "the door was locked from the inside", "the fog swallowed every landmark", "the clocks seemed to run faster",
        "the ink had begun to fade", "a wrong turn cost an hour", "the wind tore the map away",
        "the river had risen over the path", "someone else was asking the same questions",
    ]

    /// Chapter `index` of a long tale: somewhere new (in order), someone met there, a clue, an obstacle, and the
    /// hero going on. Its opening names the day (or, when the topic fixes the time, the leg of the journey), so
    /// chapters progress.
    mutating func chapter(_ index: Int, random: inout SeededGenerator) -> [String] {
        let ordinal = TemplatePhrasing.ordinal(index + 2)
        // A topic that fixes the time ("the last night") has no days to count: its chapters count legs of the way.
        let marker = premise.timeGiven ? "On the \(ordinal) leg of the journey" : "On the \(ordinal) day"
        let stations =
            [
                "the far side of \(place)", "the oldest part of \(place)", "the quietest corner of \(place)",
                "the road out of \(place)",
            ] + Self.stations
        // Steps that share no factor with the lists' lengths walk every entry before repeating one.
        let station = stations[(index * 5 + angle.opening) % stations.count]
        let helper = Self.helpers[(index * 3 + angle.title) % Self.helpers.count]
        let clue = Self.clues[(index * 3 + angle.opening) % Self.clues.count]
        let obstacle = Self.obstacles[(index * 5 + angle.title) % Self.obstacles.count]
        // The station again, now known: "an empty station" → "the empty station".
        var there = station
        for article in ["a ", "an "] where there.hasPrefix(article) { there = "the " + there.dropFirst(article.count) }
        let helperStart = TemplatePhrasing.capitalised(helper.short)
        let together = premise.hero.firstPerson ? "\(helper.short) and \(he)" : "\(he) and \(helper.short)"
        var sentences: [String?] = []
        sentences.append(
            pick(
                [
                    "\(marker), \(he) went to \(station).", "\(marker), the search led \(him) to \(station).",
                    "\(marker), \(he) reached \(station).",
                ], &random))
        sentences.append(
            pick(
                [
                    "There \(he) met \(helper.intro).",
                    "\(TemplatePhrasing.capitalised(helper.intro)) was waiting there.",
                    "At \(there), \(he) met \(helper.intro).",
                ], &random))
        var clueIntroduced = false
        if index > 0, index % 4 == 2, let first = firstClue {
            sentences.append(
                pick(
                    [
                        "At \(there), \(he) finally understood what \(first.short) had meant.",
                        "\(helperStart) knew at once what \(first.short) meant, and said so.",
                    ], &random))
        } else {
            sentences.append(
                pick(
                    [
                        "\(helperStart) pointed to \(clue.intro).",
                        "\(helperStart) said nothing, but held out \(clue.intro).",
                        "Between them, \(together) found \(clue.intro).",
                    ], &random))
            clueIntroduced = true
            if firstClue == nil { firstClue = clue }
        }
        if index % 3 == 1 {
            sentences.append(pick(["\(helperStart) had seen \(object) before, long ago."], &random))
        }
        sentences.append(pick(["But \(obstacle).", "Then \(obstacle).", "Worse, \(obstacle)."], &random))
        sentences.append(
            pick(
                [
                    "\(heStart) thought about \(object) and did not turn back.",
                    "\(heStart) \(was) tired, but kept going.",
                    "\(heStart) thanked \(helper.short) and went on.",
                ] + (clueIntroduced ? ["\(heStart) kept \(clue.short) in mind, and went on."] : []), &random))
        return sentences.compactMap { $0 }
    }
}
