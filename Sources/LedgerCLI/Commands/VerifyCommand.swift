import ArgumentParser
import CourtBundle
import Foundation
import LedgerApp
import LedgerClient
import LedgerCore
import LedgerCrypto

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Prove that nothing in the ledger was changed, removed, reordered or forged.",
        discussion: """
            Checks every rule of docs/FORMAT.md §7 over every entry: canonical form, seq and hash chains, \
            stream chains, unique ids, time order, the type table, every signature and its signer's registration, \
            revocation and roles, the stored Merkle hashes, and every stored checkpoint. Signatures are checked \
            on all cores.

            Examples:
              ledger verify
              ledger verify --checkpoint checkpoint-2026-11-01.txt \\
                  --trust-log-key 'ledger.example.org/op+1a2b3c4d+AX…'
              ledger verify --jsonl ledger.jsonl --checkpoint checkpoint.txt --json

            Exit statuses: 0 valid; 1 integrity failure; 2 usage or I/O error (a checkpoint of another ledger \
            included); 3 valid but with findings.
            """)

    @OptionGroup var location: LedgerOptions
    @Option(help: ArgumentHelp("Verify this exported JSON Lines file instead of the database.", valueName: "file"))
    var jsonl: String?
    @Option(help: ArgumentHelp("A checkpoint handed out earlier that the ledger must still match.", valueName: "file"))
    var checkpoint: String?
    @OptionGroup var trust: TrustOptions
    @Option(
        help: ArgumentHelp(
            "A bundle's disclosure statement (data/ledger/disclosure) that must be true of this ledger.",
            valueName: "file"))
    var disclosure: String?
    @OptionGroup var server: ServerKeyOptions
    @Flag(help: "Print the report as one JSON object.") var json = false

    func validate() throws {
        if jsonl != nil && location.ledger != nil {
            throw ValidationError("give either --ledger (verify a database) or --jsonl (verify an export), not both")
        }
        if (!trust.witness.isEmpty || trust.witnessQuorum > 0) && checkpoint == nil && location.serverURL == nil {
            throw ValidationError("--witness and --witness-quorum check the cosignatures of --checkpoint FILE")
        }
        if disclosure != nil && jsonl != nil {
            throw ValidationError("--disclosure is checked against the database, not a --jsonl export")
        }
    }

    func run() throws {
        var options = VerifyOptions()
        if let checkpoint {
            let text = String(decoding: try readFileBytes(checkpoint, what: "checkpoint"), as: UTF8.self)
            if text.hasPrefix("c2sp.org/tlog-proof@") {
                throw LedgerError.usage(
                    "\(checkpoint) is a receipt (a tlog-proof), not a checkpoint: check it with `ledger proof verify"
                        + " \(checkpoint) --trust-log-key VKEY`")
            }
            do { options.checkpoint = try SignedCheckpoint(noteText: text) } catch {
                // The reason may quote the file; a line, not a screenful.
                let reason = "\(error)"
                throw LedgerError.usage(
                    "\(checkpoint) is not a signed checkpoint: \(reason.count > 200 ? reason.prefix(200) + "…" : reason)"
                )
            }
        }
        options.pinnedLogKey = try trust.pinnedLogKey()
        options.witnesses = try trust.witnessKeys()
        options.witnessQuorum = trust.witnessQuorum
        options.timestampCAFile = trust.tsaCa
        if let disclosure {
            options.disclosure = String(
                decoding: try readFileBytes(disclosure, what: "disclosure statement"), as: UTF8.self)
        }
        let report: VerifyReport
        if location.serverURL != nil {
            report = try verifyRemotely(options)
        } else if let jsonl {
            try refuseFolder(jsonl, given: "--jsonl")
            let progress = ProgressLine(label: "verifying", total: ProgressLine.isShown ? lineCount(jsonl) : nil)
            options.progress = { progress.update($0) }
            report = try VerifyRunner.verify(jsonlPath: jsonl, options: options)
            progress.finish()
        } else {
            let store = try location.openForReading()
            let total = try store.read { try $0.entryCount() }
            let progress = ProgressLine(label: "verifying", total: total)
            options.progress = { progress.update($0) }
            report = try VerifyRunner.verify(store: store, options: options, source: location.location.description)
            progress.finish()
        }
        if json { printJSON(VerifyReportFormatter.json(report)) } else { print(VerifyReportFormatter.text(report)) }
        if report.exitStatus != 0 { throw ExitCode(report.exitStatus) }
    }
}

