/// The small English lexicon ``TopicAnalyser`` reads topics with: role nouns (who a story can be about), places with
/// the preposition English puts before them, times with theirs, function words, and common verbs. It is a word list,
/// not a model: a word it does not hold is kept as the topic gives it, never guessed at.
///
/// Lists are lower case and singular; ``singular(_:)`` maps the plurals a topic may use back to them.
enum TopicLexicon {
    /// People, creatures and machines a story can follow. A compound's head is enough: "lighthouse keeper" is found by
    /// "keeper", and its modifier "lighthouse" is a place.
    static let roles: Set<String> = [
        "acrobat", "alien", "android", "archivist", "artist", "astronaut", "astronomer", "athlete", "baby", "baker",
        "barista", "bear", "beekeeper", "bird", "blacksmith", "boatman", "botanist", "boxer", "boy", "bride",
        "brother", "butler", "captain", "carpenter", "cartographer", "cashier", "cat", "chef", "child", "climber",
        "clockmaker", "clown", "coder", "conductor", "cook", "courier", "cowboy", "crow", "dancer", "daughter",
        "deer", "detective", "diver", "doctor", "dog", "dragon", "driver", "elephant", "elf", "emperor", "empress",
        "engineer", "explorer", "fairy", "farmer", "father", "ferryman", "firefighter", "fisherman", "fox", "friend",
        "gardener", "ghost", "giant", "girl", "grandfather", "grandmother", "grandma", "grandpa", "groom", "guard",
        "hacker", "hermit", "hero", "heroine", "historian", "horse", "hunter", "immigrant", "inventor", "janitor",
        "journalist", "judge", "keeper", "kid", "king", "knight", "lamplighter", "lawyer", "librarian", "lion",
        "magician", "maid", "man", "mayor", "mechanic", "mermaid", "messenger", "midwife", "miner", "monk", "monster",
        "mother", "mouse", "musician", "neighbour", "neighbor", "nomad", "nun", "nurse", "orphan", "owl", "painter",
        "person", "photographer", "pilot", "pirate", "player", "poet", "postman", "potter", "priest", "prince",
        "princess", "programmer", "queen", "rabbit", "ranger", "raven", "refugee", "reporter", "robot", "runner",
        "sailor", "samurai", "scientist", "sculptor", "servant", "shepherd", "singer", "sister", "soldier", "son",
        "spy", "stranger", "student", "surgeon", "swimmer", "tailor", "teacher", "teenager", "thief", "tiger",
        "toymaker", "traveler", "traveller", "twin", "vampire", "veteran", "waiter", "waitress", "wanderer",
        "watchmaker", "watchman", "weaver", "whale", "widow", "widower", "witch", "wizard", "wolf", "woman", "writer",
        "zombie",
    ]

    /// Places, each with the preposition a sentence puts before it ("at the lighthouse", "on the island").
    static let places: [String: String] = [
        "airport": "at", "apartment": "in", "arena": "in", "attic": "in", "bakery": "in", "basement": "in",
        "beach": "on", "boat": "on", "bridge": "on", "bus": "on", "cabin": "in", "cafe": "in", "café": "in",
        "campus": "on", "canyon": "in", "carnival": "at", "castle": "in", "cave": "in", "cellar": "in",
        "cemetery": "in", "church": "in", "cinema": "in", "circus": "at", "city": "in", "classroom": "in",
        "coast": "on", "college": "at", "courtroom": "in", "desert": "in", "factory": "in", "farm": "on",
        "ferry": "on", "field": "in", "forest": "in", "garden": "in", "glacier": "on", "graveyard": "in",
        "harbour": "in", "harbor": "in", "highway": "on", "home": "at", "hospital": "in", "hotel": "in",
        "house": "in", "hut": "in", "inn": "at", "island": "on", "jungle": "in", "kitchen": "in", "lab": "in",
        "laboratory": "in", "lake": "by", "library": "in", "lighthouse": "at", "market": "at", "meadow": "in",
        "mine": "in", "monastery": "in", "moon": "on", "mountain": "on", "museum": "in", "observatory": "at",
        "ocean": "on", "office": "in", "orchard": "in", "palace": "in", "park": "in", "planet": "on",
        "prison": "in", "pub": "in", "restaurant": "in", "river": "by", "road": "on", "roof": "on",
        "rooftop": "on", "school": "at", "sea": "at", "ship": "on", "shop": "in", "shore": "on", "spaceship": "on",
        "stadium": "at", "station": "at", "store": "in", "street": "on", "submarine": "on", "subway": "on",
        "swamp": "in", "tavern": "in", "temple": "in", "theater": "in", "theatre": "in", "tower": "in",
        "town": "in", "train": "on", "university": "at", "valley": "in", "village": "in", "vineyard": "in",
        "woods": "in", "workshop": "in", "zoo": "at",
    ]

