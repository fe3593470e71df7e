import Foundation
import QueueKit
import QueueKitPostgres
import Testing

@Suite struct PostgresQueueURLTests {
    @Test func parsesTheDocumentedForm() throws {
        let url = try PostgresQueueURL("postgres://story@db.internal:6543/jobs", environment: [:])
        #expect(url.user == "story")
        #expect(url.host == "db.internal")
        #expect(url.port == 6543)
        #expect(url.database == "jobs")
        #expect(url.password == nil)
        #expect(url.tls == .prefer)
        #expect(url.redacted == "postgres://story@db.internal:6543/jobs")
    }

    @Test func defaultsThePortAndAcceptsTheLongScheme() throws {
        let url = try PostgresQueueURL("postgresql://a@h/d", environment: [:])
        #expect(url.port == 5432)
    }

    @Test func readsIPv6SocketsAndTLSModes() throws {
        let v6 = try PostgresQueueURL("postgres://a@[::1]:7000/d?sslmode=disable", environment: [:])
        #expect(v6.host == "::1")
        #expect(v6.port == 7000)
        #expect(v6.tls == .disable)
        #expect(v6.redacted == "postgres://a@[::1]:7000/d?sslmode=disable")
        let socket = try PostgresQueueURL("postgres://a@localhost:5433/d?host=%2Frun%2Fpostgresql", environment: [:])
        #expect(socket.socketPath == "/run/postgresql/.s.PGSQL.5433")
        #expect(try PostgresQueueURL("postgres://a@h/d?sslmode=require", environment: [:]).tls == .require)
    }

    @Test func takesThePasswordFromTheEnvironmentAndNeverShowsIt() throws {
        let fromStoryForge = try PostgresQueueURL(
            "postgres://a@h/d", environment: ["STORYFORGE_POSTGRES_PASSWORD": "s3cr3t-one", "PGPASSWORD": "other"])
        #expect(fromStoryForge.password == "s3cr3t-one")
        #expect(try PostgresQueueURL("postgres://a@h/d", environment: ["PGPASSWORD": "pg"]).password == "pg")
        #expect(!fromStoryForge.description.contains("s3cr3t"))
        #expect(fromStoryForge.redacted == "postgres://a:***@h:5432/d")
        #expect(!"\(fromStoryForge)".contains("s3cr3t"))
    }

    @Test func acceptsAPasswordInTheURLButRedactsIt() throws {
        let url = try PostgresQueueURL("postgres://a:hunter%402@h:1/d", environment: ["PGPASSWORD": "env"])
        #expect(url.password == "hunter@2")
        #expect(url.redacted == "postgres://a:***@h:1/d")
        // A raw '@' in the password: the last one separates the host.
        #expect(try PostgresQueueURL("postgres://a:p@ss@h/d", environment: [:]).password == "p@ss")
    }

    @Test(arguments: [
        "postgres://a@h:0/d", "postgres://a@h:65536/d", "postgres://a@h:99999999999999999999999/d",
        "postgres://a@h:-1/d", "postgres://a@h:12ab/d", "postgres://a@h:/d",
    ])
    func rejectsPortsOutOfRange(_ text: String) {
        let error = #expect(throws: JobQueueError.self) { try PostgresQueueURL(text, environment: [:]) }
        #expect(error?.code == .invalidURL)
        #expect(error?.message.contains("1 to 65535") == true)
    }

    @Test(arguments: [
        "", "sqlite:///tmp/q.sqlite", "postgres://", "postgres://h/d", "postgres://a@h", "postgres://a@h/",
        "postgres://@h/d", "postgres://a@/d", "postgres://a@h/d/e", "postgres://a@h/d?sslmode=maybe",
        "postgres://a@h/d?password=x", "postgres://a@h/d?host=relative", "postgres://a@[::1/d",
        "postgres://a@[zz]/d", "postgres://a@ho st/d", "postgres://a@h/d\u{0}", "postgres://a%ZZ@h/d",
        "postgres://a@h%00x/d", "postgres://a@h;DROP/d", "postgres://a@h/d\r\nHost: evil",
        "postgres://a@h/" + String(repeating: "x", count: 5000),
    ])
    func rejectsHostileOrBrokenInputWithATypedError(_ text: String) {
        let error = #expect(throws: JobQueueError.self) { try PostgresQueueURL(text, environment: [:]) }
        #expect(error?.code == .invalidURL)
    }

    @Test func errorsForBrokenURLsNeverEchoThePassword() {
        for text in [
            "postgres://a:TOPSECRET@h:99999/d", "postgres://a:TOPSECRET@h/d?sslmode=bad",
            "postgres://a:TOPSECRET@h", "postgres://a:TOP%ZZSECRET@h/d", "postgres://a:TOPSECRET@ho st/d",
        ] {
            let error = #expect(throws: JobQueueError.self) { try PostgresQueueURL(text, environment: [:]) }
            #expect(error.map { !"\($0)".contains("TOPSECRET") } == true, "\(error.map { "\($0)" } ?? "")")
        }
    }
}
