import Foundation
import LedgerApp
import LedgerCore
import LedgerTestSupport
import Testing

/// Errors in the user's terms, one exit status per kind of mistake, and JSON errors under `--json`.
@Suite(.serialized)
struct CommandLineTermsTests {
    let directory = TemporaryDirectory("ledger-terms")

    private func ledger(_ arguments: String...) throws -> CLI.Output { try CLI.run(arguments, in: directory.url) }

    /// carol (case officer, custodian), erin (examiner, custodian), case OP-1, item EV-1 seized by carol.
    private func setUp() throws {
        var steps: [[String]] = [
            ["init", "--origin", "ledger.test.example/terms", "--name", "Ada", "--person", "ada", "--agency", "NCA"]
        ]
        for (person, roles) in [("carol", "case-officer,custodian"), ("erin", "examiner,custodian")] {
            steps.append([
                "key", "generate", "--out", "\(person).pem", "--name", person, "--person", person, "--agency", "NCA",
                "--request-out", "\(person).json",
            ])
            steps.append(["key", "register", "\(person).json", "--roles", roles, "--key", "admin.pem"])
        }
        steps.append([
            "case", "open", "OP-1", "--title", "One", "--legal-basis", "JIT 1", "--agency", "NCA", "--key", "carol.pem",
        ])
        steps.append(seize("EV-1"))
        for arguments in steps {
            let result = try CLI.run(arguments, in: directory.url)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }
    }

    private func seize(_ id: String, _ extra: [String] = [], key: String = "carol.pem") -> [String] {
        [
            "item", "seize", id, "--case", "OP-1", "--exhibit", "C/1", "--kind", "laptop", "--description", "Grey",
            "--seal", "S-1", "--location", "Room B", "--from", "Flat 3", "--authority", "W 7", "--key", key,
        ] + extra
    }

    private func run(_ arguments: [String]) throws -> CLI.Output { try CLI.run(arguments, in: directory.url) }

