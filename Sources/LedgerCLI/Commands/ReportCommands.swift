import ArgumentParser
import CustodyDomain
import Foundation
import LedgerApp
import LedgerClient
import LedgerCore

struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "The operation's figures: targets, takedowns, seizures, custody.",
        discussion: """
            Percentages are of the targets identified, false positives excluded (the denominator is printed).

            Examples:
              ledger stats --case OP-SYNERGIA
              ledger stats --json
            """)
    @OptionGroup var location: LedgerOptions
    @Option(name: .customLong("case"), help: "One case (default: every case).") var caseID: String?
    @OptionGroup var server: ServerKeyOptions
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let stats: OperationStats
        if location.serverURL != nil {
            // Through a server: the figures of a case the key may read (of every case for auditors).
            let path = "/api/v1/stats" + (caseID.map { "?case=" + RemoteLedger.escape($0) } ?? "")
            stats = try OperationStats(json: try remoteJSON(try server.remote(location), path))
        } else {
            let store = try location.openForReading()
            try QueryFilters.checkCase(caseID, in: store)
            stats = try OperationStats.compute(caseID: caseID, in: store)
        }
        if json {
            printJSON(stats.json)
            return
        }
        print(StatsReport.text(stats))
    }
}

/// `ledger stats` output.
enum StatsReport {
    static func percent(_ part: Int64, of whole: Int64) -> String {
        whole == 0 ? "-" : String(format: "%.1f%%", Double(part) * 100 / Double(whole))
    }

    static func text(_ stats: OperationStats) -> String {
        let identified = stats.identified
        var lines = [
            "cases                 \(stats.cases.isEmpty ? "none" : stats.cases.joined(separator: ", "))",
            "targets identified    \(identified)   (false positives excluded: \(stats.falsePositives))",
            "  taken down          \(stats.takenDown)   \(percent(stats.takenDown, of: identified)) of \(identified) identified",
            "  not actioned        \(stats.notActioned)   \(percent(stats.notActioned, of: identified))",
            "  pending             \(stats.pending)   \(percent(stats.pending, of: identified))",
        ]
        lines.append("by category (identified / taken down / not actioned):")
        for (category, counts) in stats.byCategory.sorted(by: { $0.key < $1.key }) {
            lines.append(
                "  \(category.padding(14)) \(counts.identified) / \(counts.takenDown) (\(percent(counts.takenDown, of: counts.identified))) / \(counts.notActioned)"
            )
        }
        let countries = stats.byCountry.sorted {
            $0.value.identified > $1.value.identified || ($0.value.identified == $1.value.identified && $0.key < $1.key)
        }
        let shown = 12
        lines.append(
            "by country (\(countries.count) countries; identified / taken down"
                + (countries.count > shown ? "; the \(shown) with most targets, --json lists all):" : "):"))
        var row: [String] = []
        for (country, counts) in countries.prefix(shown) {
            row.append("\(country) \(counts.identified)/\(counts.takenDown)")
            if row.count == 6 {
                lines.append("  " + row.joined(separator: "   "))
                row = []
            }
        }
        if !row.isEmpty { lines.append("  " + row.joined(separator: "   ")) }
        lines.append("servers seized        \(stats.serversSeized)")
        let devices = stats.itemsByKind.filter { $0.key != "server" }.sorted { $0.key < $1.key }
        lines.append(
            "devices seized        \(stats.devicesSeized)"
                + (devices.isEmpty
                    ? "" : "   (" + devices.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"))
        let status = ItemStatus.all.map { "\($0) \(stats.itemsByStatus[$0] ?? 0)" }
        lines.append("items                 " + status.joined(separator: ", "))
        return Terminal.lines(lines)
    }
}

struct RebuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Drop every projection and rebuild it by replaying the log (in one transaction).",
        discussion: """
            Use it when `ledger verify` reports a projection that does not match the log. The log itself is \
            never changed.

            Example:
              ledger rebuild
            """)
    @OptionGroup var location: LedgerOptions
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let store = try location.open()
        let total = try store.read { try $0.entryCount() }
        let progress = ProgressLine(label: "replaying", total: total)
        let report = try ProjectionRebuilder.rebuild(store: store) { progress.update($0) }
        progress.finish()
        func text(_ duration: Duration) -> String {
            String(format: "%.3f", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
        }
        let seconds =
            Double(report.duration.components.seconds) + Double(report.duration.components.attoseconds) / 1e18
        if json {
            printJSON([
                "entries": .integer(report.entries), "rows": .integer(Int64(report.rows)),
                "skipped": .integer(Int64(report.skipped)), "seconds": .string(text(report.duration)),
                "phase_seconds": .object([
                    JSONMember("replay", .string(text(report.phases.replay))),
                    JSONMember("rows", .string(text(report.phases.rows))),
                    JSONMember("write", .string(text(report.phases.write))),
                    JSONMember("commit", .string(text(report.phases.commit))),
                ]),
            ])
            return
        }
        print(
            "rebuilt \(report.rows) projection rows from \(report.entries) entries in "
                + String(format: "%.2f s (%.0f entries/s)", seconds, Double(report.entries) / max(seconds, 0.000_001)))
        if report.skipped > 0 {
            print("\(report.skipped) entries break custody rules and changed nothing; `ledger verify` lists them")
        }
    }
}

