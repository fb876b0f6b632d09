import Foundation
import LedgerCore
import LedgerTestSupport
import Testing

/// Format version 2 the way officers use it (issue 17's "done when"): a seizure signed on a machine without the
/// ledger, co-signed by the witnessing officer from a second key file, carried over, submitted, and its receipt
/// checked with the log key alone; two officers signing against the same head; resubmission; verify of the result.
@Suite(.serialized)
struct StatementEndToEndTests {
    let office = TemporaryDirectory("ledger-v2-office")
    let field = TemporaryDirectory("ledger-v2-field")
    let witness = TemporaryDirectory("ledger-v2-witness")

    private func run(_ directory: TemporaryDirectory, _ arguments: String...) throws -> CLI.Output {
        try CLI.run(arguments, in: directory.url)
    }

    private func copy(_ name: String, from: TemporaryDirectory, to: TemporaryDirectory, as newName: String? = nil)
        throws
    {
        try FileManager.default.copyItem(
            at: from.url.appendingPathComponent(name), to: to.url.appendingPathComponent(newName ?? name))
    }

    /// A version-2 ledger in the office with carol (case officer, custodian) and bob (custodian); returns the log
    /// vkey and bob's key id.
    private func setUp() throws -> (vkey: String, bob: String) {
        let initialize = try run(
            office, "init", "--format", "2", "--origin", "ledger.test.example/v2", "--name", "Ada", "--person", "ada",
            "--agency", "NCA", "--json")
        #expect(initialize.status == 0, "\(initialize.stderr)")
        let vkey = try #require(
            (try JSONSerialization.jsonObject(with: Data(initialize.stdout.utf8)) as? [String: Any])?["log_vkey"]
                as? String)
        var bob = ""
        for (person, roles) in [("carol", "case-officer,custodian"), ("bob", "custodian")] {
            let generate = try run(
                office, "key", "generate", "--out", "\(person).pem", "--name", person, "--person", person, "--agency",
                "NCA", "--request-out", "\(person).json")
            #expect(generate.status == 0, "\(generate.stderr)")
            if person == "bob", let range = (generate.stdout + generate.stderr).range(of: "key id ") {
                bob = String((generate.stdout + generate.stderr)[range.upperBound...].prefix(64))
            }
            let register = try run(office, "key", "register", "\(person).json", "--roles", roles, "--key", "admin.pem")
            #expect(register.status == 0, "\(register.stderr)")
        }
        let open = try run(
            office, "case", "open", "OP-1", "--title", "Operation One", "--legal-basis", "JIT 1", "--agency", "NCA",
            "--key", "carol.pem")
        #expect(open.status == 0, "\(open.stderr)")
        #expect(bob.count == 64)
        return (vkey, bob)
    }

    @Test func aSeizureSignedOfflineIsCoSignedSubmittedAndItsReceiptChecksWithTheLogKeyAlone() throws {
        let (vkey, bob) = try setUp()
        // A key registered again is said to be registered, and nothing is written.
        let registeredAgain = try run(
            office, "key", "register", "bob.json", "--roles", "custodian", "--key", "admin.pem")
        #expect(registeredAgain.status == 5)
        #expect(registeredAgain.stderr.contains("is already registered"), "\(registeredAgain.stderr)")
        // An item's id without its item/ names no stream an event can be in.
        let bare = try run(office, "head", "EV-1")
        #expect(bare.status == 2)
        #expect(bare.stderr.contains("did you mean item/EV-1?"), "\(bare.stderr)")
        let head = try run(office, "head", "item/EV-1", "--json")
        #expect(head.status == 0, "\(head.stderr)")
        try Data(head.stdout.utf8).write(to: field.url.appendingPathComponent("ev1.head.json"))
        try copy("carol.pem", from: office, to: field)
        try copy("bob.pem", from: office, to: witness)
        let seizure = """
            {"case":"OP-1","exhibit":"C/1","kind":"laptop","description":"Grey laptop","location":"Flat 3",\
            "occurred_at":"2026-12-01T06:00:00+01:00","seized_from":"Flat 3","legal_authority":"Warrant 7",\
            "seal":"S-1","witness_key":"\(bob)"}
            """
        // In the field, without the ledger: the seizure, then its storage on the same item, chained in the file.
        let sign = try run(
            field, "sign", "--head", "ev1.head.json", "--type", "item.seized", "--data", seizure, "--key", "carol.pem",
            "--out", "field.statements")
        #expect(sign.status == 0, "\(sign.stderr)")
        let store = try run(
            field, "sign", "--head", "ev1.head.json", "--type", "item.stored", "--data", #"{"location":"Van 2"}"#,
            "--key", "carol.pem", "--out", "field.statements")
        #expect(store.status == 0, "\(store.stderr)")
        // The witnessing officer co-signs on a second machine; declining (here: no answer) signs nothing.
        try copy("field.statements", from: field, to: witness)
        let declined = try run(witness, "cosign", "field.statements", "--key", "bob.pem")
        #expect(declined.status == 2)
        #expect(declined.stderr.contains("you did not confirm the 1 statement(s)"), "\(declined.stderr)")
        let cosign = try run(witness, "cosign", "field.statements", "--key", "bob.pem", "--yes")
        #expect(cosign.status == 0, "\(cosign.stderr)")
        #expect(cosign.stdout.contains("item.seized in item/EV-1"))
        // Unsigned by the witness, the seizure is refused; co-signed, both are recorded.
        try copy("field.statements", from: field, to: office, as: "unwitnessed.statements")
        let refused = try run(office, "submit", "unwitnessed.statements")
        #expect(refused.status == 5, "\(refused.stdout)")
        #expect(refused.stdout.contains("refused: item.seized"))
        #expect(
            refused.stdout.contains("(missing: the co-signature of key \(bob.prefix(12))…, named in data.witness_key)"))
        // The storage chained on it is refused with it, naming it: not a conflict to sign again.
        #expect(refused.stdout.contains(", which was refused; nothing after it in item/EV-1"), "\(refused.stdout)")
        #expect(!refused.stdout.contains("sign again"))
        try copy("field.statements", from: witness, to: office)
        // The same statements given twice, or a receipt file that exists: refused before anything is recorded.
        let database = office.url.appendingPathComponent("custody.ledger")
        let before = try Data(contentsOf: database)
        let twice = try run(office, "submit", "field.statements", "field.statements")
        #expect(twice.status == 2)
        #expect(twice.stderr.contains("appears twice, in field.statements; nothing was submitted"), "\(twice.stderr)")
        try Data("kept".utf8).write(to: office.url.appendingPathComponent("kept.receipt"))
        let lines = try String(contentsOf: office.url.appendingPathComponent("field.statements"), encoding: .utf8)
        try Data((lines.split(separator: "\n")[0] + "\n").utf8).write(
            to: office.url.appendingPathComponent("seizure.statements"))
        let existing = try run(office, "submit", "seizure.statements", "--receipt", "kept.receipt")
        #expect(existing.status == 2)
        #expect(existing.stderr.contains("kept.receipt exists already"), "\(existing.stderr)")
        #expect(try Data(contentsOf: database) == before)
        let submit = try run(office, "submit", "field.statements", "--receipts", "receipts")
        #expect(submit.status == 0, "\(submit.stdout)\(submit.stderr)")
        #expect(submit.stdout.contains("recorded item.seized in item/EV-1 at seq 6"))
        #expect(submit.stdout.contains("recorded item.stored in item/EV-1 at seq 7"))
        // The receipt, checked with the log key alone.
        try copy("receipts/6.receipt", from: office, to: field, as: "seizure.receipt")
        let proof = try run(field, "proof", "verify", "seizure.receipt", "--trust-log-key", vkey)
        #expect(proof.status == 0, "\(proof.stderr)")
        #expect(proof.stdout.contains("OK: seq 6 (item.seized in item/EV-1)"))
        let otherKey = try run(
            field, "proof", "verify", "seizure.receipt", "--trust-log-key",
            "ledger.test.example/v2+00000000+AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        #expect(otherKey.status != 0)
        // Submitting the same file again records nothing and reports the same seqs; its receipts, the same bytes,
        // are kept where they are.
        let again = try run(office, "submit", "field.statements", "--receipts", "receipts")
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("already recorded: item.seized in item/EV-1 at seq 6"))
        // The history shows both times; the ledger verifies, with its checkpoints covering every entry.
        let history = try run(office, "item", "history", "EV-1")
        #expect(HistoryForm.witness(in: history.stdout, seq: 6) == "bob", "\(history.stdout)")
        let verify = try run(office, "verify", "--trust-log-key", vkey)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        let export = try run(office, "log", "--format", "jsonl")
        try Data(export.stdout.utf8).write(to: office.url.appendingPathComponent("ledger.jsonl"))
        let checkpoint = try run(office, "checkpoint", "--log-key", "log.pem", "--out", "checkpoint.txt")
        #expect(checkpoint.status == 0, "\(checkpoint.stderr)")
        // Without --log-key, from another folder: the log key the ledger names, as appends find it.
        let named = try run(field, "checkpoint", "--ledger", database.path, "--json")
        #expect(named.status == 0, "\(named.stderr)")
        #expect(named.stdout.contains("\"created\":false"), "\(named.stdout)")
        // Given the wrong kind of file, verify --jsonl says so; a text file fails at its first line.
        let sqlite = try run(office, "verify", "--jsonl", "custody.ledger")
        #expect(sqlite.status == 2)
        #expect(sqlite.stderr.contains("is a SQLite ledger, not a JSON Lines export"), "\(sqlite.stderr)")
        let receiptAsCheckpoint = try run(
            office, "verify", "--jsonl", "ledger.jsonl", "--checkpoint", "receipts/6.receipt")
        #expect(receiptAsCheckpoint.status == 2)
        #expect(receiptAsCheckpoint.stderr.contains("is a receipt (a tlog-proof), not a checkpoint"))
        // Read from a pipe (no seeking back), the export verifies as from its file.
        let piped = try CLI.shell(
            "cat ledger.jsonl | '\(CLI.executable.path)' verify --jsonl /dev/stdin --checkpoint checkpoint.txt",
            in: office.url)
        #expect(piped.status == 0, "\(piped.stdout)\(piped.stderr)")
        let text = try run(office, "verify", "--jsonl", "checkpoint.txt")
        #expect(text.status == 1)
        #expect(text.stdout.contains("seq 1:"), "\(text.stdout)")
        let jsonl = try run(office, "verify", "--jsonl", "ledger.jsonl", "--checkpoint", "checkpoint.txt")
        #expect(jsonl.status == 0, "\(jsonl.stdout)\(jsonl.stderr)")
        // A court bundle of a version-2 ledger carries its v2 records and verifies, here and independently.
        let bundle = try run(office, "export", "--item", "EV-1", "--out", "bag")
        #expect(bundle.status == 0, "\(bundle.stderr)")
        let checked = try run(office, "verify-bundle", "bag", "--trust-log-key", vkey)
        #expect(checked.status == 0, "\(checked.stdout)\(checked.stderr)")
        let script = Repository.root.appendingPathComponent("tools/verify_bundle.py").path
        if (try? CLI.shell("python3 -c 'import cryptography'", in: office.url))?.status == 0 {
            let independent = try CLI.shell("python3 '\(script)' bag --trust-log-key '\(vkey)'", in: office.url)
            #expect(independent.status == 0, "\(independent.stdout)\(independent.stderr)")
        }
        let uncovered = try run(office, "verify", "--jsonl", "ledger.jsonl")
        #expect(uncovered.status == 1)
        #expect(uncovered.stdout.contains("not covered by a checkpoint signed by the log key"))
    }

    @Test func twoOfficersSigningAgainstOneHeadSeeOneRecordedAndTheOtherRefusedAsAConflict() throws {
        _ = try setUp()
        let seize = try run(
            office, "item", "seize", "EV-2", "--case", "OP-1", "--exhibit", "C/2", "--kind", "phone", "--description",
            "Phone", "--seal", "S-2", "--location", "Room B", "--from", "Flat 3", "--authority", "Warrant 7", "--at",
            "2026-12-01T06:00:00+01:00", "--key", "carol.pem")
        #expect(seize.status == 0, "\(seize.stderr)")
        let head = try run(office, "head", "item/EV-2", "--json")
        try Data(head.stdout.utf8).write(to: office.url.appendingPathComponent("ev2.head.json"))
        for (file, location) in [("a.statements", "Shelf 1"), ("b.statements", "Shelf 2")] {
            let sign = try run(
                office, "sign", "--head", "ev2.head.json", "--type", "item.stored", "--data",
                #"{"location":"\#(location)"}"#, "--key", "carol.pem", "--out", file)
            #expect(sign.status == 0, "\(sign.stderr)")
        }
        let first = try run(office, "submit", "a.statements")
        #expect(first.status == 0, "\(first.stdout)")
        let database = office.url.appendingPathComponent("custody.ledger")
        let before = try Data(contentsOf: database)
        let second = try run(office, "submit", "b.statements")
        #expect(second.status == 4)
        #expect(second.stdout.contains("read the stream again and sign again"), "\(second.stdout)")
        #expect(try Data(contentsOf: database) == before)
        // The same id with an altered statement is a conflict too.
        let text = try String(contentsOf: office.url.appendingPathComponent("a.statements"), encoding: .utf8)
        try Data(text.replacingOccurrences(of: "Shelf 1", with: "Shelf 9").utf8).write(
            to: office.url.appendingPathComponent("altered.statements"))
        let altered = try run(office, "submit", "altered.statements")
        #expect(altered.status == 4)
        #expect(altered.stdout.contains("already recorded at seq"), "\(altered.stdout)")
        let verify = try run(office, "verify")
        #expect(verify.status == 0, "\(verify.stdout)")
    }

    @Test func theLogKeyIsRotatedAndEverythingAfterIsCheckpointedByTheNewKeyWhileAPinnedOldKeyStillVerifies() throws {
        let (vkey, _) = try setUp()
        let seize = try run(
            office, "item", "seize", "EV-3", "--case", "OP-1", "--exhibit", "C/3", "--kind", "phone", "--description",
            "Phone", "--seal", "S-3", "--location", "Room B", "--from", "Flat 3", "--authority", "Warrant 7", "--at",
            "2026-12-01T06:00:00+01:00", "--key", "carol.pem")
        #expect(seize.status == 0, "\(seize.stderr)")
        let rotate = try run(office, "log-key", "rotate", "--out", "log-2027.pem", "--key", "admin.pem", "--json")
        #expect(rotate.status == 0, "\(rotate.stderr)")
        let newVKey = try #require(
            (try JSONSerialization.jsonObject(with: Data(rotate.stdout.utf8)) as? [String: Any])?["log_vkey"] as? String
        )
        let notAdmin = try run(office, "log-key", "rotate", "--out", "log-x.pem", "--key", "carol.pem")
        #expect(notAdmin.status != 0)
        #expect(!FileManager.default.fileExists(atPath: office.path("log-x.pem")), "a refused rotation leaves no key")
        let store = try run(
            office, "item", "store", "EV-3", "--location", "Shelf 4", "--key", "carol.pem")
        #expect(store.status == 0, "\(store.stderr)")
        for pinned in [vkey, newVKey] {
            let verify = try run(office, "verify", "--trust-log-key", pinned)
            #expect(verify.status == 0, "\(verify.stdout)")
        }
        // The old log key no longer signs checkpoints; the new one does.
        #expect(try run(office, "checkpoint", "--log-key", "log.pem").status != 0)
        #expect(try run(office, "checkpoint", "--log-key", "log-2027.pem").status == 0)
        let bundle = try run(office, "export", "--item", "EV-3", "--out", "bag", "--log-key", "log-2027.pem")
        #expect(bundle.status == 0, "\(bundle.stderr)")
        let checked = try run(office, "verify-bundle", "bag", "--trust-log-key", vkey)
        #expect(checked.status == 0, "\(checked.stdout)\(checked.stderr)")
    }

    @Test func aSeizureSignedOfflineNamesItsWitnessWhoCoSignsLater() throws {
        let (_, bob) = try setUp()
        let head = try run(office, "head", "item/EV-5", "--json")
        try Data(head.stdout.utf8).write(to: field.url.appendingPathComponent("ev5.json"))
        try copy("carol.pem", from: office, to: field)
        let now = try run(
            office, "item", "seize", "EV-5", "--case", "OP-1", "--exhibit", "C/5", "--kind", "phone", "--description",
            "Phone", "--location", "Flat 3", "--from", "Flat 3", "--authority", "Warrant 7", "--key", "carol.pem",
            "--witness", bob)
        #expect(now.status == 2, "a witness who signs later needs --out")
        let seize = try run(
            field, "item", "seize", "EV-5", "--case", "OP-1", "--exhibit", "C/5", "--kind", "phone", "--description",
            "Phone", "--location", "Flat 3", "--from", "Flat 3", "--authority", "Warrant 7", "--key", "carol.pem",
            "--witness", bob, "--head", "ev5.json", "--out", "seize.statements")
        #expect(seize.status == 0, "\(seize.stderr)")
        try copy("seize.statements", from: field, to: witness)
        try copy("bob.pem", from: office, to: witness)
        #expect(try run(witness, "cosign", "seize.statements", "--key", "bob.pem", "--yes").status == 0)
        try copy("seize.statements", from: witness, to: office)
        let submit = try run(office, "submit", "seize.statements")
        #expect(submit.status == 0, "\(submit.stdout)\(submit.stderr)")
        let history = try run(office, "item", "history", "EV-5").stdout
        #expect(HistoryForm.witness(in: history, seq: nil) == "bob", "\(history)")
    }

    @Test func theDomainCommandsSignOfflineWithTheSameArguments() throws {
        _ = try setUp()
        let seize = try run(
            office, "item", "seize", "EV-4", "--case", "OP-1", "--exhibit", "C/4", "--kind", "phone", "--description",
            "Phone", "--seal", "S-4", "--location", "Room B", "--from", "Flat 3", "--authority", "Warrant 7", "--at",
            "2026-12-01T06:00:00+01:00", "--key", "carol.pem")
        #expect(seize.status == 0, "\(seize.stderr)")
        let show = try run(office, "item", "show", "EV-4", "--json")
        try Data(show.stdout.utf8).write(to: field.url.appendingPathComponent("ev4.json"))
        try copy("carol.pem", from: office, to: field)
        try copy("bob.pem", from: office, to: field)
        // In the field: the hand-over and its receipt, by the same commands as at the office, into one file.
        let transfer = try run(
            field, "transfer", "EV-4", "--to", "bob", "--purpose", "Imaging", "--seal", "S-4", "--key", "carol.pem",
            "--head", "ev4.json", "--out", "handover.statements")
        #expect(transfer.status == 0, "\(transfer.stderr)")
        let receive = try run(
            field, "receive", "EV-4", "--seal", "S-4", "--location", "Lab safe 2", "--key", "bob.pem", "--head",
            "ev4.json", "--out", "handover.statements")
        #expect(receive.status == 0, "\(receive.stderr)")
        #expect(!FileManager.default.fileExists(atPath: field.path("custody.ledger")), "nothing touched a ledger")
        try copy("handover.statements", from: field, to: office)
        let submit = try run(office, "submit", "handover.statements")
        #expect(submit.status == 0, "\(submit.stdout)\(submit.stderr)")
        let item = try run(office, "item", "show", "EV-4")
        #expect(item.stdout.contains("holder     bob"), "\(item.stdout)")
        #expect(try run(office, "verify").status == 0)
    }

    @Test func severalProcessesSubmittingAtOnceFormOneChain() throws {
        _ = try setUp()
        let processes = 4
        let perFile = 5
        for index in 1...processes {
            let head = try run(office, "head", "case/P-\(index)", "--json")
            try Data(head.stdout.utf8).write(to: office.url.appendingPathComponent("p\(index).head.json"))
            let open = try run(
                office, "case", "open", "P-\(index)", "--title", "Parallel \(index)", "--legal-basis", "JIT",
                "--agency", "NCA", "--key", "carol.pem", "--head", "p\(index).head.json", "--out",
                "p\(index).statements")
            #expect(open.status == 0, "\(open.stderr)")
            for note in 2...perFile {
                let sign = try run(
                    office, "sign", "--head", "p\(index).head.json", "--type", "note.added", "--data",
                    #"{"text":"note \#(note)"}"#, "--key", "carol.pem", "--out", "p\(index).statements")
                #expect(sign.status == 0, "\(sign.stderr)")
            }
        }
        let before = try run(office, "log", "--format", "jsonl").stdout.split(separator: "\n").count
        let started = try (1...processes).map { index in
            try CLI.start(["submit", "p\(index).statements"], in: office.url)
        }
        for (process, out, err) in started {
            let output = CLI.finish(process, out, err)
            #expect(output.status == 0, "\(output.stdout)\(output.stderr)")
        }
        let after = try run(office, "log", "--format", "jsonl").stdout.split(separator: "\n").count
        #expect(after == before + processes * perFile)
        let verify = try run(office, "verify")
        #expect(verify.status == 0, "\(verify.stdout)")
        #expect(verify.stdout.contains("checkpoints"), "\(verify.stdout)")
    }
}

