public import Foundation
public import ProviderKit
import StoryForgeCore

/// A folder of the user's own images and clips, each tagged from its file name, a sidecar and the keywords
/// embedded in it, matched to shots by keyword overlap.
///
/// Tags of `harbour/old-lighthouse_storm.jpg` come from:
/// - its name: `old`, `lighthouse`, `storm` (and the folder, `harbour`);
/// - a `tags.json` in its folder: `{"old-lighthouse_storm.jpg": ["coast", "night"]}` (a list, or one string of
///   words);
/// - a sidecar text file beside it, `old-lighthouse_storm.txt`: words, commas or lines;
/// - XMP `dc:subject` and IPTC keywords inside the file (``EmbeddedKeywords``).
///
/// Matching is deterministic (the same folder and shots give the same picks): each shot gets, among the files whose
/// tags overlap its keywords, one used the fewest times so far, then the largest overlap, then the best score, then
/// the first name, so every file is used once before any repeats.
public struct MediaLibrary: Sendable, Hashable {
    /// One file of the library.
    public struct Item: Sendable, Hashable {
        /// Its path relative to the library folder, `/`-separated.
        public var name: String
        /// The file.
        public var url: URL
        /// A still or a clip, from its extension.
        public var kind: ShotMedia.Kind
        /// Its keywords (``MediaKeywords``), from every tag source.
        public var tags: [String]
        /// Its size in bytes.
        public var bytes: Int
    }

    /// A shot's pick.
    public struct Match: Sendable, Hashable {
        /// The file.
        public var item: Item
        /// How many of the shot's keywords its tags hold.
        public var overlap: Int
        /// `overlap` over the smaller of the shot's keyword count and the item's tag count, 0...1.
        public var score: Double
    }

    /// The library folder.
    public let folder: URL
    /// Its files, sorted by name.
    public let items: [Item]

    /// 10 000 files: a library is scanned at every studio start.
    public static let maxItems = 10_000
    /// Folders below the library folder that are scanned.
    public static let maxDepth = 4
    /// 1 MiB: the largest `tags.json` or sidecar text read.
    public static let maxSidecarBytes = 1 << 20
    /// The extensions read as stills.
    public static let stillExtensions: Set<String> = ["png", "jpg", "jpeg"]
    /// The extensions read as clips (ffprobe checks each before use).
    public static let clipExtensions: Set<String> = ["mp4", "mov", "m4v", "webm", "mkv"]

