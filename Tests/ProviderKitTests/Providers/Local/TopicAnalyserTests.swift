import Testing

@testable import OfflineProviders

@Suite("Topic analyser and template phrasing")
struct TopicAnalyserTests {
    @Test("a noun phrase with a possessive gives hero, place and time")
    func possessiveNounPhrase() throws {
        let premise = TopicAnalyser.analyse("a lighthouse keeper's last night", shape: nil)
        #expect(premise.shape == .nounPhrase)
        let hero = try #require(premise.hero)
        #expect(hero.intro == "a lighthouse keeper" && hero.subject == "the keeper" && hero.was == "was")
        #expect(premise.place?.adverbial == "at the lighthouse")
        #expect(premise.time?.noun == "the last night" && premise.time?.adverbial == "on the last night")
        #expect(premise.object == nil)
        #expect(premise.frame == "a lighthouse keeper's last night")
        #expect(premise.contentWords == ["lighthouse", "keeper", "last", "night"])
    }

    @Test("sentences, questions, names and single words each read as their shape")
    func shapes() throws {
        let sentence = TopicAnalyser.analyse("A robot learns to paint.", shape: nil)
        #expect(sentence.shape == .sentence && sentence.frame == "how a robot learns to paint")
        #expect(sentence.hero?.intro == "a robot" && sentence.object == nil)

        let question = TopicAnalyser.analyse("What if the moon disappeared?", shape: nil)
        #expect(question.shape == .question && question.frame == "a question: what if the moon disappeared?")

        let cats = TopicAnalyser.analyse("Why do cats purr?", shape: nil)
        #expect(cats.hero?.subject == "the cats" && cats.hero?.plural == true && cats.object == nil)

        let name = TopicAnalyser.analyse("Ada Lovelace's engine", shape: nil)
        #expect(name.hero?.intro == "Ada Lovelace" && name.object?.noun == "Ada Lovelace’s engine")

        let word = TopicAnalyser.analyse("serendipity", shape: nil)
        #expect(word.shape == .word && word.object?.noun == "serendipity" && word.hero == nil)

        let unknown = TopicAnalyser.analyse("Zorblax", shape: nil)
        #expect(unknown.shape == .name && unknown.hero?.subject == "Zorblax")
    }

    @Test("plural and first-person heroes agree with their verbs")
    func agreement() throws {
        let sisters = try #require(TopicAnalyser.analyse("Two sisters open a bakery", shape: nil).hero)
        #expect(sisters.intro == "two sisters" && sisters.subject == "the sisters" && sisters.was == "were")
        let school = TopicAnalyser.analyse("my first day at school", shape: nil)
        #expect(school.hero?.firstPerson == true && school.hero?.subject == "I" && school.hero?.object == "me")
        #expect(school.time?.adverbial == "on my first day")
        #expect(school.place?.adverbial == "at school" && school.place?.definite == "the school")
        let summer = TopicAnalyser.analyse("our last summer at the lake", shape: nil)
        #expect(summer.hero?.subject == "we" && summer.hero?.was == "were")
        #expect(summer.time?.adverbial == "in our last summer" && summer.place?.adverbial == "at the lake")
    }

    @Test("places, times and objects the lexicon does not hold are kept as given")
    func unknownWords() {
        let music = TopicAnalyser.analyse("the day the music died", shape: nil)
        #expect(music.time?.adverbial == "on the day the music died")
        let paris = TopicAnalyser.analyse("Paris in the rain", shape: nil)
        #expect(paris.place?.adverbial == "in Paris" && paris.object?.noun == "the rain" && paris.hero == nil)
        let mars = TopicAnalyser.analyse("an astronaut alone on Mars", shape: nil)
        #expect(mars.place?.adverbial == "on Mars" && mars.object == nil)
        let express = TopicAnalyser.analyse("a spy on the Orient Express", shape: nil)
        #expect(express.place?.adverbial == "on the Orient Express")
        let coffee = TopicAnalyser.analyse("The history of coffee", shape: nil)
        #expect(coffee.object?.noun == "the history of coffee")
        let chef = TopicAnalyser.analyse("a chef who cannot taste", shape: nil)
        #expect(chef.hero?.intro == "a chef" && chef.object == nil)
    }

