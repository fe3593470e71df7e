import Foundation
public import StoryForgeCore

/// The font burned subtitles are drawn in: one chosen for the script of the text, and a check through
/// fontconfig (`fc-list`) that an installed font has every glyph, so that a missing font is one clear error
/// before rendering instead of empty boxes in the video.
///
/// ```swift
/// let family = SubtitleFont.family(for: text, language: "ja")  // "Noto Sans CJK JP"
/// let coverage = try await SubtitleFont.check(text, family: family)
/// ```
///
/// Fonts come from Debian's `fonts-dejavu-core`, `fonts-noto-core` and `fonts-noto-cjk`
/// (`Scripts/install-system-deps.sh` installs them).
public enum SubtitleFont {
    /// The family for Latin, Greek and Cyrillic text: the composer's default since the first release.
    public static let defaultFamily = "DejaVu Sans"

    /// The family that has the glyphs of `text`'s script: Noto Sans CJK (JP, KR, SC or TC by `language`, a BCP 47
    /// tag) for Han, kana and Hangul; the Noto Sans family of Arabic, Hebrew, Devanagari, Bengali, Tamil, Thai,
    /// Georgian, Armenian or Ethiopic text; ``defaultFamily`` otherwise (Latin, Greek, Cyrillic). The script is the
    /// one most letters of the text are written in.
    public static func family(for text: String, language: String = "") -> String {
        var counts: [Script: Int] = [:]
        for scalar in text.unicodeScalars where scalar.properties.isAlphabetic {
            counts[Script(scalar), default: 0] += 1
        }
        // Ties go to the earlier script in `Script.allCases`, so the choice never depends on dictionary order.
        let dominant = Script.allCases.max { (counts[$0] ?? 0, $1.rank) < (counts[$1] ?? 0, $0.rank) } ?? .latin
        guard (counts[dominant] ?? 0) > 0 else { return defaultFamily }
        return dominant.family(language: language)
    }

    /// Whether `text` has characters drawn full-width (one em each): Han, kana, Hangul.
    public static func isWide(_ text: String) -> Bool {
        family(for: text).hasPrefix("Noto Sans CJK")
    }

    /// What ``check(_:family:executable:)`` found.
    public enum Coverage: Sendable, Hashable {
        /// `family` is installed and has every glyph.
        case covered
        /// `family` is missing or lacks glyphs, but these installed families have them all; libass falls back to
        /// one of them through fontconfig.
        case fallback([String])
        /// fontconfig's `fc-list` is not installed, so nothing could be checked.
        case unchecked
    }

    /// Checks that an installed font has a glyph for every character of `text`.
    ///
    /// - Throws: ``SubtitleFontError`` with code `missingGlyphs` naming (up to 20 of) the characters no installed
    ///   font has and the packages to install; `fontconfig` when `fc-list` fails.
    public static func check(
        _ text: String, family: String, executable: String = "fc-list"
    ) async throws(SubtitleFontError) -> Coverage {
        let scalars = Set(
            text.unicodeScalars.filter {
                !$0.properties.isWhitespace && $0.properties.generalCategory != .control
                    && $0.properties.generalCategory != .format
            }
        ).sorted { $0.value < $1.value }
        guard !scalars.isEmpty else { return .covered }
        guard let program = Subprocess.find(executable) else { return .unchecked }
        if try await !families(program, family: family, covering: scalars).isEmpty { return .covered }
        let others = try await families(program, family: nil, covering: scalars)
        if !others.isEmpty { return .fallback(others) }
        // Find the characters no font has: chunks of 32 first, then one by one inside the failing chunks.
        var missing: [Unicode.Scalar] = []
        var start = 0
        while start < scalars.count, missing.count < 20 {
            let chunk = Array(scalars[start..<min(start + 32, scalars.count)])
            start += 32
            guard try await families(program, family: nil, covering: chunk).isEmpty else { continue }
            for scalar in chunk where missing.count < 20 {
                if try await families(program, family: nil, covering: [scalar]).isEmpty { missing.append(scalar) }
            }
        }
        let listed = missing.map { "\(Character($0)) (U+\(String($0.value, radix: 16, uppercase: true)))" }
        throw .missingGlyphs(
            "no installed font has the glyphs for "
                + (listed.isEmpty ? "all of the subtitle text together" : listed.joined(separator: ", "))
                + ": install the Noto fonts (sudo apt-get install fonts-noto-core fonts-noto-cjk, or run "
                + "Scripts/install-system-deps.sh), or use soft subtitles (stages.assemble.parameters.subtitles: soft)")
    }

