import Foundation
import MediaIO
import StoryForgeTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Makes a FIFO at `url` (removed with its directory by the caller).
func makeFIFO(_ url: URL) throws {
    guard mkfifo(url.path, 0o644) == 0 else {
        throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
    }
}

/// Runs `body` on another thread and waits at most `seconds` for it. A body that hangs opening the
/// FIFO at `fifo` is released (by opening the FIFO's other end) so the test fails instead of hanging.
/// The limit is generous: the tests run in parallel on few cores, and a released reader fails anyway.
func finishesQuickly<T: Sendable>(
    within seconds: Double = 30, releasing fifo: URL, _ body: @escaping @Sendable () throws -> T
) -> Result<T, any Error>? {
    nonisolated(unsafe) var result: Result<T, any Error>?
    let done = DispatchSemaphore(value: 0)
    DispatchQueue.global().async {
        result = Result { try body() }
        done.signal()
    }
    if done.wait(timeout: .now() + seconds) == .timedOut {
        // A reader blocked in open() is released by a writer; then it sees end of file at once.
        let writer = open(fifo.path, O_WRONLY | O_NONBLOCK)
        if writer >= 0 { close(writer) }
        _ = done.wait(timeout: .now() + 5)
        return nil
    }
    return result
}

/// Runs an executable of this package with a time limit (killed past it); returns its status and output.
func runPackageExecutable(_ name: String, _ arguments: [String], timeout: Double = 30) throws -> (
    status: Int32, timedOut: Bool, signalled: Bool, stdout: String, stderr: String
) {
    let executable = try PackageExecutable.url(name)
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let exited = DispatchSemaphore(value: 0)
    process.terminationHandler = { _ in exited.signal() }
    try process.run()
    nonisolated(unsafe) var outData = Data()
    nonisolated(unsafe) var errData = Data()
    let readers = DispatchGroup()
    DispatchQueue.global().async(group: readers) { outData = out.fileHandleForReading.readDataToEndOfFile() }
    DispatchQueue.global().async(group: readers) { errData = err.fileHandleForReading.readDataToEndOfFile() }
    var timedOut = false
    if exited.wait(timeout: .now() + timeout) == .timedOut {
        timedOut = true
        kill(process.processIdentifier, SIGKILL)
        exited.wait()
    }
    readers.wait()
    return (
        process.terminationStatus, timedOut, process.terminationReason == .uncaughtSignal,
        String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self)
    )
}

@Suite("Input files")
struct InputFileTests {
    @Test("a FIFO is refused as not a regular file, at once, by every reader of input files")
    func fifo() throws {
        let directory = try makeTemporaryDirectory("input-file")
        defer { try? FileManager.default.removeItem(at: directory) }
        let fifo = directory.appendingPathComponent("fifo.png")
        try makeFIFO(fifo)
        let readers: [(String, @Sendable () throws -> Void)] = [
            ("InputFile.read", { _ = try InputFile.read(fifo) }),
            ("ImageDecoder.decode", { _ = try ImageDecoder().decode(contentsOf: fifo) }),
            ("ImageDecoder.rowReader", { _ = try ImageDecoder().rowReader(contentsOf: fifo) }),
            ("PixelBuffer(contentsOf:)", { _ = try PixelBuffer(contentsOf: fifo) }),
            ("WAV.read", { _ = try WAV.read(from: fifo) }),
        ]
        for (name, reader) in readers {
            guard let result = finishesQuickly(releasing: fifo, reader) else {
                Issue.record("\(name) hung on a FIFO")
                continue
            }
            switch result {
            case .success: Issue.record("\(name) read a FIFO")
            case .failure(let error):
                #expect("\(error)".contains("not a regular file: \(fifo.path)"), "\(name): \(error)")
                #expect(!"\(error)".contains("permission"), "\(name): \(error)")
            }
        }
        let error2 = #expect(throws: InputFileError.self) { _ = try InputFile.read(fifo) }
        #expect(error2?.code == .notRegularFile)
        let error3 = #expect(throws: ImageCodecError.self) { _ = try ImageDecoder().decode(contentsOf: fifo) }
        #expect(error3?.code == .io)
        let error4 = #expect(throws: AudioError.self) { _ = try WAV.read(from: fifo) }
        #expect(error4?.code == .io)
    }

    @Test("a directory and a character device are refused; a missing file says so")
    func otherKinds() throws {
        let directory = try makeTemporaryDirectory("input-file")
        defer { try? FileManager.default.removeItem(at: directory) }
        let error2 = #expect(throws: InputFileError.self) { _ = try InputFile.read(directory) }
        #expect(error2?.code == .notRegularFile)
        // /dev/zero would never end: it must be refused before the first read.
        let error3 = #expect(throws: InputFileError.self) { _ = try InputFile.read(URL(fileURLWithPath: "/dev/zero")) }
        #expect(error3?.code == .notRegularFile)
        let error4 = #expect(throws: ImageCodecError.self) {
            _ = try ImageDecoder().decode(contentsOf: URL(fileURLWithPath: "/dev/zero"))
        }
        #expect(error4?.code == .io)
        do {
            _ = try InputFile.read(URL(fileURLWithPath: "/dev/zero"))
        } catch {
            #expect(error.message == "not a regular file: /dev/zero (a character device)")
        }
        let missing = directory.appendingPathComponent("missing.png")
        do {
            _ = try InputFile.read(missing)
            Issue.record("read a missing file")
        } catch {
            #expect(error.code == .unreadable)
            #expect(error.message.contains("No such file"), "\(error)")
        }
    }

    @Test("a regular file is read whole, a symbolic link to one too, and a size limit is kept")
    func regularFiles() throws {
        let directory = try makeTemporaryDirectory("input-file")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("data.bin")
        let bytes = Data((0..<200_000).map { UInt8(truncatingIfNeeded: $0 * 7) })
        try bytes.write(to: file)
        #expect(try InputFile.read(file) == bytes)
        let link = directory.appendingPathComponent("link.bin")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: file)
        #expect(try InputFile.read(link) == bytes)
        let error = #expect(throws: InputFileError.self) { _ = try InputFile.read(file, maxByteCount: 1000) }
        #expect(error?.code == .tooLarge)
        let empty = directory.appendingPathComponent("empty.bin")
        try Data().write(to: empty)
        #expect(try InputFile.read(empty).isEmpty)
    }

    @Test("image-convert refuses a FIFO at once with one line naming it")
    func imageConvertFIFO() throws {
        let directory = try makeTemporaryDirectory("input-file")
        defer { try? FileManager.default.removeItem(at: directory) }
        let fifo = directory.appendingPathComponent("fifo.png")
        try makeFIFO(fifo)
        let out = directory.appendingPathComponent("out.png").path
        for arguments in [[fifo.path, out], [fifo.path, out, "--repeat", "2"]] {
            let run = try runPackageExecutable("image-convert", arguments, timeout: 60)
            #expect(!run.timedOut, "image-convert \(arguments) hung on a FIFO")
            #expect(!run.signalled)
            #expect(run.status == 1)
            let lines = run.stderr.split(separator: "\n")
            #expect(lines.count == 1, "\(run.stderr)")
            #expect(run.stderr.contains("not a regular file: \(fifo.path)"), "\(run.stderr)")
        }
    }
}
