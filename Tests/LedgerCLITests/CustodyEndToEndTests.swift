import CustodyDomain
import Foundation
import LedgerCore
import LedgerTestSupport
import Testing

/// The custody commands, run the way staff run them.
@Suite(.serialized)
struct CustodyEndToEndTests {
    let directory = TemporaryDirectory("ledger-custody")

    private func ledger(_ arguments: String...) throws -> CLI.Output {
        try CLI.run(arguments, in: directory.url)
    }

    private func write(_ name: String, _ text: String) throws {
        try Data(text.utf8).write(to: directory.url.appendingPathComponent(name))
    }

    /// A ledger with carol (case officer, custodian), erin (examiner, custodian) and tina (takedown officer).
    private func setUp() throws {
        let initialize = try ledger(
            "init", "--origin", "ledger.test.example/custody", "--name", "Ada", "--person", "ada", "--agency", "NCA")
        #expect(initialize.status == 0, "\(initialize.stderr)")
        for (person, roles) in [
            ("carol", "case-officer,custodian"), ("erin", "examiner,custodian"), ("tina", "takedown-officer"),
        ] {
            let generate = try ledger(
                "key", "generate", "--out", "\(person).pem", "--name", person, "--person", person, "--agency", "NCA",
                "--request-out", "\(person).json")
            #expect(generate.status == 0, "\(generate.stderr)")
            let register = try ledger("key", "register", "\(person).json", "--roles", roles, "--key", "admin.pem")
            #expect(register.status == 0, "\(register.stderr)")
        }
        let open = try ledger(
            "case", "open", "OP-1", "--title", "Operation One", "--legal-basis", "JIT 1", "--agency", "NCA",
            "--key", "carol.pem")
        #expect(open.status == 0, "\(open.stderr)")
    }

