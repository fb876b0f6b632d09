import ArgumentParser
import Foundation
import LedgerApp
import LedgerClient
import LedgerCore
import LedgerCrypto

/// `ledger head`: what a signer must know of a stream to sign offline.
struct HeadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "head",
        abstract: "Show a stream's position (for signing statements away from the ledger).",
        discussion: """
            Prints what `ledger sign` needs to sign a statement on a stream without the ledger: the ledger's origin \
            and genesis, the stream's last revision and its last statement's hash (docs/FORMAT.md §12.2). Version-2 \
            ledgers only. Take it with you; statements signed on it are refused as a conflict (exit 4) if someone \
            else records on the stream first.

            Examples:
              ledger head item/EV-0064 --json > ev64.head.json
              # revision 0: a new stream
              ledger head item/EV-0099 --json > new-item.head.json
            """)

    @Argument(help: "The stream, e.g. item/EV-0064.") var stream: String
    @OptionGroup var location: LedgerOptions
    @OptionGroup var server: ServerKeyOptions
    @Flag(help: "Print the position as JSON (what `ledger sign --head` reads).") var json = false

    func run() throws {
        let position =
            if location.serverURL != nil {
                try StreamPosition(
                    json: try remoteJSON(
                        try server.remote(location), "/api/v1/head?stream=\(RemoteLedger.escape(stream))"))
            } else {
                try StreamPosition.of(stream, in: try location.openForReading())
            }
        if json {
            printJSON(position.json)
            return
        }
        print(
            """
            stream     \(position.stream)
            revision   \(position.rev)
            last       \(position.prev)
            ledger     \(position.ledger)
            genesis    \(position.genesis)
            """)
    }
}

/// `ledger sign`: build and sign a statement from a stream position and a key file alone.
struct SignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Sign a statement without the ledger, into a statement file (offline signing).",
        discussion: """
            Builds the version-2 statement of one event on the stream that --head names (a file `ledger head \
            STREAM --json` wrote), signs it with your key, and adds it as a line of the statement file --out. \
            Statements on the same stream already in that file are chained: sign several events on one item in a \
            row and they are recorded in that order. Nothing here needs the ledger; `ledger submit` records the file \
            later, keeping both times (when you signed and when it was recorded). A witnessing officer adds their \
            signature with `ledger cosign`. Every domain command (`ledger transfer`, `ledger receive`, `ledger item \
            seize`, …) signs offline the same way with its own arguments plus --head and --out.

            Examples:
              ledger sign --head ev64.head.json --type custody.received \\
                  --data '{"seal_intact":true,"seal":"SEAL-00064"}' --key erin.pem \\
                  --out ev64.statements
              ledger sign --head new-item.head.json --type item.seized \\
                  --data @seizure.json --key carol.pem --out field.statements \\
                  --valid-for 72h
            """)

    @Option(help: ArgumentHelp("The stream position file (`ledger head STREAM --json`).", valueName: "file"))
    var head: String
    @Option(help: "The event type, e.g. custody.received (see `ledger types`).") var type: String
    @Option(help: ArgumentHelp("The event data: a JSON object, or @FILE.", valueName: "json")) var data: String
    @Option(help: ArgumentHelp("Your signing key file.", valueName: "file")) var key: String
    @Option(help: ArgumentHelp("The statement file to add to (created if missing).", valueName: "file"))
    var out: String
    @Option(help: "A UUIDv4 for the statement (default: a new one).") var id: String?
    @Option(
        help: ArgumentHelp(
            "A checkpoint of this ledger you verified: the statement names its size and root (FORMAT.md §12.2).",
            valueName: "file"))
    var anchor: String?
    @Option(
        help: ArgumentHelp(
            "How long the statement may wait to be recorded: e.g. 30m, 24h, 7d (at most 30d).", valueName: "duration"))
    var validFor: String = "24h"
    @OptionGroup var passphrase: PassphraseOptions
    @Flag(help: "Print the result as JSON.") var json = false

    func run() throws {
        let position = try StreamPosition(json: try parseJSONFile(head, what: "head file"))
        let dataValue = try parseJSONArgument(data, what: "--data")
        let signer = try passphrase.loadKey(key)
        let existing =
            FileManager.default.fileExists(atPath: out)
            ? try StatementSigning.read(file: try readFileBytes(out, what: "statement file"), name: out) : []
        let anchored = try anchor.map { file throws(LedgerError) in
            try StatementSigning.anchor(
                checkpointText: String(decoding: try readFileBytes(file, what: "anchor checkpoint"), as: UTF8.self),
                for: position)
        }
        let statement = try StatementSigning.sign(
            at: StatementSigning.position(after: existing, from: position), type: type, data: dataValue,
            signer: signer, id: id, anchor: anchored, lifetime: try statementLifetime(validFor))
        try replaceFile(out, with: StatementSigning.file(existing + [statement]))
        if json {
            printJSON([
                "file": .string(out), "id": .string(statement.body.id),
                "statement_hash": .string(statement.statementHashHex), "stream": .string(statement.body.stream),
                "stream_rev": .integer(statement.body.streamRev), "signed_at": .string(statement.body.signedAt),
                "expires": .string(statement.body.expires),
            ])
            return
        }
        print(
            "signed \(type) on \(statement.body.stream) (revision \(statement.body.streamRev)) at \(statement.body.signedAt);"
                + " record it before \(statement.body.expires) with `ledger submit \(out)`")
    }
}

