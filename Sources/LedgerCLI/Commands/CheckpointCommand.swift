import ArgumentParser
import Foundation
import LedgerApp
import LedgerCore
import LedgerCrypto

struct CheckpointCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Sign a checkpoint (tree size and root) with the log key, or show the latest.",
        discussion: """
            Prints the C2SP signed checkpoint note. Hand it to auditors: later, `ledger verify --checkpoint FILE` \
            proves the ledger still contains exactly that history, even against someone holding every key. A \
            format-2 ledger already stores one with every commit (docs/FORMAT.md §12.6): `--latest` prints the \
            newest without the log key.

            Examples:
              ledger checkpoint --log-key log.pem --out checkpoint-2026-11-29.txt
              ledger checkpoint --latest
              ledger checkpoint add-cosignature 2000 cosignature.txt \\
                  --witness 'witness.bka.example+…'
            """,
        subcommands: [CheckpointSignCommand.self, AddCosignature.self, TimestampRequest.self, AddTimestamp.self],
        defaultSubcommand: CheckpointSignCommand.self)

    struct TimestampRequest: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "timestamp-request",
            abstract: "Write an RFC 3161 TimeStampReq for a stored checkpoint (imprint: SHA-256 of its body).",
            discussion: """
                Send the .tsq to a time-stamping authority (for example with `curl --data-binary @cp.tsq \
                -H 'Content-Type: application/timestamp-query' URL > cp.tsr`), then store the answer with \
                `ledger checkpoint add-timestamp`.

                Example:
                  ledger checkpoint timestamp-request 2000 --out cp2000.tsq
                """)
        @Argument(help: "The checkpoint's size.") var size: Int64
        @Option(help: ArgumentHelp("Where to write the request (default checkpoint-SIZE.tsq).", valueName: "file"))
        var out: String?
        @OptionGroup var location: LedgerOptions
        @OptionGroup var output: JSONOutput

        func run() throws {
            let request = try Checkpointer.timestampRequest(store: try location.openForReading(), size: size)
            let path = out ?? "checkpoint-\(size).tsq"
            guard !FileManager.default.fileExists(atPath: path),
                FileManager.default.createFile(atPath: path, contents: Data(request))
            else { throw LedgerError.usage("cannot create \(path) (it must not exist yet)") }
            output.emit(
                "wrote the time-stamp request for the checkpoint of size \(size) to \(path)",
                json: ["size": .integer(size), "file": .string(path)])
        }
    }

    struct AddTimestamp: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add-timestamp",
            abstract: "Store an RFC 3161 time-stamp response for a checkpoint, after checking it against a CA file.",
            discussion: """
                Example:
                  ledger checkpoint add-timestamp 2000 cp2000.tsr --ca-file tsa-ca.pem
                """)
        @Argument(help: "The checkpoint's size.") var size: Int64
        @Argument(help: "The DER TimeStampResp (.tsr).") var file: String
        @Option(help: ArgumentHelp("CA certificates (PEM) the TSA must chain to.", valueName: "file")) var caFile:
            String
        @Option(
            help: ArgumentHelp("The TSA's certificate (PEM), if the response does not carry it.", valueName: "file"))
        var untrusted: String?
        @OptionGroup var location: LedgerOptions
        @OptionGroup var output: JSONOutput

        func run() throws {
            let response = try readFileBytes(file, what: "time-stamp response")
            let (info, added) = try Checkpointer.addTimestamp(
                store: try location.open(), size: size, response: response, caFile: caFile,
                untrusted: untrusted.map { [$0] } ?? [])
            var object: [JSONMember] = [
                JSONMember("size", .integer(size)), JSONMember("added", .bool(added)),
                JSONMember("gen_time", .string(info.genTime)), JSONMember("policy", .string(info.policy)),
            ]
            if let tsa = info.tsaName { object.append(JSONMember("tsa", .string(tsa))) }
            output.emit(
                (added ? "stored: " : "already stored: ")
                    + "entries 1…\(size) existed before \(info.genTime) (TSA \(info.tsaName ?? "unnamed"))",
                json: .object(object))
        }
    }

    struct AddCosignature: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add-cosignature",
            abstract: "Attach a witness's cosignature line to a stored checkpoint (checked before it is stored).",
            discussion: """
                Example:
                  ledger checkpoint add-cosignature 2000 cosignature.txt \\
                      --witness 'witness.bka.example+…'
                """)
        @Argument(help: "The checkpoint's size.") var size: Int64
        @Argument(help: "A file holding the cosignature line (`ledger witness cosign` output).") var file: String
        @Option(help: ArgumentHelp("The witness's vkey.", valueName: "vkey")) var witness: String
        @OptionGroup var location: LedgerOptions
        @OptionGroup var output: JSONOutput

        func run() throws {
            let cosigner: CosignerKey
            do { cosigner = try CosignerKey(vkey: witness) } catch { throw LedgerError.usage("--witness: \(error)") }
            let line = String(decoding: try readFileBytes(file, what: "cosignature file"), as: UTF8.self)
            let (_, added) = try Checkpointer.addCosignature(
                store: try location.open(), size: size, line: line, witness: cosigner)
            output.emit(
                added
                    ? "attached the cosignature by \(cosigner.name) to the checkpoint of size \(size)"
                    : "the checkpoint of size \(size) already carries this cosignature",
                json: ["size": .integer(size), "witness": .string(cosigner.name), "added": .bool(added)])
        }
    }
}

struct CheckpointSignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign", abstract: "Sign a checkpoint of the current size with the log key (the default).",
        discussion: """
            Example:
              ledger checkpoint sign --log-key log.pem --out checkpoint.txt
            """)

    @OptionGroup var location: LedgerOptions
    @Option(
        help: ArgumentHelp(
            "The log key file (default: the one the ledger names, as appends find it; else log.pem).",
            valueName: "file"))
    var logKey: String?
    @Flag(help: "Print the newest stored checkpoint instead of signing a new one.") var latest = false
    @Option(help: ArgumentHelp("Also write the note to this file.", valueName: "file")) var out: String?
    @OptionGroup var passphrase: PassphraseOptions
    @Flag(help: "Print the result as JSON.") var json = false

    func run() throws {
        let store = try location.open()
        let signed: SignedCheckpoint
        var created = false
        if latest {
            guard let stored = try Checkpointer.latest(store: store) else {
                throw LedgerError.usage(
                    "the ledger has no checkpoint yet; make one with `ledger checkpoint --log-key FILE`")
            }
            signed = stored
        } else {
            let key = try passphrase.loadLogKey(logKey, for: store)
            (signed, created) = try Checkpointer.checkpoint(store: store, logKey: key)
        }
        if let out {
            if let existing = FileManager.default.contents(atPath: out) {
                guard existing == Data(signed.noteText.utf8) else {
                    throw LedgerError.usage("\(out) already exists with other content; choose another file")
                }
            } else if !FileManager.default.createFile(atPath: out, contents: Data(signed.noteText.utf8)) {
                throw LedgerError.usage("cannot write \(out)")
            }
        }
        if json {
            printJSON([
                "size": .integer(signed.checkpoint.size), "root": .string(Hex.encode(signed.checkpoint.root)),
                "root_base64": .string(Base64.encode(signed.checkpoint.root)),
                "note": .string(signed.noteText), "created": .bool(created),
            ])
            return
        }
        printOut(signed.noteText)
        if !latest {
            printErr(
                created
                    ? "signed checkpoint at size \(signed.checkpoint.size)"
                    : "checkpoint at size \(signed.checkpoint.size) already existed")
        }
    }
}