    @Test func seizeTransferReceiveAndReadTheCustodyChain() throws {
        try setUp()
        let seize = try ledger(
            "item", "seize", "EV-1", "--case", "OP-1", "--exhibit", "C/1", "--kind", "laptop", "--description",
            "Grey laptop", "--seal", "S-1", "--location", "Room B", "--from", "Premises ref P-1", "--authority",
            "Warrant 7", "--at", "2024-05-01T06:00:00+02:00", "--key", "carol.pem", "--witness-key", "erin.pem")
        #expect(seize.status == 0, "\(seize.stderr)")
        let wrongSender = try ledger(
            "transfer", "EV-1", "--to", "carol", "--purpose", "x", "--seal", "S-1", "--key", "erin.pem")
        #expect(wrongSender.status == 5, "a custody rule refuses: a retry will not succeed")
        #expect(wrongSender.stderr.contains("only the holder carol may record a release; erin acted"))
        #expect(wrongSender.stderr.split(separator: "\n").count == 1)
        let transfer = try ledger(
            "transfer", "EV-1", "--to", "erin", "--purpose", "Imaging", "--seal", "S-1", "--courier", "DHL",
            "--tracking", "123", "--at", "2024-05-02T08:00:00+02:00", "--key", "carol.pem")
        #expect(transfer.status == 0, "\(transfer.stderr)")
        let inTransit = try ledger("items", "--status", "in-transit")
        let header = inTransit.stdout.split(separator: "\n").first.map(String.init) ?? ""
        #expect(header.contains("FROM") && header.contains("TO") && header.contains("SINCE (UTC)"))
        // In transit since the release's own time (--at), in UTC, not since its recording.
        #expect(inTransit.stdout.contains("2024-05-02T06:00"), "\(inTransit.stdout)")
        #expect(
            inTransit.stdout.contains("EV-1") && inTransit.stdout.contains("carol") && inTransit.stdout.contains("erin")
        )
        // A seal number other than the one released is never "intact": refused, naming both numbers.
        let wrongSeal = try ledger("receive", "EV-1", "--seal", "S-99999", "--location", "NL lab", "--key", "erin.pem")
        #expect(wrongSeal.status == 5, "\(wrongSeal.stderr)")
        #expect(wrongSeal.stderr.contains("released under seal S-1, not S-99999"), "\(wrongSeal.stderr)")
        #expect(try ledger("items", "--seal", "S-1").stdout.contains("EV-1"), "found by the seal it travels under")
        let receive = try ledger(
            "receive", "EV-1", "--seal", "S-1", "--seal-broken", "--condition", "tape cut", "--location", "NL lab",
            "--key", "erin.pem")
        #expect(receive.status == 0, "\(receive.stderr)")
        let history = try ledger("item", "history", "EV-1")
        #expect(history.status == 0)
        #expect(
            history.stdout.contains("seized") && history.stdout.contains("released")
                && history.stdout.contains("BROKEN"))
        let show = try ledger("item", "show", "EV-1", "--json")
        let object = try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any]
        #expect(object?["holder"] as? String == "erin")
        #expect((object?["custody_chain"] as? [Any])?.count == 3)

        try write("disk.raw", String(repeating: "evidence", count: 1000))
        let sha256 = "d5fb8f1d5b0d0fa5a2b6f2d8e1b7d0a3c4b5a6978877665544332211aabbccdd"
        let acquire = try ledger(
            "item", "acquire", "EV-1", "--image", "disk.raw", "--tool", "dd", "--tool-version", "9.1",
            "--source-sha256", sha256, "--key", "erin.pem")
        #expect(acquire.status == 0, "\(acquire.stderr)")
        #expect(acquire.stdout.contains("DID NOT match"))

        let verify = try ledger("verify")
        #expect(verify.status == 0, "\(verify.stdout)")
        let people = try ledger("people", "--json")
        let list = try JSONLines.objects(people.stdout)
        #expect(Set(list.compactMap { $0["person"] as? String }) == ["ada", "carol", "erin", "tina"])
    }

    @Test func targetImportIsAllOrNothingWithLineNumbers() throws {
        try setUp()
        try write(
            "bad.csv",
            "kind,value,category,country\nip,198.51.100.7,phishing,NL\nip,300.1.1.1,phishing,NL\ndomain,shop.example,scam,DE\n"
        )
        let bad = try ledger("target", "import", "bad.csv", "--case", "OP-1", "--source", "feed", "--key", "tina.pem")
        #expect(bad.status == 2)
        #expect(
            bad.stderr.contains("line 3") && bad.stderr.contains("line 4")
                && bad.stderr.contains("nothing was appended"))
        try write(
            "good.csv",
            // Spaces and tabs around a field are not part of it.
            "kind, value ,category,country,hosting_provider,asn\nip,\t198.51.100.7 ,phishing, NL,Hoster,AS64500\n"
                + "ip,2001:DB8:0::7,ransomware,DE,,\ndomain,Shop.Example.,infostealer,FR,,\n")
        let good = try ledger("target", "import", "good.csv", "--case", "OP-1", "--source", "feed", "--key", "tina.pem")
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.contains("identified 3 targets"))
        let again = try ledger(
            "target", "import", "good.csv", "--case", "OP-1", "--source", "feed", "--key", "tina.pem")
        #expect(again.status == 5, "the targets exist: a retry will not succeed")
        let confirm = try ledger(
            "takedown", "confirm", "2001:db8::7", "--case", "OP-1", "--method", "null-routed", "--key", "tina.pem")
        #expect(confirm.status == 0, "\(confirm.stderr)")
        let targets = try ledger("targets", "--case", "OP-1", "--json")
        let list = try JSONLines.objects(targets.stdout)
        #expect(Set(list.compactMap { $0["value"] as? String }) == ["198.51.100.7", "2001:db8::7", "shop.example"])
        let stats = try ledger("stats", "--case", "OP-1", "--json")
        let figures = try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any]
        let targetFigures = figures?["targets"] as? [String: Any]
        #expect(targetFigures?["identified"] as? Int == 3 && targetFigures?["taken_down"] as? Int == 1)
    }

    @Test func theDemoShowsTheFiguresAndVerifiesAndAHandEditIsCaught() throws {
        let demo = try ledger("demo", "op", "--targets", "100")
        #expect(demo.status == 0, "\(demo.stdout)\(demo.stderr)")
        #expect(demo.stdout.contains("targets identified    100"))
        #expect(demo.stdout.contains("taken down          76   76.0% of 100 identified"))
        #expect(demo.stdout.contains("servers seized        59"))
        #expect(demo.stdout.contains("devices seized        43"))
        #expect(demo.stdout.contains("OK: the ledger verifies"))
        let path = directory.path("op/custody.ledger")
        let history = try ledger("item", "history", "EV-0064", "--ledger", path)
        #expect(history.stdout.contains("BROKEN"), "\(history.stdout)")

        let edit = try CLI.shell(
            "sqlite3 '\(path)' \"UPDATE items SET holder = 'mallory' WHERE key = 'EV-0001'\"", in: directory.url)
        #expect(edit.status == 0, "\(edit.stderr)")
        let verify = try ledger("verify", "--ledger", path)
        #expect(verify.status == 1)
        #expect(verify.stdout.contains("items projection: row EV-0001 differs from the log in holder"))
        let rebuild = try ledger("rebuild", "--ledger", path)
        #expect(rebuild.status == 0, "\(rebuild.stderr)")
        #expect(try ledger("verify", "--ledger", path).status == 0)
    }

    @Test func aReleaseBySomeoneWhoDidNotHoldTheItemIsReportedByVerify() throws {
        let (builder, _) = LedgerBuilder.releaseByNonHolder()
        try Data(builder.jsonl).write(to: directory.url.appendingPathComponent("other-tool.jsonl"))
        let verify = try ledger("verify", "--jsonl", "other-tool.jsonl", "--json")
        #expect(verify.status == 3, "\(verify.stdout)")
        let report = try JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as? [String: Any]
        let findings = ((report?["summary"] as? [String: Any])?["findings"] ?? report?["findings"]) as? [[String: Any]]
        #expect(findings?.first?["category"] as? String == "custody")
        #expect((findings?.first?["message"] as? String)?.contains("only the holder carol") == true)
    }
}