extension VerifyCommand {
    /// `--ledger https://…`: downloads the log (entry bundles, for auditors and administrators) up to the server's
    /// newest checkpoint into a temporary JSON Lines export and verifies it here; the server's checkpoint must match
    /// it, carry the pinned log key's signature and the witnesses' cosignatures asked for.
    func verifyRemotely(_ given: VerifyOptions) throws -> VerifyReport {
        let remote = try server.remote(location)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-verify-\(getpid())")
        try? FileManager.default.removeItem(at: folder)
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw LedgerError.usage("cannot create \(folder.path): \(error)")
        }
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("ledger.jsonl").path
        let progress = ProgressLine(label: "downloading", total: nil)
        let note = try Blocking.wait {
            defer { Task { await remote.close() } }
            return try await remote.downloadLog(to: path) { progress.update($0) }
        }
        progress.finish()
        var options = given
        let served: SignedCheckpoint
        do { served = try SignedCheckpoint(noteText: note) } catch {
            throw LedgerError.integrity("the server's checkpoint is not a signed checkpoint: \(error)")
        }
        if let earlier = options.checkpoint, earlier.checkpoint.size > served.checkpoint.size {
            throw LedgerError.integrity(
                "the server's checkpoint (size \(served.checkpoint.size)) is older than the one given"
                    + " (size \(earlier.checkpoint.size)): the server is behind or rolled back")
        }
        if options.checkpoint == nil { options.checkpoint = served }
        let verifying = ProgressLine(label: "verifying", total: served.checkpoint.size)
        options.progress = { verifying.update($0) }
        var report = try VerifyRunner.verify(jsonlPath: path, options: options)
        verifying.finish()
        report.source = remote.baseURL
        report.mode = "server"
        // With an earlier checkpoint given, the one served must be the tree of what was downloaded too.
        if let summary = report.summary,
            summary.treeSize != served.checkpoint.size || summary.root != served.checkpoint.root
        {
            throw LedgerError.integrity(
                "the server's checkpoint (size \(served.checkpoint.size)) is not the tree of the log it served")
        }
        return report
    }
}

/// The number of lines of a file (its line feeds), for a progress total; nil when it cannot be read.
func lineCount(_ path: String) -> Int64? {
    guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
    defer { try? handle.close() }
    var lines: Int64 = 0
    while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty {
        lines += Int64(chunk.reduce(0) { $0 + ($1 == 0x0a ? 1 : 0) })
    }
    return lines
}