/// `ledger cosign`: a second signer (a witnessing officer) adds their signature to a statement file.
struct CosignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cosign",
        abstract: "Add your co-signature (as the witnessing officer) to statements in a statement file.",
        discussion: """
            Shows each statement that names your key as its co-signer (`witness_key`) in plain words, and signs it \
            with your own signing time once you confirm (or with --yes). The statement itself does not change, so \
            the actor's signature stays valid; co-sign on another machine, before the file is submitted.

            Example:
              ledger cosign field.statements --key bob.pem
            """)

    @Argument(help: "The statement file.") var file: String
    @Option(help: ArgumentHelp("Your signing key file.", valueName: "file")) var key: String
    @Flag(help: "Sign without asking (for scripts).") var yes = false
    @OptionGroup var passphrase: PassphraseOptions
    @OptionGroup var output: JSONOutput

    func run() throws {
        var statements = try StatementSigning.read(file: try readFileBytes(file, what: "statement file"), name: file)
        let signer = try passphrase.loadKey(key)
        var signed = 0
        var declined = 0
        // Under --json standard output holds the result alone; what is shown to be confirmed goes to standard error.
        let show: (String) -> Void = output.json ? { printErr($0) } : { print($0) }
        for (index, statement) in statements.enumerated() {
            guard (try? StatementSigning.cosign(statement, signer: signer)) != nil else { continue }
            show("Statement \(index + 1) of \(statements.count):")
            for line in StatementSigning.summary(statement) { show("  " + Terminal.line(line)) }
            if !yes {
                if output.json {
                    FileHandle.standardError.write(Data("Co-sign it? [y/N] ".utf8))
                } else {
                    print("Co-sign it? [y/N] ", terminator: "")
                }
                guard let answer = readLine(), answer.lowercased().hasPrefix("y") else {
                    show("not signed")
                    declined += 1
                    continue
                }
            }
            statements[index] = try StatementSigning.cosign(statement, signer: signer)
            signed += 1
        }
        guard signed > 0 else {
            if declined > 0 {
                // Refused at the prompt, or no answer (no terminal: give --yes to sign from a script).
                throw LedgerError.usage(
                    "you did not confirm the \(declined) statement(s) that name your key as co-signer (give --yes to"
                        + " sign without asking); nothing was changed")
            }
            throw LedgerError.usage("no statement in \(file) names your key as its co-signer; nothing was changed")
        }
        try replaceFile(file, with: StatementSigning.file(statements))
        output.emit(
            "co-signed \(signed) statement(s) in \(file)",
            json: ["file": .string(file), "cosigned": .integer(Int64(signed))])
    }
}