/// The docs are the contract: FORMAT.md §5 lists every custody row exactly as the tool's type table has it.
struct TypeTableDocumentationTests {
    /// EVENTS.md §8.1 lists exactly the country codes the tool accepts in a version-2 ledger.
    @Test func eventsListsTheFrozenCountryCodes() throws {
        let events = try String(contentsOf: Repository.root.appendingPathComponent("docs/EVENTS.md"), encoding: .utf8)
        let section = try #require(events.components(separatedBy: "### 8.1 Country codes").last)
        let listed = section.split(separator: "\n").filter { $0.hasPrefix("`") }.flatMap {
            $0.split(separator: " ").map { String($0.dropFirst().dropLast()) }
        }
        #expect(listed == CountryCodes.all)
        #expect(CountryCodes.all == CountryCodes.all.sorted() && CountryCodes.all.count == 250)
    }

    @Test func formatMarkdownListsEveryCustodyRow() throws {
        let format = try String(
            contentsOf: Repository.root.appendingPathComponent("docs/FORMAT.md"), encoding: .utf8)
        let events = try String(contentsOf: Repository.root.appendingPathComponent("docs/EVENTS.md"), encoding: .utf8)
        for rule in CustodyTypeTable.rules {
            #expect(format.contains(rule.markdownRow), "FORMAT.md §5 lacks or differs for \(rule.type)")
            #expect(events.contains("`\(rule.type)`"), "EVENTS.md does not describe \(rule.type)")
        }
    }

