import Foundation
import LedgerTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `ledger serve` as a user runs it, and the `ledger` command line as its client: two officers hand an exhibit over
/// through the server with only their own key files, an officer of an agency outside the case is refused, an
/// auditor verifies the served log locally, and SIGTERM stops the server cleanly.
struct ServeEndToEndTests {
    let directory = TemporaryDirectory()

    private func run(_ arguments: [String], _ environment: [String: String] = [:]) throws -> CLI.Output {
        try CLI.run(arguments, in: directory.url, environment: environment)
    }

    /// A ledger with carol and bob of NCA (the case's agency), olga of BKA (outside it) and audrey (auditor).
    ///
    /// EV-1 is seized by carol. Returns the log key's vkey.
    private func setUp() throws -> String {
        let initialized = try run([
            "init", "--origin", "ledger.test.example/serve", "--name", "Ada", "--person", "ada", "--agency", "NCA",
            "--json",
        ])
        #expect(initialized.status == 0, "\(initialized.stderr)")
        let vkey = try #require(
            (try JSONSerialization.jsonObject(with: Data(initialized.stdout.utf8)) as? [String: Any])?["log_vkey"]
                as? String)
        for (person, agency, roles) in [
            ("carol", "NCA", "case-officer,custodian"), ("bob", "NCA", "custodian"), ("olga", "BKA", "custodian"),
            ("audrey", "NCA", "auditor"),
        ] {
            for arguments in [
                [
                    "key", "generate", "--out", "\(person).pem", "--name", person, "--person", person, "--agency",
                    agency, "--request-out", "\(person).json",
                ],
                ["key", "register", "\(person).json", "--roles", roles, "--key", "admin.pem"],
            ] {
                let result = try run(arguments)
                #expect(result.status == 0, "\(arguments): \(result.stderr)")
            }
        }
        for arguments in [
            [
                "case", "open", "OP-1", "--title", "One", "--legal-basis", "JIT 1", "--agency", "NCA", "--key",
                "carol.pem",
            ],
            [
                "item", "seize", "EV-1", "--case", "OP-1", "--exhibit", "C/1", "--kind", "laptop", "--description",
                "Grey",
                "--seal", "S-1", "--location", "Room B", "--from", "Flat 3", "--authority", "W 7", "--key", "carol.pem",
            ],
        ] {
            let result = try run(arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }
        return vkey
    }

    @Test func twoOfficersHandAnExhibitOverThroughTheServerAndAnOutsiderIsRefused() throws {
        let vkey = try setUp()
        let (server, out, err) = try CLI.start(
            ["serve", "--ledger", "custody.ledger", "--listen", "127.0.0.1:0", "--json"], in: directory.url)
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        let started = CLI.firstLine(of: out)
        let url = try #require(
            (try JSONSerialization.jsonObject(with: Data(started.utf8)) as? [String: Any])?["url"] as? String,
            "\(started)")
        let remote = ["LEDGER_PATH": url]

