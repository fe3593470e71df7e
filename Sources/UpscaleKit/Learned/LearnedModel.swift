import CStoryForgeSR
import Crypto
public import Foundation
import MediaIO

/// A trained luma super-resolution network: StoryForge's SFSR model for one integer factor.
///
/// The network works in low-resolution space on BT.601 luma in 0...1: the input is
/// replicate-padded by the receptive radius, goes through valid convolutions with PReLU
/// (5×5 → 32, 3×3 → 16, 3×3 → 16, 3×3 → factor²), a linear 5×5 skip from the input is added, and a
/// pixel shuffle lays the factor² channels out as factor × factor output pixels. Because only the
/// input is padded, any tile computed with its halo equals the same region of the whole image.
///
/// The bundled models (×2 and ×4) were trained with `Scripts/train-sr` on Debian
/// `mate-backgrounds` nature photographs; see Docs/Upscaling.md.
///
/// ```swift
/// let model = try LearnedModel.bundled(factor: 2)
/// print(model.parameterCount, model.sha256)
/// ```
public struct LearnedModel: Sendable {
    /// The factor this model enlarges by.
    public let factor: Int
    /// The number of trained parameters.
    public let parameterCount: Int
    /// The SHA-256 of the weights file, lowercase hex.
    public let sha256: String

    let layers: [Layer]
    let skip: Layer

    /// One convolution, with its output channels padded to a multiple of 8 for the vector loop.
    struct Layer: Sendable {
        let kernel: Int
        let inputChannels: Int
        let outputChannels: Int
        let paddedOutputChannels: Int
        let weights: [Float]
        let bias: [Float]
        let slope: [Float]?

        var radius: Int { kernel / 2 }
    }

    /// The receptive radius in input pixels: how far beyond a tile the network reads.
    var radius: Int { layers.reduce(0) { $0 + $1.radius } }

    /// The factors with a bundled model.
    public static let bundledFactors = [2, 4]

    /// SHA-256 of the bundled weights (Sources/UpscaleKit/Resources/LearnedSR), checked at load.
    static let bundledChecksums: [Int: String] = [
        2: "96c6ada417685c5faef3b0c5e6a8e99850cef7e4c58f6988637ec540ccd9f916",
        4: "2f7b48d31e4c82024add043abba2c281ba5adcbdcbb53be632f23f53e125afc3",
    ]

    /// The bundled model for `factor`, loaded once and then shared; its checksum is verified.
    ///
    /// - Throws: ``LearnedModelError`` when there is no bundled model for `factor` or its file is
    ///   missing, damaged or malformed.
    public static func bundled(factor: Int) throws -> LearnedModel {
        switch factor {
        case 2: try bundledX2.get()
        case 4: try bundledX4.get()
        default:
            throw LearnedModelError.unsupportedFactor(
                "there is a bundled model for ×\(bundledFactors.map(String.init).joined(separator: ", ×")), not ×\(factor)"
            )
        }
    }

    private static let bundledX2 = Result { try loadBundled(factor: 2) }
    private static let bundledX4 = Result { try loadBundled(factor: 4) }

    private static func loadBundled(factor: Int) throws -> LearnedModel {
        guard let directory = resourceDirectory() else {
            throw LearnedModelError.missingWeights(
                "the UpscaleKit resource bundle (StoryForge_UpscaleKit) is not beside the executable")
        }
        let url = directory.appendingPathComponent("LearnedSR/sfsr-x\(factor).bin")
        return try LearnedModel(contentsOf: url, expectedSHA256: bundledChecksums[factor] ?? "")
    }