    /// Every member of every custody type, with its kind and bound, stands in EVENTS.md as the tool renders it; the
    /// whole list per type, so a bound shared by several types is checked for each of them.
    @Test(arguments: CustodyTypeTable.rules.map { ($0.type, 1) } + CustodyTypeTable.version2Rules.map { ($0.type, 2) })
    func eventsMarkdownStatesEveryDataSchema(type: String, version: Int) throws {
        let events = try String(contentsOf: Repository.root.appendingPathComponent("docs/EVENTS.md"), encoding: .utf8)
        let rules = version == 2 ? CustodyTypeTable.version2Rules : CustodyTypeTable.rules
        let rule = try #require(rules.first { $0.type == type })
        let schema = rule.data.markdown(type: rule.type)
        let heading = version == 2 ? "* `\(type)` (version 2):" : "* `\(type)`:"
        // The type's line and the member lines under it, so a member the docs add or drop fails too.
        let lines = events.split(separator: "\n", omittingEmptySubsequences: false)
        let documented = lines.firstIndex { $0 == heading }.map { start in
            let end = lines[(start + 1)...].firstIndex { !$0.hasPrefix("  * ") } ?? lines.endIndex
            return lines[start..<end].joined(separator: "\n")
        }
        #expect(documented == schema, "EVENTS.md lacks or differs from this data schema:\n\(schema)")
    }
}

/// `ledger proof`: an entry's inclusion proof checked offline, and a consistency proof.
@Suite(.serialized)
struct ProofEndToEndTests {
    let directory = TemporaryDirectory("ledger-proof")

    private func ledger(_ arguments: String...) throws -> CLI.Output {
        try CLI.run(arguments, in: directory.url)
    }

    @Test func inclusionProofVerifiesOfflineAndCatchesAnotherEntry() throws {
        let initialize = try ledger(
            "init", "--origin", "ledger.test.example/proof", "--name", "Ada", "--person", "ada", "--agency", "NCA",
            "--json")
        #expect(initialize.status == 0, "\(initialize.stderr)")
        let vkey =
            (try JSONSerialization.jsonObject(with: Data(initialize.stdout.utf8)) as? [String: Any])?["log_vkey"]
            as? String ?? ""
        for index in 1...9 {
            let note = try ledger(
                "append", "--type", "ledger.note", "--stream", "ledger", "--data", "{\"text\":\"note \(index)\"}",
                "--key", "admin.pem")
            #expect(note.status == 0, "\(note.stderr)")
        }
        // A version-2 ledger checkpoints every commit, so every entry is provable at once.
        let atOnce = try ledger("proof", "inclusion", "5")
        #expect(atOnce.status == 0, "\(atOnce.stderr)")
        #expect(try ledger("checkpoint", "--log-key", "log.pem").status == 0)
        let proof = try ledger("proof", "inclusion", "5", "--out", "five.tlog-proof")
        #expect(proof.status == 0, "\(proof.stderr)")
        let text = try String(contentsOf: directory.url.appendingPathComponent("five.tlog-proof"), encoding: .utf8)
        #expect(text.hasPrefix("c2sp.org/tlog-proof@v1\nindex 4\n"))
        let five = try ledger("log", "--format", "jsonl", "--from", "5", "--to", "5")
        try Data(five.stdout.utf8).write(to: directory.url.appendingPathComponent("five.json"))
        let six = try ledger("log", "--format", "jsonl", "--from", "6", "--to", "6")
        try Data(six.stdout.utf8).write(to: directory.url.appendingPathComponent("six.json"))
        let good = try ledger("proof", "verify", "five.tlog-proof", "--entry", "five.json", "--trust-log-key", vkey)
        #expect(good.status == 0, "\(good.stdout)\(good.stderr)")
        #expect(good.stdout.contains("OK: seq 5"))
        let wrong = try ledger("proof", "verify", "five.tlog-proof", "--entry", "six.json", "--trust-log-key", vkey)
        #expect(wrong.status == 1)
        let forged = String(six.stdout.dropLast()).replacingOccurrences(of: "\"seq\":6", with: "\"seq\":5")
        try Data(forged.utf8).write(to: directory.url.appendingPathComponent("forged.json"))
        let forgedCheck = try ledger(
            "proof", "verify", "five.tlog-proof", "--entry", "forged.json", "--trust-log-key", vkey)
        #expect(forgedCheck.status == 1)
        let consistency = try ledger("proof", "consistency", "3", "11", "--json")
        #expect(consistency.status == 0, "\(consistency.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(consistency.stdout.utf8)) as? [String: Any]
        #expect((object?["hashes"] as? [String])?.isEmpty == false)
    }
}

