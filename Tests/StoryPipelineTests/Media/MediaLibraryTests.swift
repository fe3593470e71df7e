import Foundation
import MediaIO
import StoryForgeCore
import Testing

@testable import StoryPipeline

/// The media library on real files: tags from names, `tags.json`, sidecar text and embedded XMP/IPTC keywords, and
/// the deterministic keyword-overlap matching.
@Suite struct MediaLibraryTests {
    static func png() throws -> Data {
        try ImageEncoder(format: .png()).encode(PixelBuffer(width: 8, height: 8, layout: .rgb, componentType: .uint8))
    }

    static func jpeg() throws -> Data {
        try ImageEncoder(format: .jpeg()).encode(PixelBuffer(width: 8, height: 8, layout: .rgb, componentType: .uint8))
    }

    /// A JPEG segment (`FF marker`, big-endian length that counts itself, payload) inserted after SOI.
    static func inserting(_ marker: UInt8, _ payload: Data, into jpeg: Data) -> Data {
        let length = payload.count + 2
        var segment = Data([0xFF, marker, UInt8(length >> 8), UInt8(length & 0xFF)])
        segment.append(payload)
        return jpeg.prefix(2) + segment + jpeg.dropFirst(2)
    }

    /// An XMP packet in an APP1 segment, as Lightroom and exiftool write it.
    static func withXMP(_ keywords: [String], _ jpeg: Data) -> Data {
        let items = keywords.map { "<rdf:li>\($0)</rdf:li>" }.joined()
        let xmp =
            "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF><rdf:Description><dc:subject><rdf:Bag>\(items)"
            + "</rdf:Bag></dc:subject></rdf:Description></rdf:RDF></x:xmpmeta>"
        return inserting(0xE1, Data("http://ns.adobe.com/xap/1.0/\0".utf8) + Data(xmp.utf8), into: jpeg)
    }

