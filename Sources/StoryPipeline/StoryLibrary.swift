public import Foundation
import GRDB
public import PipelineKit
public import StoryModels

/// The story library: every exported idea, script, run and file, in one SQLite file (WAL mode, busy timeout 5 s).
///
/// The idea stage consults it so that a new run does not tell a story already told; hosts use it for history.
///
/// ```swift
/// let library = try StoryLibrary(path: store.appendingPathComponent("library.sqlite").path)
/// for run in try await library.runs() { print(run.id, run.title ?? "-", run.status) }
/// ```
public final class StoryLibrary: Sendable {
    /// One run as the library knows it.
    public struct RunSummary: Hashable, Sendable {
        /// The run id.
        public var id: RunID
        /// The topic asked for.
        public var topic: String
        /// The seed.
        public var seed: Int
        /// How the run stands; see ``isInterrupted`` for a ``RunStatus/running`` run whose process is gone.
        public var status: RunStatus
        /// `true` for a run recorded as running whose process is gone (killed or crashed): resume it.
        public var isInterrupted: Bool
        /// The title of the exported story, once exported.
        public var title: String?
        /// Where the files were exported.
        public var outputDirectory: String?
        /// When the run started.
        public var startedAt: Date
        /// When it ended.
        public var finishedAt: Date?
        /// Why it failed.
        public var error: String?
    }

    /// The database file.
    public let path: String
    /// Where the run locks are (`runs/` beside the file, the ``StoryStudio`` store layout).
    private let runLocks: URL
    private let pool: DatabasePool

