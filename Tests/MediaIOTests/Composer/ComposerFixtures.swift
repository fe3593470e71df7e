import Foundation
import MediaIO
import Testing

/// Generated inputs for composer and QC tests: test-pattern images of several aspects, an
/// espeak-ng voice and a music tone. Made fresh in a temporary folder by real ffmpeg and espeak-ng.
struct ComposerFixtures {
    let directory: URL
    let landscape: URL
    let portrait: URL
    let square: URL
    let voice: URL
    let music: URL

    init() throws {
        directory = try makeTemporaryDirectory("composer")
        landscape = directory.appendingPathComponent("landscape 4:3, 'a'.png")
        portrait = directory.appendingPathComponent("portrait [b] 100%.jpg")
        square = directory.appendingPathComponent("square.png")
        voice = directory.appendingPathComponent("voice.wav")
        music = directory.appendingPathComponent("music.wav")
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=400x300", "-frames:v", "1", landscape.path])
        try ffmpeg(["-f", "lavfi", "-i", "smptebars=size=240x480", "-frames:v", "1", portrait.path])
        try ffmpeg(["-f", "lavfi", "-i", "mandelbrot=size=256x256", "-frames:v", "1", square.path])
        let speech = try runTool("espeak-ng", ["-w", voice.path, "The quick brown fox jumps over the lazy dog."])
        guard speech.status == 0 else { throw AudioError.io("espeak-ng failed: \(speech.stderr)") }
        try ffmpeg([
            "-f", "lavfi", "-i", "sine=frequency=220:sample_rate=44100:duration=1.3", "-af", "volume=-6dB", "-ac", "2",
            music.path,
        ])
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    /// Small, fast settings: 180×320 at 30 fps, superfast x264 (ultrafast drops CABAC and 8×8 transforms, so its output is Constrained Baseline, not High).
    static let settings = RenderSettings(width: 180, height: 320, frameRate: 30, preset: "superfast", crf: 28)
}
