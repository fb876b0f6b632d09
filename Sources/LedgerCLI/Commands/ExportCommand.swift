import ArgumentParser
import CourtBundle
import Foundation
import LedgerApp
import LedgerClient
import LedgerCore
import LedgerCrypto

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a court-export bundle: one case's or some items' custody, verifiable offline.",
        discussion: """
            The bundle is a BagIt 1.0 folder (RFC 8493) holding the disclosed entries, an inclusion proof for \
            each against a signed (and, with --witness-quorum, witnessed) checkpoint, the log key's signed \
            statement of what is disclosed, a printable HTML report, every target as CSV, the same chain in \
            CASE/UCO JSON-LD, and VERIFY.md. It discloses nothing of other cases. The log key signs a statement naming who made the \
            bundle, when, and the SHA-256 of every other file in it, so an edited report fails every verifier. \
            On a terminal it shows its progress on standard error. See docs/FORMAT.md §11.

            The checkpoint is the newest stored one that covers the selection and carries at least \
            --witness-quorum cosignatures; when none does and no cosignature is required, a new checkpoint is \
            signed. The folder appears complete or not at all.

            Through a server (--ledger https://…) the server makes the bag, signed by its log key and naming you as \
            the exporter, and sends it as a tar archive; it is written here as the same folder.

            Examples:
              ledger export --case OP-SYNERGIA-II --out bundle-case --log-key log.pem
              ledger export --item EV-0001 --item EV-0002 --out bundle-items
              ledger export --case C-1 --out bundle --witness-quorum 2
              ledger export --case C-1 --out bundle --exported-by 'DS Jane Roe'
              ledger export --case OP-SYNERGIA-II --out bundle-case \\
                  --ledger https://ledger.example.org --key carol.pem
              ledger verify-bundle bundle-case \\
                  --trust-log-key 'ledger.example.org/op+1a2b3c4d+AX…'
            """)

    @Option(
        name: .customLong("case"),
        help: ArgumentHelp("Export this case: its stream, items and targets.", valueName: "id"))
    var caseID: String?
    @Option(help: ArgumentHelp("Export this item (repeat for several).", valueName: "id")) var item: [String] = []
    @Option(help: ArgumentHelp("The bundle's folder (must not exist).", valueName: "dir")) var out: String
    @Option(help: "How many witness cosignatures the checkpoint must carry.") var witnessQuorum = 0
    @Option(help: "Export as of this stored checkpoint size instead of the newest that covers the selection.")
    var size: Int64?
    @Option(
        help: ArgumentHelp(
            "Source-Organization in bag-info.txt (default: the first administrator's agency).", valueName: "name"))
    var organization: String?
    @Option(
        help: ArgumentHelp(
            "Who makes the bundle, named in the signed disclosure statement and the report (default: your login name).",
            valueName: "name"))
    var exportedBy: String?
    @Option(
        help: ArgumentHelp(
            "The log key file, which signs the disclosure statement (default: the one the ledger names; else log.pem).",
            valueName: "file"))
    var logKey: String?
    @OptionGroup var passphrase: PassphraseOptions
    @OptionGroup var location: LedgerOptions
    @Option(
        name: .customLong("key"),
        help: ArgumentHelp(
            "With a server as --ledger: your key file, which signs the request (default: $LEDGER_KEY).",
            valueName: "file"))
    var keyFile: String?
    @Flag(help: "Print the result as JSON.") var json = false

    func validate() throws {
        guard (caseID == nil) != item.isEmpty else { throw ValidationError("give either --case C or --item ID …") }
        for id in item + [caseID].compactMap({ $0 }) where !Identifiers.isLocalID(id) {
            throw ValidationError("\"\(id)\" is not a case or item id (A–Z, a–z, 0–9, '.', '_', '-'; 1–64)")
        }
        guard witnessQuorum >= 0 else { throw ValidationError("--witness-quorum cannot be negative") }
    }

    func run() throws {
        if location.serverURL != nil { return try runRemotely() }
        var options = ExportOptions(selection: caseID.map { .caseID($0) } ?? .itemSelection(item), out: out)
        options.witnessQuorum = witnessQuorum
        options.size = size
        options.organization = organization
        options.exportedBy = exportedBy
        let store = try location.open()
        let key = try passphrase.loadLogKey(logKey, for: store)
        let progress = PhasedProgress()
        options.progress = { phase, done, total in progress.update(phase, done, total) }
        let result: ExportResult
        do {
            result = try Exporter.export(store: store, logKey: key, options: options)
            progress.finish()
        } catch {
            progress.finish()
            throw error
        }
        show(result, selection: options.selection)
    }

    /// Prints what was written.
    private func show(_ result: ExportResult, selection: DisclosureSelection) {
        if json {
            printJSON([
                "directory": .string(result.directory), "checkpoint_size": .integer(result.checkpointSize),
                "new_checkpoint": .bool(result.newCheckpoint), "entries": .integer(Int64(result.entries)),
                "streams": .integer(Int64(result.streams)), "cosignatures": .integer(Int64(result.cosignatures)),
                "timestamp": .bool(result.hasTimestamp), "files": .integer(Int64(result.files)),
                "bytes": .integer(Int64(result.bytes)), "log_vkey": .string(result.logKey),
                "removed_partials": .array(result.removedPartials.map { .string($0) }),
                "exported_at": .string(result.export.time), "exported_by": .string(result.export.exporter),
            ])
            return
        }
        for path in result.removedPartials {
            print("removed \(path): the unfinished bundle of an export that was killed")
        }
        print("wrote \(result.directory): \(selection), \(result.entries) entries in \(result.streams) streams")
        let exporter = VisibleText.escape(result.export.exporter)
        print("  exported \(result.export.time) by \(exporter), signed by the log key")
        print(
            "  checkpoint size \(result.checkpointSize)\(result.newCheckpoint ? " (signed now)" : ""), \(result.cosignatures) cosignatures, \(result.hasTimestamp ? "with" : "no") RFC 3161 time stamp"
        )
        print(
            "  \(result.files) files, \(result.bytes) bytes; report: \(result.directory)/data/report/custody-report.html"
        )
        print("  check it: ledger verify-bundle \(result.directory) --trust-log-key '\(result.logKey)'")
    }

    /// Through a server: it makes the bag (signed by its log key, naming the caller) and sends it as a tar archive,
    /// which is written here as the same folder, complete or not at all.
    private func runRemotely() throws {
        for (given, option) in [(organization, "--organization"), (exportedBy, "--exported-by")] where given != nil {
            throw CommandError(
                .usage("\(option) is not taken through a server: the server names its agency and you as the exporter"),
                option: option)
        }
        guard !FileManager.default.fileExists(atPath: out) else {
            throw LedgerError.usage("\(out) exists already; name a new folder for the bundle")
        }
        let remote = try location.remote(keyFile: keyFile, passphrase: passphrase)
        var request: [JSONMember] = [JSONMember("witness_quorum", .integer(Int64(witnessQuorum)))]
        if let caseID { request.append(JSONMember("case", .string(caseID))) }
        if !item.isEmpty { request.append(JSONMember("items", .array(item.map { .string($0) }))) }
        if let size { request.append(JSONMember("size", .integer(size))) }
        let body = JCS.serialize(.object(request))
        let reply = try Blocking.wait {
            try await remote.send("POST", "/api/v1/exports", body: body, contentType: "application/json")
        }
        let files: [(path: String, bytes: [UInt8])]
        do { files = try BagArchive.files(of: reply.body) } catch {
            throw LedgerError(code: .store, "the server's answer is \(error)")
        }
        try Exporter.writeBag(files, to: out)
        let infoText = String(decoding: files.first { $0.path == "bag-info.txt" }?.bytes ?? [], as: UTF8.self)
        let info = Dictionary(
            ((try? BagIt.parseBagInfo(infoText)) ?? []).map { ($0.label, $0.value) }, uniquingKeysWith: { a, _ in a })
        let checkpointSize = info["Checkpoint-Size"].flatMap { Int64($0) } ?? 0
        if json {
            printJSON([
                "directory": .string(out), "checkpoint_size": .integer(checkpointSize),
                "files": .integer(Int64(files.count)),
                "bytes": .integer(Int64(files.reduce(0) { $0 + $1.bytes.count })),
                "log_vkey": .string(info["Ledger-Log-Key"] ?? ""),
            ])
            return
        }
        print(
            "wrote \(out): \(info["External-Identifier"] ?? "the bundle"), made by the server against checkpoint size"
                + " \(checkpointSize)")
        print(
            "  \(files.count) files, \(files.reduce(0) { $0 + $1.bytes.count }) bytes; report: \(out)/data/report/custody-report.html"
        )
        print(
            "  check it against the log key you trust: ledger verify-bundle \(out) --trust-log-key '\(info["Ledger-Log-Key"] ?? "VKEY")'"
        )
    }
}

