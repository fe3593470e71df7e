/// An ffmpeg release number, read from `ffmpeg -version`.
public struct FFmpegVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Major version (5 in 5.1.4).
    public var major: Int
    /// Minor version (1 in 5.1.4).
    public var minor: Int

    /// Creates a version.
    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// Parses the first line of `ffmpeg -version` ("ffmpeg version 5.1.4-0+deb12u1 ...", "n6.1").
    /// Development builds ("N-112233-g...") have no release number and return nil.
    public init?(versionOutput: String) {
        let words = versionOutput.split(whereSeparator: \.isWhitespace)
        guard let index = words.firstIndex(of: "version"), index + 1 < words.count else { return nil }
        var token = Substring(words[index + 1])
        if token.first == "n" { token = token.dropFirst() }
        let numbers = token.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        guard numbers.count >= 1, token.first?.isNumber == true else { return nil }
        self.init(major: numbers[0], minor: numbers.count > 1 ? numbers[1] : 0)
    }

    /// Orders by major, then minor.
    public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.major, lhs.minor) < (rhs.major, rhs.minor) }

    /// `major.minor`.
    public var description: String { "\(major).\(minor)" }
}
