import Foundation
import QueueKit
import Testing

@Suite struct QueueURLTests {
    @Test func sqliteURLsNameAnAbsolutePath() throws {
        #expect(try QueueURL(parsing: "sqlite:///var/lib/stories/queue.sqlite") == .sqlite(path: "/var/lib/stories/queue.sqlite"))
        #expect(try QueueURL(parsing: "sqlite:///tmp/a%20b.sqlite") == .sqlite(path: "/tmp/a b.sqlite"))
        for bad in ["sqlite://host/queue.sqlite", "sqlite:relative.sqlite", "sqlite://", "queue.sqlite", ""] {
            #expect(throws: JobQueueError.invalidURL(""), "\(bad)") { try QueueURL(parsing: bad) }
        }
    }

    @Test func postgresURLsNeedAHostAndAreShownWithoutTheirPassword() throws {
        let url = try QueueURL(parsing: "postgres://story:s3cret@db.example:5432/stories")
        guard case .postgres = url else {
            Issue.record("not postgres: \(url)")
            return
        }
        #expect(url.redacted == "postgres://story:***@db.example:5432/stories")
        #expect(!url.description.contains("s3cret"))
        #expect(throws: JobQueueError.invalidURL("")) { try QueueURL(parsing: "postgres:///stories") }
    }

    @Test func anUnknownSchemeIsAnInvalidURLWhoseMessageHasNoPassword() {
        do {
            _ = try QueueURL(parsing: "redis://user:hunter2@cache:6379/0")
            Issue.record("accepted")
        } catch let error as JobQueueError {
            #expect(error.code == .invalidURL)
            #expect(!error.message.contains("hunter2"))
            #expect(error.message.contains("user:***@cache"))
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func redactionLeavesURLsWithoutPasswordsAlone() {
        #expect(QueueURL.redact("postgres://story@db/stories") == "postgres://story@db/stories")
        #expect(QueueURL.redact("postgres://a:b@c@host/db") == "postgres://a:***@host/db")
        #expect(QueueURL.redact("not a url") == "not a url")
    }
}
