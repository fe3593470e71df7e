import Foundation
import MediaIO

/// `Fixtures/expectations.json`, made by `Scripts/upscale-fixtures/make_upscale_fixtures.py`.
struct UpscaleExpectations: Decodable {
    struct Oracle: Decodable, Sendable, CustomStringConvertible {
        let crop: String
        let input: String
        let factor: Int
        let pillowBicubicPsnrLuma: Double
        let pillowLanczosPsnrLuma: Double
        var description: String { "\(input) ×\(factor)" }
    }

    struct Metrics: Decodable, Sendable, CustomStringConvertible {
        let reference: String
        let test: String
        let low: String
        let psnrRgb: Double
        let psnrLuma: Double
        let ssimLuma: Double
        let sharpness: Double
        let roundTripPsnrLuma: Double
        var description: String { test }
    }

    let oracles: [Oracle]
    let metrics: [Metrics]

    static let directory: URL = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

    static let shared: UpscaleExpectations = {
        do {
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            let data = try Data(contentsOf: directory.appendingPathComponent("expectations.json"))
            return try decoder.decode(UpscaleExpectations.self, from: data)
        } catch {
            return UpscaleExpectations(oracles: [], metrics: [])
        }
    }()

    static func image(_ name: String) throws -> PixelBuffer {
        try ImageDecoder().decode(contentsOf: directory.appendingPathComponent(name)).pixels
    }
}
