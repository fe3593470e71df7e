package import Foundation

/// Finds the executables of this package that the test targets depend on (`story-demo`, `story-worker`,
/// `queue-probe-worker`, …): SwiftPM builds them next to the test bundle, and `swift test --skip-build` after
/// `swift build --build-tests` leaves them in `.build/debug`.
package enum PackageExecutable {
    /// The executable was not found in any of the places searched.
    package struct NotFound: Error, CustomStringConvertible {
        /// The executable's name.
        package var name: String
        /// The directories searched.
        package var searched: [String]

        /// Names the executable, where it was looked for and the fix.
        package var description: String {
            "\(name) is not built next to the tests (searched \(searched.joined(separator: ", "))); run "
                + "swift build --build-tests"
        }
    }

    /// The root of this package's checkout.
    package static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The built executable called `name`.
    ///
    /// - Throws: ``NotFound`` naming the directories searched.
    package static func url(_ name: String) throws -> URL {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            packageRoot.appendingPathComponent(".build/debug"),
            Bundle.main.bundleURL,
            Bundle.main.bundleURL.deletingLastPathComponent(),
        ]
        for directory in candidates {
            let url = directory.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        throw NotFound(name: name, searched: candidates.map(\.path))
    }
}
