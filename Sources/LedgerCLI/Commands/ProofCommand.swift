import ArgumentParser
import Foundation
import LedgerApp
import LedgerCore
import LedgerCrypto

struct ProofCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proof",
        abstract: "RFC 9162 inclusion and consistency proofs, and checking a proof offline.",
        discussion: """
            Examples:
              ledger proof inclusion 42 > entry42.tlog-proof
              ledger log --format jsonl --from 42 --to 42 > entry42.json
              ledger proof verify entry42.tlog-proof --entry entry42.json \\
                  --trust-log-key VKEY
              # a receipt carries its record
              ledger proof verify seizure.receipt --trust-log-key VKEY
              ledger proof consistency 1000 2000
            """,
        subcommands: [Inclusion.self, Consistency.self, Verify.self])

    struct Inclusion: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the proof that entry SEQ is in a signed checkpoint (C2SP tlog-proof@v1 text).",
            discussion: """
                The checkpoint is the stored one of --size, or the newest stored checkpoint that covers SEQ. \
                The proof's index is the 0-based leaf index, SEQ − 1.

                Example:
                  ledger proof inclusion 42 > entry42.tlog-proof
                """)
        @Argument(help: "The entry's seq.") var seq: Int64
        @Option(help: "The size of the stored checkpoint to prove against.") var size: Int64?
        @Option(help: ArgumentHelp("Write the proof to this file (never overwritten).", valueName: "file"))
        var out: String?
        @OptionGroup var location: LedgerOptions
        @OptionGroup var output: JSONOutput

        func run() throws {
            let proof = try ProofBuilder.inclusion(seq: seq, size: size, in: try location.openForReading())
            if let out {
                guard FileManager.default.createFile(atPath: out, contents: nil),
                    let handle = FileHandle(forWritingAtPath: out)
                else { throw LedgerError.usage("cannot create \(out)") }
                handle.write(Data(proof.text.utf8))
                try handle.close()
                output.emit(
                    "wrote the proof of seq \(seq) against the checkpoint of size \(proof.checkpoint.checkpoint.size) to \(out)",
                    json: [
                        "seq": .integer(seq), "checkpoint_size": .integer(proof.checkpoint.checkpoint.size),
                        "file": .string(out),
                    ])
            } else if output.json {
                printJSON([
                    "seq": .integer(seq), "checkpoint_size": .integer(proof.checkpoint.checkpoint.size),
                    "proof": .string(proof.text),
                ])
            } else {
                printOut(proof.text)
            }
        }
    }

    struct Consistency: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the consistency proof between the trees of OLD and NEW entries (base64, one per line).",
            discussion: """
                Example:
                  ledger proof consistency 1000 2000 > proof.txt
                """)
        @Argument(help: "The old tree size.") var old: Int64
        @Argument(help: "The new tree size.") var new: Int64
        @OptionGroup var location: LedgerOptions
        @Flag(help: "Print JSON with both roots.") var json = false

        func run() throws {
            let (oldRoot, newRoot, hashes) = try ProofBuilder.consistency(
                old: old, new: new, in: try location.openForReading())
            if json {
                printJSON([
                    "old": .integer(old), "new": .integer(new), "old_root": .string(Base64.encode(oldRoot)),
                    "new_root": .string(Base64.encode(newRoot)),
                    "hashes": .array(hashes.map { .string(Base64.encode($0)) }),
                ])
                return
            }
            printOut(hashes.map { Base64.encode($0) + "\n" }.joined())
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a tlog-proof offline against an entry's record and the log key you trust.",
            discussion: """
                Exit 0 when the entry is in the checkpointed tree and the checkpoint is signed by the pinned log \
                key; 1 otherwise.

                Example:
                  ledger proof verify entry42.tlog-proof --entry entry42.json \\
                      --trust-log-key 'ledger.example.org/op-1+…'
                """)
        @Argument(help: "The .tlog-proof file.") var file: String
        @Option(
            help: ArgumentHelp(
                "The entry's record: a file with its exact bytes (one JSON Lines line). Not needed for a receipt"
                    + " (`ledger submit --receipt`), which carries the record in its extra line.",
                valueName: "file"))
        var entry: String?
        @Option(help: ArgumentHelp("The log key's vkey you trust.", valueName: "vkey")) var trustLogKey: String
        @OptionGroup var output: JSONOutput

        func run() throws {
            let proofText = String(decoding: try readFileBytes(file, what: "proof file"), as: UTF8.self)
            var record: [UInt8]
            if let entry {
                record = try readFileBytes(entry, what: "entry file")
                if record.last == 0x0a { record.removeLast() }
            } else {
                // A receipt (FORMAT.md §12.9): the record is the proof's extra data.
                guard let proof = try? TlogProof(text: proofText), let extra = proof.extra else {
                    throw LedgerError.usage(
                        "\(file) carries no record (no extra line): give the entry's record with --entry FILE")
                }
                record = extra
            }
            let logKey: NoteVerifierKey
            do { logKey = try NoteVerifierKey(vkey: trustLogKey) } catch {
                throw LedgerError.usage("--trust-log-key: \(error)")
            }
            let verified = try verify(proofText: proofText, record: record, logKey: logKey)
            let (parsed, checkpoint) = (verified.entry, verified.checkpoint)
            output.emit(
                "OK: seq \(parsed.body.seq) (\(parsed.body.type) in \(parsed.body.stream)) is in the tree of size \(checkpoint.size) of \(checkpoint.origin), signed by the pinned log key",
                json: [
                    "ok": .bool(true), "seq": .integer(parsed.body.seq), "type": .string(parsed.body.type),
                    "stream": .string(parsed.body.stream), "checkpoint_size": .integer(checkpoint.size),
                    "origin": .string(checkpoint.origin), "root": .string(Hex.encode(checkpoint.root)),
                    "root_base64": .string(Base64.encode(checkpoint.root)),
                ])
        }

        /// The library's offline check; a malformed proof is named by its file.
        private func verify(proofText: String, record: [UInt8], logKey: NoteVerifierKey) throws(LedgerError)
            -> (entry: Entry, checkpoint: Checkpoint)
        {
            do { return try ProofBuilder.verifyOffline(proofText: proofText, record: record, logKey: logKey) } catch {
                throw error.kind == .usage ? LedgerError.usage("\(file): \(error)") : error
            }
        }
    }
}
