public import Foundation
import QueueKit

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The check a worker makes of its store directory at start: that it can write there, and which store it is.
///
/// Workers on many machines must share one store (NFS, EFS, SMB): the artifacts a checkpoint refers to are files
/// in it. The first worker writes a marker file, `.storyforge-store`, holding a random store id; every worker
/// prints that id at start, and a worker given the id to expect (`story-worker --store-id`) refuses to start on a
/// directory with another id (or none): a machine whose mount is missing or points elsewhere then fails at once
/// instead of recomputing every stage whose artifacts it cannot see. Each worker also leaves `hosts/<host>`, so an
/// operator sees from any machine which machines use the directory.
public struct SharedStore: Sendable {
    /// The marker file's name.
    public static let markerName = ".storyforge-store"

    /// The directory.
    public let directory: URL
    /// The id in its marker.
    public let id: String
    /// The hosts that have started a worker on it, this one included.
    public let hosts: [String]

    /// Checks `directory`: creates it and its marker when missing, proves it writable with a file written, synced,
    /// read back and removed, and compares the marker's id with `expectedID` when given.
    ///
    /// - Throws: ``QueueKit/JobQueueError`` with code `invalidRequest` naming the directory and the fix.
    public static func check(_ directory: URL, expectedID: String? = nil) throws -> SharedStore {
        let fileManager = FileManager.default
        do {
            try fileManager.createDirectory(
                at: directory.appendingPathComponent("hosts", isDirectory: true), withIntermediateDirectories: true)
        } catch {
            throw JobQueueError.invalidRequest("cannot create the store \(directory.path): \(error.localizedDescription)")
        }
        let host = ProcessInfo.processInfo.hostName
        let probe = directory.appendingPathComponent(".write-check-\(host)-\(getpid())")
        let token = UUID().uuidString
        do {
            try Data(token.utf8).write(to: probe, options: .atomic)
            let back = try Data(contentsOf: probe)
            try? fileManager.removeItem(at: probe)
            guard back == Data(token.utf8) else { throw CocoaError(.fileReadCorruptFile) }
        } catch {
            throw JobQueueError.invalidRequest(
                "the store \(directory.path) is not writable by this worker (\(error.localizedDescription)): every "
                    + "worker writes artifacts and exports there; fix its permissions or mount")
        }
        let marker = directory.appendingPathComponent(markerName)
        let id = try readOrCreateMarker(marker, expectedID: expectedID)
        if let expectedID, id != expectedID {
            throw JobQueueError.invalidRequest(
                "the store \(directory.path) has id \(id), not the expected \(expectedID): on this machine the path "
                    + "is not the shared store (a mount missing or pointing elsewhere); mount the shared directory "
                    + "there")
        }
        try? Data("\(Date().timeIntervalSince1970)\n".utf8).write(
            to: directory.appendingPathComponent("hosts", isDirectory: true).appendingPathComponent(
                host.replacingOccurrences(of: "/", with: "_")), options: .atomic)
        let hosts = (try? fileManager.contentsOfDirectory(atPath: directory.appendingPathComponent("hosts").path)) ?? []
        return SharedStore(directory: directory, id: id, hosts: hosts.sorted())
    }

    private static func readOrCreateMarker(_ marker: URL, expectedID: String?) throws -> String {
        if let existing = try? String(contentsOf: marker, encoding: .utf8) {
            return existing.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if let expectedID {
            // A store that should exist already but has no marker is the wrong directory, not a new store.
            throw JobQueueError.invalidRequest(
                "the store \(marker.deletingLastPathComponent().path) has no \(markerName), but id \(expectedID) was "
                    + "expected: the shared directory is not mounted there")
        }
        // O_EXCL: two workers starting at once agree on one id (the loser reads the winner's).
        let descriptor = open(marker.path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        if descriptor < 0 {
            guard errno == EEXIST, let existing = try? String(contentsOf: marker, encoding: .utf8) else {
                throw JobQueueError.invalidRequest("cannot write \(marker.path): errno \(errno)")
            }
            return existing.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let id = UUID().uuidString.lowercased()
        let bytes = Array((id + "\n").utf8)
        let written = bytes.withUnsafeBufferPointer { write(descriptor, $0.baseAddress, $0.count) }
        fsync(descriptor)
        close(descriptor)
        guard written == bytes.count else { throw JobQueueError.invalidRequest("cannot write \(marker.path)") }
        return id
    }
}