/// Renders a verification report for people and for programs.
enum VerifyReportFormatter {
    static func text(_ report: VerifyReport) -> String {
        var lines: [String] = []
        let kinds = [
            "jsonl": "JSON Lines export", "database": "database",
            "server": "the log served up to its newest checkpoint, downloaded and verified here",
        ]
        let source = "\(report.source) (\(kinds[report.mode] ?? report.mode))"
        if let failure = report.failure {
            lines.append("FAILED: the ledger does not verify")
            lines.append("  \(failure.description)")
            lines.append("  rule       \(failure.rule.rawValue)")
            lines.append("  source     \(source)")
            lines.append("  checked    \(report.entriesChecked) entries were valid before the failure")
        } else if let summary = report.summary {
            lines.append(
                summary.findings.isEmpty
                    ? "OK: the ledger verifies" : "OK with findings: the ledger verifies, but entries need review")
            lines.append("  source     \(source)")
            lines.append("  origin     \(summary.origin ?? "?")")
            lines.append(
                "  entries    \(summary.entries) in \(summary.streams) streams; \(summary.keys) keys (\(summary.revokedKeys) revoked)"
            )
            if report.mode == "database" {
                lines.append(
                    "  snapshot   seq 1…\(summary.entries), read as one snapshot (entries appended meanwhile are for the next verify)"
                )
            }
            lines.append("  tree       size \(summary.treeSize), root \(Checkpoint.rootText(summary.root))")
            lines.append(
                "  log key    \(summary.logKey ?? "?")"
                    + (report.logKeyPinned ? " (pinned)" : " (NOT pinned: pass --trust-log-key VKEY to pin it)")
                    + (summary.logKeyRotations.isEmpty
                        ? ""
                        : "; the key in force, rotated at seq "
                            + summary.logKeyRotations.map(String.init).joined(separator: ", ")
                            + " (each rotation signed by the key before it; a pin may name any of them)"))
            var checkpointLine = "  checkpoints"
            if report.mode == "database" { checkpointLine += " \(report.storedCheckpoints) stored" }
            if let given = report.givenCheckpointSize {
                checkpointLine += (report.mode == "database" ? "," : "") + " given checkpoint at size \(given) matches"
            }
            if let newest = summary.checkpointSizes.last {
                checkpointLine += "; newest covers 1…\(newest)"
            } else if report.givenCheckpointSize == nil && report.storedCheckpoints == 0 {
                checkpointLine += " none"
            }
            lines.append(checkpointLine)
            for stamp in report.timestamps {
                if let info = stamp.info {
                    lines.append(
                        "  timestamp  entries 1…\(stamp.size) existed before \(info.genTime) (TSA \(info.tsaName ?? "unnamed"), policy \(info.policy))"
                    )
                } else {
                    lines.append("  timestamp  over size \(stamp.size) stored, not checked (give --tsa-ca FILE)")
                }
            }
            for witness in report.witnessTimes {
                let when =
                    witness.time.map {
                        "cosigned at "
                            + LedgerTime.format(millisecondsSince1970: Int64($0) * 1000)
                            .replacingOccurrences(of: ".000Z", with: "Z")
                    } ?? "no cosignature"
                lines.append("  witness    \(witness.name): \(when)")
            }
            if let disclosure = report.disclosure {
                lines.append(
                    "  disclosure true: \(disclosure.selection) at size \(disclosure.size) lists every stream of the selection (\(disclosure.streams.count)) with its real head"
                )
            }
            if let rows = report.projectionRowsChecked {
                lines.append(
                    "  projections \(rows) rows (people, cases, targets, items, custody steps) match the replay of the log"
                )
            }
            if summary.uncoveredEntries > 0 {
                let first = summary.entries - summary.uncoveredEntries + 1
                lines.append(
                    "  uncovered  entries \(first)…\(summary.entries) (\(summary.uncoveredEntries)) are not yet covered by a checkpoint"
                )
            }
            if summary.findings.isEmpty {
                lines.append("  findings   none")
            } else {
                lines.append("  findings   \(summary.findings.count):")
                for finding in summary.findings.prefix(50) {
                    lines.append("    \(finding.description) [\(finding.category.rawValue)]")
                }
                if summary.findings.count > 50 {
                    lines.append("    … and \(summary.findings.count - 50) more (use --json)")
                }
            }
        }
        for note in report.notes { lines.append("  note       \(note)") }
        var versions = "  versions   ledger \(report.toolVersion), \(report.openSSLVersion)"
        if let storage = report.storageVersion { versions += ", \(storage)" }
        lines.append(versions)
        return Terminal.lines(lines)
    }

