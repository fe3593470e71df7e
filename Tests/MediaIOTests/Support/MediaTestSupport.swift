import Foundation
import Testing

/// What a finished tool run printed.
struct ToolOutput {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs a tool from PATH with an argument array and waits for it.
func runTool(_ name: String, _ arguments: [String]) throws -> ToolOutput {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [name] + arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read both pipes concurrently so neither fills and blocks the child.
    nonisolated(unsafe) var errData = Data()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
        errData = err.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return ToolOutput(
        status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData, as: UTF8.self))
}

/// Runs ffmpeg quietly and fails the test when it fails.
@discardableResult
func ffmpeg(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> ToolOutput {
    let output = try runTool("ffmpeg", ["-hide_banner", "-nostdin", "-y"] + arguments)
    #expect(output.status == 0, "ffmpeg failed: \(output.stderr.suffix(1500))", sourceLocation: sourceLocation)
    return output
}

/// A fresh temporary directory, removed by the caller with `FileManager.removeItem`.
func makeTemporaryDirectory(_ label: String = "mediaio") throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
        "\(label)-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// ffmpeg's `ebur128` summary of a file: integrated, range, true peak.
func ffmpegLoudness(_ url: URL) throws -> (integrated: Double, range: Double, truePeak: Double) {
    let output = try runTool(
        "ffmpeg", ["-hide_banner", "-nostats", "-i", url.path, "-af", "ebur128=peak=true", "-f", "null", "-"])
    let summary = output.stderr.components(separatedBy: "Summary:").last ?? ""
    func value(_ label: String) -> Double {
        for line in summary.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix(label) {
                let fields = trimmed.dropFirst(label.count).split(separator: " ")
                if let first = fields.first, let number = Double(first) { return number }
            }
        }
        return .nan
    }
    return (value("I:"), value("LRA:"), value("Peak:"))
}
