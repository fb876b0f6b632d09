import Foundation
import LedgerTestSupport
import Testing

/// Cross-checks with tools/independent-verifier/ivl.py, a verifier and writer written from docs/FORMAT.md alone.
///
/// Needs python3 with the `cryptography` package; `.ci/run` installs it, and on CI the test is never skipped.
struct IndependentVerifierTests {
    static let available: Bool = {
        let check = try? CLI.shell("python3 -c 'import cryptography'", in: Repository.root)
        return check?.status == 0 || ProcessInfo.processInfo.environment["CI"] == "true"
    }()

    private var script: String { Repository.root.appendingPathComponent("tools/independent-verifier/ivl.py").path }

    @Test(.enabled(if: available)) func independentVerifierAcceptsOurExportAndWeAcceptItsLedger() throws {
        let directory = TemporaryDirectory("ledger-independent")
        let run = { (arguments: [String]) throws -> CLI.Output in try CLI.run(arguments, in: directory.url) }
        #expect(try run(["init", "--origin", "ledger.test.example/independent"]).status == 0)
        _ = try run([
            "key", "generate", "--out", "bob.pem", "--name", "Bob", "--person", "bob", "--agency", "X", "--request-out",
            "bob.json",
        ])
        #expect(try run(["key", "register", "bob.json", "--roles", "supervisor", "--key", "admin.pem"]).status == 0)
        #expect(
            try run([
                "append", "--type", "ledger.note", "--stream", "ledger", "--data",
                #"{"text":"Zeugin: Frau Ünal\nline 2"}"#, "--key", "bob.pem",
            ]).status == 0)
        #expect(try run(["checkpoint", "--out", "checkpoint.txt"]).status == 0)
        let export = try run(["log", "--format", "jsonl"])
        try Data(export.stdout.utf8).write(to: directory.url.appendingPathComponent("ledger.jsonl"))

        let theirs = try CLI.shell(
            "python3 '\(script)' verify ledger.jsonl --checkpoint checkpoint.txt", in: directory.url)
        #expect(theirs.status == 0, "\(theirs.stdout)\(theirs.stderr)")

        let written = try CLI.shell(
            "python3 '\(script)' write independent --origin independent.example/x --entries 15", in: directory.url)
        #expect(written.status == 0, "\(written.stderr)")
        let vkey = try String(contentsOf: directory.url.appendingPathComponent("independent/log.vkey"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let ours = try run([
            "verify", "--jsonl", "independent/ledger.jsonl", "--checkpoint", "independent/checkpoint",
            "--trust-log-key", vkey,
        ])
        #expect(ours.status == 0, "\(ours.stdout)")

        // And both reject the same tampering.
        let changed = export.stdout.replacingOccurrences(of: "line 2", with: "line 3")
        try Data(changed.utf8).write(to: directory.url.appendingPathComponent("changed.jsonl"))
        #expect(try CLI.shell("python3 '\(script)' verify changed.jsonl", in: directory.url).status == 1)
        #expect(try run(["verify", "--jsonl", "changed.jsonl"]).status == 1)
    }

    /// Format version 2 both ways: our export and receipt checked by the independent verifier, and a ledger the
    /// independent writer made (with an offline, co-signed seizure) verified by `ledger verify --jsonl`.
    @Test(.enabled(if: available)) func bothVerifiersAgreeOnVersion2Ledgers() throws {
        let directory = TemporaryDirectory("ledger-independent-v2")
        let run = { (arguments: [String]) throws -> CLI.Output in try CLI.run(arguments, in: directory.url) }
        #expect(try run(["init", "--format", "2", "--origin", "ledger.test.example/iv2"]).status == 0)
        let head = try run(["head", "ledger", "--json"])
        try Data(head.stdout.utf8).write(to: directory.url.appendingPathComponent("head.json"))
        for text in ["one", "two"] {
            let sign = try run([
                "sign", "--head", "head.json", "--type", "ledger.note", "--data", #"{"text":"\#(text)"}"#, "--key",
                "admin.pem", "--out", "notes.statements",
            ])
            #expect(sign.status == 0, "\(sign.stderr)")
        }
        #expect(try run(["submit", "notes.statements", "--receipts", "receipts"]).status == 0)
        #expect(
            try run([
                "append", "--type", "ledger.note", "--stream", "ledger", "--data", #"{"text":"three"}"#, "--key",
                "admin.pem",
            ]).status == 0)
        let export = try run(["log", "--format", "jsonl"])
        try Data(export.stdout.utf8).write(to: directory.url.appendingPathComponent("ledger.jsonl"))
        #expect(try run(["checkpoint", "--log-key", "log.pem", "--out", "checkpoint.txt"]).status == 0)
        let theirs = try CLI.shell(
            "python3 '\(script)' verify ledger.jsonl --checkpoint checkpoint.txt", in: directory.url)
        #expect(theirs.status == 0, "\(theirs.stdout)\(theirs.stderr)")
        let uncovered = try CLI.shell("python3 '\(script)' verify ledger.jsonl", in: directory.url)
        #expect(uncovered.status == 1, "\(uncovered.stdout)")
        let vkeyLine = try run(["verify"]).stdout.split(separator: "\n").first { $0.contains("log key") } ?? ""
        let vkey = String(vkeyLine.split(separator: " ").first { $0.contains("+") } ?? "")
        let receipt = try CLI.shell(
            "python3 '\(script)' proof-verify receipts/3.receipt --vkey '\(vkey)'", in: directory.url)
        #expect(receipt.status == 0, "\(receipt.stdout)\(receipt.stderr)")

        let written = try CLI.shell(
            "python3 '\(script)' write independent --format 2 --origin independent.example/v2", in: directory.url)
        #expect(written.status == 0, "\(written.stderr)")
        let theirVKey = try String(
            contentsOf: directory.url.appendingPathComponent("independent/log.vkey"), encoding: .utf8
        ).trimmingCharacters(in: .whitespacesAndNewlines)
        let ours = try run([
            "verify", "--jsonl", "independent/ledger.jsonl", "--checkpoint", "independent/checkpoint",
            "--trust-log-key", theirVKey,
        ])
        #expect(ours.status == 0, "\(ours.stdout)")
        #expect(ours.stdout.contains("OK: the ledger verifies"), "\(ours.stdout)")
    }

