package import Foundation

/// Reads a configuration file with the checks a hostile path needs: a regular file (a FIFO would block the read
/// for ever, a directory cannot be read), at most ``maximumBytes`` long.
package enum ConfigurationFile {
    /// 4 MiB: a configuration file is a few kilobytes; anything near this is not one.
    package static let maximumBytes = 4 << 20

    /// The file's bytes, or a message naming the path and the cause.
    package static func read(_ url: URL) -> Result<Data, ConfigurationFileError> {
        let path = url.path
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            let exists = FileManager.default.fileExists(atPath: path)
            return .failure(
                .init(message: exists ? "cannot read \(path)" : "\(path) does not exist", underlying: error))
        }
        guard (attributes[.type] as? FileAttributeType) == .typeRegular else {
            return .failure(.init(message: "\(path) is not a regular file", underlying: nil))
        }
        if let size = (attributes[.size] as? NSNumber)?.int64Value, size > Int64(maximumBytes) {
            return .failure(
                .init(
                    message: "\(path) is \(size) bytes; a configuration file may be at most \(maximumBytes)",
                    underlying: nil))
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            return .failure(.init(message: "cannot read \(path): permission denied", underlying: nil))
        }
        do {
            let data = try Data(contentsOf: url)
            guard data.count <= maximumBytes else {
                return .failure(
                    .init(message: "\(path) is larger than \(maximumBytes) bytes", underlying: nil))
            }
            return .success(data)
        } catch {
            return .failure(.init(message: "cannot read \(path)", underlying: error))
        }
    }
}

/// Why ``ConfigurationFile/read(_:)`` failed.
package struct ConfigurationFileError: Error {
    /// The path and the cause.
    package let message: String
    /// Foundation's error, when there is one.
    package let underlying: (any Error)?
}
