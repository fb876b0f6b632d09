import Foundation
import LedgerTestSupport
import Testing

/// `ledger copy` as a user runs it: the copy verifies as the source does, with the same root, and the source is
/// never changed; an existing `--to` is refused with one line.
struct CopyEndToEndTests {
    private static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// A text report of `ledger verify` without the lines that name the file verified and the versions.
    private static func verdict(_ report: String) -> [Substring] {
        report.split(separator: "\n").filter { !$0.hasPrefix("  source ") && !$0.hasPrefix("  versions ") }
    }

    @Test func aDemoLedgerCopiesAndTheCopyVerifies() throws {
        let directory = TemporaryDirectory("ledger-copy")
        let folder = directory.url
        let demo = try CLI.run(["demo", "op", "--targets", "10"], in: folder)
        try #require(demo.status == 0, "\(demo.stderr)")
        let source = folder.appendingPathComponent("op/custody.ledger")
        let before = try Data(contentsOf: source)

        let copy = try CLI.run(["copy", "--from", "op/custody.ledger", "--to", "moved.ledger", "--json"], in: folder)
        #expect(copy.status == 0, "\(copy.stderr)")
        let report = try Self.json(copy.stdout)
        let root = try #require(report["source_root"] as? String)
        #expect(report["copy_root"] as? String == root)
        #expect(report["entries"] as? Int == report["copied_entries"] as? Int)
        #expect((report["entries"] as? Int ?? 0) > 50)
        #expect((report["checkpoints"] as? Int ?? 0) > 0)

        let verify = try CLI.run(["verify", "--ledger", "moved.ledger"], in: folder)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        let original = try CLI.run(["verify", "--ledger", "op/custody.ledger"], in: folder)
        #expect(original.status == 0)
        // The same verdict over the same tree, line for line.
        #expect(Self.verdict(verify.stdout) == Self.verdict(original.stdout))
        #expect(verify.stdout.contains(root))
        #expect(try Data(contentsOf: source) == before)

        // The text report names both roots.
        let again = try CLI.run(["copy", "--from", "op/custody.ledger", "--to", "second.ledger"], in: folder)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.components(separatedBy: root).count == 3, "\(again.stdout)")
    }

    @Test func anExistingDestinationIsRefusedWithOneLine() throws {
        let directory = TemporaryDirectory("ledger-copy-refused")
        let folder = directory.url
        let demo = try CLI.run(["demo", "op", "--targets", "10"], in: folder)
        try #require(demo.status == 0, "\(demo.stderr)")
        let occupied = folder.appendingPathComponent("occupied.ledger")
        try Data("someone's file".utf8).write(to: occupied)
        let source = folder.appendingPathComponent("op/custody.ledger")
        let before = try Data(contentsOf: source)

        // --from defaults to $LEDGER_PATH, as --ledger does.
        let refused = try CLI.run(
            ["copy", "--to", "occupied.ledger"], in: folder, environment: ["LEDGER_PATH": "op/custody.ledger"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("already exists"), "\(refused.stderr)")
        #expect(refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
        #expect(try Data(contentsOf: occupied) == Data("someone's file".utf8))
        #expect(try Data(contentsOf: source) == before)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["occupied.ledger", "op"])
    }

    @Test func theV1FixtureCopiesWithItsFindingsAndCosignatures() throws {
        let directory = TemporaryDirectory("ledger-copy-v1")
        let folder = directory.url
        let fixture = V1FixtureTests.fixture.appendingPathComponent("custody.ledger")
        let source = folder.appendingPathComponent("v1.ledger")
        try FileManager.default.copyItem(at: fixture, to: source)
        let before = try Data(contentsOf: source)

        let copy = try CLI.run(["copy", "--from", "v1.ledger", "--to", "copy.ledger", "--json"], in: folder)
        #expect(copy.status == 0, "\(copy.stderr)")
        let report = try Self.json(copy.stdout)
        #expect(report["entries"] as? Int == 18)
        #expect(report["checkpoints"] as? Int == 2)
        #expect(report["cosignatures"] as? Int == 2)
        #expect(report["copy_root"] as? String == report["source_root"] as? String)

        // Findings only, as the release that wrote it reported: exit 3 for both, and the witness's cosignature on the
        // copied checkpoint still counts.
        let vkey = try String(
            contentsOf: V1FixtureTests.fixture.appendingPathComponent("witness.vkey"), encoding: .utf8
        )
        .trimmingCharacters(in: .newlines)
        let checkpoint = V1FixtureTests.fixture.appendingPathComponent("checkpoint.txt").path
        let verdicts = try ["v1.ledger", "copy.ledger"].map { ledger in
            let verify = try CLI.run(
                [
                    "verify", "--ledger", ledger, "--checkpoint", checkpoint, "--witness", vkey, "--witness-quorum",
                    "1",
                ], in: folder)
            #expect(verify.status == 3, "\(ledger): \(verify.stdout)\(verify.stderr)")
            return Self.verdict(verify.stdout)
        }
        #expect(verdicts[0] == verdicts[1])
        #expect(try Data(contentsOf: source) == before)
    }
}