    /// IPTC-IIM keywords (2:25) in a Photoshop 8BIM 0x0404 resource in an APP13 segment.
    static func withIPTC(_ keywords: [String], _ jpeg: Data) -> Data {
        var iim = Data()
        for keyword in keywords {
            let bytes = Data(keyword.utf8)
            iim.append(contentsOf: [0x1C, 2, 25, UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)])
            iim.append(bytes)
        }
        var resource = Data("8BIM".utf8) + Data([0x04, 0x04, 0, 0])  // id 0x0404, empty name padded to 2
        let size = iim.count
        resource.append(contentsOf: [
            UInt8(size >> 24), UInt8((size >> 16) & 0xFF), UInt8((size >> 8) & 0xFF), UInt8(size & 0xFF),
        ])
        resource.append(iim)
        if size % 2 != 0 { resource.append(0) }
        return inserting(0xED, Data("Photoshop 3.0\0".utf8) + resource, into: jpeg)
    }

    /// 50 files, tagged four ways: 20 by name, 10 in `tags.json`, 10 by sidecar text, 10 by embedded keywords.
    static func makeLibrary(in folder: URL) throws {
        let words = [
            "lighthouse", "storm", "harbour", "boat", "forest", "owl", "desert", "camel", "city", "rain", "market",
            "mountain", "snow", "river", "bridge", "train", "station", "garden", "rose", "kitchen", "bread", "library",
            "candle", "beach", "sunset",
        ]
        let png = try png()
        let jpeg = try jpeg()
        var tags: [String: [String]] = [:]
        for index in 0..<50 {
            let a = words[index % words.count]
            let b = words[(index * 7 + 3) % words.count]
            switch index % 5 {
            case 0, 1:
                try png.write(to: folder.appendingPathComponent("\(a)-\(b)_\(index).png"))
            case 2:
                try png.write(to: folder.appendingPathComponent("img_\(index).png"))
                tags["img_\(index).png"] = [a, b]
            case 3:
                try png.write(to: folder.appendingPathComponent("dsc\(index).png"))
                try "\(a), \(b)\n".write(
                    to: folder.appendingPathComponent("dsc\(index).txt"), atomically: true, encoding: .utf8)
            default:
                let tagged = index % 10 == 4 ? withXMP([a, b], jpeg) : withIPTC([a, b], jpeg)
                try tagged.write(to: folder.appendingPathComponent("photo\(index).jpg"))
            }
        }
        try JSONSerialization.data(withJSONObject: tags).write(to: folder.appendingPathComponent("tags.json"))
    }

    @Test func fiftyTaggedFilesAndTenShotsEveryShotWithAnOverlappingFileGetsOneAndNoFileRepeats() throws {
        let folder = try temporaryDirectory("library")
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.makeLibrary(in: folder)
        let library = try MediaLibrary(folder: folder)
        #expect(library.items.count == 50)
        #expect(library.items.allSatisfy { !$0.tags.isEmpty }, "\(library.items.filter(\.tags.isEmpty).map(\.name))")
        // Each of the four ways tags its files: tags.json, sidecar text, XMP, IPTC (by their second word).
        for (name, word) in [
            ("img_27.png", "garden"), ("dsc3.png", "sunset"), ("photo4.jpg", "desert"), ("photo9.jpg", "station"),
        ] {
            let item = try #require(library.items.first { $0.name == name }, "\(name) missing")
            #expect(item.tags.contains(word), "\(name): \(item.tags)")
        }

        let prompts = [
            "An old lighthouse in a storm at night", "Fishing boats in the harbour at dawn",
            "An owl watching from a dark forest", "A camel caravan crossing the desert",
            "Rain falling on a busy city market", "Snow on a mountain above the river",
            "A train waiting at the station", "Bread cooling in a warm kitchen",
            "A violin on a velvet chair", "Quantum entanglement diagrams",
        ]
        let shots = prompts.enumerated().map { index, prompt in
            ShotMediaRequest.ShotQuery(shotID: index + 1, keywords: MediaKeywords.keywords(in: prompt))
        }
        let picks = library.assignment(for: shots)
        let matchable = shots.filter { shot in library.items.contains { !Set($0.tags).isDisjoint(with: shot.keywords) }
        }
        #expect(matchable.count == 8)
        for shot in matchable {
            let pick = try #require(picks[shot.shotID], "shot \(shot.shotID) has an overlapping file but got none")
            #expect(!Set(pick.item.tags).isDisjoint(with: shot.keywords))
            #expect(pick.score > 0 && pick.score <= 1)
        }
        #expect(picks[9] == nil && picks[10] == nil)
        #expect(Set(picks.values.map(\.item.name)).count == picks.count, "a file was used twice")
        // The match rate the report gives: matched shots over shots with an overlapping file.
        print("media library match rate: \(picks.count)/\(matchable.count) matchable shots (\(shots.count) shots)")
        // Deterministic: the same folder and shots give the same picks.
        #expect(
            try MediaLibrary(folder: folder).assignment(for: shots).mapValues(\.item.name)
                == picks.mapValues(\.item.name))
    }

    @Test func eachFileIsUsedOnceBeforeAnyRepeats() throws {
        let folder = try temporaryDirectory("library")
        defer { try? FileManager.default.removeItem(at: folder) }
        let png = try Self.png()
        try png.write(to: folder.appendingPathComponent("lighthouse-storm.png"))
        try png.write(to: folder.appendingPathComponent("lighthouse.png"))
        try png.write(to: folder.appendingPathComponent("kitchen.png"))
        let library = try MediaLibrary(folder: folder)
        let shots = (1...3).map { ShotMediaRequest.ShotQuery(shotID: $0, keywords: ["lighthouse", "storm"]) }
        let picks = library.assignment(for: shots)
        // The best match first, then the other lighthouse, then the best again.
        #expect(picks[1]?.item.name == "lighthouse-storm.png")
        #expect(picks[2]?.item.name == "lighthouse.png")
        #expect(picks[3]?.item.name == "lighthouse-storm.png")
        #expect(picks[1]?.score == 1 && picks[2]?.score == 1)
    }

    @Test func embeddedKeywordsAreReadAndCorruptSegmentsAreIgnoredWithoutATrap() throws {
        let jpeg = try Self.jpeg()
        #expect(EmbeddedKeywords.keywords(in: Self.withXMP(["Sea &amp; Sky", "dune"], jpeg)) == ["Sea & Sky", "dune"])
        #expect(EmbeddedKeywords.keywords(in: Self.withIPTC(["harbour", "fog"], jpeg)) == ["harbour", "fog"])
        // Lengths that run past the data, at every cut of a real segment: no keywords, no crash.
        let tagged = Self.withIPTC(["harbour", "fog"], jpeg)
        for cut in stride(from: 2, to: 80, by: 1) {
            _ = EmbeddedKeywords.keywords(in: tagged.prefix(cut))
        }
        var lying = tagged
        lying[4] = 0xFF  // the APP13 length now claims ~65 KB
        lying[5] = 0xF0
        #expect(EmbeddedKeywords.iptcKeywords(in: lying).isEmpty)
        #expect(EmbeddedKeywords.keywords(in: Data("<dc:subject><rdf:li>open".utf8)).isEmpty)
    }

    @Test func aMalformedTagsFileOrAMissingFolderIsATypedError() throws {
        let folder = try temporaryDirectory("library")
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("[1, 2]".utf8).write(to: folder.appendingPathComponent("tags.json"))
        let error = #expect(throws: StoryPipelineError.self) { try MediaLibrary(folder: folder) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("tags.json") == true)
        let missing = #expect(throws: StoryPipelineError.self) {
            try MediaLibrary(folder: folder.appendingPathComponent("nope"))
        }
        #expect(missing?.code == .invalidConfiguration)
    }

    @Test func keywordsDropStopWordsAndFoldPlurals() {
        #expect(
            MediaKeywords.keywords(in: "The waves and the cities, cinematic still. Mood: calm") == [
                "wave", "city", "calm",
            ])
    }

    @Test func theMediaSectionDecodesStrictly() throws {
        let json =
            Data(
                #"{"media":{"sources":["library","procedural"],"library":"/tmp/x","budget_usd":1.5,"#
                    .utf8) + Data(#""comfyui":{"url":"http://127.0.0.1:8188"},"clip_audio":true}}"#.utf8)
        let configuration = try StoryConfiguration.decode(json: json)
        #expect(configuration.media?.sources == ["library", "procedural"])
        #expect(configuration.media?.budgetUsd == 1.5 && configuration.media?.clipAudio == true)
        #expect(configuration.media?.comfyui?.url == "http://127.0.0.1:8188")
        // It survives the round trip the saved run configuration makes.
        #expect(try StoryConfiguration.decode(json: configuration.jsonData()).media == configuration.media)
        for (bad, expected) in [
            (#"{"media":{"sources":["libary"]}}"#, "media.sources.0: unknown source"),
            (#"{"media":{"sources":["library"]}}"#, "media.library"),
            (#"{"media":{"sources":["procedural"],"comfyui":{"urll":"x"}}}"#, "media.comfyui.urll: unknown key"),
            (#"{"media":{"sources":["procedural"],"budget_usd":-1}}"#, "media.budget_usd"),
        ] {
            let error = #expect(throws: StoryPipelineError.self) { try StoryConfiguration.decode(json: Data(bad.utf8)) }
            #expect(error?.message.contains(expected) == true, "\(bad): \(error?.message ?? "")")
        }
    }
}
