public import Foundation

/// Keywords embedded in an image file: XMP `dc:subject` (any file type that carries an XMP packet) and IPTC-IIM
/// keywords (dataset 2:25) in a JPEG's Photoshop APP13 segment. Parsed defensively: only the first
/// ``maxScannedBytes`` of a file are read, every length is checked against what is left, and at most
/// ``maxKeywords`` keywords of at most ``maxKeywordLength`` characters come back.
public enum EmbeddedKeywords {
    /// 1 MiB: XMP and APP13 sit in the first segments of a file; a packet further in is not looked for.
    public static let maxScannedBytes = 1 << 20
    /// The most keywords taken from one file.
    public static let maxKeywords = 64
    /// The longest keyword kept, in characters (IPTC allows 64 bytes for 2:25).
    public static let maxKeywordLength = 64

    /// The keywords in the first ``maxScannedBytes`` of `url`, XMP's first, then IPTC's; empty when it has none.
    ///
    /// - Throws: ``StoryPipelineError`` with code `file` when the file cannot be read.
    public static func keywords(inFileAt url: URL) throws(StoryPipelineError) -> [String] {
        let data: Data
        do {
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            data = try handle.read(upToCount: maxScannedBytes) ?? Data()
        } catch {
            throw .file("cannot read \(url.lastPathComponent): \(FileNames.reason(error))", underlying: error)
        }
        return keywords(in: data)
    }

    /// The keywords in `data` (XMP's, then IPTC's), de-duplicated.
    public static func keywords(in data: Data) -> [String] {
        var seen: Set<String> = []
        var result: [String] = []
        for keyword in xmpSubjects(in: data) + iptcKeywords(in: data) {
            let trimmed = String(keyword.trimmingCharacters(in: .whitespacesAndNewlines).prefix(maxKeywordLength))
            guard !trimmed.isEmpty, result.count < maxKeywords, seen.insert(trimmed.lowercased()).inserted else {
                continue
            }
            result.append(trimmed)
        }
        return result
    }

    /// The `rdf:li` items inside `dc:subject` of the first XMP packet.
    static func xmpSubjects(in data: Data) -> [String] {
        let bytes = [UInt8](data.prefix(maxScannedBytes))
        guard let start = find(Array("<dc:subject".utf8), in: bytes, from: 0),
            let end = find(Array("</dc:subject>".utf8), in: bytes, from: start)
        else { return [] }
        let block = String(decoding: bytes[start..<end], as: UTF8.self)
        var items: [String] = []
        var rest = Substring(block)
        while items.count < maxKeywords, let open = rest.range(of: "<rdf:li") {
            guard let close = rest[open.upperBound...].range(of: ">"),
                let finish = rest[close.upperBound...].range(of: "</rdf:li>")
            else { break }
            items.append(unescapeXML(String(rest[close.upperBound..<finish.lowerBound])))
            rest = rest[finish.upperBound...]
        }
        return items
    }

    /// IPTC-IIM keywords (record 2, dataset 25) from the Photoshop image resource 0x0404 of a JPEG's APP13 segment.
    static func iptcKeywords(in data: Data) -> [String] {
        let bytes = [UInt8](data.prefix(maxScannedBytes))
        guard bytes.count > 4, bytes[0] == 0xFF, bytes[1] == 0xD8 else { return [] }
        var offset = 2
        // JPEG markers: FF xx, then a big-endian length that counts itself; stop at the image data (SOS, FFDA).
        while offset + 4 <= bytes.count, bytes[offset] == 0xFF {
            let marker = bytes[offset + 1]
            let length = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            guard marker != 0xDA, length >= 2, offset + 2 + length <= bytes.count else { return [] }
            let segment = bytes[(offset + 4)..<(offset + 2 + length)]
            if marker == 0xED, let iim = photoshopIPTC(Array(segment)) { return iimKeywords(iim) }
            offset += 2 + length
        }
        return []
    }

    /// The IPTC block (resource 0x0404) of an APP13 segment's `Photoshop 3.0` resources.
    private static func photoshopIPTC(_ segment: [UInt8]) -> [UInt8]? {
        let header = Array("Photoshop 3.0\0".utf8)
        guard segment.starts(with: header) else { return nil }
        var offset = header.count
        while offset + 12 <= segment.count, segment[offset..<(offset + 4)].elementsEqual("8BIM".utf8) {
            let id = Int(segment[offset + 4]) << 8 | Int(segment[offset + 5])
            // A Pascal-string name, padded to an even length (its length byte included).
            let nameLength = Int(segment[offset + 6])
            var cursor = offset + 6 + nameLength + 1
            if (nameLength + 1) % 2 != 0 { cursor += 1 }
            guard cursor + 4 <= segment.count else { return nil }
            let size =
                Int(segment[cursor]) << 24 | Int(segment[cursor + 1]) << 16 | Int(segment[cursor + 2]) << 8
                | Int(segment[cursor + 3])
            cursor += 4
            guard size >= 0, size <= segment.count - cursor else { return nil }
            if id == 0x0404 { return Array(segment[cursor..<(cursor + size)]) }
            offset = cursor + size + (size % 2)
        }
        return nil
    }

    /// The 2:25 datasets of an IPTC-IIM block.
    private static func iimKeywords(_ block: [UInt8]) -> [String] {
        var result: [String] = []
        var offset = 0
        while offset + 5 <= block.count, block[offset] == 0x1C, result.count < maxKeywords {
            let record = block[offset + 1]
            let dataset = block[offset + 2]
            let length = Int(block[offset + 3]) << 8 | Int(block[offset + 4])
            // Extended (>32767-byte) datasets set the top bit; no keyword is that long.
            guard length & 0x8000 == 0, offset + 5 + length <= block.count else { break }
            if record == 2, dataset == 25 {
                result.append(String(decoding: block[(offset + 5)..<(offset + 5 + length)], as: UTF8.self))
            }
            offset += 5 + length
        }
        return result
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, start <= haystack.count - needle.count else {
            return nil
        }
        var index = start
        while index <= haystack.count - needle.count {
            if haystack[index] == needle[0], haystack[index..<(index + needle.count)].elementsEqual(needle) {
                return index
            }
            index += 1
        }
        return nil
    }

    private static func unescapeXML(_ text: String) -> String {
        text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}
