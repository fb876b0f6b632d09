import Foundation
import LedgerCrypto
import LedgerTestSupport
import Testing

/// Processes killed at exact points, named by `LEDGER_PAUSE_AT` in debug builds.
///
/// Inside the write transaction, after the commit but before the report, between the chunks of a batch, in the
/// middle of a rebuild's bulk load: each kill leaves the ledger complete and verifying, with exactly the entries that
/// were committed.
@Suite(.serialized)
struct CrashPointTests {
    let directory = TemporaryDirectory("ledger-crash-points")

    private func ledger(_ arguments: [String]) throws -> CLI.Output { try CLI.run(arguments, in: directory.url) }

    private func count() throws -> Int {
        try ledger(["log", "--format", "jsonl"]).stdout.split(separator: "\n").count
    }

    private func setUp() throws {
        let result = try ledger(["init", "--origin", "ledger.test.example/crash"])
        #expect(result.status == 0, "\(result.stderr)")
    }

    /// Runs `ledger arguments` until it pauses at `point`, then kills it with SIGKILL; false if it never paused.
    private func killAt(_ point: String, _ arguments: [String]) throws -> Bool {
        let (process, _, err) = try CLI.start(arguments, in: directory.url, environment: ["LEDGER_PAUSE_AT": point])
        var seen = Data()
        let name = point.split(separator: ":")[0]
        while !String(decoding: seen, as: UTF8.self).contains("paused at \(name)") {
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty { break }  // the process ended without reaching the point
            seen.append(chunk)
        }
        let paused = String(decoding: seen, as: UTF8.self).contains("paused at \(name)")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(paused, "\(arguments) never reached \(point): \(String(decoding: seen, as: UTF8.self))")
        return paused
    }

    private func expectVerifies() throws {
        let verify = try ledger(["verify"])
        #expect(verify.status == 0, "\(verify.stdout)")
    }

    private let note = [
        "append", "--type", "ledger.note", "--stream", "ledger", "--data", #"{"text":"n"}"#, "--key",
        "admin.pem",
    ]

    @Test func killedInsideTheTransactionBeforeCommitLeavesNothing() throws {
        try setUp()
        let before = try count()
        #expect(try killAt("append.before-commit", note))
        #expect(try count() == before)
        try expectVerifies()
        #expect(try ledger(note).status == 0, "the next append goes ahead")
        #expect(try count() == before + 1)
    }

    @Test func aGroupOfStatementsKilledBeforeOrAfterItsCommitIsAllInOrAllOutAndResubmissionGivesEveryReceipt()
        throws
    {
        let result = try ledger(["init", "--format", "2", "--origin", "ledger.test.example/crash2"])
        #expect(result.status == 0, "\(result.stderr)")
        let head = try ledger(["head", "ledger", "--json"])
        try Data(head.stdout.utf8).write(to: directory.url.appendingPathComponent("head.json"))
        for text in ["a", "b", "c"] {
            let sign = try ledger([
                "sign", "--head", "head.json", "--type", "ledger.note", "--data", #"{"text":"\#(text)"}"#, "--key",
                "admin.pem", "--out", "group.statements",
            ])
            #expect(sign.status == 0, "\(sign.stderr)")
        }
        let before = try count()
        #expect(try killAt("append.before-commit", ["submit", "group.statements"]))
        #expect(try count() == before)
        try expectVerifies()
        #expect(try killAt("append.after-commit", ["submit", "group.statements"]))
        #expect(try count() == before + 3)
        try expectVerifies()
        let again = try ledger(["submit", "group.statements", "--receipts", "receipts"])
        #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
        #expect(again.stdout.components(separatedBy: "already recorded").count == 4)
        for seq in (before + 1)...(before + 3) {
            let proof = try ledger(["proof", "verify", "receipts/\(seq).receipt", "--trust-log-key", try vkey()])
            #expect(proof.status == 0, "\(proof.stderr)")
        }
        // Asked again, after more entries, the receipts are the same bytes: each is against its group's checkpoint.
        #expect(try ledger(note).status == 0)
        let third = try ledger(["submit", "group.statements", "--receipts", "receipts-again"])
        #expect(third.status == 0, "\(third.stdout)\(third.stderr)")
        for seq in (before + 1)...(before + 3) {
            let first = try Data(contentsOf: directory.url.appendingPathComponent("receipts/\(seq).receipt"))
            let again = try Data(contentsOf: directory.url.appendingPathComponent("receipts-again/\(seq).receipt"))
            #expect(first == again)
        }
    }

