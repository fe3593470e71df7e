import Foundation
import MediaIO
public import ProviderKit

/// An ``ImageGenerator`` that paints placeholder art: gradients, soft light discs and rolling
/// hills, tinted by the mood words in the prompt (dark, warm, calm, forest, love, fire, ...).
///
/// It is not an image model and draws nothing the prompt describes; it exists so that a pipeline
/// makes real, pleasant frames with no network. The same prompt, seed and size always give the same
/// PNG, at any size.
///
/// ```swift
/// let frames = try await ProceduralImageGenerator().generateImages(
///     ImageRequest(prompt: "a calm ocean at dawn", width: 1080, height: 1920, seed: 7))
/// ```
public struct ProceduralImageGenerator: ImageGenerator {
    /// The model name it reports.
    public static let modelName = "procedural-placeholder-art (not an image model)"
    /// The largest side accepted, in pixels.
    public var maxSide: Int

    /// Creates a generator.
    public init(maxSide: Int = 8192) {
        self.maxSide = maxSide
    }

    /// Seed; offline and deterministic.
    public var capabilities: ProviderCapabilities { [.seed, .offline, .deterministic] }

    /// `procedural` with ``modelName`` as its model, and a digest of the largest side it draws.
    public var identity: ProviderIdentity {
        ProviderIdentity(
            name: "procedural", models: [.images: Self.modelName], configuration: ["max_side": String(maxSide)])
    }

    /// Always healthy.
    public func checkHealth() async throws -> HealthReport {
        HealthReport(latency: .zero, detail: "offline procedural painter, no dependencies")
    }

    /// Paints `request.count` PNG images; image `i` uses seed `seed + i`.
    ///
    /// - Throws: ``ProviderError/badRequest(_:statusCode:)`` for a size outside 1...``maxSide``.
    public func generateImages(_ request: ImageRequest) async throws -> [GeneratedImage] {
        guard (1...maxSide).contains(request.width), (1...maxSide).contains(request.height), request.count >= 1 else {
            throw ProviderError.badRequest(
                "image size \(request.width)×\(request.height) (count \(request.count)) is outside 1...\(maxSide)")
        }
        var images: [GeneratedImage] = []
        for index in 0..<request.count {
            try Task.checkCancellation()
            let pixels = Self.paint(
                prompt: request.prompt, seed: (request.seed ?? 0) &+ index, width: request.width, height: request.height
            )
            do {
                let buffer = try PixelBuffer(
                    width: request.width, height: request.height, layout: .rgb, componentType: .uint8, bytes: pixels)
                let png = try ImageEncoder(format: .png(.init(compressionLevel: 3))).encode(buffer)
                images.append(GeneratedImage(data: png, mimeType: "image/png"))
            } catch {
                throw ProviderError.server("PNG encoding failed: \(error)")
            }
        }
        return images
    }

    /// An RGB colour with components in 0...1.
    struct Color {
        var r: Double
        var g: Double
        var b: Double

        func mixed(with other: Color, _ t: Double) -> Color {
            Color(r: r + (other.r - r) * t, g: g + (other.g - g) * t, b: b + (other.b - b) * t)
        }
    }

