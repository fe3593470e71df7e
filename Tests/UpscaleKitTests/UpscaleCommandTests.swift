import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The `upscale` example as a real process, given hostile sizes and files: one line on stderr and
/// exit status 1, never a signal, an abort or a hang.
@Suite("upscale command")
struct UpscaleCommandTests {
    struct Run {
        var status: Int32
        var timedOut: Bool
        var signalled: Bool
        var stdout: String
        var stderr: String
    }

    /// Runs `upscale` (built beside the tests) and kills it past `timeout` seconds.
    static func upscale(_ arguments: [String], timeout: Double = 60) throws -> Run {
        let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            packageRoot.appendingPathComponent(".build/debug"),
            Bundle.main.bundleURL,
            Bundle.main.bundleURL.deletingLastPathComponent(),
        ]
        guard
            let executable = candidates.map({ $0.appendingPathComponent("upscale") })
                .first(where: { FileManager.default.isExecutableFile(atPath: $0.path) })
        else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "upscale (searched \(candidates))"])
        }
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
        return Run(
            status: process.terminationStatus, timedOut: timedOut,
            signalled: process.terminationReason == .uncaughtSignal,
            stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    static let input = UpscaleExpectations.directory.appendingPathComponent("astronaut-face-x8.png").path

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("upscale-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Expects a clean failure: status 1, no signal, one stderr line containing `text`.
    func expectOneLineError(_ run: Run, containing text: String, _ what: String) {
        #expect(!run.timedOut, "\(what): hung")
        #expect(!run.signalled, "\(what): killed by a signal")
        #expect(run.status == 1, "\(what): status \(run.status), stderr \(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 1, "\(what): \(run.stderr)")
        #expect(run.stderr.contains(text), "\(what): \(run.stderr)")
    }

    @Test("sizes at the overflow boundaries end in one line and status 1 (they used to SIGSEGV or abort)")
    func hostileSizes() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("out.png").path
        let cases: [[String]] = [
            ["--width", "9223372036854775807", "--height", "1"],
            ["--width", "1000000000", "--height", "2"],
            ["--scale", "100000"],
            ["--scale", "9223372036854775807"],
            ["--width", "2147483648", "--height", "2147483648"],
            ["--width", "4294967296", "--height", "1"],
            ["--width", "1", "--height", "4294967296"],
            ["--width", "3037000500", "--height", "3037000500"],
            ["--width", "200000000", "--height", "1"],
        ]
        for arguments in cases {
            for method in ["lanczos3", "learned"] {
                let run = try Self.upscale([Self.input, output, "--method", method] + arguments)
                expectOneLineError(run, containing: "error: too large: ", "\(method) \(arguments)")
            }
            // In memory (--metrics) too, not only file to file.
            let run = try Self.upscale([Self.input, "-", "--metrics"] + arguments)
            expectOneLineError(run, containing: "error: too large: ", "in memory \(arguments)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test("an output too wide for PNG or JPEG names the codec's real limit")
    func codecLimits() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let png = try Self.upscale([
            Self.input, directory.appendingPathComponent("wide.png").path, "--width", "1000001", "--height", "1",
        ])
        expectOneLineError(png, containing: "libpng's limit of 1000000 pixels per side", "PNG")
        #expect(!png.stderr.contains("Invalid IHDR"))
        let jpeg = try Self.upscale([
            Self.input, directory.appendingPathComponent("wide.jpg").path, "--width", "65501", "--height", "1",
        ])
        expectOneLineError(jpeg, containing: "65500 pixels per side", "JPEG")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test("a FIFO named fifo.png is refused at once, not waited on")
    func fifo() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let fifo = directory.appendingPathComponent("fifo.png")
        #expect(mkfifo(fifo.path, 0o644) == 0)
        let output = directory.appendingPathComponent("out.png").path
        for extra in [[], ["--metrics"], ["--method", "learned"]] {
            let run = try Self.upscale([fifo.path, output, "--scale", "2"] + extra)
            expectOneLineError(run, containing: "not a regular file: \(fifo.path)", "\(extra)")
            #expect(!run.stderr.contains("permission"))
        }
    }

    @Test("zero and negative sizes are usage errors")
    func nonPositive() throws {
        for arguments in [["--scale", "0"], ["--width", "0", "--height", "5"], ["--width", "-1", "--height", "5"]] {
            let run = try Self.upscale([Self.input, "-"] + arguments)
            #expect(!run.signalled && run.status != 0, "\(arguments)")
        }
    }
}
