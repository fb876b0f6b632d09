import CourtBundle
import Foundation
import LedgerCore
import LedgerCrypto
import LedgerTestSupport
import Testing

/// Court-export bundles end to end (FORMAT.md §11): exported from the demo ledger, checked by `ledger
/// verify-bundle` and by the independent tools/verify_bundle.py, and tampered with in every way that must fail.
struct BundleEndToEndTests {
    /// One demo ledger, witnessed, with a case bundle and an item bundle, made once for every test.
    final class Fixture: Sendable {
        let directory = TemporaryDirectory("ledger-bundles")
        let vkey: String
        let witness: String
        var ledgerPath: String { directory.path("op/custody.ledger") }
        var caseBundle: URL { directory.url.appendingPathComponent("case") }
        var itemBundle: URL { directory.url.appendingPathComponent("item") }
        static let item = "EV-0064"

        init() throws {
            let root = directory.url
            let ledgerPath = directory.path("op/custody.ledger")
            func ledger(_ arguments: String...) throws -> CLI.Output { try CLI.run(arguments, in: root) }
            let demo = try ledger("demo", "op", "--targets", "12")
            guard demo.status == 0 else { throw LedgerTestError("demo failed: \(demo.stderr)") }
            let verify = try ledger("verify", "--ledger", ledgerPath, "--json")
            vkey = String(verify.stdout.split(separator: "\"").drop { $0 != "log_vkey" }.dropFirst(2).first ?? "")
            // A witness cosigns the demo's checkpoint, and the ledger stores the cosignature.
            _ = try ledger("witness", "init", "--name", "w1.test.example", "--dir", "w1")
            _ = try ledger("witness", "add-log", "ledger.demo.example/op-synergia", vkey, "--dir", "w1")
            let latest = try ledger("checkpoint", "--latest", "--ledger", ledgerPath)
            try Data(latest.stdout.utf8).write(to: root.appendingPathComponent("cp.txt"))
            let line = try ledger("witness", "cosign", "cp.txt", "--dir", "w1")
            try Data(line.stdout.utf8).write(to: root.appendingPathComponent("cosig.txt"))
            let state = try Data(contentsOf: root.appendingPathComponent("w1/witness.json"))
            witness = ((try JSONSerialization.jsonObject(with: state) as? [String: Any])?["vkey"] as? String) ?? ""
            let size = String(latest.stdout.split(separator: "\n")[1])
            let added = try ledger(
                "checkpoint", "add-cosignature", size, "cosig.txt", "--witness", witness, "--ledger", ledgerPath)
            guard added.status == 0 else { throw LedgerTestError("add-cosignature failed: \(added.stderr)") }
            for (selection, out) in [(["--case", "OP-SYNERGIA-DEMO"], "case"), (["--item", Self.item], "item")] {
                let export = try CLI.run(
                    ["export"] + selection + [
                        "--out", out, "--witness-quorum", "1", "--log-key", "op/keys/log.pem", "--ledger", ledgerPath,
                    ], in: root)
                guard export.status == 0 else { throw LedgerTestError("export failed: \(export.stderr)") }
            }
        }
    }

    struct LedgerTestError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    static let shared = Result { try Fixture() }
    var fixture: Fixture { get throws { try Self.shared.get() } }

    static let python: Bool = {
        let check = try? CLI.shell("python3 -c 'import cryptography'", in: Repository.root)
        return check?.status == 0 || ProcessInfo.processInfo.environment["CI"] == "true"
    }()

    /// The folder holding `bagit.py` and `case_validate` (`.ci/run` makes it), when they are installed.
    static let bundleTools: String? = {
        var candidates = [ProcessInfo.processInfo.environment["LEDGER_BUNDLE_TOOLS"]].compactMap { $0 }
        candidates.append(Repository.root.appendingPathComponent(".build/bundle-tools-venv/bin").path)
        return candidates.first {
            FileManager.default.isExecutableFile(atPath: $0 + "/bagit.py")
                && FileManager.default.isExecutableFile(atPath: $0 + "/case_validate")
        }
    }()

