import Foundation
import MediaIO
import StoryForgeCore

enum TimedWordFixture {
    static func word(_ text: String, _ start: Double, _ end: Double) -> TimedWord {
        TimedWord(text, start: start, end: end)
    }
}

func temporaryDirectory(_ name: String = "story") throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
        "storyforge-\(name)-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