    @Test func errorsNameTheOptionsNotTheDataMembers() throws {
        try setUp()
        var arguments = seize("EV-2")
        arguments[arguments.firstIndex(of: "laptop") ?? 0] = "toaster"
        let kind = try run(arguments)
        #expect(kind.status == 2)
        #expect(kind.stderr.contains("--kind must be one of laptop"), "\(kind.stderr)")
        #expect(!kind.stderr.contains("data."), "\(kind.stderr)")
        let ownWitness = try run(seize("EV-2", ["--witness-key", "carol.pem"]))
        #expect(ownWitness.status == 2)
        #expect(
            ownWitness.stderr.contains("--witness-key must name another key than the actor's"), "\(ownWitness.stderr)")
        let at = try run(seize("EV-2", ["--at", "yesterday"]))
        #expect(at.status == 2)
        #expect(at.stderr.contains("--at must be an RFC 3339 date"), "\(at.stderr)")
        try Data("image".utf8).write(to: directory.url.appendingPathComponent("disk.raw"))
        let source = try ledger(
            "item", "acquire", "EV-1", "--image", "disk.raw", "--tool", "dd", "--tool-version", "9", "--source-sha256",
            "ABC", "--key", "erin.pem")
        #expect(source.status == 2)
        #expect(source.stderr.contains("--source-sha256"), "\(source.stderr)")
        #expect(!source.stderr.contains("data."), "\(source.stderr)")
    }

    @Test func theLogKeyAndAFolderAreNamedAsSuch() throws {
        try setUp()
        let logKey = try ledger("note", "EV-1", "--text", "x", "--key", "log.pem")
        #expect(logKey.status == 2)
        #expect(logKey.stderr.contains("--key log.pem is the ledger's log key"), "\(logKey.stderr)")
        let append = try ledger(
            "append", "--type", "ledger.note", "--stream", "ledger", "--data", #"{"text":"x"}"#, "--key", "log.pem")
        #expect(append.status == 2)
        #expect(append.stderr.contains("--key log.pem is the ledger's log key"), "\(append.stderr)")
        let folder = try ledger("items", "--ledger", directory.url.path)
        #expect(folder.status == 2)
        #expect(folder.stderr.contains("--ledger \(directory.url.path) is a folder"), "\(folder.stderr)")
        #expect(folder.stderr.contains("custody.ledger"), "\(folder.stderr)")
        try FileManager.default.createDirectory(
            at: directory.url.appendingPathComponent("keys"), withIntermediateDirectories: true)
        let keyFolder = try ledger("note", "EV-1", "--text", "x", "--key", "keys")
        #expect(
            keyFolder.status == 2 && keyFolder.stderr.contains("the key file keys is a folder"), "\(keyFolder.stderr)")
        let noKey = try ledger("note", "EV-1", "--text", "x", "--key", "nobody.pem")
        #expect(noKey.stderr.contains("there is no key file nobody.pem"), "\(noKey.stderr)")
        let jsonl = try ledger("verify", "--jsonl", "keys")
        #expect(jsonl.status == 2 && jsonl.stderr.contains("--jsonl keys is a folder"), "\(jsonl.stderr)")
    }

    @Test func oneExitStatusPerKindOfMistake() throws {
        try setUp()
        // An unknown id is a usage error from every command, as from `item show`.
        #expect(try ledger("item", "show", "EV-404").status == 2)
        let transfer = try ledger("transfer", "EV-404", "--to", "erin", "--purpose", "x", "--key", "carol.pem")
        #expect(transfer.status == 2, "\(transfer.stderr)")
        let seizeInUnknownCase = try run(seize("EV-3").map { $0 == "OP-1" ? "OP-404" : $0 })
        #expect(seizeInUnknownCase.status == 2, "\(seizeInUnknownCase.stderr)")
        // A role, and a custody rule, refuse with 5.
        let role = try run(seize("EV-3", key: "admin.pem"))
        #expect(role.status == 5, "\(role.stderr)")
        let custody = try ledger("transfer", "EV-1", "--to", "carol", "--purpose", "x", "--key", "erin.pem")
        #expect(custody.status == 5, "\(custody.stderr)")
        let twice = try run(seize("EV-1"))
        #expect(twice.status == 5, "\(twice.stderr)")
        // A conflict a retry may resolve stays 4.
        let stale = try ledger("note", "EV-1", "--text", "x", "--expect-rev", "7", "--key", "carol.pem")
        #expect(stale.status == 4, "\(stale.stderr)")
    }

    @Test func aRefusalUnderJSONIsAJSONObjectOnStandardError() throws {
        try setUp()
        let refused = try ledger(
            "transfer", "EV-1", "--to", "erin", "--purpose", "x", "--seal", "S-9", "--key", "carol.pem", "--json")
        #expect(refused.status == 5)
        #expect(refused.stdout.isEmpty)
        let object = try JSONSerialization.jsonObject(with: Data(refused.stderr.utf8)) as? [String: Any]
        let error = object?["error"] as? [String: Any]
        #expect(error?["code"] as? String == "custody")
        #expect(error?["exit_status"] as? Int == 5)
        #expect(error?["http_status"] as? Int == 422)
        #expect(error?["rule"] as? String == "seal-mismatch")
        #expect(error?["field"] as? String == "data.seal")
        #expect(error?["option"] as? String == "--seal")
        #expect((error?["message"] as? String)?.contains("S-9") == true)
        for unknown in [["item", "show", "EV-404"], ["transfer", "EV-404", "--to", "erin", "--purpose", "x"]] {
            let result = try run(unknown + (unknown[0] == "transfer" ? ["--key", "carol.pem"] : []) + ["--json"])
            #expect(result.status == 2)
            let code = (try JSONLines.objects(result.stderr).first?["error"] as? [String: Any])?["code"] as? String
            #expect(code == "not-found", "\(unknown): \(result.stderr)")
        }
        let usage = try ledger("items", "--bogus", "--json")
        #expect(usage.status == 2)
        let usageObject = try JSONSerialization.jsonObject(with: Data(usage.stderr.utf8)) as? [String: Any]
        #expect((usageObject?["error"] as? [String: Any])?["code"] as? String == "usage")
    }

    @Test func aCheckpointOfAnotherLedgerIsAUsageErrorNotAnIntegrityFailure() throws {
        try setUp()
        let other = directory.url.appendingPathComponent("other")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        for arguments in [
            ["init", "--origin", "ledger.test.example/other", "--name", "Bo", "--person", "bo", "--agency", "BKA"],
            ["checkpoint", "--log-key", "log.pem", "--out", "../other.checkpoint"],
        ] {
            let result = try CLI.run(arguments, in: other)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }
        let database = try ledger("verify", "--checkpoint", "other.checkpoint")
        #expect(database.status == 2, "\(database.stdout) \(database.stderr)")
        #expect(
            database.stderr.contains("the checkpoint is of ledger ledger.test.example/other, not of this ledger"),
            "\(database.stderr)")
        #expect(!database.stdout.contains("FAILED"))
        let export = try ledger("log", "--format", "jsonl")
        try Data(export.stdout.utf8).write(to: directory.url.appendingPathComponent("ledger.jsonl"))
        let jsonl = try ledger("verify", "--jsonl", "ledger.jsonl", "--checkpoint", "other.checkpoint")
        #expect(jsonl.status == 2, "\(jsonl.stdout) \(jsonl.stderr)")
        #expect(jsonl.stderr.contains("not of this ledger (ledger.test.example/terms)"), "\(jsonl.stderr)")
    }

    @Test func filterValuesAreCheckedAndTheErrorListsTheValidOnes() throws {
        try setUp()
        let cases: [([String], String)] = [
            (["items", "--status", "in-custdy"], "give one of in-custody, in-transit, checked-out, lost, disposed"),
            (["items", "--holder", "zed"], "--holder \"zed\": no such person; the people are ada, carol, erin"),
            (["items", "--case", "OP-2"], "--case \"OP-2\": no such case; the cases are OP-1"),
            (["targets", "--status", "down"], "give one of identified, verified, false-positive"),
            (["targets", "--category", "spam"], "give one of phishing, ransomware"),
            (["targets", "--country", "nl"], "give two capital letters, e.g. NL"),
            (["targets", "--case", "OP-2"], "no such case"),
            (["stats", "--case", "OP-2"], "no such case"),
            (["log", "--stream", "item/EV-404"], "no entries in that stream"),
        ]
        for (arguments, says) in cases {
            let result = try run(arguments)
            #expect(result.status == 2, "\(arguments): \(result.stdout)")
            #expect(result.stdout.isEmpty, "\(arguments): \(result.stdout)")
            #expect(result.stderr.contains(says), "\(arguments): \(result.stderr)")
        }
        let valid = try ledger("items", "--status", "in-custody", "--holder", "carol", "--case", "OP-1")
        #expect(valid.status == 0 && valid.stdout.contains("EV-1"), "\(valid.stderr)")
    }

    @Test func tablesAlignWideCharacters() throws {
        try setUp()
        let generate = try ledger(
            "key", "generate", "--out", "kim.pem", "--name", "김민준", "--person", "kim", "--agency", "경찰청",
            "--request-out", "kim.json")
        #expect(generate.status == 0, "\(generate.stderr)")
        #expect(try ledger("key", "register", "kim.json", "--roles", "custodian", "--key", "admin.pem").status == 0)
        let people = try ledger("people")
        #expect(people.status == 0)
        // Hangul takes two terminal columns: the ROLES column starts in the same column on every line.
        func columns(_ text: Substring) -> Int {
            text.unicodeScalars.reduce(0) { $0 + ((0xAC00...0xD7A3).contains($1.value) ? 2 : 1) }
        }
        let lines = people.stdout.split(separator: "\n")
        let roles = ["ROLES", "admin", "case-officer,custodian", "examiner,custodian", "custodian"]
        let starts = lines.compactMap { line in
            roles.lazy.compactMap { line.range(of: $0) }.first.map { columns(line[..<$0.lowerBound]) }
        }
        #expect(starts.count == lines.count, "\(people.stdout)")
        #expect(Set(starts).count == 1, "\(people.stdout)")
    }
}

