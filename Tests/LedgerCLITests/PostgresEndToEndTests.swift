import Foundation
import LedgerTestSupport
import Testing

/// The `ledger` command against PostgreSQL as a user runs it: a database created by its owner, appends as the runtime
/// role, several processes at once, a connection killed in the middle of a batch, TLS, passwords, a hot standby.
///
/// Runs when `$LEDGER_TEST_POSTGRES_URL` names a test server (`tools/postgres-cluster start`); under `CI=true` a
/// missing server fails these tests rather than skipping them.
@Suite(.enabled(if: PostgresTestServer.isAvailable))
struct PostgresEndToEndTests {
    let directory = TemporaryDirectory("ledger-postgres")

    /// A new database with a ledger made by `ledger init` as its owner; returns (owner URL, runtime role URL).
    private func initialized(_ extra: [String] = []) throws -> (owner: String, writer: String, database: String) {
        let database = try PostgresTestServer.createDatabase()
        let owner = try PostgresTestServer.url(database: database, user: PostgresTestServer.ownerRole)
        let result = try CLI.run(
            ["init", "--ledger", owner, "--origin", "ledger.test.example/pg"] + extra, in: directory.url)
        try #require(result.status == 0, "\(result.stderr)")
        let writer = try PostgresTestServer.url(database: database, user: "\(database)_writer")
        #expect(result.stdout.contains("export LEDGER_PATH='\(writer)'"), "\(result.stdout)")
        return (owner, writer, database)
    }

    private func count(_ ledger: String) throws -> Int {
        let log = try CLI.run(["log", "--format", "jsonl", "--ledger", ledger], in: directory.url)
        #expect(log.status == 0, "\(log.stderr)")
        return log.stdout.split(separator: "\n").count
    }

    private func note(_ ledger: String, _ text: String) throws -> CLI.Output {
        try CLI.run(
            [
                "append", "--type", "ledger.note", "--stream", "ledger", "--data", #"{"text":"\#(text)"}"#, "--key",
                "admin.pem", "--ledger", ledger,
            ], in: directory.url)
    }

    private static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// The issue's "done when": the demo into PostgreSQL verifies, copies to SQLite and back with the same root.
    @Test func theDemoRunsIntoADatabaseAndCopiesToSQLiteAndBackWithTheSameRoot() throws {
        let database = try PostgresTestServer.createDatabase()
        let owner = try PostgresTestServer.url(database: database, user: PostgresTestServer.ownerRole)
        try Data("demo-writer-password\n".utf8).write(to: directory.url.appendingPathComponent("writer.pw"))
        let demo = try CLI.run(
            ["demo", "op", "--targets", "10", "--ledger", owner, "--writer-password-file", "writer.pw", "--json"],
            in: directory.url)
        try #require(demo.status == 0, "\(demo.stderr)")
        #expect(!demo.stdout.contains("demo-writer-password") && !demo.stderr.contains("demo-writer-password"))
        let writer = try PostgresTestServer.url(database: database, user: "\(database)_writer")
        #expect(try Self.json(demo.stdout)["ledger"] as? String == writer)

        let environment = ["PGPASSWORD": "demo-writer-password"]
        let verify = try CLI.run(["verify", "--ledger", writer], in: directory.url, environment: environment)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stdout.contains("PostgreSQL 15"), "\(verify.stdout)")

        let toFile = try CLI.run(
            ["copy", "--from", writer, "--to", "copy.ledger", "--json"], in: directory.url, environment: environment)
        try #require(toFile.status == 0, "\(toFile.stderr)")
        let root = try #require(try Self.json(toFile.stdout)["source_root"] as? String)
        #expect(try Self.json(toFile.stdout)["copy_root"] as? String == root)