    /// Places that read without an article after their preposition when the topic gives none ("at home", "at
    /// school").
    static let barePlaces: Set<String> = ["home", "school", "sea", "college", "church", "work"]

    /// Named places the analyser knows, with their preposition; any other capitalised name is a person's.
    static let namedPlaces: [String: String] = [
        "alaska": "in", "antarctica": "in", "atlantis": "in", "berlin": "in", "cairo": "in", "iceland": "in",
        "istanbul": "in", "jupiter": "on", "kyoto": "in", "lisbon": "in", "london": "in", "mars": "on",
        "new york": "in", "paris": "in", "rome": "in", "sahara": "in", "tokyo": "in", "venice": "in", "venus": "on",
    ]

    /// Times, each with the preposition a sentence puts before it ("on the last night", "in the winter of 1999").
    static let times: [String: String] = [
        "afternoon": "on", "autumn": "in", "birthday": "on", "century": "in", "childhood": "in", "christmas": "on",
        "dawn": "at", "day": "on", "decade": "in", "dusk": "at", "eve": "on", "evening": "on", "halloween": "on",
        "holiday": "on", "hour": "in", "midnight": "at", "minute": "in", "moment": "at", "morning": "on",
        "night": "on", "noon": "at", "season": "in", "shift": "on", "spring": "in", "summer": "in", "sunrise": "at",
        "sunset": "at", "vacation": "on", "week": "in", "weekend": "on", "winter": "in", "year": "in",
        "youth": "in",
    ]

    /// English function words: a topic with none of them (and none of the lexicon's nouns) is not read as English.
    static let functionWords: Set<String> = [
        "a", "about", "after", "again", "against", "all", "am", "among", "an", "and", "any", "are", "as", "at", "be",
        "because", "been", "before", "being", "between", "both", "but", "by", "can", "could", "did", "do", "does",
        "down", "during", "each", "every", "few", "for", "from", "had", "has", "have", "he", "her", "here", "him",
        "his", "how", "i", "if", "in", "into", "is", "it", "its", "just", "may", "me", "might", "more", "most",
        "must", "my", "no", "nor", "not", "of", "off", "on", "once", "one", "only", "onto", "or", "our", "out",
        "over", "own", "same", "shall", "she", "should", "so", "some", "such", "than", "that", "the", "their",
        "them", "then", "there", "these", "they", "this", "those", "through", "to", "too", "two", "under", "until",
        "up", "upon", "us", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom",
        "whose", "why", "will", "with", "within", "without", "would", "you", "your",
    ]

    /// Words that open a noun phrase.
    static let determiners: Set<String> = [
        "a", "an", "the", "my", "our", "your", "his", "her", "their", "its", "this", "that", "these", "those", "one",
        "two", "three", "some", "every", "no",
    ]

    /// Prepositions that put a place or a time after them.
    static let prepositions: Set<String> = [
        "in", "at", "on", "under", "inside", "near", "above", "below", "across", "beyond", "behind", "beneath",
        "aboard", "by", "into", "through", "during", "before", "after", "from", "to", "toward", "towards", "around",
        "over", "outside", "with", "without", "for", "about", "of", "until",
    ]

    /// Words that carry no content of their own in a request for a story ("write a short story about ...").
    static let requestWords: Set<String> = [
        "story", "stories", "tale", "write", "tell", "make", "video", "short", "please", "narrate", "create",
    ]

    /// Lead-ins a request may open with; the topic is what follows.
    static let leadIns: [[String]] = [
        ["write", "a", "short", "story", "about"], ["write", "a", "story", "about"],
        [
            "tell", "me", "a", "story",
            "about",
        ],
        ["tell", "a", "story", "about"], ["make", "a", "video", "about"], ["a", "short", "story", "about"],
        ["a", "story", "about"], ["story", "about"], ["a", "video", "about"], ["about"],
    ]

    /// Subject pronouns: a topic opening with one is a sentence.
    static let subjectPronouns: Set<String> = ["i", "we", "he", "she", "they", "you", "it"]

    /// Words that open a question.
    static let questionWords: Set<String> = [
        "what", "why", "how", "who", "where", "when", "which", "whose", "is", "are", "can", "could", "would", "will",
        "do", "does", "did", "should",
    ]

    /// Verbs in the present third person (and auxiliaries): after a subject they make a topic a sentence.
    static let presentVerbs: Set<String> = {
        var verbs: Set<String> = [
            "is", "are", "am", "has", "have", "does", "can", "could", "will", "would", "must", "should", "may",
        ]
        for base in verbBases {
            verbs.insert(base)
            if base.hasSuffix("y"), let last = base.dropLast().last, !"aeiou".contains(last) {
                verbs.insert(base.dropLast() + "ies")
            } else if ["s", "x", "z", "ch", "sh", "o"].contains(where: { base.hasSuffix($0) }) {
                verbs.insert(base + "es")
            } else {
                verbs.insert(base + "s")
            }
        }
        return verbs
    }()