/// `tools/quickstart`, with its output sent to a file as CI and users who keep a log do: plain text.
struct QuickstartOutputTests {
    @Test func quickstartWritesNoTerminalCodesIntoAFile() throws {
        let directory = TemporaryDirectory("ledger-quickstart")
        let script = Repository.root.appendingPathComponent("tools/quickstart").path
        let result = try CLI.shell(
            "LEDGER='\(CLI.executable.path)' '\(script)' '\(directory.path("run"))' > out.txt 2> err.txt",
            in: directory.url)
        #expect(result.status == 0, "\(result.stderr)")
        let output = try String(contentsOf: directory.url.appendingPathComponent("out.txt"), encoding: .utf8)
        let errors = try String(contentsOf: directory.url.appendingPathComponent("err.txt"), encoding: .utf8)
        #expect(output.contains("== An auditor verifies the ledger"), "\(output)")
        #expect(!output.contains("\u{1b}") && !errors.contains("\u{1b}"), "no ANSI escape codes in a file")
        #expect(!output.contains("\r") && !errors.contains("\r"), "no progress lines in a file")
    }
}

/// Progress on a terminal shows the total; sent to a file, the output is the result alone.
struct ProgressTests {
    @Test func aLongSubmitOnATerminalShowsItsTotal() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { return }
        let directory = TemporaryDirectory("ledger-progress-submit")
        let initialize = try CLI.run(
            ["init", "--origin", "ledger.test.example/submit", "--name", "A", "--person", "a", "--agency", "N"],
            in: directory.url)
        #expect(initialize.status == 0, "\(initialize.stderr)")
        // 6,000 statements signed away from the ledger, chained on the ledger's own stream.
        let admin = try KeyFiles.load(directory.path("admin.pem"), passphrase: nil)
        var position = try StreamPosition.of("ledger", in: try ledgerLocation(directory.path("custody.ledger")).open())
        var statements: [SignedStatement] = []
        for index in 0..<6_000 {
            let statement = try StatementSigning.sign(
                at: position, type: EventTypes.ledgerNote, data: ["text": .string("note \(index)")], signer: admin)
            statements.append(statement)
            position = StatementSigning.position(after: [statement], from: position)
        }
        try Data(StatementSigning.file(statements)).write(to: directory.url.appendingPathComponent("big.statements"))
        // The line drawn from the start (not after half a second), however fast the machine.
        let command = "LEDGER_PROGRESS_DELAY=0 '\(CLI.executable.path)' submit big.statements > result.txt"
        let terminal = try CLI.shell("script -qec \"\(command)\" typescript > /dev/null", in: directory.url)
        #expect(terminal.status == 0, "\(terminal.stderr)")
        let screen = try String(contentsOf: directory.url.appendingPathComponent("typescript"), encoding: .utf8)
        #expect(screen.contains("sequencing [") && screen.contains("/6000 ("), "the total is shown: \(screen)")
        let result = try String(contentsOf: directory.url.appendingPathComponent("result.txt"), encoding: .utf8)
        #expect(!result.contains("\r") && !result.contains("sequencing"), "\(result.prefix(300))")
    }

    @Test func aLongVerifyOnATerminalShowsItsTotalAndAFileGetsTheResultOnly() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { return }
        let directory = TemporaryDirectory("ledger-progress")
        func ledger(_ arguments: String...) throws -> CLI.Output { try CLI.run(arguments, in: directory.url) }
        #expect(
            try ledger(
                "init", "--origin", "ledger.test.example/progress", "--name", "A", "--person", "a", "--agency", "N"
            )
            .status == 0)
        let notes = (0..<8_000).map { #"{"type":"ledger.note","stream":"ledger","data":{"text":"n\#($0)"}}"# }
        try Data((notes.joined(separator: "\n") + "\n").utf8).write(to: directory.url.appendingPathComponent("b.jsonl"))
        #expect(try ledger("append", "--batch", "b.jsonl", "--key", "admin.pem").status == 0)
        try Data(try ledger("log", "--format", "jsonl").stdout.utf8).write(
            to: directory.url.appendingPathComponent("l.jsonl"))
        try Data(try ledger("checkpoint", "--latest").stdout.utf8).write(
            to: directory.url.appendingPathComponent("cp.txt"))
        // `script` gives the command a terminal; its standard output still goes to a file.
        let command =
            "LEDGER_PROGRESS_DELAY=0 '\(CLI.executable.path)' verify --jsonl l.jsonl --checkpoint cp.txt > result.txt"
        let terminal = try CLI.shell("script -qec \"\(command)\" typescript > /dev/null", in: directory.url)
        #expect(terminal.status == 0, "\(terminal.stderr)")
        let screen = try String(contentsOf: directory.url.appendingPathComponent("typescript"), encoding: .utf8)
        #expect(screen.contains("/8002 ("), "the progress line shows the total: \(screen)")
        let result = try String(contentsOf: directory.url.appendingPathComponent("result.txt"), encoding: .utf8)
        #expect(result.hasPrefix("OK: the ledger verifies") && !result.contains("\r"), "\(result)")
    }
}

