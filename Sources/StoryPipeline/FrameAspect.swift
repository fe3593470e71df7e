import Foundation

/// The shape of the video: a named aspect ratio or an exact frame size, parsed from the configuration's
/// `render.aspect` or `story-demo --aspect`.
///
/// | text | frame |
/// |---|---|
/// | `9:16` (the default) | 1080×1920, vertical: TikTok, Reels, Shorts |
/// | `16:9` | 1920×1080, horizontal: YouTube |
/// | `1:1` | 1080×1080, square feed posts |
/// | `4:5` | 1080×1350, Instagram's tallest feed post |
/// | `WxH`, e.g. `1280x720` | that size: each side even (4:2:0 video) and in ``sideLimits`` |
///
/// ```swift
/// let aspect = try FrameAspect("16:9")
/// print(aspect.width, aspect.height)  // 1920 1080
/// ```
public struct FrameAspect: Sendable, Hashable, CustomStringConvertible {
    /// The frame width in pixels.
    public let width: Int
    /// The frame height in pixels.
    public let height: Int

    /// 256…4096 pixels a side: below 256 the burned subtitles no longer fit a line of text; 4096 is H.264
    /// level 5.2's widest frame (as ``StoryConfiguration/Limits/frameSize``).
    public static let sideLimits: ClosedRange<Int> = 256...4096

    /// The named ratios and their frames.
    public static let named: [(name: String, width: Int, height: Int)] = [
        ("9:16", 1080, 1920), ("16:9", 1920, 1080), ("1:1", 1080, 1080), ("4:5", 1080, 1350),
    ]

    /// 1080×1920: the default vertical video.
    public static let vertical = FrameAspect(checkedWidth: 1080, height: 1920)

    private init(checkedWidth width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// Parses `9:16`, `16:9`, `1:1`, `4:5` or `WxH` (`x` or `×`, e.g. `1280x720`).
    ///
    /// - Throws: ``StoryPipelineError`` with code `invalidConfiguration` saying what is accepted.
    public init(_ text: String) throws(StoryPipelineError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        if let named = Self.named.first(where: { $0.name == trimmed }) {
            self.init(checkedWidth: named.width, height: named.height)
            return
        }
        let parts = trimmed.split(omittingEmptySubsequences: false) { $0 == "x" || $0 == "×" }
        // At most 5 digits a side: anything longer is out of range anyway, and `Int(_:)` of it cannot overflow.
        guard parts.count == 2, let width = Self.side(parts[0]), let height = Self.side(parts[1]) else {
            throw .invalidConfiguration(
                "must be one of \(Self.named.map(\.name).joined(separator: ", ")) or a size WxH such as 1280x720, "
                    + "got \"\(text.prefix(40))\"")
        }
        guard Self.sideLimits.contains(width), Self.sideLimits.contains(height), width % 2 == 0, height % 2 == 0
        else {
            throw .invalidConfiguration(
                "a size WxH needs each side even and in \(Self.sideLimits.lowerBound)…\(Self.sideLimits.upperBound) "
                    + "pixels, got \(width)x\(height)")
        }
        self.init(checkedWidth: width, height: height)
    }

    private static func side(_ text: Substring) -> Int? {
        guard (1...5).contains(text.count), text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text)
    }

    /// `9:16` for a named ratio's frame, else `WxH`.
    public var description: String {
        Self.named.first { $0.width == width && $0.height == height }?.name ?? "\(width)x\(height)"
    }

    /// The size asked of the image provider: half the frame (each side rounded up to even), which the upscale
    /// stage enlarges exactly ×2; 540×960 for the default 1080×1920.
    public var keyframeSize: (width: Int, height: Int) {
        func half(_ side: Int) -> Int { (side / 2 + 1) / 2 * 2 }
        return (half(width), half(height))
    }

    /// The orientation and reduced ratio for an image prompt: `vertical 9:16`, `horizontal 16:9`, `square 1:1`.
    /// A size within 1 % of a named ratio (540×676 for 4:5, rounded to even sides) reads as that ratio.
    public static func promptPhrase(width: Int, height: Int) -> String {
        func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
        let (width, height) = (max(width, 1), max(height, 1))
        let divisor = max(1, gcd(width, height))
        let shape = Double(width) / Double(height)
        let ratio =
            named.first { abs(Double($0.width) / Double($0.height) / shape - 1) < 0.01 }?.name
            ?? "\(width / divisor):\(height / divisor)"
        if width == height { return "square \(ratio)" }
        return (width < height ? "vertical " : "horizontal ") + ratio
    }
}
