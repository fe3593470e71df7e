import Foundation
import StoryModels

extension AssembleVideo {
    /// The audio files a music folder may hold.
    static let musicExtensions: Set<String> = ["mp3", "wav", "m4a", "aac", "ogg", "opus", "flac"]

    /// The music file for `path`: the file itself, or, for a folder of the user's tracks, the one whose file name has
    /// the most of the story's mood words as tags (`calm-piano.mp3`, `tense_strings.wav`: words split at anything
    /// but letters and digits). With no tag matching, or a tie, the choice among them is by the seed, so the same
    /// story gets the same track.
    ///
    /// - Parameters:
    ///   - moods: the story's mood words (the idea's tone, the shots' moods), in any case.
    /// - Throws: ``StoryPipelineError`` with code `invalidConfiguration` for a folder without audio files.
    static func musicTrack(at path: String, moods: [String], seed: Int) throws -> URL {
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            return url
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw StoryPipelineError.invalidConfiguration(
                "stages.assemble.parameters.music: cannot list the folder \(path): \(error.localizedDescription)",
                underlying: error)
        }
        let tracks = names.filter {
            !$0.hasPrefix(".") && musicExtensions.contains(($0 as NSString).pathExtension.lowercased())
        }.sorted()
        guard !tracks.isEmpty else {
            throw StoryPipelineError.invalidConfiguration(
                "stages.assemble.parameters.music: the folder \(path) has no audio files ("
                    + musicExtensions.sorted().joined(separator: ", ") + ")")
        }
        func words(_ text: String) -> Set<String> {
            Set(text.lowercased().split { !$0.isLetter && !$0.isNumber }.map(String.init))
        }
        let wanted = moods.reduce(into: Set<String>()) { $0.formUnion(words($1)) }
        let scores = tracks.map { words(($0 as NSString).deletingPathExtension).intersection(wanted).count }
        let best = scores.max() ?? 0
        let candidates = zip(tracks, scores).filter { $0.1 == best }.map(\.0)
        // `seed` is any Int: the magnitude is taken without trapping on Int.min.
        let index = Int(seed.magnitude % UInt(candidates.count))
        return url.appendingPathComponent(candidates[index])
    }
}