/// Every command's `--help`, as printed at 80 columns (standard output is not a terminal).
struct HelpTests {
    let directory = TemporaryDirectory("ledger-help")

    /// The subcommands a help text lists.
    private func subcommands(_ help: String) -> [String] {
        guard let start = help.range(of: "SUBCOMMANDS:\n") else { return [] }
        var names: [String] = []
        for line in help[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty { break }
            guard line.hasPrefix("  "), !line.hasPrefix("   ") else { continue }
            let name = line.dropFirst(2).prefix { !$0.isWhitespace }
            if !name.isEmpty && name != "help" { names.append(String(name)) }
        }
        return names
    }

    /// Every command path with its help text, depth first.
    private func everyCommand(_ path: [String] = []) throws -> [(path: [String], help: String)] {
        let help = try CLI.run(path + ["--help"], in: directory.url)
        #expect(help.status == 0, "\(path)")
        let children = subcommands(help.stdout)
        return [(path, help.stdout)] + (try children.flatMap { try everyCommand(path + [$0]) })
    }

    /// Problems with the examples of one help text: a `\` continuation whose next line is not indented, a wrapped
    /// example line (starting in column 0 inside an Examples block).
    private func problems(_ help: String) -> [String] {
        let lines = help.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var found: [String] = []
        var inExamples = false
        for (index, line) in lines.enumerated() {
            if line.hasPrefix("Example") {
                inExamples = true
                continue
            }
            if line.isEmpty || line.hasSuffix(":") { inExamples = false }
            if inExamples && !line.isEmpty && !line.hasPrefix("  ") { found.append("wrapped: \(line)") }
            if line.hasSuffix("\\") && !(index + 1 < lines.count && lines[index + 1].hasPrefix("    ")) {
                found.append("broken continuation: \(line)")
            }
        }
        return found
    }

