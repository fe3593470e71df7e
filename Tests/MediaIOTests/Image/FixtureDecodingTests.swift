import Foundation
import MediaIO
import Testing

/// One entry of `Fixtures/manifest.json` (made by `Scripts/fixtures/make_image_fixtures.py`).
struct Fixture: Decodable, CustomTestStringConvertible, Sendable {
    let file: String
    let format: String
    let expected: String
    let width: Int
    let height: Int
    let layout: String
    let bits: Int
    let interlaced: Bool
    let source: String
    let tolerance: Int?
    let orientation: Int?
    let rawWidth: Int?
    let rawHeight: Int?
    let gamma: Double?
    let srgb: Bool?
    let icc: String?
    let text: [String: String]?

    var testDescription: String { file }

    static let directory: URL = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

    static let all: [Fixture] = {
        do {
            let data = try Data(contentsOf: directory.appendingPathComponent("manifest.json"))
            return try JSONDecoder().decode([Fixture].self, from: data)
        } catch {
            Issue.record("cannot read the fixture manifest: \(error)")
            return []
        }
    }()

    static func data(_ name: String) throws -> Data {
        try Data(contentsOf: directory.appendingPathComponent(name))
    }

    var url: URL { Self.directory.appendingPathComponent(file) }
}

@Suite("Decoding matches an independent decoder")
struct FixtureDecodingTests {
    @Test("every fixture decodes to the independent decoder's pixels", arguments: Fixture.all)
    func decodesLikeReference(_ fixture: Fixture) throws {
        let decoded = try ImageDecoder().decode(contentsOf: fixture.url)
        let pixels = decoded.pixels
        #expect(pixels.width == fixture.width)
        #expect(pixels.height == fixture.height)
        #expect(pixels.layout.rawValue == fixture.layout)
        #expect(pixels.componentType == (fixture.bits == 16 ? .uint16 : .uint8))
        #expect(decoded.metadata.format.rawValue == fixture.format)
        #expect(decoded.metadata.interlaced == fixture.interlaced || fixture.format == "jpeg")

        let expected = try Fixture.data(fixture.expected)
        let actual = pixels.compacted().bytes
        #expect(actual.count == expected.count)
        guard actual.count == expected.count else { return }
        let tolerance = fixture.tolerance ?? 0
        var worst = 0
        if fixture.bits == 16 {
            for i in stride(from: 0, to: expected.count, by: 2) {
                let a = Int(actual[i]) | Int(actual[i + 1]) << 8
                let e = Int(expected[i]) | Int(expected[i + 1]) << 8
                worst = max(worst, abs(a - e))
            }
        } else {
            for i in 0..<expected.count { worst = max(worst, abs(Int(actual[i]) - Int(expected[i]))) }
        }
        #expect(worst <= tolerance, "largest sample difference \(worst) > \(tolerance)")
    }

    @Test("whole-image and row-band decoding agree", arguments: Fixture.all)
    func rowBandsMatchWholeImage(_ fixture: Fixture) throws {
        let whole = try ImageDecoder(configuration: .init(orientation: .keep)).decode(contentsOf: fixture.url).pixels
        let reader = try ImageDecoder().rowReader(contentsOf: fixture.url)
        var rows: [UInt8] = []
        while reader.nextRow < reader.info.height {
            rows += try reader.readBand(maxRows: 7).bytes
        }
        #expect(rows == whole.compacted().bytes)
    }
}
