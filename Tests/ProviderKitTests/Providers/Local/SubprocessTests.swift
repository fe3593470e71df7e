import Foundation
import Testing

@testable import ProviderKit

/// The espeak-ng synthesiser on StoryForgeCore's runner, with a `/bin/sh` script as the child (the runner
/// itself is tested in StoryForgeCoreTests).
@Suite("Subprocess runner under espeak-ng")
struct SubprocessTests {
    @Test("the espeak runner's error message carries only the bounded tail")
    func espeakErrorTail() async throws {
        let directory = FileManager.default.temporaryDirectory.appending(path: "storyforge-fake-espeak-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let program = directory.appending(path: "espeak-ng")
        try """
        #!/bin/sh
        head -c 1048576 /dev/zero | tr '\\000' e >&2
        echo ' voice not found' >&2
        exit 1
        """.write(to: program, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: program.path)
        let synthesizer = EspeakSpeechSynthesizer(configuration: .init(executable: program.path))
        let error = await #expect(throws: ProviderError.self) {
            try await synthesizer.synthesize(SpeechRequest(text: "Hello there."))
        }
        #expect(error?.code == .server)
        #expect(error?.message.hasSuffix("voice not found\n") == true)
        #expect((error?.message.utf8.count ?? .max) < EspeakSpeechSynthesizer.errorTailLimit + 200)
    }
}
