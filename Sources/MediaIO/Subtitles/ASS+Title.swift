import Foundation

extension ASS {
    /// A title line overlaid at the top of the frame over the first seconds (the "hook" of short-video tools),
    /// in a style of its own beside the captions'.
    public struct Title: Sendable, Hashable {
        /// The text; long titles wrap (smart wrapping, `\q0`) inside the style's margins.
        public var text: String
        /// When it appears, in seconds.
        public var start: Double
        /// When it is gone, in seconds (it fades in and out over the first and last 0.3 s).
        public var end: Double
        /// Its look: ``ASSStyle/titleForFrame(width:height:fontName:)`` for the frame.
        public var style: ASSStyle

        /// Creates a title.
        public init(text: String, start: Double = 0, end: Double, style: ASSStyle) {
            self.text = text
            self.start = start
            self.end = end
            self.style = style
        }
    }

    /// ``format(_:style:karaoke:)`` with `title` added as a `Title` style and one event on a layer above the
    /// captions; without a title (or with an empty one) exactly what `format` writes.
    public static func format(_ cues: [SubtitleCue], style: ASSStyle, karaoke: Bool, title: Title?) -> String {
        let captions = format(cues, style: style, karaoke: karaoke)
        guard let title, !title.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return captions }
        let defaultLine = styleLine("Default", style)
        let withStyle = captions.replacingOccurrences(
            of: defaultLine + "\n", with: defaultLine + "\n" + styleLine("Title", title.style) + "\n")
        let start = SubtitleText.clamped(title.start)
        let end = max(start, SubtitleText.clamped(title.end))
        // 300 ms fades: a hard cut at the first frame reads as a glitch.
        let fade = Int(min(0.3, (end - start) / 3) * 1000)
        return withStyle
            + "Dialogue: 1,\(SubtitleText.assTimecode(start)),\(SubtitleText.assTimecode(end)),Title,,0,0,0,,"
            + "{\\q0\\fad(\(fade),\(fade))}\(escape(title.text))\n"
    }
}

extension ASSStyle {
    /// The title hook's look for a `width`×`height` frame: white bold text 1.3 times the captions' size
    /// (``forFrame(width:height:fontName:)``), top-centred; in full-screen vertical frames (at least 1.5 times as
    /// tall as wide) below the top 13 % that TikTok, Reels and Shorts cover with their tabs, else 8 % from the top.
    public static func titleForFrame(width: Int, height: Int, fontName: String = SubtitleFont.defaultFamily)
        -> ASSStyle
    {
        var style = forFrame(width: width, height: height, fontName: fontName)
        let height = max(1, height)
        let tall = Double(height) >= Double(max(1, width)) * 1.5
        style.fontSize = max(1, Int((Double(style.fontSize) * 1.3).rounded()))
        style.outline *= 1.3
        style.shadow *= 1.3
        style.primaryColour = "&H00FFFFFF"
        style.alignment = 8
        style.marginV = Int((Double(height) * (tall ? 0.13 : 0.08)).rounded())
        return style
    }
}
