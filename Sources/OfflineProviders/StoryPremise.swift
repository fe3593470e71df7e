/// The premise a template story is told from: the topic's own hero, place, time and object (``TopicAnalyser``), and
/// for what the topic leaves open, an entry of the writer's lists (the one a prompt already names, so that every
/// stage of a run tells the same story, else one chosen by the seed).
struct StoryPremise: Sendable {
    /// What the topic names.
    var topic: TopicPremise
    /// The hero.
    var hero: StoryHero
    /// The place.
    var place: StoryPlace
    /// The time the story opens.
    var time: StoryTime
    /// What the story turns on.
    var object: StoryThing
    /// Whether the hero, place and time come from the topic (not the lists).
    var heroGiven: Bool
    var placeGiven: Bool
    var timeGiven: Bool
    var objectGiven: Bool

    static let heroes: [StoryHero] = [
        .noun(intro: "a lighthouse keeper", subject: "the keeper", plural: false, head: "keeper"),
        .noun(intro: "a young cartographer", subject: "the cartographer", plural: false, head: "cartographer"),
        .noun(intro: "an old baker", subject: "the baker", plural: false, head: "baker"),
        .noun(intro: "a night-shift nurse", subject: "the nurse", plural: false, head: "nurse"),
        .noun(intro: "a runaway robot", subject: "the robot", plural: false, head: "robot"),
    ]
    static let places: [StoryPlace] = [
        StoryPlace(noun: "the fog-bound harbour", preposition: "in", head: "harbour"),
        StoryPlace(noun: "the city of bridges", preposition: "in", head: "city"),
        StoryPlace(noun: "the village under the mountain", preposition: "in", head: "village"),
        StoryPlace(noun: "the night train", preposition: "on", head: "train"),
        StoryPlace(noun: "the desert observatory", preposition: "at", head: "observatory"),
    ]
    static let times: [StoryTime] = [
        StoryTime(adverbial: "one grey morning", noun: "that grey morning"),
        StoryTime(adverbial: "late one evening", noun: "that evening"),
        StoryTime(adverbial: "one stormy night", noun: "that stormy night"),
        StoryTime(adverbial: "one still afternoon", noun: "that still afternoon"),
        StoryTime(adverbial: "at first light", noun: "that first cold dawn"),
    ]
    static let objects: [StoryThing] = [
        StoryThing(noun: "the brass key", plural: false), StoryThing(noun: "the old radio", plural: false),
        StoryThing(noun: "the silver compass", plural: false), StoryThing(noun: "the blue door", plural: false),
        StoryThing(noun: "the paper lantern", plural: false),
    ]

    /// The premise of `prompt`, filled from the lists where its topic is silent.
    init(prompt: String, random: inout SeededGenerator) {
        let topic = TopicAnalyser.premise(of: prompt)
        let lowered = prompt.lowercased()
        self.topic = topic
        heroGiven = topic.hero != nil
        placeGiven = topic.place != nil
        timeGiven = topic.time != nil
        objectGiven = topic.object != nil
        hero =
            topic.hero ?? Self.heroes.first { lowered.contains($0.intro) || lowered.contains($0.subject + " ") }
            ?? random.pick(Self.heroes)
        place =
            topic.place ?? Self.places.first { lowered.contains($0.noun.dropFirst(4)) } ?? random.pick(Self.places)
        time = topic.time ?? Self.times.first { lowered.contains($0.adverbial) } ?? random.pick(Self.times)
        object = topic.object ?? Self.objects.first { lowered.contains($0.noun) } ?? random.pick(Self.objects)
    }

    /// The hero as a sentence's subject, capitalised: "The keeper", "I", "Ada Lovelace".
    var subject: String { TemplatePhrasing.capitalised(hero.subject) }

    /// The topic's words (or the hero, place and time when it has none): what a picture must show.
    var pictureWords: [String] { topic.contentWords }
}

/// The angle an idea takes on the premise: the turn of events, the mood, the narrator's voice, the theme, and the
/// forms its title, opening and frame sentence take. Ideas of one run take different angles on one premise.
struct StoryAngle: Sendable {
    var turn: Turn
    var mood: String
    var narrator: String
    var theme: String
    var audience: String
    var title: Int
    var opening: Int

    /// A turn of events: for a singular third-person subject, for any other subject, and in the past.
    struct Turn: Sendable {
        var third: String
        var plain: String
        var past: String
    }

    static let turns: [Turn] = [
        Turn(
            third: "finds a letter that was never sent", plain: "find a letter that was never sent",
            past: "found a letter that had never been sent"),
        Turn(
            third: "hears a song that no one else can hear", plain: "hear a song that no one else can hear",
            past: "heard a song that no one else could hear"),
        Turn(
            third: "loses the one thing that matters most", plain: "lose the one thing that matters most",
            past: "lost the one thing that mattered most"),
        Turn(
            third: "learns that there is only one day left", plain: "learn that there is only one day left",
            past: "learned that there was only one day left"),
        Turn(
            third: "meets a stranger with the same face", plain: "meet a stranger with the same face",
            past: "met a stranger with the same face"),
        Turn(
            third: "receives a map with one place circled", plain: "receive a map with one place circled",
            past: "received a map with one place circled"),
        Turn(
            third: "sees a light where no light should be", plain: "see a light where no light should be",
            past: "saw a light where no light should have been"),
    ]
    static let moods = ["hopeful", "eerie", "bittersweet", "triumphant", "calm", "tense", "warm"]
    static let narrators = ["a warm, unhurried voice", "a quiet older voice", "a curious young voice"]
    static let themes = ["second chances", "memory", "courage", "belonging", "letting go", "small kindnesses"]
    static let audiences = ["young adults", "families", "curious minds", "night owls", "dreamers"]

    /// The angle `offset` steps from `bases` in every list: consecutive offsets differ in every part.
    init(bases: [Int], offset: Int) {
        func pick<T>(_ items: [T], _ base: Int) -> T { items[(base + offset) % items.count] }
        turn = pick(Self.turns, bases[0])
        mood = pick(Self.moods, bases[1])
        narrator = pick(Self.narrators, bases[2])
        theme = pick(Self.themes, bases[3])
        audience = pick(Self.audiences, bases[4])
        title = bases[5] + offset
        opening = bases[6] + offset
    }

    /// Seven random bases for ``init(bases:offset:)``.
    static func bases(_ random: inout SeededGenerator) -> [Int] {
        (0..<7).map { _ in Int(random.next() % 1024) }
    }

    /// The angle a prompt already carries (the turn its logline or narration names, the mood after "Tone:"),
    /// with `fallback`'s parts where it names none; `nil` when it names neither.
    static func recovered(from prompt: String, fallback: StoryAngle) -> StoryAngle? {
        let lowered = prompt.lowercased()
        var angle = fallback
        var found = false
        if let turn = turns.first(where: {
            lowered.contains($0.third) || lowered.contains($0.plain) || lowered.contains($0.past)
        }) {
            angle.turn = turn
            found = true
        }
        if let tone = lowered.range(of: "tone: ") {
            let word = lowered[tone.upperBound...].prefix { $0.isLetter }
            if let mood = moods.first(where: { $0 == word }) {
                angle.mood = mood
                found = true
            }
        }
        return found ? angle : nil
    }
}