        let transfer = try run(
            ["transfer", "EV-1", "--to", "bob", "--purpose", "storage", "--seal", "S-1", "--key", "carol.pem"], remote)
        #expect(transfer.status == 0, "\(transfer.stderr)")
        #expect(transfer.stdout.contains("recorded custody.released"), "\(transfer.stdout)")
        // What is in transit, and what is overdue, read through the server as here.
        for view in [["--status", "in-transit", "--json"], ["--overdue"], ["--status", "checked-out", "--json"]] {
            let served = try run(["items", "--key", "bob.pem"] + view, remote)
            let here = try run(["items", "--ledger", "custody.ledger"] + view)
            #expect(served.status == 0 && served.stdout == here.stdout, "\(view): \(served.stdout)\(served.stderr)")
        }
        #expect(try run(["items", "--status", "in-transit", "--key", "bob.pem"], remote).stdout.contains("EV-1"))
        // bob, with only his own key file, reads the item and receives it.
        let shown = try run(["item", "show", "EV-1", "--key", "bob.pem", "--json"], remote)
        #expect(shown.status == 0 && shown.stdout.contains("\"pending_to\":\"bob\""), "\(shown.stdout)\(shown.stderr)")
        let receive = try run(
            ["receive", "EV-1", "--seal", "S-1", "--location", "Safe 2", "--key", "bob.pem", "--json"], remote)
        #expect(receive.status == 0, "\(receive.stderr)")
        #expect(receive.stdout.contains("\"receipt\":\"c2sp.org/tlog-proof"), "\(receive.stdout)")
        // Receiving it again is refused by the custody rules (it is no longer in transit): exit 5.
        let again = try run(
            ["receive", "EV-1", "--seal", "S-1", "--location", "Safe 2", "--key", "bob.pem"], remote)
        #expect(again.status == 5, "\(again.status) \(again.stderr)")
        // bob lists the items he may read and reads the chain of custody as the paper form.
        let items = try run(["items", "--key", "bob.pem"], remote)
        #expect(items.status == 0 && items.stdout.contains("EV-1"), "\(items.stdout)\(items.stderr)")
        let history = try run(["item", "history", "EV-1", "--key", "bob.pem"], remote)
        #expect(history.status == 0 && history.stdout.contains("received"), "\(history.stdout)\(history.stderr)")
        let local = try run(["item", "history", "EV-1", "--ledger", "custody.ledger"])
        #expect(history.stdout == local.stdout, "the form through the server differs from the local one")
        #expect(try run(["targets", "--key", "bob.pem"], remote).status == 0)
        // The item's log through the server is the log here, as the exact records and as the table.
        for format in [["--format", "jsonl"], []] {
            let served = try run(["log", "--stream", "item/EV-1", "--key", "bob.pem"] + format, remote)
            let here = try run(["log", "--stream", "item/EV-1", "--ledger", "custody.ledger"] + format)
            #expect(served.status == 0 && served.stdout == here.stdout, "\(served.stdout)\(served.stderr)")
        }
        let bobs = try run(["log", "--stream", "item/EV-1", "--actor", "bob", "--key", "bob.pem"], remote)
        #expect(bobs.stdout.contains("custody.received") && !bobs.stdout.contains("item.seized"), "\(bobs.stdout)")
        let future = try run(["log", "--stream", "item/EV-1", "--since", "2999-01-01", "--key", "bob.pem"], remote)
        #expect(future.status == 0 && !future.stdout.contains("custody."), "\(future.stdout)")
        let wholeLog = try run(["log", "--key", "bob.pem"], remote)
        #expect(wholeLog.status == 2 && wholeLog.stderr.contains("auditors"), "\(wholeLog.stderr)")
        let audited = try run(["log", "--actor", "bob", "--format", "jsonl", "--key", "audrey.pem"], remote)
        let auditedHere = try run(["log", "--actor", "bob", "--format", "jsonl", "--ledger", "custody.ledger"])
        #expect(audited.status == 0 && audited.stdout == auditedHere.stdout, "\(audited.stderr)")
        // The figures through the server are the figures here, as text and as JSON.
        for format in [[], ["--json"]] {
            let served = try run(["stats", "--case", "OP-1", "--key", "bob.pem"] + format, remote)
            let here = try run(["stats", "--case", "OP-1", "--ledger", "custody.ledger"] + format)
            #expect(served.status == 0 && served.stdout == here.stdout, "\(served.stdout)\(served.stderr)")
        }
        // bob exports the case through the server: the bag verifies here offline against the pinned log key, and
        // names him as who made it; olga may not export it, and no folder appears.
        let exported = try run(["export", "--case", "OP-1", "--out", "served-bundle", "--key", "bob.pem"], remote)
        #expect(exported.status == 0 && exported.stdout.contains("case OP-1"), "\(exported.stdout)\(exported.stderr)")
        let checked = try run(["verify-bundle", "served-bundle", "--trust-log-key", vkey])
        #expect(checked.status == 0, "\(checked.stdout)\(checked.stderr)")
        let report = directory.url.appendingPathComponent("served-bundle/data/report/custody-report.html")
        #expect(
            String(decoding: FileManager.default.contents(atPath: report.path) ?? Data(), as: UTF8.self)
                .contains("bob (bob, NCA)"))
        let refusedExport = try run(["export", "--case", "OP-1", "--out", "olga-bundle", "--key", "olga.pem"], remote)
        #expect(refusedExport.status == 2 && refusedExport.stderr.contains("may not export"), "\(refusedExport.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.url.appendingPathComponent("olga-bundle").path))
        let everyCase = try run(["stats", "--key", "bob.pem"], remote)
        #expect(everyCase.status == 2 && everyCase.stderr.contains("auditors"), "\(everyCase.stderr)")
        let outsideTargets = try run(["targets", "--case", "OP-1", "--key", "olga.pem"], remote)
        #expect(
            outsideTargets.status == 2 && outsideTargets.stderr.contains("may not read"), "\(outsideTargets.stderr)")
        // olga's agency has not joined OP-1.
        let outsider = try run(["item", "show", "EV-1", "--key", "olga.pem"], remote)
        #expect(outsider.status == 2)
        #expect(outsider.stderr.contains("may not read item EV-1"), "\(outsider.stderr)")
        #expect(outsider.stderr.split(separator: "\n").count == 1, "\(outsider.stderr)")
        // A key the server does not know, and no key at all.
        let unknown = try run(["item", "show", "EV-1"], remote)
        #expect(unknown.status == 2 && unknown.stderr.contains("$LEDGER_KEY"), "\(unknown.stderr)")
        // Commands that need the ledger itself say so.
        let rebuild = try run(["rebuild"], remote)
        #expect(rebuild.status == 2 && rebuild.stderr.contains("not through a server"), "\(rebuild.stderr)")
        // An auditor verifies the served log here, with the log key pinned; a custodian may not download it.
        let verify = try run(["verify", "--key", "audrey.pem", "--trust-log-key", vkey], remote)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stdout.contains("OK: the ledger verifies") && verify.stdout.contains("(pinned)"))
        let custodian = try run(["verify", "--key", "bob.pem"], remote)
        #expect(custodian.status == 2 && custodian.stderr.contains("auditors"), "\(custodian.stderr)")

        // SIGTERM: the server answers what is in flight and exits 0.
        server.terminate()
        let stopped = CLI.finish(server, out, err)
        #expect(stopped.status == 0, "\(stopped.stderr)")
        // Stopped, the server has closed the ledger: one file again, every committed entry in it (a copy of the file
        // alone is complete).
        for suffix in ["-wal", "-shm"] {
            let beside = directory.url.appendingPathComponent("custody.ledger" + suffix).path
            #expect(!FileManager.default.fileExists(atPath: beside), "custody.ledger\(suffix) is left")
        }
        let shownLocally = try run(["item", "show", "EV-1", "--ledger", "custody.ledger", "--json"])
        #expect(shownLocally.stdout.contains("\"holder\":\"bob\""), "\(shownLocally.stdout)")
        #expect(try run(["verify", "--ledger", "custody.ledger"]).status == 0)
    }

    /// The "done when": the server is witnessed by `ledger witness serve`, a second process, over the
    /// tlog-witness protocol, and `ledger verify` from another folder, with only the log key and the witness key
    /// pinned (and the auditor's own key file), passes with a quorum of one.
    @Test func aWitnessedServerVerifiesFromAnotherFolderWithAWitnessQuorum() throws {
        let vkey = try setUp()
        for arguments in [
            ["witness", "init", "--name", "witness.partner.example", "--dir", "witness"],
            ["witness", "add-log", "ledger.test.example/serve", vkey, "--dir", "witness"],
        ] {
            let result = try run(arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }
        let (witness, witnessOut, witnessErr) = try CLI.start(
            ["witness", "serve", "--dir", "witness", "--listen", "127.0.0.1:0", "--json"], in: directory.url)
        defer { if witness.isRunning { kill(witness.processIdentifier, SIGKILL) } }
        let witnessLine = try JSONSerialization.jsonObject(with: Data(CLI.firstLine(of: witnessOut).utf8))
        let witnessURL = try #require((witnessLine as? [String: Any])?["url"] as? String)
        let witnessVkey = try #require((witnessLine as? [String: Any])?["vkey"] as? String)
        let (server, out, err) = try CLI.start(
            [
                "serve", "--ledger", "custody.ledger", "--listen", "127.0.0.1:0", "--json", "--witness-url",
                witnessURL, "--witness-vkey", witnessVkey,
            ], in: directory.url)
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        let url = try #require(
            (try JSONSerialization.jsonObject(with: Data(CLI.firstLine(of: out).utf8)) as? [String: Any])?["url"]
                as? String)
        let transfer = try run(
            ["transfer", "EV-1", "--to", "bob", "--purpose", "storage", "--seal", "S-1", "--key", "carol.pem"],
            ["LEDGER_PATH": url])
        #expect(transfer.status == 0, "\(transfer.stderr)")

        // Another folder: the auditor's key file and the two pinned keys, nothing else.
        let elsewhere = TemporaryDirectory()
        try FileManager.default.copyItem(atPath: directory.path("audrey.pem"), toPath: elsewhere.path("audrey.pem"))
        var verified: CLI.Output?
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let result = try CLI.run(
                [
                    "verify", "--ledger", url, "--key", "audrey.pem", "--trust-log-key", vkey, "--witness", witnessVkey,
                    "--witness-quorum", "1",
                ], in: elsewhere.url)
            if result.status == 0 {
                verified = result
                break
            }
            usleep(200_000)
        }
        let result = try #require(verified, "verify with a witness quorum never passed")
        #expect(result.stdout.contains("OK: the ledger verifies"), "\(result.stdout)")
        #expect(result.stdout.contains("witness.partner.example"), "\(result.stdout)")
        server.terminate()
        #expect(CLI.finish(server, out, err).status == 0)
        witness.terminate()
        #expect(CLI.finish(witness, witnessOut, witnessErr).status == 0)
    }

    @Test func plainHTTPIsServedOnLoopbackOnly() throws {
        _ = try setUp()
        let result = try run(["serve", "--ledger", "custody.ledger", "--listen", "0.0.0.0:0"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("loopback only"), "\(result.stderr)")
    }
}