/// RFC 3161 time stamps on checkpoints, with a throwaway TSA made by tools/tsa/make-test-tsa.sh.
@Suite(.serialized)
struct TimestampEndToEndTests {
    let directory = TemporaryDirectory("ledger-tsa-e2e")

    private func ledger(_ arguments: String...) throws -> CLI.Output {
        try CLI.run(arguments, in: directory.url)
    }

    @Test func aCheckpointIsTimeStampedAndVerifyReportsIt() throws {
        let script = Repository.root.appendingPathComponent("tools/tsa/make-test-tsa.sh").path
        #expect(try CLI.shell("'\(script)' init tsa", in: directory.url).status == 0)
        #expect(
            try ledger(
                "init", "--origin", "ledger.test.example/tsa", "--name", "Ada", "--person", "ada", "--agency", "NCA"
            )
            .status == 0)
        #expect(try ledger("checkpoint", "--log-key", "log.pem").status == 0)
        let request = try ledger("checkpoint", "timestamp-request", "2", "--out", "cp2.tsq")
        #expect(request.status == 0, "\(request.stderr)")
        #expect(try CLI.shell("'\(script)' reply tsa cp2.tsq cp2.tsr", in: directory.url).status == 0)
        let add = try ledger("checkpoint", "add-timestamp", "2", "cp2.tsr", "--ca-file", "tsa/ca.crt")
        #expect(add.status == 0, "\(add.stderr)")
        #expect(add.stdout.contains("entries 1…2 existed before"))
        let verify = try ledger("verify", "--tsa-ca", "tsa/ca.crt")
        #expect(verify.status == 0, "\(verify.stdout)")
        #expect(verify.stdout.contains("timestamp  entries 1…2 existed before"))
        #expect(try ledger("verify").stdout.contains("not checked (give --tsa-ca FILE)"))

        // A time stamp over another checkpoint is refused.
        _ = try ledger(
            "append", "--type", "ledger.note", "--stream", "ledger", "--data", #"{"text":"later"}"#, "--key",
            "admin.pem")
        #expect(try ledger("checkpoint", "--log-key", "log.pem").status == 0)
        let wrong = try ledger("checkpoint", "add-timestamp", "3", "cp2.tsr", "--ca-file", "tsa/ca.crt")
        #expect(wrong.status == 2)
        #expect(wrong.stderr.contains("not for the checkpoint of size 3"))
        // Against another CA, verification fails.
        #expect(try CLI.shell("'\(script)' init other", in: directory.url).status == 0)
        let otherCA = try ledger("verify", "--tsa-ca", "other/ca.crt")
        #expect(otherCA.status == 1)
        #expect(otherCA.stdout.contains("time stamp over the checkpoint of size 2 does not verify"))
    }
}

/// Issue 4's acceptance scenario: witnessed checkpoints survive an operator who rewrites history with the real keys.
@Suite(.serialized)
struct WitnessedHistoryEndToEndTests {
    let directory = TemporaryDirectory("ledger-witnessed")

    private func ledger(_ arguments: String...) throws -> CLI.Output {
        try CLI.run(arguments, in: directory.url)
    }

    private func save(_ name: String, _ text: String) throws {
        try Data(text.utf8).write(to: directory.url.appendingPathComponent(name))
    }

