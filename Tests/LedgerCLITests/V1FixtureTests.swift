import Foundation
import LedgerTestSupport
import Testing

/// A ledger written by the last release of format v1 (`Tests/Fixtures/ledger-v1`, see its README.md) must verify
/// forever with the output that release printed: the same stdout, apart from the tool and library versions, and
/// the same exit status.
///
/// Each test works on a copy of the fixture in a temporary folder, run there with the relative paths `make.sh`
/// used, so `source` reads as it did then. The committed files are never opened for writing.
struct V1FixtureTests {
    static let fixture = Repository.root.appendingPathComponent("Tests/Fixtures/ledger-v1")

    /// One command whose stdout and exit status the fixture holds as `expected/NAME.out` and `expected/NAME.status`.
    struct Run: Sendable, CustomTestStringConvertible {
        let name: String
        /// `{log.vkey}` and `{witness.vkey}` stand for the contents of those files.
        let arguments: [String]
        var testDescription: String { "ledger " + arguments.joined(separator: " ") }
    }

    /// The commands of `make.sh`, in its order.
    static let runs: [Run] = [
        Run(name: "verify", arguments: ["verify"]),
        Run(name: "verify-json", arguments: ["verify", "--json"]),
        Run(name: "verify-jsonl", arguments: ["verify", "--jsonl", "ledger.jsonl", "--checkpoint", "checkpoint.txt"]),
        Run(
            name: "verify-jsonl-json",
            arguments: ["verify", "--jsonl", "ledger.jsonl", "--checkpoint", "checkpoint.txt", "--json"]),
        Run(
            name: "verify-pinned",
            arguments: [
                "verify", "--trust-log-key", "{log.vkey}", "--checkpoint", "checkpoint.txt", "--witness",
                "{witness.vkey}", "--witness-quorum", "1",
            ]),
    ]

    /// Replaces what differs between builds and machines: the `versions` line of the text report and the
    /// `versions` member of the JSON one (this build's version, OpenSSL's and SQLite's); and undoes the one
    /// documented change since (README, "Changes in this release"): the root is shown in base64 with its hex beside
    /// it (`root B64 (hex HEX)`, and `root_base64` in JSON), so that it reads as the checkpoint and bag-info show it.
    static func normalized(_ output: String) throws -> String {
        let member = try Regex(#""versions":\{[^{}]*\}"#)
        let bothRoots = try Regex(#"root [A-Za-z0-9+/]{43}= \(hex ([0-9a-f]{64})\)"#)
        let base64Member = try Regex(#""root_base64":"[A-Za-z0-9+/]{43}=","#)
        return output.split(separator: "\n", omittingEmptySubsequences: false)
            .map { line -> String in
                guard !line.hasPrefix("  versions   ") else { return "  versions   …" }
                var text = String(line).replacing(member, with: #""versions":{}"#).replacing(base64Member, with: "")
                if let match = text.firstMatch(of: bothRoots), let hex = match.output[1].substring {
                    text.replaceSubrange(match.range, with: "root " + hex)
                }
                return text
            }
            .joined(separator: "\n")
    }

    /// Runs `body` with a copy of the fixture in a new temporary folder, removed afterwards.
    private static func withCopy<T>(_ body: (URL) throws -> T) throws -> T {
        let directory = TemporaryDirectory("ledger-v1-fixture")
        return try withExtendedLifetime(directory) {
            let copy = directory.url.appendingPathComponent("ledger-v1")
            try FileManager.default.copyItem(at: fixture, to: copy)
            return try body(copy)
        }
    }

    private static func contents(_ name: String, in folder: URL) throws -> String {
        try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
    }

    @Test(arguments: runs) func verifiesWithTheOutputOfTheV1Release(_ run: Run) throws {
        try Self.withCopy { copy in try Self.check(run, in: copy) }
    }

    private static func check(_ run: Run, in copy: URL) throws {
        let database = try Data(contentsOf: copy.appendingPathComponent("custody.ledger"))
        var arguments = run.arguments
        for name in ["log.vkey", "witness.vkey"] {
            let value = try contents(name, in: copy).trimmingCharacters(in: .newlines)
            arguments = arguments.map { $0 == "{\(name)}" ? value : $0 }
        }
        let result = try CLI.run(arguments, in: copy)

        let expected = try contents("expected/\(run.name).out", in: copy)
        let status = try contents("expected/\(run.name).status", in: copy).trimmingCharacters(in: .newlines)
        #expect(String(result.status) == status, "\(result.stdout)\(result.stderr)")
        #expect(try normalized(result.stdout) == normalized(expected), "\(result.stderr)")
        // Reading changes nothing, and leaves no -wal or -shm behind.
        #expect(try Data(contentsOf: copy.appendingPathComponent("custody.ledger")) == database)
        for leftover in ["custody.ledger-wal", "custody.ledger-shm"] {
            #expect(!FileManager.default.fileExists(atPath: copy.appendingPathComponent(leftover).path))
        }
    }

    /// The normalization touches the versions and nothing else.
    @Test func normalizationReplacesOnlyTheVersions() throws {
        let text = try Self.contents("expected/verify.out", in: Self.fixture)
        let json = try Self.contents("expected/verify-json.out", in: Self.fixture)
        #expect(text.contains("  versions   ledger "))
        #expect(json.contains(#""versions":{"ledger":"#))
        for output in [text, json] {
            let before = output.split(separator: "\n", omittingEmptySubsequences: false)
            let after = try Self.normalized(output).split(separator: "\n", omittingEmptySubsequences: false)
            #expect(after.count == before.count)
            #expect(zip(before, after).filter { $0 != $1 }.count == 1)
        }
        #expect(try Self.normalized(json).contains(#""versions":{}"#))
    }

    /// This build exports the v1 database to the same bytes as the v1 release did.
    @Test func exportsTheSameJSONLines() throws {
        try Self.withCopy { copy in
            let export = try CLI.run(["log", "--format", "jsonl"], in: copy)
            #expect(export.status == 0, "\(export.stderr)")
            #expect(export.stdout == (try Self.contents("ledger.jsonl", in: copy)))
        }
    }

    /// ivl.py implements the core rows of the type table (FORMAT.md §5) but none of the custody rows, so it
    /// checks the export's entries before the first custody entry: the genesis, the five key registrations and
    /// the operator's note, a complete ledger of its own, against the pinned log key.
    @Test(.enabled(if: IndependentVerifierTests.available)) func independentVerifierAcceptsTheCorePrefix() throws {
        try Self.withCopy { copy in try Self.checkCorePrefix(in: copy) }
    }

    private static func checkCorePrefix(in copy: URL) throws {
        let core: Set<String> = ["ledger.created", "key.registered", "key.revoked", "ledger.note"]
        var prefix = ""
        for line in try contents("ledger.jsonl", in: copy).split(separator: "\n") {
            let record = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            let type = (record?["body"] as? [String: Any])?["type"] as? String ?? ""
            guard core.contains(type) else { break }
            prefix += line + "\n"
        }
        try Data(prefix.utf8).write(to: copy.appendingPathComponent("core.jsonl"))
        let script = Repository.root.appendingPathComponent("tools/independent-verifier/ivl.py").path
        let theirs = try CLI.shell(
            "python3 '\(script)' verify core.jsonl --trust-log-key log.vkey --findings-exit-3", in: copy)
        #expect(theirs.status == 0, "\(theirs.stdout)\(theirs.stderr)")
        #expect(theirs.stdout.hasPrefix("OK: 7 entries, root "), "\(theirs.stdout)")
    }
}