    /// The families `fc-list` lists for `family` (any family when `nil`) with every one of `scalars`.
    private static func families(
        _ program: URL, family: String?, covering scalars: [Unicode.Scalar]
    ) async throws(SubtitleFontError) -> [String] {
        let charset = scalars.map { String($0.value, radix: 16) }.joined(separator: " ")
        // fontconfig's pattern syntax gives `\`, `-`, `:` and `,` meanings: a family name escapes them.
        let name = (family ?? "").reduce(into: "") { out, character in
            if "\\-:,".contains(character) { out.append("\\") }
            out.append(character)
        }
        let result: SubprocessResult
        do {
            result = try await Subprocess.run(program, ["\(name):charset=\(charset)", "family"], outputLimit: 1 << 20)
        } catch {
            throw .fontconfig("fc-list could not run: \(error)", underlying: error)
        }
        guard result.status == 0 else {
            throw .fontconfig("fc-list exited with status \(result.status): \(result.stderr.suffix(400))")
        }
        return String(decoding: result.stdout, as: UTF8.self).split(whereSeparator: \.isNewline)
            .compactMap { $0.split(separator: ",").first.map(String.init) }.sorted()
    }

    /// Writing systems with a font of their own.
    private enum Script: CaseIterable {
        case latin, han, hangul, arabic, hebrew, devanagari, bengali, tamil, thai, georgian, armenian, ethiopic

        var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }

        init(_ scalar: Unicode.Scalar) {
            switch scalar.value {
            case 0x1100...0x11FF, 0x3130...0x318F, 0xAC00...0xD7AF: self = .hangul
            case 0x2E80...0x2FDF, 0x3000...0x30FF, 0x31F0...0x31FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF,
                0xFF00...0xFFEF, 0x20000...0x3FFFF:
                self = .han
            case 0x0600...0x06FF, 0x0750...0x077F, 0x08A0...0x08FF, 0xFB50...0xFDFF, 0xFE70...0xFEFF: self = .arabic
            case 0x0590...0x05FF: self = .hebrew
            case 0x0900...0x097F: self = .devanagari
            case 0x0980...0x09FF: self = .bengali
            case 0x0B80...0x0BFF: self = .tamil
            case 0x0E00...0x0E7F: self = .thai
            case 0x10A0...0x10FF: self = .georgian
            case 0x0530...0x058F: self = .armenian
            case 0x1200...0x139F: self = .ethiopic
            default: self = .latin
            }
        }

        func family(language: String) -> String {
            let tag = language.lowercased()
            switch self {
            case .latin: return SubtitleFont.defaultFamily
            case .hangul: return "Noto Sans CJK KR"
            case .han:
                // Han characters differ in shape by region: the font follows the language.
                if tag.hasPrefix("ja") { return "Noto Sans CJK JP" }
                if tag.hasPrefix("ko") { return "Noto Sans CJK KR" }
                if tag.hasPrefix("zh-hant") || tag.hasPrefix("zh-tw") || tag.hasPrefix("zh-hk") {
                    return "Noto Sans CJK TC"
                }
                return tag.hasPrefix("zh") ? "Noto Sans CJK SC" : "Noto Sans CJK JP"
            case .arabic: return "Noto Sans Arabic"
            case .hebrew: return "Noto Sans Hebrew"
            case .devanagari: return "Noto Sans Devanagari"
            case .bengali: return "Noto Sans Bengali"
            case .tamil: return "Noto Sans Tamil"
            case .thai: return "Noto Sans Thai"
            case .georgian: return "Noto Sans Georgian"
            case .armenian: return "Noto Sans Armenian"
            case .ethiopic: return "Noto Sans Ethiopic"
            }
        }
    }
}

/// Why burned subtitles cannot be drawn.
public struct SubtitleFontError: StoryForgeError, Hashable, CustomStringConvertible {
    /// The kind of failure; compare with `==`. New codes may be added, so a `switch` needs a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable { case missingGlyphs, fontconfig }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// No installed font has some of the characters.
        public static let missingGlyphs = Code(.missingGlyphs)
        /// fontconfig's `fc-list` failed.
        public static let fontconfig = Code(.fontconfig)

        /// The kind in words.
        public var description: String {
            switch base {
            case .missingGlyphs: "missing glyphs"
            case .fontconfig: "fontconfig"
            }
        }
    }

    /// The kind of failure.
    public let code: Code
    /// What went wrong and how to fix it.
    public let message: String
    /// The error underneath, when there is one (not part of equality).
    public let underlying: (any Error)?

    private init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    /// No installed font has some of the characters.
    public static func missingGlyphs(_ message: String) -> Self { Self(.missingGlyphs, message) }
    /// fontconfig's `fc-list` failed.
    public static func fontconfig(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(.fontconfig, message, underlying: underlying)
    }

    /// Errors are equal when they have the same ``code``.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }

    /// Hashes the ``code`` only, consistent with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// `missing glyphs: …`.
    public var description: String { "\(code): \(message)" }
}