    static func json(_ report: VerifyReport) -> JSONValue {
        var members: [JSONMember] = [
            JSONMember("ok", .bool(report.failure == nil)),
            JSONMember("exit_status", .integer(Int64(report.exitStatus))),
            JSONMember("mode", .string(report.mode)),
            JSONMember("source", .string(report.source)),
            JSONMember("entries_checked", .integer(report.entriesChecked)),
            JSONMember("log_key_pinned", .bool(report.logKeyPinned)),
            JSONMember("notes", .array(report.notes.map { .string($0) })),
            JSONMember(
                "versions",
                .object(
                    [
                        JSONMember("ledger", .string(report.toolVersion)),
                        JSONMember("openssl", .string(report.openSSLVersion)),
                    ]
                        + (report.storageVersion.map { [JSONMember("storage", .string($0))] } ?? []))),
        ]
        if report.mode == "database" {
            members.append(JSONMember("stored_checkpoints", .integer(Int64(report.storedCheckpoints))))
            // One snapshot of the database: the log, tree, checkpoints and projections up to this seq.
            members.append(JSONMember("verified_to_seq", .integer(report.summary?.entries ?? report.entriesChecked)))
        }
        if let disclosure = report.disclosure {
            members.append(
                JSONMember(
                    "disclosure",
                    .object([
                        JSONMember("selection", .string(disclosure.selection.description)),
                        JSONMember("size", .integer(disclosure.size)),
                        JSONMember("streams", .integer(Int64(disclosure.streams.count))),
                    ])))
        }
        if let rows = report.projectionRowsChecked {
            members.append(JSONMember("projection_rows_checked", .integer(Int64(rows))))
        }
        if !report.timestamps.isEmpty {
            members.append(
                JSONMember(
                    "timestamps",
                    .array(
                        report.timestamps.map { stamp in
                            var object = [JSONMember("size", .integer(stamp.size))]
                            if let info = stamp.info {
                                object.append(JSONMember("gen_time", .string(info.genTime)))
                                object.append(JSONMember("policy", .string(info.policy)))
                                if let name = info.tsaName { object.append(JSONMember("tsa", .string(name))) }
                            }
                            return .object(object)
                        })))
        }
        if !report.witnessTimes.isEmpty {
            members.append(
                JSONMember(
                    "witnesses",
                    .array(
                        report.witnessTimes.map { witness in
                            var object = [
                                JSONMember("name", .string(witness.name)), JSONMember("vkey", .string(witness.vkey)),
                            ]
                            if let time = witness.time { object.append(JSONMember("time", .integer(Int64(time)))) }
                            return .object(object)
                        })))
        }
        if let given = report.givenCheckpointSize {
            members.append(JSONMember("given_checkpoint_size", .integer(given)))
        }
        if let failure = report.failure {
            var failureMembers = [
                JSONMember("rule", .string(failure.rule.rawValue)), JSONMember("message", .string(failure.description)),
            ]
            if let seq = failure.seq { failureMembers.append(JSONMember("seq", .integer(seq))) }
            members.append(JSONMember("failure", .object(failureMembers)))
        }
        // Only when there were rotations: the output for every earlier ledger stays what it was.
        if let rotations = report.summary?.logKeyRotations, !rotations.isEmpty {
            members.append(JSONMember("log_key_rotations", .array(rotations.map { .integer($0) })))
        }
        if let summary = report.summary {
            members.append(contentsOf: [
                JSONMember("origin", .string(summary.origin ?? "")),
                JSONMember("entries", .integer(summary.entries)),
                JSONMember("streams", .integer(Int64(summary.streams))),
                JSONMember("keys", .integer(Int64(summary.keys))),
                JSONMember("revoked_keys", .integer(Int64(summary.revokedKeys))),
                JSONMember("tree_size", .integer(summary.treeSize)),
                JSONMember("root", .string(Hex.encode(summary.root))),
                JSONMember("root_base64", .string(Base64.encode(summary.root))),
                JSONMember("log_vkey", .string(summary.logKey ?? "")),
                JSONMember("checkpoint_sizes", .array(summary.checkpointSizes.map { .integer($0) })),
                JSONMember("uncovered_entries", .integer(summary.uncoveredEntries)),
                JSONMember(
                    "findings",
                    .array(
                        summary.findings.map {
                            .object([
                                JSONMember("seq", .integer($0.seq)),
                                JSONMember("category", .string($0.category.rawValue)),
                                JSONMember("message", .string($0.message)),
                            ])
                        })),
            ])
        }
        return .object(members)
    }
}
