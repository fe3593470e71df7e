/// An encoded image format, recognised from the data's first bytes rather than a file name.
public enum ImageFormat: String, Sendable, Hashable, CaseIterable, Codable, CustomStringConvertible {
    /// Portable Network Graphics.
    case png
    /// JPEG (JFIF, EXIF or Adobe).
    case jpeg

    /// The format whose signature starts `bytes`, or `nil`.
    ///
    /// PNG: the 8-byte signature `89 50 4E 47 0D 0A 1A 0A`; JPEG: an SOI marker followed by another
    /// marker (`FF D8 FF`).
    public static func sniff<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> ImageFormat? {
        let head = Array(bytes.prefix(8))
        if head == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] { return .png }
        if head.count >= 3, head[0] == 0xFF, head[1] == 0xD8, head[2] == 0xFF { return .jpeg }
        return nil
    }

    /// The format that a file name's extension asks for (`.png`, `.jpg`, `.jpeg`), or `nil`.
    ///
    /// Used only to choose an *output* format; inputs are always sniffed.
    public init?(pathExtension: String) {
        switch pathExtension.lowercased() {
        case "png": self = .png
        case "jpg", "jpeg", "jpe", "jfif": self = .jpeg
        default: return nil
        }
    }

    /// `PNG` or `JPEG`.
    public var description: String { rawValue.uppercased() }
}