        let back = try PostgresTestServer.createDatabase()
        let backOwner = try PostgresTestServer.url(database: back, user: PostgresTestServer.ownerRole)
        let toDatabase = try CLI.run(["copy", "--from", "copy.ledger", "--to", backOwner, "--json"], in: directory.url)
        try #require(toDatabase.status == 0, "\(toDatabase.stderr)")
        #expect(try Self.json(toDatabase.stdout)["copy_root"] as? String == root)
        let backWriter = try PostgresTestServer.url(database: back, user: "\(back)_writer")
        let verifyBack = try CLI.run(["verify", "--ledger", backWriter], in: directory.url)
        #expect(verifyBack.status == 0, "\(verifyBack.stdout)\(verifyBack.stderr)")
        #expect(verifyBack.stdout.contains(root))
        // The read commands work on the copy as on the original.
        let history = try CLI.run(["item", "history", "EV-0064", "--ledger", backWriter], in: directory.url)
        #expect(history.status == 0, "\(history.stderr)")
        let again = try CLI.run(["copy", "--from", "copy.ledger", "--to", backOwner], in: directory.url)
        #expect(again.status == 2)
        #expect(again.stderr.contains("already exists"), "\(again.stderr)")
    }

    @Test func appendsConnectAsTheRuntimeRoleNeverAsTheOwnerOrASuperuser() throws {
        let (owner, writer, database) = try initialized()
        let admin = try PostgresTestServer.url(database: database)
        for (ledger, words) in [(owner, "the owner of the ledger's tables"), (admin, "a superuser")] {
            let refused = try note(ledger, "refused")
            #expect(refused.status == 2)
            #expect(refused.stderr.contains(words), "\(refused.stderr)")
            #expect(refused.stderr.contains("append as the runtime role \(database)_writer"), "\(refused.stderr)")
            #expect(refused.stderr.split(separator: "\n").count == 1, "one line: \(refused.stderr)")
        }
        #expect(try count(writer) == 2)
        let accepted = try note(writer, "accepted")
        #expect(accepted.status == 0, "\(accepted.stderr)")
        #expect(try count(owner) == 3, "the owner may read")
        // The runtime role can neither change nor remove an entry, nor drop the triggers.
        for sql in [
            "UPDATE ledger.entries SET time = time WHERE seq = 3", "DELETE FROM ledger.entries WHERE seq = 3",
            "DROP TRIGGER entries_append_only ON ledger.entries",
        ] {
            let psql = try CLI.shell(
                "psql --no-psqlrc -qAt -d '\(writer)' -c '\(sql)' 2>&1; echo status=$?", in: directory.url)
            #expect(psql.stdout.contains("status=1"), "\(sql): \(psql.stdout)")
        }
        // Nor can the owner change an entry without dropping the trigger first (which verify would then catch).
        let edit = try CLI.shell(
            "psql --no-psqlrc -qAt -d '\(owner)' -c 'UPDATE ledger.entries SET time = time WHERE seq = 3' 2>&1",
            in: directory.url)
        #expect(edit.stdout.contains("entries are append-only"), "\(edit.stdout)")
        // Entries go in at the end, in seq order, whatever the statement: a gap after the head, or a group of rows
        // with a hole, is refused by the database itself.
        let copy = "SELECT 'x' || s, 'x' || s, s, type, actor, time, body_hash, leaf_hash, nodes, record, s"
        for rows in [
            "\(copy) FROM ledger.entries, (VALUES (5)) AS v(s) WHERE seq = 3",
            "\(copy) FROM ledger.entries, (VALUES (4), (6)) AS v(s) WHERE seq = 3",
            "\(copy) FROM ledger.entries, (VALUES (4), (5), (7)) AS v(s) WHERE seq = 3",
        ] {
            let sql =
                "INSERT INTO ledger.entries (id, stream, stream_rev, type, actor, time, body_hash, leaf_hash, "
                + "nodes, record, seq) SELECT id, stream, rev, type, actor, time, body_hash, leaf_hash, nodes, record, s "
                + "FROM (\(rows)) AS r(id, stream, rev, type, actor, time, body_hash, leaf_hash, nodes, record, s)"
            let psql = try CLI.shell(
                "psql --no-psqlrc -qAt -d '\(writer)' -c \"\(sql)\" 2>&1; echo status=$?", in: directory.url)
            #expect(psql.stdout.contains("appended in seq order"), "\(sql): \(psql.stdout)")
        }
        #expect(try count(writer) == 3)
        let verify = try CLI.run(["verify", "--ledger", writer], in: directory.url)
        #expect(verify.status == 0, "\(verify.stdout)")
        // A second init into the same database is refused, and leaves no key files.
        let second = try CLI.run(
            [
                "init", "--ledger", owner, "--origin", "ledger.test.example/pg", "--admin-key", "second.pem",
                "--log-key", "second-log.pem",
            ], in: directory.url)
        #expect(second.status == 2, "\(second.stdout)")
        #expect(!FileManager.default.fileExists(atPath: directory.path("second.pem")))
        #expect(try count(writer) == 3)
    }

    @Test func aWrongPasswordIsAOneLineErrorThatNeverEchoesIt() throws {
        let url = try PostgresTestServer.url(database: "postgres", user: "ledger_pw")
            .replacingOccurrences(of: "ledger_pw@", with: "ledger_pw:not-the-password@")
        let result = try CLI.run(["verify", "--ledger", url], in: directory.url)
        #expect(result.status == 2)
        #expect(!result.stderr.contains("not-the-password") && !result.stdout.contains("not-the-password"))
        #expect(result.stderr.contains("the server refused ledger_pw"), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        let typo = try CLI.run(["verify", "--ledger", url + "?sslmode=verify_full"], in: directory.url)
        #expect(typo.status == 2)
        #expect(typo.stderr.contains("sslmode=verify_full is not one of"), "\(typo.stderr)")
        #expect(!typo.stderr.contains("not-the-password"))
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["LEDGER_TEST_POSTGRES_CA"] != nil))
    func tlsIsUsedAsTheURLAsksAndItsAbsenceIsAClearError() throws {
        let (_, _, database) = try initialized()
        let ca = try #require(ProcessInfo.processInfo.environment["LEDGER_TEST_POSTGRES_CA"])
        // ledger_tls_only may connect over TLS only (pg_hba); give it the runtime role's rights.
        try PostgresTestServer.psql(database: database, "GRANT \(database)_writer TO ledger_tls_only")
        let base = try PostgresTestServer.url(database: database, user: "ledger_tls_only")
        let verified = try CLI.run(
            ["verify", "--ledger", base + "?sslmode=verify-full&sslrootcert=\(ca)"], in: directory.url)
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        let plain = try CLI.run(["verify", "--ledger", base + "?sslmode=disable"], in: directory.url)
        #expect(plain.status == 2)
        #expect(plain.stderr.contains("the server refused ledger_tls_only"), "\(plain.stderr)")
        // A certificate that the given authority did not issue is refused.
        let otherCA = directory.path("other-ca.pem")
        let made = try CLI.shell(
            "openssl req -x509 -newkey ed25519 -nodes -keyout other.key -out other-ca.pem -days 1 -subj /CN=other"
                + " 2>&1",
            in: directory.url)
        try #require(FileManager.default.fileExists(atPath: otherCA), "\(made.stdout)")
        let untrusted = try CLI.run(
            ["verify", "--ledger", base + "?sslmode=verify-full&sslrootcert=\(otherCA)"], in: directory.url)
        #expect(untrusted.status == 2)
        #expect(untrusted.stderr.contains("TLS"), "\(untrusted.stderr)")
    }

    @Test func concurrentAppendersOnSeveralConnectionsMakeOneLinearChain() throws {
        let (_, writer, _) = try initialized()
        let writers = 4
        let perWriter = 10
        var processes: [(Process, Pipe, Pipe)] = []
        for index in 0..<writers {
            let script = (1...perWriter).map { number in
                "\"$LEDGER\" append --type ledger.note --stream ledger --data '{\"text\":\"w\(index) n\(number)\"}'"
                    + " --key admin.pem --ledger '\(writer)' >/dev/null || echo FAIL"
            }.joined(separator: "\n")
            processes.append(
                try CLI.shellStart(script, in: directory.url, environment: ["LEDGER": CLI.executable.path]))
        }
        // And one process sending a batch in chunks meanwhile.
        let lines = (1...200).map { #"{"type":"ledger.note","stream":"ledger","data":{"text":"batch \#($0)"}}"# }
        try Data(lines.joined(separator: "\n").utf8).write(to: directory.url.appendingPathComponent("batch.jsonl"))
        let batch = try CLI.start(
            ["append", "--batch", "batch.jsonl", "--chunk", "25", "--key", "admin.pem", "--ledger", writer],
            in: directory.url)
        for (process, out, err) in processes + [batch] {
            let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(!output.contains("FAIL") && process.terminationStatus == 0, "\(errors)")
        }
        #expect(try count(writer) == 2 + writers * perWriter + 200)
        let verify = try CLI.run(["verify", "--ledger", writer], in: directory.url)
        #expect(verify.status == 0, "\(verify.stdout)")
    }

    /// The server ends the connection (as a restart or a network cut would) in the middle of a batch: the command
    /// fails with one line, every chunk it committed is there, nothing partial is, and the ledger verifies.
    @Test func aConnectionKilledInTheMiddleOfABatchLeavesWholeChunks() throws {
        let (_, writer, database) = try initialized()
        // With ids, so that the same batch sent again recognizes what was recorded.
        let lines = (1...3000).map {
            #"{"id":"\#(UUID().uuidString.lowercased())","type":"ledger.note","stream":"ledger","data":{"text":"bulk \#($0)"}}"#
        }
        try Data(lines.joined(separator: "\n").utf8).write(to: directory.url.appendingPathComponent("bulk.jsonl"))
        let (process, out, err) = try CLI.start(
            ["append", "--batch", "bulk.jsonl", "--chunk", "100", "--key", "admin.pem", "--ledger", writer],
            in: directory.url)
        // Wait until some chunks are in, then end the appender's connections from the server side.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let done = try PostgresTestServer.psql(database: database, "SELECT count(*) FROM ledger.entries")
            if (Int(done.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) > 300 { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        try PostgresTestServer.psql(
            database: database,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '\(database)_writer'")
        let result = CLI.finish(process, out, err)
        let entries = try count(writer)
        if result.status == 0 {
            // The batch finished before the cut reached it (a fast machine): all of it is there.
            #expect(entries == 2 + 3000)
        } else {
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
            #expect((entries - 2) % 100 == 0, "whole chunks only: \(entries)")
            // At most all of it: the cut can land after the last chunk's commit, before the process ends cleanly.
            #expect(entries <= 2 + 3000)
        }
        let verify = try CLI.run(["verify", "--ledger", writer], in: directory.url)
        #expect(verify.status == 0, "\(verify.stdout)")
        // The same batch again completes it: what was recorded is recognized, the rest appended.
        let resumed = try CLI.run(
            ["append", "--batch", "bulk.jsonl", "--chunk", "100", "--key", "admin.pem", "--ledger", writer],
            in: directory.url)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try count(writer) == 2 + 3000)
    }

    /// A hot standby serves verify and the read commands, from one snapshot, while the primary appends.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["LEDGER_TEST_POSTGRES_STANDBY_URL"] != nil))
    func verifyOnAHotStandbyWhileThePrimaryAppends() throws {
        let (_, writer, database) = try initialized()
        let standbyBase = try #require(ProcessInfo.processInfo.environment["LEDGER_TEST_POSTGRES_STANDBY_URL"])
        var components = try #require(URLComponents(string: standbyBase))
        components.path = "/" + database
        components.user = "\(database)_writer"
        let standby = try #require(components.string)
        let lines = (1...400).map { #"{"type":"ledger.note","stream":"ledger","data":{"text":"n \#($0)"}}"# }
        try Data(lines.joined(separator: "\n").utf8).write(to: directory.url.appendingPathComponent("notes.jsonl"))
        // Wait for the standby to have the new database.
        var ready = false
        let deadline = ContinuousClock.now + .seconds(60)
        while !ready, ContinuousClock.now < deadline {
            ready = try CLI.run(["log", "--ledger", standby, "--to", "1"], in: directory.url).status == 0
            if !ready { Thread.sleep(forTimeInterval: 0.1) }
        }
        try #require(ready, "the standby never showed the ledger")
        let appender = try CLI.start(
            ["append", "--batch", "notes.jsonl", "--chunk", "20", "--key", "admin.pem", "--ledger", writer],
            in: directory.url)
        for _ in 0..<3 {
            let verify = try CLI.run(["verify", "--ledger", standby], in: directory.url)
            #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        }
        let appended = CLI.finish(appender.0, appender.1, appender.2)
        #expect(appended.status == 0, "\(appended.stderr)")
        // Appends go to the primary: on the standby they are refused with one line, and nothing changes.
        let refused = try note(standby, "on the standby")
        #expect(refused.status == 2)
        #expect(refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
        let items = try CLI.run(["items", "--ledger", standby], in: directory.url)
        #expect(items.status == 0, "\(items.stderr)")
    }
}
