import ArgumentParser
import CustodyDomain
import Foundation
import LedgerApp
import LedgerClient
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
              ledger log --ledger https://ledger.example.org --stream item/EV-0064 \\
                  --key carol.pem

            Through a server (--ledger https://…) the server applies the filters and answers what your key may \
            read: a stream of an item or case you may read, or the whole log for auditors and administrators.
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
    @OptionGroup var server: ServerKeyOptions

    func run() throws {
        if location.serverURL != nil { return try runRemotely() }
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
                    rows.append(Self.row(entry, names: names, query: query, actor: actor))
                    return true
                }
                progress.finish()
                print(
                    Table.render(header: Self.header, rows: rows))
            }
        }
    }

    static let header = ["SEQ", "TIME (UTC)", "STREAM", "REV", "TYPE", "ACTOR", "DATA"]

    /// One row of the table: an entry, its signer by name (`names`: key id to name), its data cut to fit.
    static func row(_ entry: Entry, names: [String: String], query: LogQuery, actor: String?) -> [String] {
        let body = entry.body
        // Shown before it is cut, so that the cut is of what the table prints.
        let data = Terminal.line(String(decoding: JCS.serialize(body.data), as: UTF8.self))
        let stream = Terminal.line(body.stream)
        let delay =
            body.isStatement
            ? StatementTimes.delay(signedAt: body.signedAt, recorded: body.time).map { " (signed \($0) earlier)" }
                ?? "" : ""
        return [
            String(body.seq), body.time + delay,
            stream.count > 30 ? String(stream.prefix(29)) + "…" : stream,
            String(body.streamRev), body.type,
            (names[body.actor] ?? String(body.actor.prefix(12)) + "…")
                + (query.actorKeys.map { !$0.contains(body.actor) } == true ? " (\(actor ?? "") co-signed)" : ""),
            data.count > 60 ? String(data.prefix(59)) + "…" : data,
        ]
    }

    /// Through a server: the same filters as its query (the server applies them), the same table or records.
    private func runRemotely() throws {
        let remote = try server.remote(location)
        var parameters: [(String, String)] = [("from", String(from))]
        if let to { parameters.append(("to", String(to))) }
        for (name, value) in [("stream", stream), ("actor", actor), ("since", since), ("until", until)] {
            if let value { parameters.append((name, value)) }
        }
        let asTable = !json && format == .table
        let out = FileHandle.standardOutput
        let asked = parameters
        let (rows, people) = try Blocking.wait { () -> ([[UInt8]], [JSONValue]) in
            var rows: [[UInt8]] = []
            var buffer: [UInt8] = []
            try await remote.records(query: asked) { record in
                if asTable {
                    rows.append(record)
                    return
                }
                buffer += record + [0x0a]
                if buffer.count >= 1 << 20 {
                    out.write(Data(buffer))
                    buffer.removeAll(keepingCapacity: true)
                }
            }
            out.write(Data(buffer))
            return (rows, asTable ? try await remote.all("/api/v1/people", member: "people") : [])
        }
        guard asTable else { return }
        var names: [String: String] = [:]
        var query = LogQuery()
        for person in people {
            guard let record = try? PersonRecord(state: String(decoding: JCS.serialize(person), as: UTF8.self))
            else { continue }
            for key in record.keys { names[key.keyID] = record.name }
            if record.person == actor { query.actorKeys = Set(record.keys.map(\.keyID)) }
        }
        let table = rows.map { bytes in
            guard let entry = try? Entry.parse(record: bytes) else {
                return ["?", "?", "?", "?", "(unreadable record: run ledger verify)", "", ""]
            }
            return Self.row(entry, names: names, query: query, actor: actor)
        }
        print(Table.render(header: Self.header, rows: table))
    }
}