    @Test func everySubcommandHasAnExampleThatSurvivesWrapping() throws {
        let commands = try everyCommand()
        #expect(commands.count > 60)
        for (path, help) in commands {
            let name = (["ledger"] + path).joined(separator: " ")
            if subcommands(help).isEmpty {
                #expect(help.contains("Example"), "\(name) --help has no example")
            }
            #expect(problems(help).isEmpty, "\(name): \(problems(help))")
        }
    }
}

extension CommandLineTermsTests {
    @Test func noteNamesAnItemByItsIdLikeEveryItemCommand() throws {
        try setUp()
        #expect(try ledger("note", "EV-1", "--text", "Battery removed.", "--key", "carol.pem").status == 0)
        #expect(try ledger("note", "--case", "OP-1", "--text", "Briefed.", "--key", "carol.pem").status == 0)
        // The stream form of earlier releases still works.
        #expect(try ledger("note", "item/EV-1", "--text", "Again.", "--key", "carol.pem").status == 0)
        let history = try ledger("log", "--stream", "item/EV-1", "--format", "jsonl")
        #expect(history.stdout.contains("Battery removed.") && history.stdout.contains("Again."))
        #expect(try ledger("log", "--stream", "case/OP-1", "--format", "jsonl").stdout.contains("Briefed."))
        let both = try ledger("note", "EV-1", "--case", "OP-1", "--text", "x", "--key", "carol.pem")
        #expect(both.status == 2 && both.stderr.contains("exactly one of"), "\(both.stderr)")
    }
}

extension HelpTests {
    @Test func everyCommandTakesJSON() throws {
        for (path, help) in try everyCommand() where subcommands(help).isEmpty {
            #expect(help.contains("--json "), "ledger \(path.joined(separator: " ")) has no --json")
        }
    }
}

extension CommandLineTermsTests {
    /// One convention: a list is JSON Lines (one object per line), a single result one object.
    @Test func everyListPrintsJSONLinesAndEveryResultOneObject() throws {
        try setUp()
        for arguments in [
            ["items"], ["people"], ["targets"], ["case", "list"], ["key", "list"], ["item", "history", "EV-1"],
            ["types"], ["log"],
        ] {
            let result = try run(arguments + ["--json"])
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            let lines = result.stdout.split(separator: "\n")
            #expect(!lines.isEmpty || arguments == ["targets"], "\(arguments)")
            #expect(try JSONLines.objects(result.stdout).count == lines.count, "\(arguments): \(result.stdout)")
        }
        for arguments in [["item", "show", "EV-1"], ["stats"], ["verify"], ["checkpoint", "--latest"]] {
            let result = try run(arguments + ["--json"])
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            #expect(try JSONLines.objects(result.stdout).count == 1, "\(arguments): \(result.stdout)")
        }
        let keys = try ledger("key", "list", "--json")
        #expect(try JSONLines.objects(keys.stdout).count == 3, "one line per key, as every list")
    }
}

