/// The look of Advanced SubStation Alpha captions and the canvas they are laid out on.
///
/// The default, ``vertical1080x1920``, is for vertical social video: bold 72 px text with a thick
/// outline, bottom-centred, kept inside the safe area that TikTok, Reels and Shorts leave free of
/// their own buttons and captions (about 18 % from the bottom, 8 % from each side).
public struct ASSStyle: Sendable, Hashable {
    /// The canvas width in pixels (`PlayResX`); set it to the video width.
    public var playResX: Int
    /// The canvas height in pixels (`PlayResY`); set it to the video height.
    public var playResY: Int
    /// The font family; libass falls back through fontconfig when it is missing.
    public var fontName: String
    /// The font size in canvas pixels.
    public var fontSize: Int
    /// Text colour as `&HAABBGGRR`; in karaoke, the colour of words already spoken.
    public var primaryColour: String
    /// In karaoke, the colour of words not yet spoken, as `&HAABBGGRR`.
    public var secondaryColour: String
    /// Outline colour as `&HAABBGGRR`.
    public var outlineColour: String
    /// Shadow colour as `&HAABBGGRR`.
    public var backColour: String
    /// Bold text.
    public var bold: Bool
    /// Outline width in canvas pixels.
    public var outline: Double
    /// Shadow distance in canvas pixels.
    public var shadow: Double
    /// Numpad position: 2 is bottom centre, 5 middle centre, 8 top centre.
    public var alignment: Int
    /// Left margin in canvas pixels.
    public var marginL: Int
    /// Right margin in canvas pixels.
    public var marginR: Int
    /// Vertical margin (from the bottom for bottom alignments) in canvas pixels.
    public var marginV: Int

    /// Creates a style; every value has a default suited to 1080×1920.
    public init(
        playResX: Int = 1080, playResY: Int = 1920, fontName: String = "DejaVu Sans", fontSize: Int = 72,
        primaryColour: String = "&H0000E5FF", secondaryColour: String = "&H00FFFFFF",
        outlineColour: String = "&H00000000", backColour: String = "&H80000000", bold: Bool = true,
        outline: Double = 5, shadow: Double = 2, alignment: Int = 2, marginL: Int = 90, marginR: Int = 90,
        marginV: Int = 350
    ) {
        self.playResX = playResX
        self.playResY = playResY
        self.fontName = fontName
        self.fontSize = fontSize
        self.primaryColour = primaryColour
        self.secondaryColour = secondaryColour
        self.outlineColour = outlineColour
        self.backColour = backColour
        self.bold = bold
        self.outline = outline
        self.shadow = shadow
        self.alignment = alignment
        self.marginL = marginL
        self.marginR = marginR
        self.marginV = marginV
    }

    /// Captions for 1080×1920 vertical video.
    public static let vertical1080x1920 = ASSStyle()

    /// This style scaled to another canvas (all sizes and margins scale with the height).
    public func scaled(toWidth width: Int, height: Int) -> ASSStyle {
        let factor = Double(height) / Double(playResY)
        var style = self
        style.playResX = width
        style.playResY = height
        style.fontSize = max(1, Self.integer(Double(fontSize) * factor))
        style.outline = outline * factor
        style.shadow = shadow * factor
        style.marginL = Self.integer(Double(marginL) * Double(width) / Double(playResX))
        style.marginR = Self.integer(Double(marginR) * Double(width) / Double(playResX))
        style.marginV = Self.integer(Double(marginV) * factor)
        return style
    }

    /// `value` rounded, with a zero canvas's NaN read as 0 and infinities or huge values clamped to
    /// ±2³¹ (more than any canvas), where `Int(_:)` would trap.
    private static func integer(_ value: Double) -> Int {
        value.isNaN ? 0 : Int(min(max(value.rounded(), -0x1p31), 0x1p31))
    }
}