/// Reads `ledger item history`'s form as a person does: the WITNESS column of a row.
enum HistoryForm {
    /// The witness on the row of `seq` (the first row with one when nil).
    static func witness(in form: String, seq: Int64?) -> String? {
        let lines = form.split(separator: "\n").map(String.init)
        guard let header = lines.first(where: { $0.hasPrefix("SEQ") }), let column = header.range(of: "WITNESS")
        else { return nil }
        let offset = header.distance(from: header.startIndex, to: column.lowerBound)
        for line in lines where line.count > offset && line.first?.isNumber == true {
            if let seq, !line.hasPrefix("\(seq) ") { continue }
            let cell = line.dropFirst(offset).split(separator: " ").first.map(String.init)
            if let cell { return cell }
        }
        return nil
    }
}

/// What a user sees when the server is not there.
struct UnreachableServerTests {
    @Test func aServerNobodyRunsIsNamedAsSuch() throws {
        let directory = TemporaryDirectory("ledger-unreachable")
        let key = try CLI.run(
            [
                "key", "generate", "--out", "k.pem", "--name", "K", "--person", "k", "--agency", "NCA", "--origin",
                "ledger.test.example/k",
            ], in: directory.url)
        #expect(key.status == 0, "\(key.stderr)")
        // Port 9 (discard) on loopback: nothing listens there in a test machine.
        let head = try CLI.run(
            ["head", "item/EV-1", "--ledger", "http://127.0.0.1:9", "--key", "k.pem"], in: directory.url)
        #expect(head.status == 2)
        #expect(
            head.stderr.contains("cannot reach the ledger server at http://127.0.0.1:9: connection refused"),
            "\(head.stderr)")
    }
}

