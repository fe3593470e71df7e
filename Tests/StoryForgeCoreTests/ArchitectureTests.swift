import Foundation
import Testing

/// Keeps the "may import" table of Docs/Architecture.md true: it is parsed from the document and checked
/// against the `import` lines of every Swift file under `Sources/<module>/`, read from this checkout.
@Suite struct ArchitectureTests {
    /// The repository root: three levels above this file (Tests/StoryForgeCoreTests/ArchitectureTests.swift).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The system's own modules, which every module may import.
    static let system: Set<String> = ["Foundation", "Glibc", "Darwin", "Dispatch", "Synchronization"]

    /// The table's rows: module → the modules it may import (the back-quoted names of the second column), from
    /// the table under the header `| product | may import | holds |` to its first line that is not a row.
    static func table() throws -> [String: Set<String>] {
        let text = try String(contentsOf: root.appending(path: "Docs/Architecture.md"), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let header = lines.firstIndex(where: { $0.hasPrefix("| product | may import |") }) else { return [:] }
        var rows: [String: Set<String>] = [:]
        for line in lines[(header + 1)...].prefix(while: { $0.hasPrefix("|") }) where line.hasPrefix("| `") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard cells.count >= 4 else { continue }
            rows[cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "`"))] = Set(quoted(cells[2]))
        }
        return rows
    }

    /// The names between back quotes in `text`.
    static func quoted(_ text: String) -> [String] {
        text.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }
            .map { String($0.element) }
    }

    /// The modules imported by the Swift files under `directory` (any access level or attribute, `import struct
    /// M.T` included), each with a file that imports it.
    static func imports(under directory: URL) throws -> [String: String] {
        var found: [String: String] = [:]
        let files = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)
        while let file = files?.nextObject() as? URL {
            guard file.pathExtension == "swift" else { continue }
            for line in try String(contentsOf: file, encoding: .utf8).split(separator: "\n") {
                if let module = importedModule(String(line)) { found[module] = found[module] ?? file.lastPathComponent }
            }
        }
        return found
    }

    /// The module an `import` line names, or `nil` for another line.
    static func importedModule(_ line: String) -> String? {
        var words = line.trimmingCharacters(in: .whitespaces).split(separator: " ").map(String.init)
        while let first = words.first, first.hasPrefix("@") { words.removeFirst() }
        let modifiers: Set<String> = ["public", "package", "internal", "fileprivate", "private"]
        if let first = words.first, modifiers.contains(first) { words.removeFirst() }
        guard words.first == "import", words.count >= 2 else { return nil }
        let kinds: Set<String> = ["class", "struct", "enum", "protocol", "func", "var", "let", "typealias"]
        let path = kinds.contains(words[1]) && words.count >= 3 ? words[2] : words[1]
        return path.split(separator: ".").first.map(String.init)
    }

    @Test func importLinesAreRead() {
        #expect(Self.importedModule("import Foundation") == "Foundation")
        #expect(Self.importedModule("    public import StoryForgeCore") == "StoryForgeCore")
        #expect(Self.importedModule("@testable import MediaIO") == "MediaIO")
        #expect(Self.importedModule("@preconcurrency internal import GRDB") == "GRDB")
        #expect(Self.importedModule("import struct Crypto.SHA256") == "Crypto")
        #expect(Self.importedModule("// import Nothing") == nil)
        #expect(Self.importedModule("let important = 1") == nil)
    }

    @Test func everyModuleImportsOnlyWhatTheTableAllowsAndTheTableListsOnlyRealImports() throws {
        let table = try Self.table()
        #expect(table.count >= 10, "the table was not found in Docs/Architecture.md: \(table.keys.sorted())")
        let sources = Self.root.appending(path: "Sources")
        let modules = try FileManager.default.contentsOfDirectory(atPath: sources.path).sorted()
        var checked = 0
        for module in modules {
            let found = try Self.imports(under: sources.appending(path: module))
            // C targets have no Swift files and no row.
            guard !found.isEmpty || table[module] != nil else { continue }
            guard let allowed = table[module] else {
                Issue.record("Sources/\(module) has no row in Docs/Architecture.md's \"may import\" table")
                continue
            }
            checked += 1
            for (imported, file) in found.sorted(by: { $0.key < $1.key })
            where !Self.system.contains(imported) && !allowed.contains(imported) {
                Issue.record("\(module)/\(file) imports \(imported), which the table does not allow \(module)")
            }
            for listed in allowed.sorted() where found[listed] == nil {
                Issue.record("the table lets \(module) import \(listed), but no file of \(module) does")
            }
        }
        #expect(checked == table.count, "rows without a module in Sources: \(Set(table.keys).subtracting(modules))")
    }
}
