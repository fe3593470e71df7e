extension ASSStyle {
    /// Captions laid out for a `width`×`height` frame, in proportion to it: exactly ``vertical1080x1920`` for
    /// 1080×1920.
    ///
    /// - Font size: 72/1080 of the frame's short side (6.7 %) in vertical and square frames, where the video
    ///   fills a phone held upright; 56/1080 (5.2 %) in horizontal ones, watched larger and farther away
    ///   (broadcast subtitle guidelines put a line's height at 4–6 % of the frame height).
    /// - Margins: in frames at least 1.5 times as tall as wide (full-screen vertical video) the platforms' safe
    ///   area, 350/1920 of the height from the bottom and 90/1080 of the width at each side (TikTok, Reels and
    ///   Shorts draw their buttons and captions there); in other frames 8 % of the height and 6 % of the width
    ///   (the EBU's action-safe area is 5 % a side, with room for the outline).
    ///
    /// Outline and shadow scale with the font. Sizes that are not positive give a 1×1 canvas rather than a
    /// division by zero.
    public static func forFrame(width: Int, height: Int, fontName: String = SubtitleFont.defaultFamily) -> ASSStyle {
        let width = max(1, width)
        let height = max(1, height)
        let short = Double(min(width, height))
        let fontSize = max(1, Int((short * (width > height ? 56 : 72) / 1080).rounded()))
        let tall = Double(height) >= Double(width) * 1.5
        let side = Int((Double(width) * (tall ? 90.0 / 1080 : 0.06)).rounded())
        let bottom = Int((Double(height) * (tall ? 350.0 / 1920 : 0.08)).rounded())
        let scale = Double(fontSize) / 72
        return ASSStyle(
            playResX: width, playResY: height, fontName: fontName, fontSize: fontSize, outline: 5 * scale,
            shadow: 2 * scale, marginL: side, marginR: side, marginV: bottom)
    }

    /// The most characters a line holds between the side margins at this font size.
    ///
    /// Proportional text (`wide` false) is measured at 0.568 em a character: DejaVu Sans Bold's average advance
    /// over English text, which makes 22 characters in the default style's 900-pixel line, and at most 42 (the
    /// Netflix and BBC line limit for Latin scripts). Full-width text (Han, kana, Hangul; `wide` true) is one em a
    /// character, at most 20 (Netflix's limit for Japanese is 13 vertical, 16 for Chinese; 20 leaves room for
    /// horizontal frames). At least 4 either way.
    public func charactersPerLine(wide: Bool) -> Int {
        let usable = Double(max(0, playResX - marginL - marginR))
        let advance = Double(max(1, fontSize)) * (wide ? 1 : 900.0 / (22 * 72))
        // A hair of tolerance: the default's 900 / (72 × 0.568…) is 22 exactly, which rounding must not make 21.
        let fits = Int(min(usable / advance + 1e-9, 1000))
        return min(max(fits, 4), wide ? 20 : 42)
    }
}
