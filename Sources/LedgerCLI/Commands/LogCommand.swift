import ArgumentParser
import Foundation
import LedgerApp
import LedgerCore

struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Show entries, as a table or as the exact records (JSON Lines).",
        discussion: """
            --format jsonl prints each record byte for byte, one per line. Without --from, --to or --stream that is \
            the export format that `ledger verify --jsonl` and independent verifiers read (docs/FORMAT.md §3.4); \
            with them it is an excerpt, which does not verify on its own.

            Examples:
              ledger log --from 100 --to 120
              ledger log --stream key/3f2a…c9
              ledger log --format jsonl > ledger.jsonl
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, jsonl }

    @OptionGroup var location: LedgerOptions
    @Option(help: "First seq to show.") var from: Int64 = 1
    @Option(help: "Last seq to show.") var to: Int64?
    @Option(help: "Only entries of this stream.") var stream: String?
    @Option(help: "table or jsonl.") var format: Format = .table
    @Flag(help: "Print JSON Lines, the exact records (the same as --format jsonl).") var json = false

    func run() throws {
        let store = try location.openForReading()
        let filter = RecordFilter(from: from, to: to, stream: stream)
        try store.read { reader in
            if let stream, try reader.streamHead(stream) == nil {
                throw LedgerError.usage(
                    "--stream \(stream): the ledger has no entries in that stream (streams are named ledger,"
                        + " key/<key id>, case/<id>, item/<id>, target/<id>; see `ledger log`)")
            }
            // Reading a large ledger into a file takes a while: progress on the terminal, with the total.
            let count = try reader.entryCount()
            let progress = ProgressLine(
                label: "reading", total: stream == nil ? max(0, min(to ?? count, count) - max(from, 1) + 1) : nil)
            var done: Int64 = 0
            defer { progress.finish() }
            switch json ? .jsonl : format {
            case .jsonl:
                let out = FileHandle.standardOutput
                var buffer = [UInt8]()
                buffer.reserveCapacity(1 << 20)
                try reader.forEachRecord(filter) { stored in
                    buffer.append(contentsOf: stored.record)
                    buffer.append(0x0a)
                    done += 1
                    progress.update(done)
                    if buffer.count >= 1 << 20 {
                        out.write(Data(buffer))
                        buffer.removeAll(keepingCapacity: true)
                    }
                    return true
                }
                out.write(Data(buffer))
            case .table:
                let names = Dictionary(
                    try reader.allKeys().map { ($0.keyID, $0.name) }, uniquingKeysWith: { a, _ in a })
                var rows: [[String]] = []
                try reader.forEachRecord(filter) { stored in
                    done += 1
                    progress.update(done)
                    guard let entry = try? Entry.parse(record: stored.record) else {
                        rows.append([
                            String(stored.seq), "?", "?", "?", "(unreadable record: run ledger verify)", "", "",
                        ])
                        return true
                    }
                    let body = entry.body
                    // Shown before it is cut, so that the cut is of what the table prints.
                    let data = Terminal.line(String(decoding: JCS.serialize(body.data), as: UTF8.self))
                    let stream = Terminal.line(body.stream)
                    let delay =
                        body.isStatement
                        ? StatementTimes.delay(signedAt: body.signedAt, recorded: body.time).map {
                            " (signed \($0) earlier)"
                        }
                            ?? "" : ""
                    rows.append([
                        String(body.seq), body.time + delay,
                        stream.count > 30 ? String(stream.prefix(29)) + "…" : stream,
                        String(body.streamRev), body.type, names[body.actor] ?? String(body.actor.prefix(12)) + "…",
                        data.count > 60 ? String(data.prefix(59)) + "…" : data,
                    ])
                    return true
                }
                progress.finish()
                print(
                    Table.render(header: ["SEQ", "TIME (UTC)", "STREAM", "REV", "TYPE", "ACTOR", "DATA"], rows: rows))
            }
        }
    }
}