    /// Palettes (sky top, sky bottom, accent, ground) keyed by mood words.
    static let palettes: [(words: [String], colors: [Color])] = [
        (
            ["dark", "night", "horror", "scary", "eerie", "shadow", "ghost", "mystery"],
            [
                Color(r: 0.04, g: 0.03, b: 0.12), Color(r: 0.20, g: 0.10, b: 0.35), Color(r: 0.75, g: 0.80, b: 1.0),
                Color(r: 0.02, g: 0.02, b: 0.06),
            ]
        ),
        (
            ["happy", "sunny", "joy", "bright", "summer", "warm", "hope", "hopeful", "dawn", "sunrise"],
            [
                Color(r: 0.98, g: 0.78, b: 0.42), Color(r: 1.0, g: 0.55, b: 0.35), Color(r: 1.0, g: 0.95, b: 0.75),
                Color(r: 0.55, g: 0.30, b: 0.25),
            ]
        ),
        (
            ["calm", "peace", "ocean", "sea", "water", "rain", "blue", "sad", "lonely"],
            [
                Color(r: 0.10, g: 0.30, b: 0.50), Color(r: 0.45, g: 0.75, b: 0.85), Color(r: 0.90, g: 0.97, b: 1.0),
                Color(r: 0.05, g: 0.20, b: 0.32),
            ]
        ),
        (
            ["forest", "nature", "green", "spring", "garden", "tree"],
            [
                Color(r: 0.55, g: 0.80, b: 0.70), Color(r: 0.85, g: 0.92, b: 0.70), Color(r: 1.0, g: 0.98, b: 0.85),
                Color(r: 0.10, g: 0.35, b: 0.20),
            ]
        ),
        (
            ["love", "romance", "heart", "tender", "sweet", "bittersweet"],
            [
                Color(r: 0.55, g: 0.25, b: 0.45), Color(r: 0.98, g: 0.65, b: 0.70), Color(r: 1.0, g: 0.90, b: 0.92),
                Color(r: 0.35, g: 0.12, b: 0.25),
            ]
        ),
        (
            ["fire", "anger", "war", "battle", "danger", "tense", "triumphant", "sunset"],
            [
                Color(r: 0.35, g: 0.05, b: 0.05), Color(r: 0.95, g: 0.40, b: 0.10), Color(r: 1.0, g: 0.85, b: 0.40),
                Color(r: 0.15, g: 0.03, b: 0.03),
            ]
        ),
    ]

    static func palette(for prompt: String, random: inout SeededGenerator) -> [Color] {
        let words = Set(prompt.lowercased().split { !$0.isLetter }.map(String.init))
        let scored = palettes.map { entry in entry.words.filter(words.contains).count }
        if let best = scored.max(), best > 0, let index = scored.firstIndex(of: best) { return palettes[index].colors }
        return random.pick(palettes).colors
    }

    struct Disc {
        var x: Double
        var y: Double
        var r: Double
        var a: Double
    }

    struct Hill {
        var base: Double
        var amp: Double
        var freq: Double
        var phase: Double
        var shade: Double
    }

    static func paint(prompt: String, seed: Int, width: Int, height: Int) -> [UInt8] {
        var random = SeededGenerator(text: prompt, seed: seed)
        let colors = palette(for: prompt, random: &random)
        let (top, bottom, accent, ground) = (colors[0], colors[1], colors[2], colors[3])
        let w = Double(width)
        let h = Double(height)
        let scale = min(w, h)
        // Soft light discs and rolling hills, their numbers and shapes drawn from the seed.
        var discs: [Disc] = []
        for _ in 0..<(3 + Int(random.next() % 3)) {
            let radius: Double = scale * (0.08 + random.unit() * 0.25)
            let x: Double = random.unit() * w
            let y: Double = random.unit() * h * 0.6
            let strength: Double = 0.25 + random.unit() * 0.45
            discs.append(Disc(x: x, y: y, r: radius, a: strength))
        }
        var hills: [Hill] = []
        for layer in 0..<(2 + Int(random.next() % 2)) {
            let base: Double = h * (0.68 + 0.1 * Double(layer))
            let amplitude: Double = h * (0.02 + random.unit() * 0.05)
            let cycles: Double = 1 + random.unit() * 3
            let phase: Double = random.unit() * 2 * Double.pi
            hills.append(
                Hill(
                    base: base, amp: amplitude, freq: cycles * 2 * Double.pi / w, phase: phase,
                    shade: 0.35 + 0.3 * Double(layer)))
        }
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            let fy = Double(y)
            let rowColor = top.mixed(with: bottom, fy / max(1, h - 1))
            for x in 0..<width {
                let fx = Double(x)
                var color = rowColor
                for disc in discs {
                    let dx = fx - disc.x
                    let dy = fy - disc.y
                    let d2 = (dx * dx + dy * dy) / (disc.r * disc.r)
                    if d2 < 4 { color = color.mixed(with: accent, disc.a * exp(-d2 * 1.5)) }
                }
                for hill in hills where fy > hill.base + hill.amp * sin(fx * hill.freq + hill.phase) {
                    color = color.mixed(with: ground, hill.shade)
                }
                let offset = (y * width + x) * 3
                pixels[offset] = UInt8(max(0, min(255, color.r * 255 + 0.5)))
                pixels[offset + 1] = UInt8(max(0, min(255, color.g * 255 + 0.5)))
                pixels[offset + 2] = UInt8(max(0, min(255, color.b * 255 + 0.5)))
            }
        }
        return pixels
    }
}