    /// On CI a missing tool fails the test instead of skipping it.
    static let checkBundleTools = bundleTools != nil || ProcessInfo.processInfo.environment["CI"] == "true"

    static let script = Repository.root.appendingPathComponent("tools/verify_bundle.py").path

    // MARK: Helpers

    /// `ledger verify-bundle DIR --trust-log-key VKEY` plus `extra`.
    func swiftVerify(_ bundle: URL, _ extra: [String] = []) throws -> CLI.Output {
        try CLI.run(["verify-bundle", bundle.path, "--trust-log-key", try fixture.vkey] + extra, in: bundle)
    }

    func pythonVerify(_ bundle: URL, _ extra: [String] = []) throws -> CLI.Output {
        let arguments = ([bundle.path, "--trust-log-key", try fixture.vkey] + extra).map { "'\($0)'" }
        return try CLI.shell("python3 '\(Self.script)' \(arguments.joined(separator: " "))", in: bundle)
    }

    /// A copy of `bundle` changed by `change`; with `rebag`, its manifests and Payload-Oxum are recomputed so
    /// that the checks behind them are what must catch the change.
    func tampered(_ bundle: URL, rebag: Bool, _ change: (URL) throws -> Void) throws -> (URL, TemporaryDirectory) {
        let holder = TemporaryDirectory("ledger-tampered")
        let copy = holder.url.appendingPathComponent("bag")
        try FileManager.default.copyItem(at: bundle, to: copy)
        try change(copy)
        if rebag { try Bags.rebag(copy) }
        return (copy, holder)
    }

    static func lines(_ bag: URL, _ file: String) throws -> [String] {
        try String(contentsOf: bag.appendingPathComponent(file), encoding: .utf8).split(separator: "\n").map(
            String.init)
    }

