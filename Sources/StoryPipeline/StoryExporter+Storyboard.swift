public import Foundation
import MediaIO
public import PipelineKit
import StoryForgeCore
import StoryModels

extension Storyboard {
    /// The storyboard files of a finished export: `storyboard.json` and the contact sheet `storyboard.html`, whose
    /// pictures are the export's `keyframes/NNN.png`.
    public static func exportFiles(_ state: StoryState, runID: RunID) throws -> [(path: String, data: Data)] {
        let board = Storyboard(state: state, runID: runID)
        return [(fileName, try board.jsonData()), (contactSheetName, Data(board.contactSheet().utf8))]
    }

    /// Whether `directory` may take this run's storyboard or export: it is missing or empty, holds an export of
    /// one of `runIDs` (its `manifest.json` says so), or holds a storyboard review of one of them (its
    /// `storyboard.json` says so; files the user put beside it, such as their own pictures, are left alone: an
    /// export replaces only files with its own names).
    public static func folder(_ directory: URL, belongsTo runIDs: Set<String>) -> Bool {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return true }
        let visible = Set(names.filter { !$0.hasPrefix(".") })
        if visible.isEmpty { return true }
        if let manifest = StoryExporter.manifest(at: directory.appendingPathComponent("manifest.json")),
            runIDs.contains(manifest.runId)
        {
            return true
        }
        guard visible.contains(fileName),
            let data = try? InputFile.read(directory.appendingPathComponent(fileName), maxByteCount: readLimit),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let run = object["run_id"] as? String
        else { return false }
        return runIDs.contains(run)
    }

    /// Writes the review of a stopped run into `directory`: `keyframes/NNN.png` (when keyframes exist),
    /// `storyboard.json` and `storyboard.html`, each file replaced atomically.
    ///
    /// - Throws: ``StoryPipelineError`` with code `file` when the folder holds someone else's files or cannot be
    ///   written.
    static func writeReview(
        _ state: StoryState, runID: RunID, stoppedAfter: StageID, artifacts: any ArtifactStore, to directory: URL
    ) async throws -> Storyboard {
        guard folder(directory, belongsTo: [runID.rawValue]) else {
            throw StoryPipelineError.file(
                "the output folder \(directory.path) is not empty and holds no storyboard or export of run \(runID): "
                    + "choose an empty or new folder")
        }
        try StoryExporter.makeDirectories(directory, purpose: "the output folder")
        let board = Storyboard(state: state, runID: runID, stoppedAfter: stoppedAfter)
        var files: [(path: String, data: Data)] = []
        for (index, ref) in (state.upscaledKeyframes ?? state.keyframes ?? []).enumerated() {
            files.append((mediaPath(forShotAt: index), try await artifacts.data(for: ref)))
        }
        files.append((contactSheetName, Data(board.contactSheet().utf8)))
        files.append((fileName, try board.jsonData()))
        for file in files {
            let url = directory.appendingPathComponent(file.path)
            do {
                try StoryExporter.makeDirectories(url.deletingLastPathComponent(), purpose: "the folder")
                try file.data.write(to: url, options: .atomic)
            } catch {
                throw StoryPipelineError.file(
                    "cannot write \(file.path) into \(directory.path): \(FileNames.reason(error))", underlying: error)
            }
        }
        return board
    }

    /// The contact sheet: one card per shot with its picture (a relative link), timing, narration, prompt and
    /// source, in a self-contained HTML page.
    public func contactSheet() -> String {
        func escaped(_ text: String) -> String {
            var result = ""
            for character in text {
                switch character {
                case "&": result += "&amp;"
                case "<": result += "&lt;"
                case ">": result += "&gt;"
                case "\"": result += "&quot;"
                case "'": result += "&#39;"
                default: result.append(character)
                }
            }
            return result
        }
        var lines = [
            "<!doctype html>", "<html lang=\"en\"><head><meta charset=\"utf-8\">",
            "<title>\(escaped(title)) — storyboard</title>",
            "<style>body{font:14px system-ui,sans-serif;margin:24px;background:#111;color:#eee}"
                + ".grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:16px}"
                + ".shot{background:#1c1c1c;border-radius:8px;padding:8px}.shot img{width:100%;border-radius:4px}"
                + ".meta{color:#999;font-size:12px}.prompt{color:#bcd}</style>",
            "</head><body>", "<h1>\(escaped(title))</h1>",
            // No run id here: the contact sheet of the same story is the same file whatever run made it.
            "<p class=\"meta\">\(shots.count) shots"
                + (stoppedAfter.map { " · stopped after \(escaped($0)) for review" } ?? "") + "</p>",
            "<div class=\"grid\">",
        ]
        for shot in shots {
            lines.append("<div class=\"shot\" id=\"shot-\(shot.id)\">")
            if let media = shot.media {
                lines.append("<img src=\"\(escaped(media))\" alt=\"shot \(shot.id)\">")
            }
            let score = shot.matchScore.map { String(format: " · match %.2f", $0) } ?? ""
            lines.append(
                "<div class=\"meta\">#\(shot.id) · \(String(format: "%.2f–%.2f s", shot.start, shot.end)) · "
                    + "\(escaped(shot.kind.rawValue)) · \(escaped(shot.source))\(score)</div>")
            lines.append("<p>\(escaped(shot.narration))</p>")
            lines.append("<p class=\"prompt\">\(escaped(shot.visualPrompt))</p>")
            lines.append("</div>")
        }
        lines += ["</div>", "</body></html>", ""]
        return lines.joined(separator: "\n")
    }
}