extension CommandLineTermsTests {
    /// An auditor compares roots by eye: `verify` shows the checkpoint's base64 (as bag-info and the report do),
    /// with the hex beside it.
    @Test func verifyShowsTheRootAsTheCheckpointDoesWithItsHexBeside() throws {
        try setUp()
        let note = try ledger("checkpoint", "--latest")
        let base64 = String(note.stdout.split(separator: "\n")[2])
        let verify = try ledger("verify")
        #expect(verify.status == 0, "\(verify.stdout)")
        let tree = try #require(verify.stdout.split(separator: "\n").first { $0.hasPrefix("  tree ") })
        #expect(tree.contains("root \(base64) (hex "), "\(tree)")
        let json = try #require(try JSONLines.objects(try ledger("verify", "--json").stdout).first)
        #expect(json["root_base64"] as? String == base64)
        #expect(tree.contains("(hex \(json["root"] as? String ?? "?"))"), "\(tree)")
        let checkpoint = try #require(
            try JSONLines.objects(try ledger("checkpoint", "--log-key", "log.pem", "--json").stdout).first)
        #expect(checkpoint["root_base64"] as? String == base64)
    }
}

extension QuickstartOutputTests {
    /// Under --json the demo's standard output is one object (its narrative goes to standard error).
    @Test func theDemoUnderJSONPrintsOneObject() throws {
        let directory = TemporaryDirectory("ledger-demo-json")
        let demo = try CLI.run(["demo", "op", "--targets", "10", "--json"], in: directory.url)
        #expect(demo.status == 0, "\(demo.stderr)")
        let objects = try JSONLines.objects(demo.stdout)
        #expect(objects.count == 1, "\(demo.stdout)")
        #expect((objects.first?["verify"] as? [String: Any])?["ok"] as? Bool == true)
        #expect(demo.stderr.contains("▸ created op/custody.ledger"), "\(demo.stderr)")
    }
}

extension CommandLineTermsTests {
    /// The commands that printed only text print one JSON object under --json.
    @Test func resultsThatWereTextOnlyAreOneObjectUnderJSON() throws {
        try setUp()
        func object(_ arguments: String...) throws -> [String: Any] {
            let result = try run(arguments + ["--json"])
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            let objects = try JSONLines.objects(result.stdout)
            #expect(objects.count == 1, "\(arguments): \(result.stdout)")
            return objects.first ?? [:]
        }
        let generated = try object(
            "key", "generate", "--out", "dan.pem", "--name", "Dan", "--person", "dan", "--agency", "NCA",
            "--request-out", "dan.json")
        let keyID = try #require(generated["key_id"] as? String)
        #expect(generated["request_file"] as? String == "dan.json")
        #expect(try ledger("key", "register", "dan.json", "--roles", "custodian", "--key", "admin.pem").status == 0)
        #expect(
            try object("key", "revoke", keyID, "--reason", "left", "--key", "admin.pem")["key_id"] as? String == keyID)
        let proof = try object("proof", "inclusion", "3")
        #expect((proof["proof"] as? String)?.hasPrefix("c2sp.org/tlog-proof@v1") == true, "\(proof)")
        #expect(try object("proof", "inclusion", "3", "--out", "e3.proof")["file"] as? String == "e3.proof")
        let record = try ledger("log", "--format", "jsonl", "--from", "3", "--to", "3")
        try Data(record.stdout.utf8).write(to: directory.url.appendingPathComponent("e3.json"))
        let vkey = try #require(
            try JSONLines.objects(try ledger("verify", "--json").stdout).first?["log_vkey"] as? String)
        let verified = try object("proof", "verify", "e3.proof", "--entry", "e3.json", "--trust-log-key", vkey)
        #expect(verified["ok"] as? Bool == true && verified["seq"] as? Int == 3, "\(verified)")
        let witness = try object("witness", "init", "--name", "witness.test.example", "--dir", "w")
        #expect(witness["vkey"] as? String != nil)
        let origin = "ledger.test.example/terms"
        #expect(try object("witness", "add-log", origin, vkey, "--dir", "w")["origin"] as? String == origin)
        #expect(try object("checkpoint", "timestamp-request", "3", "--out", "c3.tsq")["file"] as? String == "c3.tsq")
    }
}