    /// Our inclusion proofs, consistency proofs and witness cosignatures, checked by the independent verifier.
    @Test(.enabled(if: available)) func independentVerifierAcceptsOurProofsAndCosignatures() throws {
        let directory = TemporaryDirectory("ledger-independent-proofs")
        let run = { (arguments: [String]) throws -> CLI.Output in try CLI.run(arguments, in: directory.url) }
        let initialize = try run(["init", "--origin", "ledger.test.example/proofs", "--json"])
        #expect(initialize.status == 0)
        let vkey =
            (try JSONSerialization.jsonObject(with: Data(initialize.stdout.utf8)) as? [String: Any])?["log_vkey"]
            as? String ?? ""
        for index in 1...6 {
            _ = try run([
                "append", "--type", "ledger.note", "--stream", "ledger", "--data", "{\"text\":\"n\(index)\"}", "--key",
                "admin.pem",
            ])
        }
        #expect(try run(["checkpoint"]).status == 0)
        #expect(try run(["witness", "init", "--name", "witness.test.example", "--dir", "w"]).status == 0)
        #expect(try run(["witness", "add-log", "ledger.test.example/proofs", vkey, "--dir", "w"]).status == 0)
        let checkpoint = try run(["checkpoint", "--latest"])
        try Data(checkpoint.stdout.utf8).write(to: directory.url.appendingPathComponent("cp.txt"))
        let cosign = try run(["witness", "cosign", "cp.txt", "--dir", "w"])
        #expect(cosign.status == 0, "\(cosign.stderr)")
        try Data(cosign.stdout.utf8).write(to: directory.url.appendingPathComponent("cosig.txt"))
        let witnessKey =
            ((try JSONSerialization.jsonObject(
                with: try Data(contentsOf: directory.url.appendingPathComponent("w/witness.json"))) as? [String: Any])?[
                    "vkey"] as? String) ?? ""
        #expect(try run(["checkpoint", "add-cosignature", "8", "cosig.txt", "--witness", witnessKey]).status == 0)
        for seq in [1, 5, 8] {
            #expect(try run(["proof", "inclusion", String(seq), "--out", "p\(seq).tlog-proof"]).status == 0)
            let record = try run(["log", "--format", "jsonl", "--from", String(seq), "--to", String(seq)])
            try Data(record.stdout.utf8).write(to: directory.url.appendingPathComponent("e\(seq).json"))
            let theirs = try CLI.shell(
                "python3 '\(script)' proof-verify p\(seq).tlog-proof --entry e\(seq).json --vkey '\(vkey)'"
                    + " --witness '\(witnessKey)' --witness-quorum 1", in: directory.url)
            #expect(theirs.status == 0, "seq \(seq): \(theirs.stdout)\(theirs.stderr)")
        }
        let wrong = try CLI.shell(
            "python3 '\(script)' proof-verify p5.tlog-proof --entry e1.json --vkey '\(vkey)'", in: directory.url)
        #expect(wrong.status == 1)
        let consistency = try run(["proof", "consistency", "3", "8", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(consistency.stdout.utf8)) as? [String: Any]
        let hashes = (object?["hashes"] as? [String]) ?? []
        try Data((hashes.joined(separator: "\n") + "\n").utf8).write(to: directory.url.appendingPathComponent("c.txt"))
        let consistent = try CLI.shell(
            "python3 '\(script)' consistency-verify --old 3 --new 8 --old-root '\(object?["old_root"] as? String ?? "")'"
                + " --new-root '\(object?["new_root"] as? String ?? "")' c.txt", in: directory.url)
        #expect(consistent.status == 0, "\(consistent.stdout)\(consistent.stderr)")
    }
}