struct NoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "note", abstract: "Add a note to an item, a case or a target (note.added).",
        discussion: """
            The item is named by its id, as every item command names it; a note on a case or a target names \
            it with --case or --target instead.

            Examples:
              ledger note EV-0001 --text "Battery removed for transport." --key carol.pem
              ledger note --case OP-1 --text "Prosecutor briefed." --key carol.pem
              ledger note --target T-3f2a9c0b1d4e --text "Hoster asked for the warrant." \\
                  --key tina.pem
            """)
    @Argument(help: "The item, e.g. EV-0001 (or give --case or --target).") var item: String?
    @Option(name: .customLong("case"), help: "A note on this case instead of an item.") var caseID: String?
    @Option(help: "A note on this target (its id, T-…) instead of an item.") var target: String?
    @Option(help: "The note.") var text: String
    @OptionGroup var event: EventOptions

    func validate() throws {
        guard [item, caseID, target].compactMap({ $0 }).count == 1 else {
            throw ValidationError("name exactly one of: an item id, --case ID or --target ID")
        }
    }

    /// The stream the note goes to; `item/ID`, `case/ID` and `target/ID` as the argument (the form earlier releases
    /// took) name their stream.
    var stream: String {
        if let caseID { return CustodyStreams.caseStream(caseID) }
        if let target { return CustodyStreams.target(target) }
        let item = item ?? ""
        for prefix in ["item/", "case/", "target/"] where item.hasPrefix(prefix) { return item }
        return CustodyStreams.item(item)
    }

    func run() throws {
        try event.record(CustodyEvents.noteAdded, stream: stream, data: DataBuilder(["text": text]))
    }
}

struct CorrectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "correct",
        abstract: "Correct a mistyped descriptive field of an earlier entry (entry.corrected).",
        discussion: """
            The correction is appended to the same stream; the original stays. Only descriptive text can be \
            corrected (a description, a location, a reference), never who acted, holders, seals or hashes. \
            Only the person who recorded the entry, or a supervisor, may correct it.

            Example:
              ledger correct 42 --field description --value "Black laptop" \\
                  --reason "Typo at seizure" --key carol.pem
            """)
    @Argument(help: "The seq of the entry to correct.") var seq: Int64
    @Option(help: "The data field, e.g. description.") var field: String
    @Option(help: "The corrected text.") var value: String
    @Option(help: "Why.") var reason: String
    @OptionGroup var event: EventOptions

    func run() throws {
        let store = try event.location.open()
        let stream: String? = try store.read { reader in
            var found: String?
            try reader.forEachRecord(RecordFilter(from: seq, to: seq)) { stored in
                found = try Entry.parse(record: stored.record).body.stream
                return false
            }
            return found
        }
        guard let stream else { throw LedgerError.notFound("there is no entry at seq \(seq)") }
        var data = DataBuilder()
        data.set("corrects", .integer(seq))
        data["field"] = field
        data["value"] = value
        data["reason"] = reason
        try event.record(CustodyEvents.entryCorrected, stream: stream, data: data)
    }
}
