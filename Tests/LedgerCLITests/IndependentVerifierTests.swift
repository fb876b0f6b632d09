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
}
