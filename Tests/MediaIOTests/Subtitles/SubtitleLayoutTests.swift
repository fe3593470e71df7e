import Foundation
import Testing

@testable import MediaIO

/// The subtitle layout for each frame shape, and the font chosen and checked for each script.
@Suite struct SubtitleLayoutTests {
    @Test func theDefaultFrameGetsExactlyTheDefaultStyleAnd22Or12CharactersALine() {
        let style = ASSStyle.forFrame(width: 1080, height: 1920)
        #expect(style == ASSStyle.vertical1080x1920)
        #expect(style.charactersPerLine(wide: false) == 22)
        #expect(style.charactersPerLine(wide: true) == 12)
        #expect(ASS.format([], style: style) == ASS.format([]))
    }

    @Test func everyShapeKeepsItsTextInsideTheFrameInProportion() {
        for (width, height) in [(1920, 1080), (1080, 1080), (1080, 1350), (256, 256), (4096, 2304), (1280, 720)] {
            let style = ASSStyle.forFrame(width: width, height: height)
            #expect(style.playResX == width && style.playResY == height)
            #expect(style.marginL > 0 && style.marginL + style.marginR < width)
            #expect(style.marginV > 0 && style.marginV + 3 * style.fontSize < height, "\(width)×\(height)")
            for wide in [false, true] {
                let characters = style.charactersPerLine(wide: wide)
                // A full line at the measured advance fits between the margins.
                let advance = Double(style.fontSize) * (wide ? 1 : 900.0 / (22 * 72))
                #expect(Double(characters) * advance <= Double(width - style.marginL - style.marginR) + 1)
                #expect((4...42).contains(characters))
            }
        }
        let landscape = ASSStyle.forFrame(width: 1920, height: 1080)
        #expect(landscape.fontSize == 56)
        #expect(landscape.charactersPerLine(wide: false) == 42)
        #expect(landscape.charactersPerLine(wide: true) == 20)
        #expect(ASSStyle.forFrame(width: 1080, height: 1350).fontSize == 72)
        // Nonsense sizes give a canvas, not a trap.
        #expect(ASSStyle.forFrame(width: 0, height: -5).playResX == 1)
    }

    @Test func theFontFollowsTheScriptOfTheText() {
        #expect(SubtitleFont.family(for: "The lighthouse keeper", language: "en") == "DejaVu Sans")
        #expect(SubtitleFont.family(for: "Der Leuchtturmwärter, ¿qué? Ελλάδα Москва") == "DejaVu Sans")
        #expect(SubtitleFont.family(for: "とうだいの ひかり", language: "ja") == "Noto Sans CJK JP")
        #expect(SubtitleFont.family(for: "灯塔的光", language: "zh-Hans") == "Noto Sans CJK SC")
        #expect(SubtitleFont.family(for: "燈塔的光", language: "zh-TW") == "Noto Sans CJK TC")
        #expect(SubtitleFont.family(for: "등대의 불빛", language: "ko") == "Noto Sans CJK KR")
        #expect(SubtitleFont.family(for: "منارة", language: "ar") == "Noto Sans Arabic")
        #expect(SubtitleFont.family(for: "प्रकाशस्तंभ", language: "hi") == "Noto Sans Devanagari")
        // Mostly Japanese with a Latin name: still the Japanese font, which has Latin letters too.
        #expect(SubtitleFont.family(for: "トムの とうだい Tom", language: "ja") == "Noto Sans CJK JP")
        #expect(SubtitleFont.family(for: "123 …", language: "en") == "DejaVu Sans")
        #expect(SubtitleFont.isWide("とうだい") && !SubtitleFont.isWide("lighthouse"))
    }

    /// These run fontconfig's real `fc-list` over the fonts Scripts/install-system-deps.sh installs.
    @Test func installedFontsCoverEnglishGermanSpanishAndJapaneseText() async throws {
        let texts = [
            ("en", "The keeper climbed the stairs."), ("de", "Der Wärter stieg die Treppe hinauf, müde."),
            ("es", "¿El guardián subió la escalera? Sí, señor."), ("ja", "とうだいの ひかりが きえた。"),
        ]
        for (language, text) in texts {
            let family = SubtitleFont.family(for: text, language: language)
            #expect(try await SubtitleFont.check(text, family: family) == .covered, "\(language): \(family)")
        }
        // Japanese in the Latin font: DejaVu Sans has no kana, so fontconfig's fallback serves.
        let fallback = try await SubtitleFont.check("とうだい", family: "DejaVu Sans")
        guard case .fallback(let families) = fallback else {
            Issue.record("expected a fallback, got \(fallback)")
            return
        }
        #expect(families.contains { $0.contains("CJK") })
    }

    @Test func textNoInstalledFontCoversIsAMissingGlyphsErrorNamingTheCharacter() async throws {
        // U+10FFFD is a private-use character of plane 16: no font ships a glyph for it.
        let text = "The keeper \u{10FFFD}"
        await #expect {
            _ = try await SubtitleFont.check(text, family: "DejaVu Sans")
        } throws: { error in
            guard let error = error as? SubtitleFontError else { return false }
            return error.code == .missingGlyphs && error.message.contains("U+10FFFD")
                && error.message.contains("fonts-noto-core") && !error.message.contains("U+0054")
        }
    }

    @Test func aTitleHookIsATopStyleAndOneFadingEventAboveTheCaptions() {
        let cues = [SubtitleCue(start: 0.5, end: 2, text: "The keeper")]
        let style = ASSStyle.forFrame(width: 1920, height: 1080)
        let hookStyle = ASSStyle.titleForFrame(width: 1920, height: 1080)
        #expect(hookStyle.alignment == 8 && hookStyle.fontSize == 73 && hookStyle.marginV == 86)
        #expect(ASSStyle.titleForFrame(width: 1080, height: 1920).marginV == 250)
        let title = ASS.Title(text: "The {Last} Light", end: 3, style: hookStyle)
        let text = ASS.format(cues, style: style, karaoke: false, title: title)
        #expect(text.contains("\nStyle: Title,DejaVu Sans,73,&H00FFFFFF,"))
        #expect(
            text.contains("Dialogue: 1,0:00:00.00,0:00:03.00,Title,,0,0,0,,{\\q0\\fad(300,300)}The \\{Last\\} Light\n"))
        let parsed = ASS.parse(text).cues
        #expect(parsed.map(\.text) == ["The keeper", "The {Last} Light"])
        #expect(ASS.format(cues, style: style, karaoke: false, title: nil) == ASS.format(cues, style: style))
        #expect(
            ASS.format(cues, style: style, karaoke: false, title: .init(text: " ", end: 3, style: hookStyle))
                == ASS.format(cues, style: style))
    }

    @Test func withoutFcListNothingIsCheckedAndNothingFails() async throws {
        #expect(try await SubtitleFont.check("とうだい", family: "X", executable: "/nonexistent/fc-list") == .unchecked)
        #expect(try await SubtitleFont.check(" \n", family: "X") == .covered)
    }
}
