import Foundation
import MediaIO
import Testing
import UpscaleKit

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Output sizes at the overflow boundaries and past the limits: every one is a typed error raised
/// before anything is allocated (so each test takes milliseconds), through the library and the CLI.
@Suite("Upscaler limits")
struct UpscaleLimitTests {
    typealias Target = Upscaler.Configuration.Target

    /// Targets that overflow, or pass the pixel limit, for a 32×32 input.
    static let hostileTargets: [Target] = [
        .size(width: .max, height: 1), .size(width: 1, height: .max), .size(width: .max, height: .max),
        .size(width: 1 << 31, height: 1 << 31), .size(width: 1 << 32, height: 1 << 32),
        .size(width: 1 << 32, height: 1), .size(width: 1_000_000_000, height: 2),
        .size(width: 3_037_000_500, height: 3_037_000_500),
        .size(width: 16385, height: 16384), .factor(100_000), .factor(.max), .factor(1 << 31), .factor(1 << 32),
        .ratio(numerator: .max, denominator: 1), .ratio(numerator: .max, denominator: 3),
        .ratio(numerator: 1 << 40, denominator: 1),
    ]

    static func input() throws -> PixelBuffer { try UpscaleExpectations.image("astronaut-face-x8.png") }  // 32×32 RGB

    @Test("outputs that overflow or pass maxOutputPixelCount are refused at once, in memory and file to file")
    func hostileTargets() async throws {
        let input = try Self.input()
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = UpscaleExpectations.directory.appendingPathComponent("astronaut-face-x8.png")
        // Allocating for any of these would abort the process (or take gigabytes and seconds): the
        // error must come first.
        for method in [Upscaler.Method.resample(.lanczos3), .resample(.nearest), .learned()] {
            for target in Self.hostileTargets {
                let upscaler = Upscaler(configuration: .init(method: method, target: target))
                let error2 = await #expect(throws: UpscaleError.self, "\(method) \(target)") {
                    _ = try await upscaler.upscale(input)
                }
                #expect(error2?.code == .tooLarge, "\(method) \(target)")
                // File to file, .learned decodes whole and takes the in-memory path.
                guard method.learnedConfiguration == nil else { continue }
                let destination = directory.appendingPathComponent("out.png")
                let error3 = await #expect(throws: UpscaleError.self, "\(method) \(target), file") {
                    try await upscaler.upscaleFile(from: source, to: destination)
                }
                #expect(error3?.code == .tooLarge, "\(method) \(target), file")
                #expect(!FileManager.default.fileExists(atPath: destination.path))
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test("zero and negative sizes, factors and ratios are invalid configurations")
    func nonPositive() async throws {
        let input = try Self.input()
        let targets: [Target] = [
            .size(width: 0, height: 1), .size(width: -1, height: 5), .size(width: 5, height: .min), .factor(0),
            .factor(-2), .factor(.min), .ratio(numerator: 0, denominator: 1), .ratio(numerator: 1, denominator: 0),
            .ratio(numerator: -3, denominator: 2), .ratio(numerator: .min, denominator: .min),
        ]
        for target in targets {
            let error = await #expect(throws: UpscaleError.self, "\(target)") {
                _ = try await Upscaler(configuration: .init(target: target)).upscale(input)
            }
            #expect(error?.code == .invalidConfiguration, "\(target)")
        }
        let error2 = #expect(throws: UpscaleError.self) {
            _ = try Upscaler.Configuration().outputSize(width: 0, height: 1)
        }
        #expect(error2?.code == .invalidConfiguration)
        let error3 = #expect(throws: UpscaleError.self) {
            _ = try Upscaler.Configuration().outputSize(width: -5, height: .min)
        }
        #expect(error3?.code == .invalidConfiguration)
    }

    @Test("the pixel limit is configurable and exact; a tiny ratio still gives one pixel")
    func configurableLimit() async throws {
        let input = try Self.input()
        let exact = Upscaler(configuration: .init(target: .size(width: 64, height: 64), maxOutputPixelCount: 64 * 64))
        #expect(try await exact.upscale(input).width == 64)
        let over = Upscaler(configuration: .init(target: .size(width: 64, height: 65), maxOutputPixelCount: 64 * 64))
        do {
            _ = try await over.upscale(input)
            Issue.record("a 64×65 output passed a 4096-pixel limit")
        } catch let error as UpscaleError {
            #expect(error.code == .tooLarge)
            #expect(error.message.contains("64×65") && error.message.contains("maxOutputPixelCount"), "\(error)")
        }
        let tiny = try await Upscaler(configuration: .init(target: .ratio(numerator: 1, denominator: .max)))
            .upscale(input)
        #expect(tiny.width == 1 && tiny.height == 1)
        let size = try Upscaler.Configuration(target: .ratio(numerator: 3, denominator: 2)).outputSize(
            width: 1001, height: 600)
        #expect(size.width == 1502 && size.height == 900)
    }

    @Test("an output within the pixel limit whose filter tables or band buffers are too large is refused")
    func workingMemory() async throws {
        let input = try Self.input()
        // 200 million filter windows across (about 10 GB of tables) for one 200-megapixel row.
        let wide = Upscaler(configuration: .init(target: .size(width: 200_000_000, height: 1)))
        do {
            _ = try await wide.upscale(input)
            Issue.record("planned 6.8 GB of filter tables")
        } catch let error as UpscaleError {
            #expect(error.code == .tooLarge)
            #expect(error.message.contains("maxWorkingMemory"), "\(error)")
        }
        let limited = Upscaler(configuration: .init(target: .factor(4), maxWorkingMemory: 10_000))
        let error2 = await #expect(throws: UpscaleError.self) { _ = try await limited.upscale(input) }
        #expect(error2?.code == .tooLarge)
        let learned = Upscaler(configuration: .init(method: .learned(), target: .factor(2), maxWorkingMemory: 200_000))
        let error3 = await #expect(throws: UpscaleError.self) { _ = try await learned.upscale(input) }
        #expect(error3?.code == .tooLarge)
    }

    @Test("thread counts, band heights and tile sizes up to Int.max work without overflow")
    func hugeParameters() async throws {
        let input = try Self.input()
        let reference = try await Upscaler(configuration: .init(target: .factor(2))).upscale(input)
        for threads in [Int.max, Int.max / 8 + 1, 1 << 40] {
            let output = try await Upscaler(configuration: .init(target: .factor(2), threads: .count(threads)))
                .upscale(input)
            #expect(output == reference, "threads \(threads)")
        }
        for band in [Int.max, 1 << 40] {
            let output = try await Upscaler(configuration: .init(target: .factor(2), bandHeight: band)).upscale(input)
            #expect(output == reference, "band \(band)")
        }
        let learned = try await Upscaler(configuration: .init(method: .learned(), target: .factor(2))).upscale(input)
        for tile in [Int.max, 1 << 40, 7] {
            let output = try await Upscaler(
                configuration: .init(method: .learned(.init(tileSize: tile)), target: .factor(2))
            ).upscale(input)
            #expect(output == learned, "tile \(tile)")
        }
    }

    @Test("a FIFO as input or as learned weights is refused at once")
    func fifo() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let fifo = directory.appendingPathComponent("fifo.png")
        #expect(mkfifo(fifo.path, 0o644) == 0)
        // Should a read block anyway, opening the other end releases it (the read then finds no image
        // data, not "not a regular file"), so the test fails instead of hanging.
        let release = Task.detached {
            try await Task.sleep(for: .seconds(30))
            let writer = open(fifo.path, O_WRONLY | O_NONBLOCK)
            if writer >= 0 { close(writer) }
        }
        defer { release.cancel() }
        do {
            try await Upscaler().upscaleFile(from: fifo, to: directory.appendingPathComponent("out.png"))
            Issue.record("upscaled a FIFO")
        } catch let error as ImageCodecError {
            #expect(error.code == .io)
            #expect(error.message == "not a regular file: \(fifo.path) (a FIFO)")
        }
        do {
            _ = try LearnedModel(contentsOf: fifo, expectedSHA256: "")
            Issue.record("loaded weights from a FIFO")
        } catch let error as LearnedModelError {
            #expect(error.message.contains("not a regular file: \(fifo.path)"), "\(error)")
        }
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("upscale-limits-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
