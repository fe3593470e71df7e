import ArgumentParser
import Foundation
import MediaIO

@main
struct ImageConvert: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image-convert",
        abstract: "Convert between PNG and JPEG with StoryForge's MediaIO codecs.",
        discussion: """
            The input format is recognised from its content; the output format from OUT's extension.
            With --repeat N the image is decoded and encoded N times from memory and the fastest times
            are printed as `decode_ms=` and `encode_ms=` lines, for external benchmark harnesses.
            """
    )

    @Argument(help: "Input PNG or JPEG file.")
    var input: String

    @Argument(help: "Output .png/.jpg file, or - to write nothing.")
    var output: String

    @Option(help: "JPEG quality, 1–100.")
    var quality = 90

    @Option(help: "JPEG chroma subsampling: 444, 422 or 420.")
    var subsampling = 420

    @Flag(help: "Write a progressive JPEG.")
    var progressive = false

    @Option(help: "PNG zlib compression level, 0–9.")
    var compressionLevel = 6

    @Flag(help: "Keep a JPEG's pixels as stored instead of applying its EXIF orientation.")
    var keepOrientation = false

    @Option(help: "Decode and encode this many times and print the fastest times.")
    var `repeat`: Int?

    mutating func validate() throws {
        guard (1...100).contains(quality) else { throw ValidationError("--quality must be 1–100") }
        guard ImageEncoder.ChromaSubsampling(rawValue: subsampling) != nil else {
            throw ValidationError("--subsampling must be 444, 422 or 420")
        }
        guard (0...9).contains(compressionLevel) else { throw ValidationError("--compression-level must be 0–9") }
        if let count = self.repeat, count < 1 { throw ValidationError("--repeat must be at least 1") }
    }

    func run() throws {
        let inputURL = URL(fileURLWithPath: input)
        let decoder = ImageDecoder(configuration: .init(orientation: keepOrientation ? .keep : .apply))
        let outputURL = output == "-" ? nil : URL(fileURLWithPath: output)
        let format = try outputFormat(outputURL ?? inputURL)
        let encoder = ImageEncoder(format: format)
        do {
            if let count = self.repeat {
                try measure(count: count, decoder: decoder, encoder: encoder, inputURL: inputURL, outputURL: outputURL)
                return
            }
            let decoded = try decoder.decode(contentsOf: inputURL)
            let pixels = decoded.pixels
            print(
                "\(input): \(decoded.metadata.format) \(pixels.width)×\(pixels.height) \(pixels.layout) "
                    + "\(pixels.componentType), source \(decoded.metadata.sourceColorModel) "
                    + "\(decoded.metadata.sourceBitDepth)-bit"
            )
            for warning in decoded.warnings { print("warning: \(warning)") }
            if let outputURL {
                try encoder.write(pixels, to: outputURL)
                print("wrote \(output) (\(format.imageFormat))")
            }
        } catch let error as ImageCodecError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        } catch let error as InputFileError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    private func outputFormat(_ url: URL) throws -> ImageEncoder.Format {
        switch ImageFormat(pathExtension: url.pathExtension) {
        case .png: return .png(.init(compressionLevel: compressionLevel))
        case .jpeg:
            return .jpeg(
                .init(
                    quality: quality,
                    chromaSubsampling: ImageEncoder.ChromaSubsampling(rawValue: subsampling) ?? .yuv420,
                    progressive: progressive
                )
            )
        case nil: throw ValidationError("OUT must end in .png, .jpg or .jpeg (or be - with a .png/.jpg input)")
        }
    }

    private func measure(
        count: Int,
        decoder: ImageDecoder,
        encoder: ImageEncoder,
        inputURL: URL,
        outputURL: URL?
    ) throws {
        // Not Data(contentsOf:): a FIFO named like an image would block it for ever.
        let data = try InputFile.read(inputURL)
        let clock = ContinuousClock()
        var decodeBest = Duration.seconds(1_000_000)
        var pixels: PixelBuffer?
        for _ in 0..<count {
            let start = clock.now
            let decoded = try decoder.decode(data)
            decodeBest = min(decodeBest, clock.now - start)
            pixels = decoded.pixels
        }
        guard let pixels else { return }
        var encodeBest = Duration.seconds(1_000_000)
        var encoded = Data()
        for _ in 0..<count {
            let start = clock.now
            encoded = try encoder.encode(pixels)
            encodeBest = min(encodeBest, clock.now - start)
        }
        if let outputURL { try encoded.write(to: outputURL, options: .atomic) }
        print("pixels=\(pixels.width)x\(pixels.height)")
        print("decode_ms=\(milliseconds(decodeBest))")
        print("encode_ms=\(milliseconds(encodeBest))")
        print("encoded_bytes=\(encoded.count)")
    }

    private func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return String(format: "%.3f", Double(seconds) * 1000 + Double(attoseconds) / 1e15)
    }
}
