import Foundation
import MediaIO
import PropertyBased
import Testing

/// MediaIO's errors share one shape: a public code, a message, the underlying error, `==` and hashing by code.
@Suite("MediaIO error shape")
struct ErrorShapeTests {
    @Test("codes tell kinds apart; messages and underlying errors do not take part in equality")
    func equalityByCode() async {
        await propertyCheck(count: 200, input: Gen.uint64(), Gen.uint64()) { first, second in
            let underlying = POSIXError(.EIO)
            let a = ImageCodecError.io("read failed \(first)", underlying: underlying)
            let b = ImageCodecError.io("read failed \(second)")
            #expect(a == b)
            #expect(a.hashValue == b.hashValue)
            #expect(a != ImageCodecError.corrupt("read failed \(first)"))
            #expect((a.underlying as? POSIXError)?.code == .EIO)
            #expect(b.underlying == nil)
            #expect(AudioError.corrupt("\(first)") == AudioError.corrupt("\(second)"))
            #expect(AudioError.corrupt("\(first)") != AudioError.io("\(first)"))
        }
    }

    @Test("each error's description starts with its code's words and carries the message")
    func descriptions() {
        let image = ImageCodecError.truncated("PNG: the data ends before the image does")
        #expect(image.description == "truncated: PNG: the data ends before the image does")
        #expect(image.code == .truncated)
        #expect(AudioError.io("x").description == "I/O: x")
        #expect(SubtitleError.malformed("cue 3", line: 7).line == 7)
        #expect(SubtitleError.malformed("cue 3").description == "malformed: cue 3")
        let ffmpeg = FFmpegError.failed(
            "ffmpeg exited with 1", commandLine: "ffmpeg -i a", stderrTail: "boom", exitStatus: 1)
        #expect(ffmpeg.code == .failed)
        #expect(ffmpeg.description == "failed: ffmpeg exited with 1\ncommand: ffmpeg -i a\nstderr (last lines):\nboom")
        #expect(InputFileError.unreadable("no such file: a.png").description == "no such file: a.png")
    }
}