    private func witnessKey(_ folder: String) throws -> String {
        let data = try Data(contentsOf: directory.url.appendingPathComponent("\(folder)/witness.json"))
        return ((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["vkey"] as? String) ?? ""
    }

    @Test func twoWitnessesCatchARewrittenHistory() throws {
        #expect(try ledger("demo", "op", "--targets", "20").status == 0)
        let path = directory.path("op/custody.ledger")
        let logKey = directory.path("op/keys/log.pem")
        let vkey = String(
            (try ledger("verify", "--ledger", path, "--json").stdout).split(separator: "\"").drop { $0 != "log_vkey" }
                .dropFirst(2).first ?? "")
        for witness in ["w1", "w2"] {
            #expect(try ledger("witness", "init", "--name", "\(witness).test.example", "--dir", witness).status == 0)
            #expect(
                try ledger("witness", "add-log", "ledger.demo.example/op-synergia", vkey, "--dir", witness).status == 0)
        }
        // Both witnesses cosign the demo's checkpoint, then a later one through a consistency proof.
        let first = try ledger("checkpoint", "--latest", "--ledger", path)
        try save("first.txt", first.stdout)
        let firstSize = first.stdout.split(separator: "\n")[1]
        var cosigned = first.stdout
        for witness in ["w1", "w2"] {
            let line = try ledger("witness", "cosign", "first.txt", "--dir", witness)
            #expect(line.status == 0, "\(line.stderr)")
            cosigned += line.stdout
        }
        try save("first-cosigned.txt", cosigned)
        _ = try ledger(
            "append", "--ledger", path, "--type", "ledger.note", "--stream", "ledger", "--data", #"{"text":"later"}"#,
            "--key", directory.path("op/keys/ada.int.pem"))
        let second = try ledger("checkpoint", "--ledger", path, "--log-key", logKey)
        try save("second.txt", second.stdout)
        let secondSize = second.stdout.split(separator: "\n")[1]
        let proof = try ledger("proof", "consistency", String(firstSize), String(secondSize), "--ledger", path)
        try save("proof.txt", proof.stdout)
        for witness in ["w1", "w2"] {
            #expect(try ledger("witness", "cosign", "second.txt", "--proof", "proof.txt", "--dir", witness).status == 0)
        }
        let quorum = try ledger(
            "verify", "--ledger", path, "--checkpoint", "first-cosigned.txt", "--witness", try witnessKey("w1"),
            "--witness", try witnessKey("w2"), "--witness-quorum", "2")
        #expect(quorum.status == 0, "\(quorum.stdout)")

        // The operator rewrites history from seq 50 on, with the real keys, and signs a new checkpoint.
        let rewrite = try CLI.shell(
            """
            sqlite3 '\(path)' "DROP TRIGGER entries_append_only_delete; DROP TRIGGER checkpoints_append_only_delete;
              DELETE FROM entries WHERE seq >= 50; DELETE FROM checkpoints;"
            """, in: directory.url)
        #expect(rewrite.status == 0, "\(rewrite.stderr)")
        #expect(try ledger("rebuild", "--ledger", path).status == 0)
        try save(
            "rewrite.jsonl",
            (0..<300).map { #"{"type":"ledger.note","stream":"ledger","data":{"text":"rewritten \#($0)"}}"# }
                .joined(separator: "\n") + "\n")
        let appended = try ledger(
            "append", "--ledger", path, "--batch", "rewrite.jsonl", "--key", directory.path("op/keys/ada.int.pem"))
        #expect(appended.status == 0, "\(appended.stderr)")
        let forged = try ledger("checkpoint", "--ledger", path, "--log-key", logKey)
        try save("forged.txt", forged.stdout)
        let forgedSize = forged.stdout.split(separator: "\n")[1]
        let forgedProof = try ledger("proof", "consistency", String(secondSize), String(forgedSize), "--ledger", path)
        try save("forged-proof.txt", forgedProof.stdout)
        for witness in ["w1", "w2"] {
            let refused = try ledger("witness", "cosign", "forged.txt", "--proof", "forged-proof.txt", "--dir", witness)
            #expect(refused.status == 4)
            #expect(refused.stderr.contains("does not extend"))
        }
        let caught = try ledger("verify", "--ledger", path, "--checkpoint", "first-cosigned.txt")
        #expect(caught.status == 1)
        #expect(caught.stdout.contains("diverged at or before seq \(firstSize)"), "\(caught.stdout)")
    }
}
