import Foundation
import LedgerCrypto
import LedgerTestSupport
import Testing

/// A command that fails leaves every file it was pointed at byte-identical, creates nothing beside them, and says
/// why in one line.
@Suite(.serialized)
struct FailedCommandTests {
    let directory = TemporaryDirectory("ledger-failed-commands")

    private func ledger(_ arguments: [String]) throws -> CLI.Output { try CLI.run(arguments, in: directory.url) }

    private func write(_ name: String, _ text: String) throws {
        try Data(text.utf8).write(to: directory.url.appendingPathComponent(name))
    }

    /// The SHA-256 of every file in the folder (and below), by relative path: a new, removed or changed file shows.
    private func snapshot() throws -> [String: String] {
        var files: [String: String] = [:]
        let manager = FileManager.default
        guard let walker = manager.enumerator(atPath: directory.url.path) else { return files }
        while let relative = walker.nextObject() as? String {
            let path = directory.path(relative)
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            files[relative] =
                isDirectory.boolValue
                ? "folder" : Hex.encode(SHA256.hash(Array(try Data(contentsOf: URL(fileURLWithPath: path)))))
        }
        return files
    }

    /// The custody cast (carol: case officer and custodian, erin: examiner and custodian, tina: takedown officer),
    /// case OP-1 and item EV-1 seized by carol under seal S-1; a foreign SQLite database in WAL mode, one in
    /// rollback mode, a text file, and files of bad input.
    private func setUp() throws {
        var setup: [[String]] = [
            ["init", "--origin", "ledger.test.example/failed", "--name", "Ada", "--person", "ada", "--agency", "NCA"]
        ]
        for (person, roles) in [
            ("carol", "case-officer,custodian"), ("erin", "examiner,custodian"), ("tina", "takedown-officer"),
        ] {
            setup.append([
                "key", "generate", "--out", "\(person).pem", "--name", person, "--person", person, "--agency", "NCA",
                "--request-out", "\(person).json",
            ])
            setup.append(["key", "register", "\(person).json", "--roles", roles, "--key", "admin.pem"])
        }
        setup.append([
            "case", "open", "OP-1", "--title", "Operation One", "--legal-basis", "JIT 1", "--agency", "NCA", "--key",
            "carol.pem",
        ])
        setup.append([
            "item", "seize", "EV-1", "--case", "OP-1", "--exhibit", "C/1", "--kind", "laptop", "--description",
            "Grey laptop", "--seal", "S-1", "--location", "Room B", "--from", "Premises P-1", "--authority", "W 7",
            "--at", "2024-05-01T06:00:00+02:00", "--key", "carol.pem", "--witness-key", "erin.pem",
        ])
        setup.append(["checkpoint", "--log-key", "log.pem"])
        for arguments in setup {
            let result = try ledger(arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }
        let sqlite = try CLI.shell(
            "sqlite3 foreign.db 'PRAGMA journal_mode=WAL; CREATE TABLE t(x); INSERT INTO t VALUES (1);'"
                + " && sqlite3 rollback.db 'CREATE TABLE meta(name, value);'", in: directory.url)
        #expect(sqlite.status == 0, "\(sqlite.stderr)")
        try write("notes.txt", "not a database\n")
        try write("garbage.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
        try write("bad.csv", "kind,value,category,country\nip,300.1.1.1,phishing,NL\n")
        try write("bad.jsonl", #"{"type":"ledger.note","stream":"ledger","data":{"text":"x"},"bogus":1}"# + "\n")
        try write(
            "unknown.jsonl",
            #"{"type":"ledger.note","stream":"ledger","data":{"text":"x"}}"# + "\n"
                + #"{"type":"ledger.nope","stream":"ledger","data":{}}"# + "\n")
        try write("empty.txt", "")
        try write("late.jsonl", #"{"type":"ledger.note","stream":"ledger","data":{"text":"x"},"expect_rev":9}"# + "\n")
        try write("checkpoint.txt", "not a checkpoint\n")
        try write("request.json", #"{"not":"a request"}"#)
        try write("broken.statements", #"{"sigs":[],"statement":{}}"# + "\n")
        try write(
            "ev1.head.json",
            #"{"genesis":"\#(String(repeating: "0", count: 64))","ledger":"ledger.test.example/failed","prev":"\#(String(repeating: "0", count: 64))","rev":0,"stream":"item/EV-1"}"#
        )
    }

    /// Commands a user may get wrong, each refused: `[arguments]` and the words its one-line error must hold.
    private static let refused: [(arguments: [String], says: String)] = [
        (
            [
                "append", "--type", "ledger.note", "--stream", "ledger", "--data", #"{"text":"x"}"#, "--key",
                "garbage.pem",
            ],
            "garbage.pem"
        ),
        (
            ["append", "--type", "ledger.note", "--stream", "ledger", "--data", #"{"text":"x"}"#, "--key", "none.pem"],
            "none.pem"
        ),
        (
            ["append", "--type", "ledger.note", "--stream", "ledger", "--data", #"{"text":"x"}"#, "--key", "log.pem"],
            "--key log.pem is the ledger's log key"
        ),
        (
            [
                "append", "--type", "ledger.note", "--stream", "ledger", "--data", #"{"text":"a","text":"b"}"#, "--key",
                "admin.pem",
            ], "duplicate member"
        ),
        (
            ["append", "--type", "no.such.type", "--stream", "ledger", "--data", "{}", "--key", "admin.pem"],
            "unknown event type"
        ),
        (
            [
                "append", "--type", "ledger.note", "--stream", "case/OP-1", "--data", #"{"text":"x"}"#, "--key",
                "admin.pem",
            ],
            "not allowed in stream"
        ),
        (
            [
                "append", "--type", "ledger.note", "--stream", "ledger", "--data", #"{"text":"x"}"#, "--expect-rev",
                "7",
                "--key", "admin.pem",
            ], "revision"
        ),
        (["append", "--batch", "bad.jsonl", "--key", "admin.pem"], "bogus"),
        (["append", "--batch", "late.jsonl", "--key", "admin.pem"], "revision"),
        (["append", "--batch", "unknown.jsonl", "--key", "admin.pem"], "batch line 2: unknown event type"),
        (["head", "EV-1"], "did you mean item/EV-1?"),
        (
            [
                "key", "generate", "--out", "x.pem", "--name", "X", "--person", "x", "--agency", "NCA",
                "--passphrase-file", "empty.txt",
            ], "the passphrase file empty.txt is empty"
        ),
        (["key", "revoke", String(repeating: "a", count: 64), "--reason", " ", "--key", "admin.pem"], "--reason"),
        (["verify", "--jsonl", "custody.ledger"], "is a SQLite ledger, not a JSON Lines export"),
        (
            ["init", "--origin", "ledger.test.example/failed", "--name", "Ada", "--person", "ada", "--agency", "NCA"],
            "already exists"
        ),
        (["key", "register", "request.json", "--roles", "custodian", "--key", "admin.pem"], "request"),
        (["key", "register", "carol.json", "--roles", "custodian", "--key", "admin.pem"], "is already registered"),
        (["key", "register", "carol.json", "--roles", "admin", "--key", "carol.pem"], "may sign key.registered"),
        (
            ["transfer", "EV-1", "--to", "carol", "--purpose", "x", "--seal", "S-1", "--key", "erin.pem"],
            "only the holder carol"
        ),
        (["receive", "EV-1", "--seal", "S-1", "--location", "Lab", "--key", "erin.pem"], "EV-1"),
        (
            [
                "item", "seize", "EV-2", "--case", "OP-9", "--exhibit", "C/2", "--kind", "phone", "--description", "x",
                "--seal", "S-2", "--location", "Room B", "--from", "P-1", "--authority", "W 7", "--key", "carol.pem",
                "--witness-key", "erin.pem",
            ], "OP-9"
        ),
        (
            [
                "item", "seize", "EV-1", "--case", "OP-1", "--exhibit", "C/1", "--kind", "laptop", "--description", "x",
                "--seal", "S-1", "--location", "Room B", "--from", "P-1", "--authority", "W 7", "--key", "carol.pem",
                "--witness-key", "erin.pem",
            ], "EV-1"
        ),
        (
            [
                "case", "open", "OP-1", "--title", "Again", "--legal-basis", "x", "--agency", "NCA", "--key",
                "carol.pem",
            ],
            "OP-1"
        ),
        (["target", "import", "bad.csv", "--case", "OP-1", "--source", "feed", "--key", "tina.pem"], "line 2"),
        (["checkpoint", "--log-key", "admin.pem"], "log key"),
        // Format 2: statements and the log key.
        (["submit", "broken.statements"], "broken.statements line 1"),
        (["submit", "nothing.statements"], "nothing.statements"),
        (["log-key", "rotate", "--out", "log2.pem", "--key", "carol.pem"], "log-key-rotated"),
        (["log-key", "rotate", "--out", "log.pem", "--key", "admin.pem"], "never overwritten"),
        (
            [
                "item", "seize", "EV-1", "--case", "OP-1", "--exhibit", "C/1", "--kind", "laptop", "--description", "x",
                "--location", "x", "--from", "x", "--authority", "x", "--key", "carol.pem", "--witness", "x", "--head",
                "ev1.head.json", "--out", "x.statements",
            ], "--witness must be a key id"
        ),
        (
            ["item", "store", "EV-1", "--location", "Shelf", "--key", "carol.pem", "--out", "x.statements"],
            "--head"
        ),
        (["verify", "--checkpoint", "checkpoint.txt"], "checkpoint"),
        (["proof", "inclusion", "999"], "999"),
        (["export", "--case", "OP-9", "--out", "bundle"], "OP-9"),
        (["log", "--ledger", "foreign.db"], "not a custody ledger"),
        (["verify", "--ledger", "foreign.db"], "not a custody ledger"),
        (
            [
                "append", "--ledger", "foreign.db", "--type", "ledger.note", "--stream", "ledger", "--data",
                #"{"text":"x"}"#, "--key", "admin.pem",
            ], "not a custody ledger"
        ),
        (["rebuild", "--ledger", "foreign.db"], "not a custody ledger"),
        (["items", "--ledger", "rollback.db"], "not a custody ledger"),
        (
            [
                "append", "--ledger", "rollback.db", "--type", "ledger.note", "--stream", "ledger", "--data",
                #"{"text":"x"}"#, "--key", "admin.pem",
            ], "not a custody ledger"
        ),
        (["stats", "--ledger", "notes.txt"], "not a custody ledger"),
        (["rebuild", "--ledger", "notes.txt"], "not a custody ledger"),
    ]

    @Test func everyRefusedCommandLeavesEveryFileByteIdentical() throws {
        try setUp()
        for (arguments, says) in Self.refused {
            let before = try snapshot()
            let result = try ledger(arguments)
            #expect(result.status != 0, "\(arguments) succeeded: \(result.stdout)")
            #expect(result.stderr.contains(says), "\(arguments): \(result.stderr)")
            #expect(
                result.stderr.split(separator: "\n").count == 1, "\(arguments): not one line: \(result.stderr)")
            let after = try snapshot()
            for (name, hash) in before where after[name] != hash {
                Issue.record("\(arguments) changed \(name)")
            }
            for name in after.keys where before[name] == nil { Issue.record("\(arguments) created \(name)") }
        }
        let verify = try ledger(["verify"])
        #expect(verify.status == 0, "\(verify.stdout)")
    }

    /// The role is checked before what the entry would do: a custodian who may not revoke keys is told so, not
    /// that the last admin key cannot be revoked.
    @Test func aCustodianRevokingTheAdminKeyIsToldCustodiansMayNotRevoke() throws {
        try setUp()
        let keys = try ledger(["key", "list", "--json"])
        let list = try keys.stdout.split(separator: "\n").compactMap {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let admin = try #require(list.first { ($0["person"] as? String) == "ada" }?["key_id"] as? String)
        let refused = try ledger(["key", "revoke", admin, "--reason", "test", "--key", "carol.pem"])
        #expect(refused.status != 0)
        #expect(!refused.stderr.contains("last admin"), "\(refused.stderr)")
        #expect(refused.stderr.contains("none of which may sign key.revoked"), "\(refused.stderr)")
        // The admin still hears the rule that applies to them.
        let last = try ledger(["key", "revoke", admin, "--reason", "test", "--key", "admin.pem"])
        #expect(last.stderr.contains("the last admin key cannot be revoked"), "\(last.stderr)")
    }

    /// With write access to the database but no admin key, raising one's own roles in the keys table or naming
    /// oneself holder in the items table gets nothing into the log: the rows are checked against the log first.
    @Test func handEditedProjectionRowsAreCheckedAgainstTheLogBeforeDeciding() throws {
        try setUp()
        try write(
            "dave.json",
            try ledger([
                "key", "generate", "--out", "dave.pem", "--name", "dave", "--person", "dave", "--agency", "NCA",
            ]).stdout)
        let raise = try CLI.shell(
            "sqlite3 custody.ledger \"UPDATE keys SET roles = 'admin case-officer custodian' WHERE person = 'carol'\"",
            in: directory.url)
        #expect(raise.status == 0, "\(raise.stderr)")
        var before = try snapshot()
        let register = try ledger(["key", "register", "dave.json", "--roles", "admin", "--key", "carol.pem"])
        #expect(register.status == 1, "\(register.stdout) \(register.stderr)")
        #expect(register.stderr.contains("the keys projection of key"), "\(register.stderr)")
        #expect(register.stderr.contains("differs from the log") && register.stderr.contains("ledger verify"))
        #expect(try snapshot() == before)
        let restore = try CLI.shell(
            "sqlite3 custody.ledger \"UPDATE keys SET roles = 'case-officer custodian' WHERE person = 'carol'\"",
            in: directory.url)
        #expect(restore.status == 0, "\(restore.stderr)")
        let entries = try ledger(["log", "--format", "jsonl"]).stdout.split(separator: "\n").count

        let holder = try CLI.shell(
            "sqlite3 custody.ledger \"UPDATE items SET holder = 'erin', state = replace(state, '\\\"holder\\\":\\\"carol\\\"',"
                + " '\\\"holder\\\":\\\"erin\\\"') WHERE key = 'EV-1'\"",
            in: directory.url)
        #expect(holder.status == 0, "\(holder.stderr)")
        let edited = try CLI.shell(
            "sqlite3 custody.ledger \"SELECT state FROM items WHERE key = 'EV-1'\"", in: directory.url)
        #expect(edited.stdout.contains(#""holder":"erin""#), "\(edited.stdout)")
        before = try snapshot()
        let transfer = try ledger([
            "transfer", "EV-1", "--to", "carol", "--purpose", "x", "--seal", "S-1", "--key", "erin.pem",
        ])
        #expect(transfer.status == 1, "\(transfer.stdout) \(transfer.stderr)")
        #expect(
            transfer.stderr.contains("the items projection of item EV-1 differs from the log"), "\(transfer.stderr)")
        #expect(try snapshot() == before)
        #expect(try ledger(["log", "--format", "jsonl"]).stdout.split(separator: "\n").count == entries)
    }

    /// A disk that fills during a batch (a file size limit: writes fail with EFBIG, as with ENOSPC) rolls the whole
    /// batch back: one line naming the cause, the ledger byte-identical and verifying.
    @Test func aDiskThatFillsDuringABatchChangesNothing() throws {
        try setUp()
        let lines = (1...3000).map {
            #"{"type":"ledger.note","stream":"ledger","data":{"text":"note \#($0) \#(String(repeating: "x", count: 200))"}}"#
        }
        try write("big.jsonl", lines.joined(separator: "\n"))
        let before = try snapshot()
        let full = try CLI.shell(
            "trap '' XFSZ; ulimit -f \(600 + 2 * 1024); exec '\(CLI.executable.path)' append --batch big.jsonl"
                + " --key admin.pem",
            in: directory.url)
        #expect(full.status == 2, "\(full.stdout) \(full.stderr)")
        #expect(full.stderr.contains("nothing was written"), "\(full.stderr)")
        #expect(full.stderr.split(separator: "\n").count == 1, "\(full.stderr)")
        #expect(try snapshot() == before)
        #expect(try ledger(["verify"]).status == 0)
    }
}