    static func write(_ bag: URL, _ file: String, _ lines: [String]) throws {
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: bag.appendingPathComponent(file))
    }

    /// Edits entries.jsonl and proofs.jsonl together, line by line.
    static func editLines(_ bag: URL, _ edit: (inout [String], inout [String]) throws -> Void) throws {
        var entries = try lines(bag, "data/ledger/entries.jsonl")
        var proofs = try lines(bag, "data/ledger/proofs.jsonl")
        try edit(&entries, &proofs)
        try write(bag, "data/ledger/entries.jsonl", entries)
        try write(bag, "data/ledger/proofs.jsonl", proofs)
    }

    /// Both verifiers must reject `bag`, ours naming `reason`.
    func expectRejected(
        _ bag: URL, _ reason: String, extra: [String] = [], pythonToo: Bool = true,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let ours = try swiftVerify(bag, extra)
        #expect(ours.status == 1, "verify-bundle accepted it: \(ours.stdout)", sourceLocation: sourceLocation)
        #expect(
            ours.stdout.contains(reason), "expected \"\(reason)\" in: \(ours.stdout)", sourceLocation: sourceLocation)
        if pythonToo && Self.python {
            let theirs = try pythonVerify(bag, extra)
            #expect(
                theirs.status == 1, "verify_bundle.py accepted it: \(theirs.stdout)\(theirs.stderr)",
                sourceLocation: sourceLocation)
            #expect(theirs.stdout.contains("FAILED"), "\(theirs.stdout)", sourceLocation: sourceLocation)
        }
    }

    // MARK: Tests

    @Test func exportedBundlesVerifyInBothVerifiers() throws {
        let fixture = try fixture
        for bundle in [fixture.caseBundle, fixture.itemBundle] {
            let ours = try swiftVerify(bundle, ["--witness", fixture.witness, "--witness-quorum", "1"])
            #expect(ours.status == 0, "\(ours.stdout)\(ours.stderr)")
            #expect(ours.stdout.contains("OK: the bundle verifies"))
            #expect(ours.stdout.contains("witness    w1.test.example: cosigned at"))
            #expect(!ours.stdout.contains("not pinned"))
            if Self.python {
                let theirs = try pythonVerify(bundle, ["--witness", fixture.witness, "--witness-quorum", "1"])
                #expect(theirs.status == 0, "\(theirs.stdout)\(theirs.stderr)")
            }
        }
        // Unpinned: passes, loudly.
        let unpinned = try CLI.run(["verify-bundle", fixture.itemBundle.path, "--json"], in: fixture.itemBundle)
        #expect(unpinned.status == 0)
        #expect(unpinned.stdout.contains("\"trusted\":false"))
        let text = try CLI.run(["verify-bundle", fixture.itemBundle.path], in: fixture.itemBundle)
        #expect(text.stdout.contains("log key not pinned"))
        // The full ledger confirms both disclosure statements.
        for bundle in [fixture.caseBundle, fixture.itemBundle] {
            let check = try CLI.run(
                [
                    "verify", "--ledger", fixture.ledgerPath, "--disclosure",
                    bundle.appendingPathComponent("data/ledger/disclosure").path,
                ], in: fixture.directory.url)
            #expect(check.status == 0, "\(check.stdout)")
            #expect(check.stdout.contains("disclosure true"))
        }
    }

    @Test(.enabled(if: checkBundleTools)) func bagitAndCaseValidateAcceptTheBundles() throws {
        let fixture = try fixture
        let tools = try #require(Self.bundleTools, "bagit.py and case_validate are missing: run .ci/run")
        for bundle in [fixture.caseBundle, fixture.itemBundle] {
            let bagit = try CLI.shell("'\(tools)/bagit.py' --validate '\(bundle.path)'", in: bundle)
            #expect(bagit.status == 0, "bagit.py: \(bagit.stdout)\(bagit.stderr)")
            let graph = bundle.appendingPathComponent("data/case/custody.jsonld").path
            let validate = try CLI.shell("'\(tools)/case_validate' --allow-infos '\(graph)'", in: bundle)
            #expect(validate.status == 0, "case_validate: \(validate.stdout)\(validate.stderr)")
        }
    }

    @Test func theItemBundleDisclosesItsStreamsAndSignersKeysAndNothingElse() throws {
        let fixture = try fixture
        let entries = try Self.lines(fixture.itemBundle, "data/ledger/entries.jsonl").map {
            try Entry.parse(record: Array($0.utf8))
        }
        #expect(entries.prefix(2).map(\.body.seq) == [1, 2])
        let streams = Set(entries.dropFirst().map(\.body.stream))
        #expect(streams.contains("item/\(Fixture.item)"))
        #expect(streams.allSatisfy { $0 == "item/\(Fixture.item)" || $0.hasPrefix("key/") })
        let keys = Set(entries.filter { $0.body.type == "key.registered" }.map { "key/" + $0.body.stream.dropFirst(4) })
        let signers = Set(entries.flatMap(\.sigs).map { "key/" + $0.key })
        #expect(signers.isSubset(of: keys))
        let bagit = try String(contentsOf: fixture.itemBundle.appendingPathComponent("bagit.txt"), encoding: .utf8)
        #expect(bagit == "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
        let info = try String(contentsOf: fixture.itemBundle.appendingPathComponent("bag-info.txt"), encoding: .utf8)
        for label in [
            "Source-Organization", "Bagging-Date", "External-Identifier: items \(Fixture.item)", "Payload-Oxum",
            "Ledger-Origin", "Ledger-Log-Key: \(fixture.vkey)", "Checkpoint-Size", "Checkpoint-Root",
            "Bag-Software-Agent: custody-ledger",
        ] {
            #expect(info.contains(label + (label.contains(":") ? "" : ": ")), "\(label) missing in \(info)")
        }
        let report = try String(
            contentsOf: fixture.itemBundle.appendingPathComponent("data/report/custody-report.html"), encoding: .utf8)
        #expect(report.contains("Content-Security-Policy"))
        #expect(!report.lowercased().contains("<script"))
        #expect(report.contains("<svg"))
    }

    @Test func twoExportsOfOneSelectionDifferOnlyInWhenTheyWereMade() throws {
        let fixture = try fixture
        let again = fixture.directory.url.appendingPathComponent("item-again-\(UUID().uuidString.prefix(8))")
        let export = try CLI.run(
            [
                "export", "--item", Fixture.item, "--out", again.path, "--witness-quorum", "1", "--log-key",
                "op/keys/log.pem", "--ledger", fixture.ledgerPath,
            ], in: fixture.directory.url)
        #expect(export.status == 0, "\(export.stderr)")
        for file in [
            "bagit.txt", "data/ledger/entries.jsonl", "data/ledger/proofs.jsonl", "data/ledger/checkpoint",
            "data/case/custody.jsonld",
        ] {
            let first = try Data(contentsOf: fixture.itemBundle.appendingPathComponent(file))
            let second = try Data(contentsOf: again.appendingPathComponent(file))
            #expect(first == second, "\(file) differs between two exports")
        }
        // The signed statements differ at most in when the bag was made, and the report's hash that shows it.
        let statements = try [fixture.itemBundle, again].map { bag in
            try DisclosureStatement(
                text: try SignedNote(
                    parsing: try String(
                        contentsOf: bag.appendingPathComponent("data/ledger/disclosure"), encoding: .utf8)
                ).text)
        }
        #expect(statements[0].streams == statements[1].streams)
        #expect(statements[0].export?.exporter == statements[1].export?.exporter)
        #expect(statements[0].files.map(\.path) == statements[1].files.map(\.path))
        // Exporting into an existing folder is refused and changes nothing.
        let refused = try CLI.run(
            [
                "export", "--item", Fixture.item, "--out", again.path, "--log-key", "op/keys/log.pem", "--ledger",
                fixture.ledgerPath,
            ],
            in: fixture.directory.url)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("exists already"))
    }

    @Test func oneChangedByteInAnyFileFails() throws {
        let fixture = try fixture
        for file in [
            "bagit.txt", "bag-info.txt", "manifest-sha256.txt", "tagmanifest-sha256.txt", "data/ledger/entries.jsonl",
            "data/ledger/proofs.jsonl", "data/ledger/checkpoint", "data/ledger/disclosure",
            "data/report/custody-report.html", "data/case/custody.jsonld", "data/VERIFY.md",
        ] {
            let (bag, holder) = try tampered(fixture.itemBundle, rebag: false) { bag in
                let url = bag.appendingPathComponent(file)
                var bytes = Array(try Data(contentsOf: url))
                let index = bytes.count / 2
                bytes[index] = bytes[index] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
                try Data(bytes).write(to: url)
            }
            let ours = try swiftVerify(bag)
            #expect(ours.status == 1, "\(file): \(ours.stdout)")
            if Self.python {
                #expect(try pythonVerify(bag).status == 1, "verify_bundle.py accepted a change in \(file)")
            }
            _ = holder
        }
    }

    @Test func entriesDroppedAddedDuplicatedOrReorderedFail() throws {
        let fixture = try fixture
        // The last entry of the item's stream, with its proof: the stream ends before the stated head.
        var (bag, holder) = try tampered(fixture.itemBundle, rebag: true) { bag in
            try Self.editLines(bag) { entries, proofs in
                let index = entries.lastIndex { $0.contains("\"stream\":\"item/\(Fixture.item)\"") }!
                entries.remove(at: index)
                proofs.remove(at: index)
            }
        }
        try expectRejected(bag, "the disclosure says rev")
        // An entry of another item, signed by a disclosed key, with its valid proof.
        (bag, holder) = try tampered(fixture.itemBundle, rebag: true) { bag in
            let caseEntries = try Self.lines(fixture.caseBundle, "data/ledger/entries.jsonl")
            let caseProofs = try Self.lines(fixture.caseBundle, "data/ledger/proofs.jsonl")
            let signers = Set(
                try Self.lines(bag, "data/ledger/entries.jsonl").flatMap {
                    try Entry.parse(record: Array($0.utf8)).sigs.map(\.key)
                })
            let extra = try caseEntries.firstIndex {
                let entry = try Entry.parse(record: Array($0.utf8))
                return entry.body.stream.hasPrefix("item/") && entry.body.stream != "item/\(Fixture.item)"
                    && entry.sigs.allSatisfy { signers.contains($0.key) }
            }!
            let seq = try Entry.parse(record: Array(caseEntries[extra].utf8)).body.seq
            try Self.editLines(bag) { entries, proofs in
                let at =
                    try entries.firstIndex { try Entry.parse(record: Array($0.utf8)).body.seq > seq } ?? entries.count
                entries.insert(caseEntries[extra], at: at)
                proofs.insert(caseProofs[extra], at: at)
            }
        }
        try expectRejected(bag, "which the disclosure does not list")
        // A duplicated entry.
        (bag, holder) = try tampered(fixture.itemBundle, rebag: true) { bag in
            try Self.editLines(bag) { entries, proofs in
                entries.insert(entries[3], at: 3)
                proofs.insert(proofs[3], at: 3)
            }
        }
        try expectRejected(bag, "strictly ascending seq")
        // The item's last two entries swapped.
        (bag, holder) = try tampered(fixture.itemBundle, rebag: true) { bag in
            try Self.editLines(bag) { entries, proofs in
                entries.swapAt(entries.count - 2, entries.count - 1)
                proofs.swapAt(proofs.count - 2, proofs.count - 1)
            }
        }
        try expectRejected(bag, "strictly ascending seq")
        _ = holder
    }

    @Test func aWholeItemLeftOutUnderTheOriginalStatementFails() throws {
        let fixture = try fixture
        let (bag, holder) = try tampered(fixture.caseBundle, rebag: true) { bag in
            try Self.editLines(bag) { entries, proofs in
                let drop = entries.indices.filter { entries[$0].contains("\"stream\":\"item/\(Fixture.item)\"") }
                for index in drop.reversed() {
                    entries.remove(at: index)
                    proofs.remove(at: index)
                }
            }
        }
        try expectRejected(bag, "stream item/\(Fixture.item) ends at rev 0")
        _ = holder
    }

    @Test func aDroppedKeyEntryFails() throws {
        let fixture = try fixture
        let (bag, holder) = try tampered(fixture.itemBundle, rebag: true) { bag in
            try Self.editLines(bag) { entries, proofs in
                let index = entries.indices.dropFirst(2).first { entries[$0].contains("\"type\":\"key.registered\"") }!
                entries.remove(at: index)
                proofs.remove(at: index)
            }
        }
        try expectRejected(bag, "is not a registered key")
        _ = holder
    }

    @Test func aProofSwappedWithAnotherEntrysFails() throws {
        let fixture = try fixture
        var (bag, holder) = try tampered(fixture.itemBundle, rebag: true) { bag in
            try Self.editLines(bag) { _, proofs in proofs.swapAt(2, 5) }
        }
        try expectRejected(bag, "is not the proof of seq")
        // The other entry's hashes under this entry's seq: the path does not lead to the root.
        (bag, holder) = try tampered(fixture.itemBundle, rebag: true) { bag in
            try Self.editLines(bag) { _, proofs in
                let other = proofs[5].split(separator: "]")[0]
                proofs[2] = String(other) + "]" + proofs[2].split(separator: "]", maxSplits: 1)[1]
            }
        }
        try expectRejected(bag, "does not lead to the checkpoint's root")
        _ = holder
    }

    @Test func aCheckpointSignedByAnotherKeyFails() throws {
        let fixture = try fixture
        let (bag, holder) = try tampered(fixture.itemBundle, rebag: true) { bag in
            let url = bag.appendingPathComponent("data/ledger/checkpoint")
            let note = try SignedNote(parsing: try String(contentsOf: url, encoding: .utf8))
            let origin = String(note.text.split(separator: "\n")[0])
            let forged = try SignedNote.sign(text: note.text, name: origin, key: Ed25519PrivateKey.generate())
            try Data(forged.utf8).write(to: url)
        }
        try expectRejected(bag, "is not signed by the log key")
        _ = holder
    }

    @Test func aQuorumIsNotMetByAnUnknownWitness() throws {
        let fixture = try fixture
        let stranger = TemporaryDirectory("ledger-stranger")
        let made = try CLI.run(["witness", "init", "--name", "w2.test.example", "--dir", "w2"], in: stranger.url)
        #expect(made.status == 0)
        let state = try Data(contentsOf: stranger.url.appendingPathComponent("w2/witness.json"))
        let other = ((try JSONSerialization.jsonObject(with: state) as? [String: Any])?["vkey"] as? String) ?? ""
        // The bundle's checkpoint carries w1's cosignature; the verifier names only w2.
        try expectRejected(
            fixture.itemBundle, "witness quorum not met", extra: ["--witness", other, "--witness-quorum", "1"])
    }

    @Test func aReportEditedByHandFails() throws {
        let fixture = try fixture
        for rebag in [false, true] {
            let (bag, holder) = try tampered(fixture.itemBundle, rebag: rebag) { bag in
                let url = bag.appendingPathComponent("data/report/custody-report.html")
                let html = try String(contentsOf: url, encoding: .utf8)
                try Data(html.replacingOccurrences(of: "Chain-of-custody report", with: "Chain-of-custody record").utf8)
                    .write(to: url)
            }
            // With the manifests left alone both verifiers see the changed hash; with the manifests recomputed,
            // both find that the hash differs from the one the log key signed in the disclosure statement.
            try expectRejected(bag, rebag ? "custody-report.html was changed after export" : "hash mismatch")
            _ = holder
        }
    }

    @Test func aStatementThatLeavesOutAStreamIsProvedFalseByTheLedger() throws {
        let fixture = try fixture
        let holder = TemporaryDirectory("ledger-lie")
        let statementURL = fixture.caseBundle.appendingPathComponent("data/ledger/disclosure")
        let note = try SignedNote(parsing: try String(contentsOf: statementURL, encoding: .utf8))
        let lie = note.text.split(separator: "\n", omittingEmptySubsequences: false).filter {
            !$0.hasPrefix("item/\(Fixture.item) ")
        }.joined(separator: "\n")
        let key = try Ed25519PrivateKey(
            contentsOfFile: fixture.directory.path("op/keys/log.pem"), passphrase: nil)
        let origin = String(note.text.split(separator: "\n")[1])
        let signed = try SignedNote.sign(text: lie, name: origin, key: key)
        let path = holder.path("lie")
        try Data(signed.utf8).write(to: URL(fileURLWithPath: path))
        let check = try CLI.run(["verify", "--ledger", fixture.ledgerPath, "--disclosure", path], in: holder.url)
        #expect(check.status == 1)
        #expect(check.stdout.contains("the statement leaves out stream item/\(Fixture.item)"), "\(check.stdout)")
    }
}