/// `ledger submit`: sequence signed statements into the ledger.
struct SubmitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Record signed statements (from `ledger sign`) in the ledger, with receipts.",
        discussion: """
            Checks and records each statement of the files, in order, as one commit group: the same id with the \
            same statement is already recorded (its seq is reported again); a statement that does not follow its \
            stream's current head is a conflict (re-read it with `ledger head` and sign again); a refused \
            statement never stops the others. The group is committed with one checkpoint signed by the ledger's log \
            key, and each recorded statement's receipt (its inclusion proof, with the record, as a C2SP tlog-proof) \
            can be written for the signer to keep: `ledger proof verify RECEIPT --trust-log-key VKEY` checks it.

            Exit status: 0 when every statement is recorded (now or before); 4 when any was refused as a conflict; \
            otherwise the status of the first refusal: 5 refused by a rule (a signature that does not verify or is \
            missing, a role, a custody or workflow rule), 2 bad input (a statement the type table refuses, one \
            signed for another ledger, an unknown id). The same statement given twice is refused before anything \
            is recorded.

            Examples:
              ledger submit field.statements --receipt seizure.receipt
              ledger submit a.statements b.statements --receipts receipts/
            """)

    @Argument(help: "Statement files, recorded in the order given.") var files: [String]
    @OptionGroup var location: LedgerOptions
    @OptionGroup var server: ServerKeyOptions
    @Option(help: ArgumentHelp("Write the receipt of the one statement submitted here.", valueName: "file"))
    var receipt: String?
    @Option(help: ArgumentHelp("Write each statement's receipt into this folder as SEQ.receipt.", valueName: "dir"))
    var receipts: String?
    @Flag(help: "Print the result as JSON.") var json = false

    func run() throws {
        var statements: [SignedStatement] = []
        // Where each statement id was first read: the same statement twice (a file given twice) is refused before
        // anything is recorded, rather than recorded once and then refused.
        var firstFile: [String: (file: String, hash: [UInt8])] = [:]
        for file in files {
            for statement in try StatementSigning.read(
                file: try readFileBytes(file, what: "statement file"), name: file)
            {
                if let earlier = firstFile[statement.body.id] {
                    let places = earlier.file == file ? file : "\(earlier.file) and \(file)"
                    let what = "statement \(statement.body.id) (\(statement.body.type) in \(statement.body.stream))"
                    // Twice the same: a file given twice. Two statements under one id: a conflict.
                    guard earlier.hash == statement.statementHash else {
                        throw LedgerError(
                            code: .idConflict,
                            "\(what) appears twice, in \(places), as two different statements; nothing was submitted")
                    }
                    throw LedgerError.usage("\(what) appears twice, in \(places); nothing was submitted")
                }
                firstFile[statement.body.id] = (file, statement.statementHash)
                statements.append(statement)
            }
        }
        if let receipt {
            guard statements.count == 1 else {
                throw LedgerError.usage(
                    "--receipt is for one statement; these files hold \(statements.count): use --receipts DIR")
            }
            // Checked before anything is recorded: a receipt file is never overwritten.
            guard !FileManager.default.fileExists(atPath: receipt) else {
                throw LedgerError.usage("\(receipt) exists already; receipts are never overwritten")
            }
        }
        if let receipts {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: receipts, isDirectory: &isDirectory), !isDirectory.boolValue {
                throw LedgerError.usage("--receipts \(receipts) is a file, not a folder")
            }
        }
        let outcomes: [SubmitOutcome]
        let receiptTexts: [String?]
        if location.serverURL != nil {
            let remote = try server.remote(location)
            let chunk = statements
            let answers = try Blocking.wait {
                defer { Task { await remote.close() } }
                return try await remote.submit(chunk)
            }
            outcomes = zip(statements, answers).map { statement, answer in
                let status: SubmitOutcome.Status =
                    if let error = answer.error {
                        .refused(error)
                    } else if answer.status == "already-recorded" {
                        .alreadyRecorded(seq: answer.seq ?? 0)
                    } else {
                        .recorded(seq: answer.seq ?? 0)
                    }
                return SubmitOutcome(
                    id: statement.body.id, type: statement.body.type, stream: statement.body.stream, status: status)
            }
            receiptTexts = answers.map(\.receipt)
        } else {
            let store = try location.open()
            let progress = ProgressLine(label: "sequencing", total: Int64(statements.count))
            outcomes = try Sequencer.submit(statements, to: store) { progress.update(Int64($0)) }
            progress.finish()
            // Each receipt is against its entry's commit group's checkpoint (the smallest covering it), so that a
            // resubmission writes the same receipt.
            receiptTexts = try outcomes.map { outcome in
                guard receipt != nil || receipts != nil, let seq = outcome.seq else { return nil }
                return try StatementSigning.receipt(seq: seq, size: nil, in: store).text
            }
        }
        // The statements are in the ledger now: every outcome is reported even when a receipt cannot be written.
        var written: [String] = []
        var receiptFailure: LedgerError?
        for (outcome, text) in zip(outcomes, receiptTexts) {
            guard let seq = outcome.seq, let text else { continue }
            do {
                if let receipt {
                    try writeNewFile(receipt, Array(text.utf8))
                    written.append(receipt)
                } else if let receipts {
                    try FileManager.default.createDirectory(atPath: receipts, withIntermediateDirectories: true)
                    let path = (receipts as NSString).appendingPathComponent("\(seq).receipt")
                    // Submitting a file again writes the same receipts: one already there with the same bytes is kept.
                    if let existing = FileManager.default.contents(atPath: path) {
                        guard existing == Data(text.utf8) else {
                            throw LedgerError.usage(
                                "\(path) exists with other content and was not overwritten; the statements are"
                                    + " recorded: submit the file again with --receipts NEW-FOLDER for their receipts")
                        }
                    } else {
                        try writeNewFile(path, Array(text.utf8))
                    }
                    written.append(path)
                }
            } catch {
                receiptFailure = receiptFailure ?? LedgerError.from(error)
            }
        }
        if json {
            printJSON([
                "statements": .array(
                    outcomes.map { outcome in
                        var members = [
                            JSONMember("id", .string(outcome.id)), JSONMember("stream", .string(outcome.stream)),
                            JSONMember("type", .string(outcome.type)),
                        ]
                        switch outcome.status {
                        case .recorded(let seq):
                            members += [JSONMember("status", "recorded"), JSONMember("seq", .integer(seq))]
                        case .alreadyRecorded(let seq):
                            members += [JSONMember("status", "already-recorded"), JSONMember("seq", .integer(seq))]
                        case .refused(let error):
                            members += [
                                JSONMember("status", "refused"), JSONMember("code", .string(error.code.rawValue)),
                                JSONMember("error", .string(error.description)),
                            ]
                        }
                        return .object(members)
                    }),
                "receipts": .array(written.map { .string($0) }),
            ])
        } else {
            for outcome in outcomes {
                switch outcome.status {
                case .recorded(let seq): print("recorded \(outcome.type) in \(outcome.stream) at seq \(seq)")
                case .alreadyRecorded(let seq):
                    print("already recorded: \(outcome.type) in \(outcome.stream) at seq \(seq) (nothing written)")
                case .refused(let error): print("refused: " + Terminal.line(error.description))
                }
            }
            for path in written { print("wrote receipt \(path)") }
        }
        if let receiptFailure { throw receiptFailure }
        let refusals = outcomes.compactMap { outcome -> LedgerError? in
            if case .refused(let error) = outcome.status { return error }
            return nil
        }
        if let first = refusals.first {
            let status = refusals.contains { $0.code.exitStatus == 4 } ? 4 : first.code.exitStatus
            throw ExitCode(status)
        }
    }
}

