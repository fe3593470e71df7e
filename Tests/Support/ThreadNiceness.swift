import Foundation

/// The calling thread's own nice value, for tests of work that runs at a lower priority (Linux only).
package enum ThreadNiceness {
    /// Whether this system gives each thread its own nice value and shows it in /proc (Linux).
    package static var isReadable: Bool { FileManager.default.fileExists(atPath: "/proc/thread-self/stat") }

    /// The calling thread's nice value: field 19 of /proc/thread-self/stat (counted after the command's
    /// parentheses, which may hold spaces), or nil where that cannot be read.
    package static func current() -> Int? {
        guard let stat = try? String(contentsOfFile: "/proc/thread-self/stat", encoding: .utf8),
            let tail = stat.split(separator: ")").last
        else { return nil }
        let fields = tail.split(separator: " ")
        return fields.count > 16 ? Int(fields[16]) : nil
    }
}