/// A bundle of a time-stamped checkpoint carries the RFC 3161 response, and both verifiers check it.
struct TimestampedBundleTests {
    @Test func theBundleCarriesTheTimestampAndVerifiersCheckIt() throws {
        let directory = TemporaryDirectory("ledger-bundle-tsa")
        func ledger(_ arguments: String...) throws -> CLI.Output { try CLI.run(arguments, in: directory.url) }
        let script = Repository.root.appendingPathComponent("tools/tsa/make-test-tsa.sh").path
        #expect(try CLI.shell("'\(script)' init tsa", in: directory.url).status == 0)
        #expect(try ledger("demo", "op", "--targets", "10").status == 0)
        let path = directory.path("op/custody.ledger")
        let size = String(try ledger("checkpoint", "--latest", "--ledger", path).stdout.split(separator: "\n")[1])
        #expect(try ledger("checkpoint", "timestamp-request", size, "--out", "cp.tsq", "--ledger", path).status == 0)
        #expect(try CLI.shell("'\(script)' reply tsa cp.tsq cp.tsr", in: directory.url).status == 0)
        let add = try ledger("checkpoint", "add-timestamp", size, "cp.tsr", "--ca-file", "tsa/ca.crt", "--ledger", path)
        #expect(add.status == 0, "\(add.stderr)")
        let export = try ledger(
            "export", "--item", "EV-0001", "--out", "b", "--log-key", "op/keys/log.pem", "--ledger", path)
        #expect(export.status == 0, "\(export.stderr)")
        #expect(FileManager.default.fileExists(atPath: directory.path("b/data/ledger/checkpoint.tsr")))
        let checked = try ledger("verify-bundle", "b", "--tsa-ca", "tsa/ca.crt")
        #expect(checked.status == 0, "\(checked.stdout)")
        #expect(checked.stdout.contains("timestamp  entries 1…\(size) existed before"))
        let unchecked = try ledger("verify-bundle", "b")
        #expect(unchecked.stdout.contains("present, not checked"))
        if BundleEndToEndTests.python {
            let theirs = try CLI.shell(
                "python3 '\(BundleEndToEndTests.script)' b --tsa-ca tsa/ca.crt", in: directory.url)
            #expect(theirs.status == 0, "\(theirs.stdout)\(theirs.stderr)")
        }
        // A time stamp from another TSA CA does not verify.
        #expect(try CLI.shell("'\(script)' init other", in: directory.url).status == 0)
        let wrong = try ledger("verify-bundle", "b", "--tsa-ca", "other/ca.crt")
        #expect(wrong.status == 1)
        #expect(wrong.stdout.contains("checkpoint.tsr does not verify"))
    }
}