struct VerifyBundleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-bundle",
        abstract: "Check a court-export bundle offline: files, signatures, proofs, disclosure, custody rules.",
        discussion: """
            Checks every manifest line and that the manifests list exactly the files present; the checkpoint's \
            log signature and witness cosignatures; the RFC 3161 time stamp (with --tsa-ca); every record's \
            canonical form, signers and signatures (keys from the disclosed key entries); every inclusion proof; \
            each disclosed stream's chain up to the head the signed disclosure statement names; the custody rules \
            over the disclosed history; and that the report and the JSON-LD re-render to the same bytes. From \
            disclosure version 2, every other file's SHA-256 must be the one the log key signed. On a terminal \
            it shows its progress on standard error.

            Without --trust-log-key the bundle is checked against the log key it names itself, which proves only \
            that it is consistent: the result then says "log key not pinned".

            Examples:
              ledger verify-bundle bundle-case \\
                  --trust-log-key 'ledger.example.org/op+1a2b3c4d+AX…'
              ledger verify-bundle bundle --trust-log-key VKEY --witness W1 \\
                  --witness W2 --witness-quorum 2
              ledger verify-bundle bundle --json

            Exit statuses: 0 valid; 1 integrity failure; 2 usage or I/O error; 3 valid but with findings.
            """)

    @Argument(help: "The bundle's folder.") var directory: String
    @OptionGroup var trust: TrustOptions
    @Flag(help: "Print the report as one JSON object.") var json = false

    func run() throws {
        var options = BundleVerifier.Options(
            trustedLogKey: try trust.pinnedLogKey(), witnesses: try trust.witnessKeys(),
            witnessQuorum: trust.witnessQuorum)
        let progress = PhasedProgress()
        options.progress = { phase, done, total in progress.update(phase, done, total) }
        let report: BundleReport
        do {
            report = try BundleChecker.check(directory: directory, options: options, tsaCAFile: trust.tsaCa)
            progress.finish()
        } catch {
            progress.finish()
            throw error
        }
        if json { printJSON(Self.json(report)) } else { print(Self.text(report)) }
        if report.exitStatus != 0 { throw ExitCode(report.exitStatus) }
    }

    static func text(_ report: BundleReport) -> String {
        guard let result = report.result else {
            let failure = report.failure.map { "\($0.description)\n  rule       \($0.rule.rawValue)" } ?? "unknown"
            return "FAILED: the bundle does not verify\n  \(failure)\n  bundle     \(report.directory)"
        }
        let ledger = result.ledger
        let checkpoint = ledger.checkpoint.checkpoint
        var lines = [
            result.findings.isEmpty
                ? "OK: the bundle verifies" : "OK with findings: the bundle verifies, but entries need review"
        ]
        if !result.trusted {
            lines.append("  WARNING    log key not pinned: checked against the key the bundle names itself")
        }
        lines.append("  bundle     \(report.directory) (\(result.files) files, manifests match)")
        lines.append(
            "  discloses  \(ledger.statement.selection): \(ledger.entries.count) entries in \(ledger.statement.streams.count) streams, \(result.keys) keys"
        )
        lines.append("  ledger     \(checkpoint.origin)")
        lines.append("  log key    \(result.logKey.vkey)\(result.trusted ? " (pinned)" : " (NOT pinned)")")
        lines.append(
            "  checkpoint size \(checkpoint.size), root \(Base64.encode(checkpoint.root)); every entry's inclusion proof verifies"
        )
        for witness in result.witnessTimes {
            let when =
                witness.time.map { "cosigned at \(LedgerTime.format(millisecondsSince1970: Int64($0) * 1000))" }
                ?? "no cosignature"
            lines.append("  witness    \(witness.name): \(when)")
        }
        if let stamp = report.timestamp {
            lines.append(
                "  timestamp  entries 1…\(checkpoint.size) existed before \(stamp.genTime) (TSA \(stamp.tsaName ?? "unnamed"), policy \(stamp.policy))"
            )
        } else if ledger.hasTimestamp {
            lines.append("  timestamp  present, not checked (give --tsa-ca FILE)")
        }
        lines.append("  disclosure signed by the log key; every stream is complete up to its stated head")
        let statement = ledger.statement
        if let export = statement.export {
            lines.append(
                "  exported   \(export.time) by \(export.exporter); every other file's SHA-256 is the one the log key signed"
            )
        } else {
            lines.append(
                "  exported   not stated (disclosure version 1: the report, graph and VERIFY.md are not signed)")
        }
        let hasTargets = statement.files.contains { $0.path == BundleLayout.targets }
        lines.append(
            "  report     custody-report.html\(hasTargets ? ", targets.csv" : "") and custody.jsonld re-render to the same bytes"
        )
        if result.findings.isEmpty {
            lines.append("  findings   none")
        } else {
            lines.append("  findings   \(result.findings.count):")
            for finding in result.findings { lines.append("    \(finding.description) [\(finding.category.rawValue)]") }
        }
        return Terminal.lines(lines)
    }

    static func json(_ report: BundleReport) -> JSONValue {
        var members: [JSONMember] = [
            JSONMember("ok", .bool(report.failure == nil)),
            JSONMember("exit_status", .integer(Int64(report.exitStatus))),
            JSONMember("bundle", .string(report.directory)),
        ]
        if let failure = report.failure {
            var object = [
                JSONMember("rule", .string(failure.rule.rawValue)), JSONMember("message", .string(failure.message)),
            ]
            if let seq = failure.seq { object.append(JSONMember("seq", .integer(seq))) }
            members.append(JSONMember("failure", .object(object)))
        }
        if let result = report.result {
            let checkpoint = result.ledger.checkpoint.checkpoint
            members += [
                JSONMember("trusted", .bool(result.trusted)),
                JSONMember("log_key", .string(result.logKey.vkey)),
                JSONMember("selection", .string(result.ledger.statement.selection.description)),
                JSONMember("disclosure_version", .integer(Int64(result.ledger.statement.version))),
                JSONMember("exported_at", result.ledger.statement.export.map { .string($0.time) } ?? .null),
                JSONMember("exported_by", result.ledger.statement.export.map { .string($0.exporter) } ?? .null),
                JSONMember("entries", .integer(Int64(result.ledger.entries.count))),
                JSONMember("streams", .integer(Int64(result.ledger.statement.streams.count))),
                JSONMember("checkpoint_size", .integer(checkpoint.size)),
                JSONMember("checkpoint_root", .string(Base64.encode(checkpoint.root))),
                JSONMember(
                    "witnesses",
                    .array(
                        result.witnessTimes.map {
                            .object([
                                JSONMember("name", .string($0.name)),
                                JSONMember("time", $0.time.map { .integer(Int64($0)) } ?? .null),
                            ])
                        })),
                JSONMember("timestamp", report.timestamp.map { .string($0.genTime) } ?? .null),
                JSONMember(
                    "findings",
                    .array(
                        result.findings.map {
                            .object([
                                JSONMember("seq", .integer($0.seq)),
                                JSONMember("category", .string($0.category.rawValue)),
                                JSONMember("message", .string($0.message)),
                            ])
                        })),
            ]
        } else {
            members.append(JSONMember("trusted", .bool(false)))
        }
        return .object(members)
    }
}