    @Test("a request's lead-in is dropped and a paragraph is read from its first sentence, capped")
    func capsAndLeadIns() {
        let whale = TopicAnalyser.analyse("write a story about a lonely whale", shape: nil)
        #expect(whale.text == "a lonely whale" && whale.hero?.intro == "a lonely whale")
        let paragraph = TopicAnalyser.analyse(
            "An old clockmaker lives above his shop. Every night he repairs clocks. Dr. Who visits.", shape: nil)
        #expect(paragraph.text == "An old clockmaker lives above his shop")
        #expect(paragraph.hero?.intro == "an old clockmaker")
        let long = Array(repeating: "the keeper walked on", count: 10).joined(separator: " ")
        #expect(TopicAnalyser.analyse(long, shape: nil).text.split(separator: " ").count == TopicAnalyser.maxWords)
        #expect(TopicAnalyser.analyse("   ", shape: nil).shape == .empty)
        // A megabyte of abbreviations (no sentence end) is read from its opening only.
        let hostile = TopicAnalyser.analyse(String(repeating: "Dr. ", count: 250_000), shape: nil)
        #expect(hostile.text.split(separator: " ").count <= TopicAnalyser.maxWords)
    }

    @Test("text in another language or script is kept verbatim, never given English grammar")
    func verbatim() {
        for topic in [
            "灯台守の最後の夜", "Die letzte Nacht des Leuchtturmwärters", "La última noche del farero",
            "Последняя ночь смотрителя маяка",
        ] {
            let premise = TopicAnalyser.analyse(topic, shape: nil)
            #expect(premise.shape == .verbatim, "\(topic)")
            #expect(premise.text == topic && premise.frame == "“\(topic)”")
            #expect(premise.hero == nil && premise.place == nil && premise.time == nil)
        }
        let long = String(repeating: "夜", count: 200)
        #expect(TopicAnalyser.analyse(long, shape: nil).text.count == TopicAnalyser.maxVerbatimCharacters)
        // English with one accented word is still English.
        #expect(TopicAnalyser.analyse("a café by the sea", shape: nil).shape == .nounPhrase)
    }

    @Test("the premise survives the trip through the writer's own frame, whatever text surrounds it")
    func framesRoundTrip() {
        for topic in [
            "a lighthouse keeper's last night", "A robot learns to paint.", "What if the moon disappeared?",
            "Ada Lovelace", "灯台守の最後の夜", "Two sisters open a bakery", "my first day at school",
            "Dr. Jekyll's secret",
        ] {
            let premise = TopicAnalyser.analyse(topic, shape: nil)
            let prompt =
                "Story: A Title.\n1. On the last night, nobody looked. This is the story of \(premise.frame)"
                + ". Then it rained.\n2. More words."
            let again = TopicAnalyser.premise(of: prompt)
            #expect(again.shape == premise.shape, "\(topic)")
            #expect(again.hero == premise.hero && again.place == premise.place && again.time == premise.time)
            #expect(again.object == premise.object && again.contentWords == premise.contentWords, "\(topic)")
        }
    }

    @Test("articles, title case, clipping and ordinals")
    func phrasing() {
        #expect(TemplatePhrasing.indefinite("old baker") == "an old baker")
        #expect(TemplatePhrasing.indefinite("unicorn") == "a unicorn")
        #expect(TemplatePhrasing.indefinite("hour of need") == "an hour of need")
        #expect(TemplatePhrasing.indefinite("one-way street") == "a one-way street")
        #expect(TemplatePhrasing.indefinite("umbrella") == "an umbrella")
        #expect(TemplatePhrasing.indefinite("European train") == "a European train")
        #expect(TemplatePhrasing.titleCased("the keeper and the brass key") == "The Keeper and the Brass Key")
        #expect(TemplatePhrasing.titleCased("an iPhone in NASA") == "An iPhone in NASA")
        #expect(TemplatePhrasing.clipped("one two three four", to: 12) == "one two")
        #expect(TemplatePhrasing.clipped("灯台守の最後の夜", to: 3) == "灯台守")
        #expect(TemplatePhrasing.ordinal(2) == "second" && TemplatePhrasing.ordinal(21) == "twenty-first")
        #expect(TemplatePhrasing.ordinal(40) == "fortieth" && TemplatePhrasing.ordinal(120) == "120th")
    }
}
