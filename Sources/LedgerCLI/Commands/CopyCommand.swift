import ArgumentParser
import Foundation
import LedgerApp
import LedgerCore
import LedgerCrypto
import LedgerStores

struct CopyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy a ledger into a new store, record for record; the copy verifies with the same tree root.",
        discussion: """
            Moves a ledger between stores (today from one SQLite file to another; later to and from a database \
            server). Every record is copied byte for byte with its stored tree hashes, and so are the ledger's \
            checkpoints with their witness cosignatures and its RFC 3161 time stamps; nothing is signed again. The \
            keys table and the projections are derived from the copied log, as `ledger rebuild` does.

            The source is opened read-only and read from one snapshot (appends may go on meanwhile; the copy \
            holds the ledger as it was when the copy began). The copy is created in one transaction: if anything \
            fails it does not exist afterwards, and an existing --to is refused. Before it commits, its size, \
            tree root, keys, checkpoints and time stamps are compared with the source's; both roots are printed.

            --from defaults to the ledger every command uses: $LEDGER_PATH, or custody.ledger in the current \
            folder.

            Examples:
              ledger copy --to /backup/custody-2026-12-06.ledger
              ledger copy --from custody.ledger --to moved.ledger --json
              ledger verify --ledger moved.ledger
            """)

    @Option(
        help: ArgumentHelp(
            "The ledger to copy (default: $LEDGER_PATH, or custody.ledger in the current folder).",
            valueName: "location"))
    var from: String?
    @Option(help: ArgumentHelp("Where the copy is created; must not exist.", valueName: "location"))
    var to: String
    @Flag(help: "Print the report as one JSON object.") var json = false

    func run() throws {
        var source = LedgerOptions()
        source.ledger = from
        // In the words of this command's options, before the stores' (which name --ledger).
        let named = from == nil ? "the ledger location \(source.path)" : "--from \(source.path)"
        if isFolder(source.path) {
            let inside = URL(fileURLWithPath: source.path).appendingPathComponent("custody.ledger").path
            throw LedgerError.usage("\(named) is a folder; give the ledger's file (e.g. \(inside))")
        }
        guard source.location.exists else {
            throw LedgerError.notFound("no ledger at \(source.location) (give --from, or set $LEDGER_PATH)")
        }
        try refuseFolder(to, given: "--to")
        let destination = LedgerLocation(to, stores: StandardStores())
        let progress = PhasedProgress()
        let report: CopyReport
        do {
            report = try LedgerCopy.copy(from: source.location, to: destination) { phase, done, total in
                progress.update(phase.rawValue, done, total)
            }
        } catch {
            progress.finish()
            throw error
        }
        progress.finish()
        let seconds = Double(report.duration.components.seconds) + Double(report.duration.components.attoseconds) / 1e18
        if json {
            printJSON([
                "from": .string(report.source), "to": .string(report.destination),
                "entries": .integer(report.entries), "copied_entries": .integer(report.copiedEntries),
                "source_root": .string(Hex.encode(report.sourceRoot)),
                "copy_root": .string(Hex.encode(report.destinationRoot)),
                "checkpoints": .integer(Int64(report.checkpoints)),
                "cosignatures": .integer(Int64(report.cosignatures)),
                "timestamps": .integer(Int64(report.timestamps)), "keys": .integer(Int64(report.keys)),
                "projection_rows": .integer(Int64(report.projectionRows)),
                "source_storage": .string(report.engines.source), "copy_storage": .string(report.engines.destination),
                "seconds": .string(String(format: "%.3f", seconds)),
            ])
            return
        }
        print(
            Terminal.lines([
                "copied \(report.entries) entries from \(report.source) to \(report.destination)"
                    + String(format: " in %.2f s", seconds),
                "  source  \(report.entries) entries, root \(Hex.encode(report.sourceRoot)) (\(report.engines.source))",
                "  copy    \(report.copiedEntries) entries, root \(Hex.encode(report.destinationRoot))"
                    + " (\(report.engines.destination))",
                "  \(report.checkpoints) checkpoints, \(report.cosignatures) cosignatures, \(report.timestamps)"
                    + " time stamps, \(report.keys) keys, \(report.projectionRows) projection rows rebuilt",
                "run `ledger verify --ledger \(report.destination)` to check the copy in full",
            ]))
    }
}
