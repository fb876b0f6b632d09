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

            --actor lists everything a person did: the entries they signed as actor or co-signed (as a witnessing \
            officer), with any of their keys. --since and --until take a date (UTC) or a date and time with offset \
            and compare with the time each entry was recorded.

            Examples:
              ledger log --from 100 --to 120
              ledger log --stream key/3f2a…c9
              ledger log --actor carol.nl --since 2024-06-01 --until 2024-06-30
              ledger log --format jsonl > ledger.jsonl
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, jsonl }

    @OptionGroup var location: LedgerOptions
    @Option(help: "First seq to show.") var from: Int64 = 1
    @Option(help: "Last seq to show.") var to: Int64?
    @Option(help: "Only entries of this stream.") var stream: String?
    @Option(help: ArgumentHelp("Only entries this person signed or co-signed.", valueName: "person"))
    var actor: String?
    @Option(help: ArgumentHelp("Only entries recorded on or after this date or time.", valueName: "time"))
    var since: String?
    @Option(help: ArgumentHelp("Only entries recorded on or before this date or time.", valueName: "time"))
    var until: String?
    @Option(help: "table or jsonl.") var format: Format = .table
    @Flag(help: "Print JSON Lines, the exact records (the same as --format jsonl).") var json = false

    func run() throws {
        let store = try location.openForReading()
        var query = LogQuery()
        query.from = from
        query.to = to
        query.stream = stream
        query.since = try since.map { text throws(LedgerError) in try LogQuery.instant(text, option: "--since") }
        query.until = try until.map { text throws(LedgerError) in
            try LogQuery.instant(text, option: "--until", endOfDay: true)
        }
        if let actor { query.actorKeys = try LogQuery.keys(ofPerson: actor, in: store) }
        let filter = query.recordFilter
        let filtered = query.actorKeys != nil || query.since != nil || query.until != nil
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
                    if filtered, let entry = try? Entry.parse(record: stored.record) {
                        switch query.verdict(entry) {
                        case .stop: return false
                        case .skip: return true
                        case .show: break
                        }
                    }
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
                    switch query.verdict(entry) {
                    case .stop: return false
                    case .skip: return true
                    case .show: break
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
                        String(body.streamRev), body.type,
                        (names[body.actor] ?? String(body.actor.prefix(12)) + "…")
                            + (query.actorKeys.map { !$0.contains(body.actor) } == true
                                ? " (\(actor ?? "") co-signed)" : ""),
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