/// `ledger checkpoint` without `--log-key` reads the log key the ledger names like any key file.
struct NamedLogKeyTests {
    @Test func anEncryptedLogKeyTheLedgerNamesIsReadWithThePassphraseGiven() throws {
        let office = TemporaryDirectory("ledger-named-log-key")
        let elsewhere = TemporaryDirectory("ledger-named-log-key-elsewhere")
        try Data("correct horse\n".utf8).write(to: office.url.appendingPathComponent("pw.txt"))
        try Data("correct horse\n".utf8).write(to: elsewhere.url.appendingPathComponent("pw.txt"))
        let initialize = try CLI.run(
            [
                "init", "--origin", "ledger.test.example/named", "--name", "Ada", "--person", "ada", "--agency", "NCA",
                "--passphrase-file", "pw.txt",
            ], in: office.url)
        #expect(initialize.status == 0, "\(initialize.stderr)")
        let withoutPassphrase = try CLI.run(["checkpoint"], in: office.url)
        #expect(withoutPassphrase.status == 2)
        #expect(withoutPassphrase.stderr.split(separator: "\n").count == 1, "\(withoutPassphrase.stderr)")
        let here = try CLI.run(["checkpoint", "--passphrase-file", "pw.txt"], in: office.url)
        #expect(here.status == 0, "\(here.stderr)")
        let ledger = office.url.appendingPathComponent("custody.ledger").path
        let there = try CLI.run(
            ["checkpoint", "--ledger", ledger, "--passphrase-file", "pw.txt", "--json"], in: elsewhere.url)
        #expect(there.status == 0, "\(there.stderr)")
        // Another key where the ledger's log key is expected is refused, naming the file.
        let admin = office.url.appendingPathComponent("admin.pem").path
        let wrong = try CLI.run(
            ["checkpoint", "--ledger", ledger, "--passphrase-file", "pw.txt"], in: elsewhere.url,
            environment: ["LEDGER_LOG_KEY": admin])
        #expect(wrong.status == 2)
        #expect(wrong.stderr.contains("is not this ledger's log key"), "\(wrong.stderr)")
    }
}