/// Parses a JSON object given inline or as @FILE.
func parseJSONArgument(_ value: String, what: String) throws(LedgerError) -> JSONValue {
    let bytes = try readArgumentBytes(value, what: what)
    do { return try JSONParser.parse(bytes, profile: .ledgerV1) } catch {
        throw .usage("\(what): not valid JSON: \(error.reason) (byte \(error.offset))")
    }
}

/// Parses a JSON file.
func parseJSONFile(_ path: String, what: String) throws(LedgerError) -> JSONValue {
    var bytes = try readFileBytes(path, what: what)
    while bytes.last == 0x0a { bytes.removeLast() }
    do { return try JSONParser.parse(bytes, profile: .ledgerV1) } catch {
        throw .usage("\(path): not valid JSON: \(error.reason) (byte \(error.offset))")
    }
}

/// Writes a file that must not exist yet (never overwritten), mode 0644.
func writeNewFile(_ path: String, _ bytes: [UInt8]) throws(LedgerError) {
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw .usage("cannot create \(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    guard written == bytes.count, fsync(fd) == 0 else {
        unlink(path)
        throw .usage("cannot write \(path): \(String(cString: strerror(errno)))")
    }
}

/// Replaces a file's contents atomically (a new file beside it, flushed, renamed over it).
func replaceFile(_ path: String, with bytes: [UInt8]) throws(LedgerError) {
    let temporary = path + ".tmp-\(getpid())"
    try writeNewFile(temporary, bytes)
    guard rename(temporary, path) == 0 else {
        unlink(temporary)
        throw .usage("cannot write \(path): \(String(cString: strerror(errno)))")
    }
}
