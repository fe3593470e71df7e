import Crypto
public import Foundation

/// Lowercase hexadecimal text and SHA-256 digests as hex: for content addresses, cache keys and file names.
public enum HexDigest {
    private static let digits = Array("0123456789abcdef".utf8)

    /// `bytes` as lowercase hexadecimal, two digits a byte.
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The SHA-256 of `data`, as 64 lowercase hex digits.
    public static func sha256(_ data: some DataProtocol) -> String { hex(SHA256.hash(data: data)) }

    /// The SHA-256 of `text`'s UTF-8 bytes, as 64 lowercase hex digits.
    public static func sha256(_ text: String) -> String { sha256(Data(text.utf8)) }
}