    /// Opens (creating when missing) the library at `path`.
    ///
    /// - Throws: ``StoryPipelineError/library(_:underlying:)`` when the file cannot be opened or migrated.
    public init(path: String) throws(StoryPipelineError) {
        self.path = path
        self.runLocks = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(
            "runs", isDirectory: true)
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            var migrator = DatabaseMigrator()
            migrator.registerMigration("v1") { db in
                try db.execute(
                    sql: """
                        CREATE TABLE idea (
                            id TEXT PRIMARY KEY, title TEXT NOT NULL, normalized_title TEXT NOT NULL,
                            logline TEXT NOT NULL, json BLOB NOT NULL, created_at DATETIME NOT NULL);
                        CREATE INDEX idea_normalized_title ON idea(normalized_title);
                        CREATE TABLE script (
                            id TEXT PRIMARY KEY, idea_id TEXT NOT NULL, text TEXT NOT NULL, json BLOB NOT NULL,
                            created_at DATETIME NOT NULL);
                        CREATE TABLE run (
                            id TEXT PRIMARY KEY, topic TEXT NOT NULL, seed INTEGER NOT NULL, status TEXT NOT NULL,
                            idea_id TEXT, title TEXT, output_directory TEXT, started_at DATETIME NOT NULL,
                            finished_at DATETIME, error TEXT);
                        CREATE TABLE asset (
                            run_id TEXT NOT NULL REFERENCES run(id) ON DELETE CASCADE, path TEXT NOT NULL,
                            bytes INTEGER NOT NULL, sha256 TEXT NOT NULL, PRIMARY KEY (run_id, path));
                        """)
            }
            try migrator.migrate(pool)
        } catch let error as DatabaseError
            where error.resultCode == .SQLITE_NOTADB || error.resultCode == .SQLITE_CORRUPT
        {
            throw .library(
                "the story library \(path) is damaged (\(error.message ?? "not a database")). It holds only the "
                    + "history of exported stories (and the titles used to avoid telling one twice): delete it, with "
                    + "its -wal and -shm files, to start a new history; checkpoints, the cache and exported files "
                    + "are kept elsewhere", underlying: error)
        } catch {
            throw .library("cannot open the story library at \(path): \(error)", underlying: error)
        }
    }

    /// The form titles are compared in: lower case, letters and digits only, single spaces.
    public static func normalizedTitle(_ title: String) -> String {
        title.lowercased().split { !($0.isLetter || $0.isNumber) }.joined(separator: " ")
    }

    /// The normalised titles of every idea already exported.
    public func knownTitles() async throws(StoryPipelineError) -> Set<String> {
        try await read { db in Set(try String.fetchAll(db, sql: "SELECT normalized_title FROM idea")) }
    }

    /// The exported ideas, newest first.
    public func ideas() async throws(StoryPipelineError) -> [StoryIdea] {
        let blobs = try await read { db in try Data.fetchAll(db, sql: "SELECT json FROM idea ORDER BY created_at DESC")
        }
        return blobs.compactMap { try? StoryJSON.decode(StoryIdea.self, from: $0) }
    }

    /// Notes that a run started (or resumed).
    public func runStarted(id: RunID, topic: String, seed: Int, at date: Date = Date())
        async throws(StoryPipelineError)
    {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO run (id, topic, seed, status, started_at) VALUES (?, ?, ?, 'running', ?)
                    ON CONFLICT(id) DO UPDATE SET status = 'running', error = NULL, finished_at = NULL
                    """,
                arguments: [id.rawValue, topic, seed, date])
        }
    }

    /// Notes how a run ended.
    public func runEnded(id: RunID, status: RunStatus, error: String? = nil, at date: Date = Date())
        async throws(StoryPipelineError)
    {
        try await write { db in
            try db.execute(
                sql: "UPDATE run SET status = ?, error = ?, finished_at = ? WHERE id = ?",
                arguments: [status.rawValue, error, date, id.rawValue])
        }
    }

    /// Records an export: the idea, the script, the run's title and output, and every file with its hash, in one
    /// transaction.
    public func recordExport(
        runID: RunID, idea: StoryIdea, script: Script, manifest: ExportManifest, outputDirectory: URL,
        at date: Date = Date()
    ) async throws(StoryPipelineError) {
        let ideaJSON: Data
        let scriptJSON: Data
        do {
            ideaJSON = try StoryJSON.encode(idea)
            scriptJSON = try StoryJSON.encode(script)
        } catch {
            throw .library("cannot encode the story for the library: \(error)", underlying: error)
        }
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO idea (id, title, normalized_title, logline, json, created_at) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT(id) DO NOTHING
                    """,
                arguments: [idea.id, idea.title, Self.normalizedTitle(idea.title), idea.logline, ideaJSON, date])
            try db.execute(
                sql: """
                    INSERT INTO script (id, idea_id, text, json, created_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET text = excluded.text, json = excluded.json
                    """,
                arguments: [script.id, idea.id, script.current.text, scriptJSON, date])
            try db.execute(
                sql: """
                    INSERT INTO run (id, topic, seed, status, started_at) VALUES (?, '', 0, 'succeeded', ?)
                    ON CONFLICT(id) DO NOTHING
                    """,
                arguments: [runID.rawValue, date])
            try db.execute(
                sql: "UPDATE run SET idea_id = ?, title = ?, output_directory = ? WHERE id = ?",
                arguments: [idea.id, manifest.title, outputDirectory.path, runID.rawValue])
            try db.execute(sql: "DELETE FROM asset WHERE run_id = ?", arguments: [runID.rawValue])
            for file in manifest.files {
                try db.execute(
                    sql: "INSERT INTO asset (run_id, path, bytes, sha256) VALUES (?, ?, ?, ?)",
                    arguments: [runID.rawValue, file.path, file.bytes, file.sha256])
            }
        }
    }

    /// Every run, newest first. A run recorded as `running` whose process is gone (its lock in `runs/` is free)
    /// reads as `interrupted`.
    public func runs() async throws(StoryPipelineError) -> [RunSummary] {
        let runs = try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM run ORDER BY started_at DESC").map { row in
                // A status this version does not know (written by a newer one) reads as failed, not as a crash.
                RunSummary(
                    id: RunID(row["id"] as String), topic: row["topic"], seed: row["seed"],
                    status: RunStatus(rawValue: row["status"]) ?? .failed, isInterrupted: false, title: row["title"],
                    outputDirectory: row["output_directory"], startedAt: row["started_at"],
                    finishedAt: row["finished_at"], error: row["error"])
            }
        }
        return runs.map { run in
            var run = run
            if run.status == .running, RunLock.isHeld(run.id.rawValue, inRunsDirectory: runLocks) == false {
                run.isInterrupted = true
            }
            return run
        }
    }

    /// The files exported by a run: path, size and SHA-256.
    public func assets(ofRun runID: RunID) async throws(StoryPipelineError) -> [ExportManifest.File] {
        try await read { db in
            try Row.fetchAll(
                db, sql: "SELECT path, bytes, sha256 FROM asset WHERE run_id = ? ORDER BY path",
                arguments: [runID.rawValue]
            )
            .map { ExportManifest.File(path: $0["path"], bytes: $0["bytes"], sha256: $0["sha256"]) }
        }
    }

    private func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(StoryPipelineError)
        -> T
    {
        do {
            return try await pool.read(body)
        } catch {
            throw .library("reading the story library failed: \(error)", underlying: error)
        }
    }

    private func write(_ body: @escaping @Sendable (Database) throws -> Void) async throws(StoryPipelineError) {
        do {
            try await pool.write(body)
        } catch {
            throw .library("writing the story library failed: \(error)", underlying: error)
        }
    }
}
