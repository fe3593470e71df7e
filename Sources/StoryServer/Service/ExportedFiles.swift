import Foundation
import QueueKit
import StoryForgeCore
import StoryQueue

/// The files of a finished story, from its job's result and its export's `manifest.json`: the only files a client
/// may download, each with its size, hash and content type.
struct ExportedFiles: Sendable {
    /// One file.
    struct Entry: Sendable {
        var name: String
        var url: URL
        var size: Int64
        var sha256: String
        var contentType: String
    }

    var title: String?
    var entries: [Entry]
    var costUSD: Double?

    /// The files as the status lists them.
    func statusFiles(storyID: String) -> [StoryStatus.File] {
        entries.map {
            StoryStatus.File(
                name: $0.name, size: $0.size, sha256: $0.sha256, contentType: $0.contentType,
                url: "/v1/stories/\(storyID)/files/\($0.name)")
        }
    }

    /// The most `manifest.json` may hold: 4 MiB (a manifest lists a few dozen files; anything larger is not one).
    static let maximumManifestBytes = 4 << 20

    /// Reads the files of a succeeded job exported under `store`; `nil` when the job has no readable result.
    static func read(_ record: JobRecord, store: URL) throws -> ExportedFiles? {
        guard let data = record.result, let result = try? JSONDecoder().decode(StoryJobResult.self, from: data) else {
            return nil
        }
        // The server's own path to the export: the result's directory is the worker's, which on another machine
        // may mount the shared store elsewhere.
        let directory = StoryJobRunner.exportDirectory(store: store, job: record.id)
        let manifestURL = directory.appendingPathComponent("manifest.json")
        guard let manifestData = try? readSmallFile(manifestURL, limit: maximumManifestBytes) else { return nil }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        guard let manifest = try? decoder.decode(Manifest.self, from: manifestData) else { return nil }
        var entries: [Entry] = []
        for name in result.files {
            guard isListableName(name) else { continue }
            let url = directory.appendingPathComponent(name)
            if name == "manifest.json" {
                guard let size = Int64(exactly: manifestData.count) else { continue }
                entries.append(
                    Entry(
                        name: name, url: url, size: size, sha256: HexDigest.sha256(manifestData),
                        contentType: contentType(of: name)))
                continue
            }
            guard let file = manifest.files.first(where: { $0.path == name }), isSHA256(file.sha256),
                let size = Int64(exactly: file.bytes), size >= 0
            else { continue }
            entries.append(
                Entry(name: name, url: url, size: size, sha256: file.sha256, contentType: contentType(of: name)))
        }
        let costs = (manifest.stages ?? []).compactMap(\.costUsd).filter { $0.isFinite && $0 >= 0 }
        return ExportedFiles(
            title: manifest.title ?? result.title, entries: entries, costUSD: costs.isEmpty ? nil : costs.reduce(0, +))
    }

    /// A name the manifest may list: relative, without `..`, NUL, backslash or control characters. (Names are only
    /// ever compared with a request's, never joined from one; this keeps a tampered result from naming files
    /// outside the export.)
    static func isListableName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 255, !name.hasPrefix("/"), !name.contains("\\") else { return false }
        guard !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else { return false }
        return !name.split(separator: "/", omittingEmptySubsequences: false).contains {
            $0.isEmpty || $0 == "." || $0 == ".."
        }
    }

    static func isSHA256(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// The MIME type of an exported file, by its extension.
    static func contentType(of name: String) -> String {
        switch (name as NSString).pathExtension.lowercased() {
        case "mp4": "video/mp4"
        case "webm": "video/webm"
        case "wav": "audio/wav"
        case "mp3": "audio/mpeg"
        case "m4a": "audio/mp4"
        case "srt": "application/x-subrip"
        case "vtt": "text/vtt; charset=utf-8"
        case "ass": "text/x-ssa; charset=utf-8"
        case "png": "image/png"
        case "jpg", "jpeg": "image/jpeg"
        case "json": "application/json"
        case "txt": "text/plain; charset=utf-8"
        case "md": "text/markdown; charset=utf-8"
        default: "application/octet-stream"
        }
    }

    private static func readSmallFile(_ url: URL, limit: Int) throws -> Data {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        let data = try handle.read(upToCount: limit + 1) ?? Data()
        guard data.count <= limit else { throw CocoaError(.fileReadTooLarge) }
        return data
    }

    private struct Manifest: Decodable {
        struct File: Decodable {
            var path: String
            var bytes: Int
            var sha256: String
        }

        struct Stage: Decodable {
            var costUsd: Double?
        }

        var title: String?
        var files: [File]
        var stages: [Stage]?
    }
}

/// The files of finished stories, read once each: a succeeded job never changes, and status requests come often.
///
/// `@unchecked Sendable`: `entries` is only touched under `lock`.
final class FileCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [JobID: ExportedFiles] = [:]
    /// Stories kept: a few hundred bytes each; more are read again.
    private let capacity = 1024

    /// The files of a succeeded job, or `nil` when its export cannot be read.
    func files(of record: JobRecord, store: URL) throws -> ExportedFiles? {
        if let cached = lock.withLock({ entries[record.id] }) { return cached }
        guard let files = try ExportedFiles.read(record, store: store) else { return nil }
        lock.withLock {
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[record.id] = files
        }
        return files
    }
}