    /// Scans `folder`.
    ///
    /// - Throws: ``StoryPipelineError`` with code `invalidConfiguration` when the folder does not exist, holds more
    ///   than ``maxItems`` media files, or a `tags.json` is not an object of file names to tags; `file` when a file
    ///   cannot be read.
    public init(folder: URL) throws(StoryPipelineError) {
        self.folder = folder.standardizedFileURL
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: self.folder.path, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            throw .invalidConfiguration("media.library: \(folder.path) is not a folder")
        }
        var found: [Item] = []
        try Self.scan(self.folder, relative: [], depth: 0, into: &found)
        items = found.sorted { $0.name < $1.name }
    }

    private static func scan(_ directory: URL, relative: [String], depth: Int, into items: inout [Item])
        throws(StoryPipelineError)
    {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        } catch {
            throw .file("cannot list \(directory.path): \(FileNames.reason(error))", underlying: error)
        }
        let sidecarTags = try tagsFile(in: directory)
        for name in names where !name.hasPrefix(".") {
            let url = directory.appendingPathComponent(name)
            let values = try? url.resourceValues(forKeys: [.isDirectoryKey, .isRegularFileKey, .fileSizeKey])
            if values?.isDirectory == true {
                if depth < maxDepth { try scan(url, relative: relative + [name], depth: depth + 1, into: &items) }
                continue
            }
            guard values?.isRegularFile == true else { continue }
            let ext = url.pathExtension.lowercased()
            let kind: ShotMedia.Kind
            if stillExtensions.contains(ext) {
                kind = .still
            } else if clipExtensions.contains(ext) {
                kind = .clip
            } else {
                continue
            }
            guard items.count < maxItems else {
                throw .invalidConfiguration(
                    "media.library: more than \(maxItems) media files under the library folder; point it at a "
                        + "smaller folder")
            }
            let stem = url.deletingPathExtension().lastPathComponent
            var texts = [stem] + relative
            texts += sidecarTags[name] ?? []
            let sidecar = directory.appendingPathComponent(stem + ".txt")
            if FileManager.default.fileExists(atPath: sidecar.path) {
                texts.append(String(decoding: try read(sidecar), as: UTF8.self))
            }
            if kind == .still { texts += try EmbeddedKeywords.keywords(inFileAt: url) }
            items.append(
                Item(
                    name: (relative + [name]).joined(separator: "/"), url: url, kind: kind,
                    tags: MediaKeywords.keywords(in: texts), bytes: values?.fileSize ?? 0))
        }
    }

    /// A folder's `tags.json`: file name → tags.
    private static func tagsFile(in directory: URL) throws(StoryPipelineError) -> [String: [String]] {
        let url = directory.appendingPathComponent("tags.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return [:] }
        let data = try read(url)
        let problem = "\(url.path) must be a JSON object of file names to a list of tags or a string of words"
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw .invalidConfiguration("media.library: \(problem)")
        }
        var result: [String: [String]] = [:]
        for (name, value) in object {
            if let text = value as? String {
                result[name] = [text]
            } else if let list = value as? [Any], let texts = list as? [String] {
                result[name] = texts
            } else {
                throw .invalidConfiguration("media.library: \(problem); \"\(name.prefix(80))\" is neither")
            }
        }
        return result
    }

    private static func read(_ url: URL) throws(StoryPipelineError) -> Data {
        do {
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            let data = try handle.read(upToCount: maxSidecarBytes + 1) ?? Data()
            guard data.count <= maxSidecarBytes else {
                throw StoryPipelineError.invalidConfiguration(
                    "media.library: \(url.path) is larger than \(maxSidecarBytes) bytes; a tag file is a few lines")
            }
            return data
        } catch let error as StoryPipelineError {
            throw error
        } catch {
            throw .file("cannot read \(url.path): \(FileNames.reason(error))", underlying: error)
        }
    }

    /// Each shot's pick, by shot id; shots without an overlapping file are absent.
    public func assignment(for shots: [ShotMediaRequest.ShotQuery]) -> [Int: Match] {
        var uses = [Int](repeating: 0, count: items.count)
        var result: [Int: Match] = [:]
        let tagSets = items.map { Set($0.tags) }
        for shot in shots {
            let wanted = Set(shot.keywords)
            guard !wanted.isEmpty else { continue }
            var best: (index: Int, overlap: Int, score: Double)?
            for (index, tags) in tagSets.enumerated() {
                let overlap = tags.intersection(wanted).count
                guard overlap > 0 else { continue }
                let score = Double(overlap) / Double(min(wanted.count, tags.count))
                if let current = best {
                    let better =
                        uses[index] != uses[current.index]
                        ? uses[index] < uses[current.index]
                        : overlap != current.overlap ? overlap > current.overlap : score > current.score
                    // Equal on all three: the earlier name (items are sorted) stays.
                    if !better { continue }
                }
                best = (index, overlap, score)
            }
            guard let best else { continue }
            uses[best.index] += 1
            result[shot.shotID] = Match(item: items[best.index], overlap: best.overlap, score: best.score)
        }
        return result
    }

    /// A digest of every file's name, size and tags: a changed library changes the paint stage's cache key.
    public var contentDigest: String {
        HexDigest.sha256(
            items.map { "\($0.name)\t\($0.bytes)\t\($0.tags.joined(separator: ","))" }.joined(separator: "\n"))
    }
}

/// The media library as a shot source: a shot gets its library pick (``MediaLibrary/assignment(for:)``), or falls
/// through to the next source when no file overlaps its keywords.
public struct MediaLibrarySource: ShotMediaSource {
    /// The library.
    public let library: MediaLibrary
    /// 256 MiB: the largest library file used (a longer clip is cut by the user, not loaded here).
    public static let maxFileBytes = 256 << 20

    /// Creates the source over a scanned library.
    public init(library: MediaLibrary) {
        self.library = library
    }

    /// `library`.
    public var name: String { "library" }
    /// Named after the folder, with a digest of its files and tags.
    public var identity: ProviderIdentity {
        ProviderIdentity(
            name: "library", models: [:],
            configuration: ["folder": library.folder.path, "content": library.contentDigest])
    }
    /// Free.
    public var estimatedCostUsd: Double { 0 }

    /// The shot's pick, read (a still) or copied into `directory` (a clip).
    public func media(for request: ShotMediaRequest, in directory: URL) async throws -> ShotMediaCandidate? {
        let shots =
            request.storyShots.isEmpty
            ? [ShotMediaRequest.ShotQuery(shotID: request.shotID, keywords: request.keywords)] : request.storyShots
        guard let match = library.assignment(for: shots)[request.shotID] else { return nil }
        guard match.item.bytes <= Self.maxFileBytes else {
            throw StoryPipelineError.media(
                "library file \(match.item.name) is larger than \(Self.maxFileBytes >> 20) MiB; shorten or shrink it")
        }
        let content: ShotMediaCandidate.Content
        do {
            switch match.item.kind {
            case .still:
                content = .still(try Data(contentsOf: match.item.url))
            case .clip:
                let copy = directory.appendingPathComponent("library-\(request.shotID).\(match.item.url.pathExtension)")
                try? FileManager.default.removeItem(at: copy)
                try FileManager.default.copyItem(at: match.item.url, to: copy)
                content = .clip(copy)
            }
        } catch {
            throw StoryPipelineError.file(
                "cannot read library file \(match.item.name): \(FileNames.reason(error))", underlying: error)
        }
        return ShotMediaCandidate(content: content, matchScore: match.score, sourceItem: match.item.name)
    }
}
