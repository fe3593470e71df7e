import Foundation
import StoryForgeCore
import Testing

/// The small shared types: their encodings are what checkpoints, manifests and cache keys were written with.
@Suite struct SharedTypesTests {
    @Test func hexMatchesTheFormatReferenceForRandomBytes() {
        var generator = SystemRandomNumberGenerator()
        var tried = 0
        for length in 0..<1000 {
            let bytes = (0..<(length % 97)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(HexDigest.hex(bytes) == bytes.map { String(format: "%02x", $0) }.joined())
            tried += 1
        }
        #expect(tried == 1000)
    }

    @Test func sha256IsTheStandardDigest() {
        // FIPS 180-2, appendix B.1.
        #expect(HexDigest.sha256("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(HexDigest.sha256(Data()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func timedWordKeepsTheWordTimingJSONForm() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let plain = String(decoding: try encoder.encode(TimedWord("Hello,", start: 0.5, end: 1)), as: UTF8.self)
        #expect(plain == #"{"end":1,"start":0.5,"word":"Hello,"}"#)
        let sure = TimedWord(word: "there", start: 1, end: 1.25, confidence: 0.75)
        #expect(
            String(decoding: try encoder.encode(sure), as: UTF8.self)
                == #"{"confidence":0.75,"end":1.25,"start":1,"word":"there"}"#)
        let decoded = try JSONDecoder().decode(TimedWord.self, from: Data(#"{"word":"a","start":0,"end":0.1}"#.utf8))
        #expect(decoded == TimedWord(word: "a", start: 0, end: 0.1))
        #expect(abs(sure.duration - 0.25) < 1e-12)
    }

    @Test func jsonValueRoundTripsAndWritesWholeNumbersWithoutAFraction() throws {
        let value: JSONValue = ["b": [1, 2.5, true, nil, "x"], "a": ["n": -3]]
        #expect(value.jsonText == #"{"a":{"n":-3},"b":[1,2.5,true,null,"x"]}"#)
        let decoded = try JSONDecoder().decode(JSONValue.self, from: Data(value.jsonText.utf8))
        #expect(decoded == value)
        #expect(value["a"]?["n"]?.numberValue == -3)
        #expect(value["b"]?.stringValue == nil)
        // Past 10^15 a number is written as a Double, never through an Int64 that could overflow.
        #expect(JSONValue.number(1e300).jsonText == "1e+300")
    }
}