    /// Verbs in the past: a subject and one of these make a sentence ("the moon disappeared").
    static let pastVerbs: Set<String> = {
        var verbs = irregularPast
        for base in verbBases {
            if base.hasSuffix("e") {
                verbs.insert(base + "d")
            } else if base.hasSuffix("y"), let last = base.dropLast().last, !"aeiou".contains(last) {
                verbs.insert(base.dropLast() + "ied")
            } else {
                verbs.insert(base + "ed")
            }
        }
        return verbs
    }()

    static let verbBases: [String] = [
        "adopt", "appear", "arrive", "ask", "become", "begin", "bake", "break", "bring", "build", "burn", "buy",
        "call", "carry", "catch", "change", "chase", "climb", "close", "collect", "come", "cook", "count", "cross",
        "dance", "decide", "deliver", "disappear", "discover", "dream", "drink", "drive", "eat", "end",
        "escape", "explore", "fall", "fight", "find", "fix", "fly", "follow", "forget", "give", "go", "grow",
        "guard", "hate", "hear", "help", "hide", "hold", "hunt", "inherit", "invent", "keep", "learn", "leave",
        "live", "look", "lose", "love", "meet", "miss", "move", "need", "open", "paint", "pay", "plant", "protect",
        "read", "refuse", "remember", "repair", "return", "ride", "rise", "rule", "run", "sail", "save", "search",
        "see", "sell", "send", "shine", "sing", "sink", "sleep", "solve", "speak", "start", "steal", "stop",
        "swim", "take", "talk", "teach", "tell", "travel", "try", "turn", "vanish", "visit", "wait", "wake", "walk",
        "want", "watch", "whisper", "win", "wonder", "write",
    ]

    static let irregularPast: Set<String> = [
        "ate", "became", "began", "bought", "broke", "brought", "built", "came", "caught", "did", "drank", "drove",
        "fell", "felt", "flew", "forgot", "fought", "found", "gave", "got", "grew", "had", "heard", "held", "hid",
        "kept", "knew", "led", "left", "lost", "made", "met", "paid", "ran", "rode", "rose", "sang", "sank", "sat",
        "saw", "sent", "slept", "sold", "spoke", "stole", "stood", "stopped", "swam", "taught", "thought", "told",
        "took",
        "was", "went", "were", "woke", "won", "wrote",
    ]

    /// Adjectives and adverbs that follow a noun in a topic ("an astronaut alone on Mars"): never an object.
    static let notNouns: Set<String> = [
        "alone", "together", "forever", "away", "again", "never", "always", "still", "ever", "once", "afraid",
        "awake", "asleep", "adrift", "lost", "home", "abroad", "here", "there", "now", "today", "tonight", "cannot",
    ]

    /// Words after which a word is a verb, not a noun ("to paint", "cannot taste", "never stopped").
    static let verbLeads: Set<String> = [
        "to", "cannot", "can", "could", "will", "would", "never", "not", "must", "should", "may", "might", "can't",
        "won't", "didn't", "don't", "doesn't", "always",
    ]

    /// Abbreviations whose full stop does not end a sentence.
    static let abbreviations: Set<String> = ["dr", "mr", "mrs", "ms", "st", "mt", "prof", "jr", "sr", "vs", "no"]

    /// Irregular plurals of the lexicon's nouns.
    static let irregularPlurals: [String: String] = [
        "children": "child", "people": "person", "wolves": "wolf", "mice": "mouse", "elves": "elf",
        "thieves": "thief", "women": "woman", "men": "man", "fishermen": "fisherman", "ferrymen": "ferryman",
        "postmen": "postman", "watchmen": "watchman", "boatmen": "boatman", "cities": "city", "libraries": "library",
        "bakeries": "bakery", "factories": "factory", "countries": "country", "ladies": "lady", "spies": "spy",
        "fairies": "fairy", "babies": "baby", "centuries": "century", "woods": "woods",
    ]

    /// The singular of `word` when it is a plural of a lexicon noun, with whether it was plural; else `word`.
    static func singular(_ word: String) -> (word: String, plural: Bool) {
        if let known = irregularPlurals[word] { return (known, known != word) }
        if roles.contains(word) || places[word] != nil || times[word] != nil { return (word, false) }
        if word.hasSuffix("es"), case let stem = String(word.dropLast(2)), isNoun(stem) { return (stem, true) }
        if word.hasSuffix("s"), case let stem = String(word.dropLast()), isNoun(stem) { return (stem, true) }
        return (word, false)
    }

    static func isNoun(_ word: String) -> Bool {
        roles.contains(word) || places[word] != nil || times[word] != nil
    }
}