    /// Where SwiftPM's resource bundle for this module is: looked up the way `Bundle.module` looks
    /// (beside the main executable, or in its resources on Apple platforms), but without its
    /// `fatalError` when the bundle is absent; that case is a ``LearnedModelError`` here.
    static func resourceDirectory() -> URL? {
        let names = ["StoryForge_UpscaleKit.resources", "StoryForge_UpscaleKit.bundle"]
        var places = [Bundle.main.bundleURL]
        if let resources = Bundle.main.resourceURL { places.append(resources) }
        if let executable = Bundle.main.executableURL { places.append(executable.deletingLastPathComponent()) }
        for place in places {
            for name in names {
                let candidate = place.appendingPathComponent(name)
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory),
                    isDirectory.boolValue
                else { continue }
                #if canImport(Darwin)
                    // An Apple bundle keeps its files under Contents/Resources when it has one.
                    let nested = candidate.appendingPathComponent("Contents/Resources")
                    if FileManager.default.fileExists(atPath: nested.path) { return nested }
                #endif
                return candidate
            }
        }
        return nil
    }

    /// Loads a weights file and checks its SHA-256 before reading it.
    ///
    /// - Parameters:
    ///   - url: an SFSR weights file (as `Scripts/train-sr/train.py` writes).
    ///   - expectedSHA256: its SHA-256 in hex (case does not matter).
    /// - Throws: ``LearnedModelError/missingWeights(_:)``, ``LearnedModelError/checksumMismatch(_:)``
    ///   or ``LearnedModelError/malformedWeights(_:)``.
    public init(contentsOf url: URL, expectedSHA256: String) throws {
        let data: Data
        do {
            data = try InputFile.read(url, maxByteCount: Self.maxFileBytes)
        } catch {
            throw LearnedModelError.missingWeights(error.message)
        }
        try self.init(data: data, expectedSHA256: expectedSHA256)
    }

    /// The largest weights file read: the bundled ones are under 200 KB, and the largest model the
    /// format allows (16 layers of 9×9 from 64 to 32 channels) about 10.6 MB.
    static let maxFileBytes = 16 << 20

    /// Reads weights from memory after checking their SHA-256.
    ///
    /// - Throws: ``LearnedModelError/checksumMismatch(_:)`` or ``LearnedModelError/malformedWeights(_:)``.
    public init(data: Data, expectedSHA256: String) throws {
        let digest = Self.sha256Hex(data)
        guard digest == expectedSHA256.lowercased() else {
            throw LearnedModelError.checksumMismatch("expected \(expectedSHA256.lowercased()), the file has \(digest)")
        }
        self.sha256 = digest
        var reader = WeightsReader(bytes: [UInt8](data))
        guard try reader.bytes(4) == Array("SFSR".utf8) else {
            throw LearnedModelError.malformedWeights("not an SFSR weights file")
        }
        let version = try reader.int()
        guard version == 1 else { throw LearnedModelError.malformedWeights("version \(version), expected 1") }
        let factor = try reader.int()
        let count = try reader.int()
        guard (2...16).contains(factor), (2...16).contains(count) else {
            throw LearnedModelError.malformedWeights("factor \(factor) with \(count) layers is out of range")
        }
        var records: [(kernel: Int, input: Int, output: Int, prelu: Bool)] = []
        for _ in 0..<count {
            let (kernel, input, output, activation) = (
                try reader.int(), try reader.int(), try reader.int(), try reader.int()
            )
            guard kernel % 2 == 1, (1...9).contains(kernel), (1...64).contains(input), (1...32).contains(output),
                activation <= 1
            else {
                throw LearnedModelError.malformedWeights(
                    "a \(kernel)×\(kernel) layer from \(input) to \(output) channels is not supported")
            }
            records.append((kernel, input, output, activation == 1))
        }
        var layers: [Layer] = []
        var parameters = 0
        for record in records {
            let padded = (record.output + 7) / 8 * 8
            let taps = record.kernel * record.kernel * record.input
            let raw = try reader.floats(taps * record.output)
            var weights = [Float](repeating: 0, count: taps * padded)
            for t in 0..<taps {
                for o in 0..<record.output { weights[t * padded + o] = raw[t * record.output + o] }
            }
            let bias = try reader.floats(record.output) + [Float](repeating: 0, count: padded - record.output)
            let slope =
                try record.prelu
                ? reader.floats(record.output) + [Float](repeating: 0, count: padded - record.output) : nil
            parameters += taps * record.output + record.output * (record.prelu ? 2 : 1)
            layers.append(
                Layer(
                    kernel: record.kernel,
                    inputChannels: record.input,
                    outputChannels: record.output,
                    paddedOutputChannels: padded,
                    weights: weights,
                    bias: bias,
                    slope: slope
                ))
        }
        guard reader.isAtEnd else { throw LearnedModelError.malformedWeights("\(reader.remaining) bytes left over") }
        let skip = layers.removeLast()
        // The body must chain from one luma channel to factor² channels, and the skip must fit the halo.
        var channels = 1
        for layer in layers {
            guard layer.inputChannels == channels else {
                throw LearnedModelError.malformedWeights(
                    "layer channels do not chain (\(layer.inputChannels) after \(channels))")
            }
            channels = layer.outputChannels
        }
        let radius = layers.reduce(0) { $0 + $1.radius }
        guard channels == factor * factor, skip.inputChannels == 1, skip.outputChannels == factor * factor,
            skip.slope == nil, skip.radius <= radius
        else {
            throw LearnedModelError.malformedWeights(
                "the output or skip layer does not give \(factor * factor) channels")
        }
        self.factor = factor
        self.layers = layers
        self.skip = skip
        self.parameterCount = parameters
    }
}

extension LearnedModel {
    /// Lowercase hex SHA-256 of `data`.
    static func sha256Hex(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}

/// Little-endian reads from the weights file, each checked against its length.
private struct WeightsReader {
    let bytes: [UInt8]
    var offset = 0

    var isAtEnd: Bool { offset == bytes.count }
    var remaining: Int { bytes.count - offset }

    mutating func bytes(_ count: Int) throws -> [UInt8] {
        guard count <= remaining else { throw LearnedModelError.malformedWeights("the file is truncated") }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    mutating func int() throws -> Int {
        let b = try bytes(4)
        return Int(UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24)
    }

    mutating func floats(_ count: Int) throws -> [Float] {
        let b = try bytes(count * 4)
        return (0..<count).map { i in
            Float(
                bitPattern: UInt32(b[4 * i]) | UInt32(b[4 * i + 1]) << 8 | UInt32(b[4 * i + 2]) << 16 | UInt32(
                    b[4 * i + 3]) << 24)
        }
    }
}