extension BundleEndToEndTests {
    /// A key stream nobody in the selection needs, listed in a statement the real log key signed, still fails.
    @Test func anUnneededKeyStreamIsRefusedEvenUnderASignedStatement() throws {
        let fixture = try fixture
        let logKey = try Ed25519PrivateKey(contentsOfFile: fixture.directory.path("op/keys/log.pem"), passphrase: nil)
        let (bag, holder) = try tampered(fixture.itemBundle, rebag: true) { bag in
            let entries = try Self.lines(bag, "data/ledger/entries.jsonl").map {
                try Entry.parse(record: Array($0.utf8))
            }
            let disclosed = Set(entries.map(\.body.stream))
            let caseLines = try Self.lines(fixture.caseBundle, "data/ledger/entries.jsonl")
            let caseProofs = try Self.lines(fixture.caseBundle, "data/ledger/proofs.jsonl")
            let index = try caseLines.firstIndex {
                let entry = try Entry.parse(record: Array($0.utf8))
                return entry.body.type == "key.registered" && !disclosed.contains(entry.body.stream)
                    && entry.sigs.allSatisfy { sig in
                        entries.contains { $0.body.stream == "key/" + sig.key } || entry.body.stream == "key/" + sig.key
                    }
            }!
            let extra = try Entry.parse(record: Array(caseLines[index].utf8))
            try Self.editLines(bag) { lines, proofs in
                let at =
                    try lines.firstIndex { try Entry.parse(record: Array($0.utf8)).body.seq > extra.body.seq }
                    ?? lines.count
                lines.insert(caseLines[index], at: at)
                proofs.insert(caseProofs[index], at: at)
            }
            let url = bag.appendingPathComponent("data/ledger/disclosure")
            let note = try SignedNote(parsing: try String(contentsOf: url, encoding: .utf8))
            let statement = try DisclosureStatement(text: note.text)
            let widened = DisclosureStatement(
                origin: statement.origin, size: statement.size, selection: statement.selection,
                streams: statement.streams + [
                    DisclosedStream(stream: extra.body.stream, rev: 1, bodyHash: extra.bodyHashHex)
                ])
            try Data(try widened.signed(with: logKey).utf8).write(to: url)
        }
        try expectRejected(bag, "but no disclosed entry was signed by that key")
        _ = holder
    }
}
