/// A PNG text chunk (tEXt, zTXt or iTXt).
public struct ImageTextChunk: Hashable, Sendable, Codable {
    /// The keyword, 1 to 79 Latin-1 characters (e.g. `Title`, `Software`).
    public var keyword: String
    /// The text.
    public var text: String
    /// Whether the text is stored compressed (zTXt, or compressed iTXt).
    public var compressed: Bool
    /// Whether the chunk is international (iTXt, UTF-8) rather than Latin-1 (tEXt/zTXt).
    public var international: Bool

    /// Creates a text chunk; `international` defaults to whether `text` needs more than Latin-1.
    public init(keyword: String, text: String, compressed: Bool = false, international: Bool? = nil) {
        self.keyword = keyword
        self.text = text
        self.compressed = compressed
        self.international = international ?? text.unicodeScalars.contains { $0.value > 0xFF }
    }
}