    private func vkey() throws -> String {
        let lines = try ledger(["verify"]).stdout.split(separator: "\n")
        let line = try #require(lines.first { $0.contains("log key") })
        return String(try #require(line.split(separator: " ").first { $0.contains("+") }))
    }

    @Test func killedAfterCommitBeforeTheReportKeepsTheEntry() throws {
        try setUp()
        let before = try count()
        let id = "6f2c0d1e-8a4b-4c3d-9e5f-0a1b2c3d4e5f"
        #expect(try killAt("append.after-commit", note + ["--id", id]))
        #expect(try count() == before + 1)
        try expectVerifies()
        // Retrying the unreported append with its id finds it recorded, and appends nothing.
        let retry = try ledger(note + ["--id", id])
        #expect(retry.status == 0 && retry.stdout.contains("already recorded"), "\(retry.stdout) \(retry.stderr)")
        #expect(try count() == before + 1)
    }

    /// A writer killed after its commit leaves a WAL with the entry; a read command, failing or not, leaves the
    /// database file and that WAL byte-identical (it does not checkpoint the WAL into the file and delete it).
    @Test func aReadAfterAKilledWriterLeavesItsWALAsItWas() throws {
        try setUp()
        let entries = try count()
        #expect(try killAt("append.after-commit", note))
        func hashes() -> [String] {
            ["custody.ledger", "custody.ledger-wal"].map { name in
                guard let bytes = FileManager.default.contents(atPath: directory.path(name)) else { return "absent" }
                return Hex.encode(SHA256.hash(Array(bytes)))
            }
        }
        let before = hashes()
        let failing = try ledger(["item", "show", "EV-404"])
        #expect(failing.status != 0)
        #expect(hashes() == before, "a failed read command changed the ledger or its WAL")
        let verify = try ledger(["verify"])
        #expect(verify.status == 0, "\(verify.stdout)")
        #expect(hashes() == before, "verify changed the ledger or its WAL")
        #expect(try count() == entries + 1, "the killed writer's entry is read from its WAL")
        #expect(try ledger(note).status == 0, "the next writer goes ahead")
    }

    @Test func killedBetweenChunksKeepsExactlyTheCommittedChunks() throws {
        try setUp()
        let lines = (1...500).map { #"{"type":"ledger.note","stream":"ledger","data":{"text":"line \#($0)"}}"# }
        try Data(lines.joined(separator: "\n").utf8).write(to: directory.url.appendingPathComponent("batch.jsonl"))
        let before = try count()
        // The third chunk's transaction is written and not committed: the two before it are.
        #expect(
            try killAt(
                "append.before-commit:3", ["append", "--batch", "batch.jsonl", "--chunk", "100", "--key", "admin.pem"]))
        #expect(try count() == before + 200)
        try expectVerifies()
        #expect(
            try killAt(
                "append.after-commit:2", ["append", "--batch", "batch.jsonl", "--chunk", "100", "--key", "admin.pem"]))
        #expect(try count() == before + 400)
        try expectVerifies()
    }

    @Test func killedInTheMiddleOfARebuildLeavesTheProjectionsAsTheyWere() throws {
        let demo = try ledger(["demo", "op", "--targets", "20"])
        #expect(demo.status == 0, "\(demo.stderr)")
        let ledgerPath = "op/custody.ledger"
        let before = try ledger(["items", "--ledger", ledgerPath, "--json"]).stdout
        #expect(try killAt("rebuild.bulk-load", ["rebuild", "--ledger", ledgerPath]))
        #expect(try ledger(["items", "--ledger", ledgerPath, "--json"]).stdout == before)
        let verify = try ledger(["verify", "--ledger", ledgerPath])
        #expect(verify.status == 0, "\(verify.stdout)")
        #expect(try ledger(["rebuild", "--ledger", ledgerPath]).status == 0)
    }

    @Test func killedBeforeAnExportsRenameLeavesNoBundleAndTheNextExportRemovesWhatItLeft() throws {
        let demo = try ledger(["demo", "op", "--targets", "20"])
        #expect(demo.status == 0, "\(demo.stderr)")
        let items = try ledger(["items", "--ledger", "op/custody.ledger", "--json"]).stdout
        let item = try #require(try JSONLines.objects(items).first?["id"] as? String)
        let export = ["export", "--ledger", "op/custody.ledger", "--item", item, "--out", "bundle"]
        #expect(try killAt("export.rename", export + ["--log-key", "op/keys/log.pem"]))
        let manager = FileManager.default
        #expect(!manager.fileExists(atPath: directory.path("bundle")), "no bundle appears before its rename")
        let left = try manager.contentsOfDirectory(atPath: directory.url.path).filter {
            $0.hasPrefix(".bundle.partial-")
        }
        #expect(left.count == 1, "\(left)")
        let again = try ledger(export + ["--log-key", "op/keys/log.pem"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("removed") || again.stderr.contains("removed"), "\(again.stdout)")
        #expect(
            try manager.contentsOfDirectory(atPath: directory.url.path).filter { $0.hasPrefix(".bundle.partial-") }
                .isEmpty)
        let check = try ledger(["verify-bundle", "bundle"])
        #expect(check.status == 0, "\(check.stdout)")
    }
}
