import CourtBundle
import CustodyDomain
import LedgerCore
import LedgerCrypto

/// Which entries a bundle of a selection discloses at a tree size (FORMAT.md §11.2, §11.4), read from a store
/// with indexed lookups only: the selection's streams, entries 1 and 2, and the key streams of every signer and
/// recipient.
public struct DisclosedRecords {
    /// The tree size the disclosure is made at.
    public let size: Int64
    /// The case or items selected.
    public let selection: DisclosureSelection
    /// Every disclosed record, by ascending seq.
    public let records: [StoredRecord]
    /// The parsed entries, in the same order.
    public let entries: [Entry]
    /// Every disclosed stream but `ledger`, with its head.
    public let streams: [DisclosedStream]

    /// The highest disclosed seq.
    public var lastSeq: Int64 { records.last?.seq ?? 0 }

    /// The same records, disclosed at a larger tree size that adds none to them (`size` ≥ ``lastSeq``).
    func atSize(_ size: Int64) -> DisclosedRecords {
        precondition(size >= lastSeq, "a disclosure cannot shrink below its last entry")
        return DisclosedRecords(size: size, selection: selection, records: records, entries: entries, streams: streams)
    }

    /// The version-1 statement of what this discloses (what `ledger verify --disclosure` recomputes).
    public func statement(origin: String) -> DisclosureStatement {
        DisclosureStatement(origin: origin, size: size, selection: selection, streams: streams)
    }

    /// The version-2 statement of what this discloses, made by `export`, binding no file yet.
    public func statement(origin: String, export: DisclosureExport) -> DisclosureStatement {
        DisclosureStatement(
            origin: origin, size: size, selection: selection, streams: streams, export: export, files: [])
    }

    /// Gathers the disclosure of `selection` among entries 1…`size`; `progress` hears of each selection stream
    /// read.
    public static func gather(
        _ reader: any LedgerReader, selection: DisclosureSelection, size: Int64,
        progress: (@Sendable (String, Int64, Int64) -> Void)? = nil
    ) throws -> DisclosedRecords {
        guard try reader.projectionSeq() == (try reader.entryCount()) else {
            throw LedgerError.usage("the projections are not up to date; run `ledger rebuild` first")
        }
        var streams: [String: [StoredRecord]] = [:]
        func read(_ stream: String) throws -> [StoredRecord] {
            var records: [StoredRecord] = []
            try reader.forEachRecord(RecordFilter(from: 1, to: size, stream: stream, withStoredState: false)) {
                records.append($0)
                return true
            }
            return records
        }
        var selectionStreams: [String] = []
        switch selection {
        case .caseID(let caseID):
            selectionStreams.append("case/" + caseID)
            for (table, prefix) in [(ProjectionTable.items, "item/"), (.targets, "target/")] {
                try reader.forEachProjectionRow(table, where: [("case_id", caseID)]) {
                    selectionStreams.append(prefix + $0.key)
                    return true
                }
            }
        case .items(let ids): selectionStreams = ids.map { "item/" + $0 }
        }
        for (index, stream) in selectionStreams.enumerated() {
            if index % 256 == 0 || index == selectionStreams.count - 1 {
                progress?("reading the selection's streams", Int64(index + 1), Int64(selectionStreams.count))
            }
            let records = try read(stream)
            if records.isEmpty {
                // A stream of the case that began after `size` is not part of it yet; a named one must exist.
                if case .items = selection { throw LedgerError.usage("there is no \(stream) at size \(size)") }
                if stream.hasPrefix("case/") { throw LedgerError.usage("there is no \(stream) at size \(size)") }
                continue
            }
            streams[stream] = records
        }
        var genesis: [StoredRecord] = []
        try reader.forEachRecord(RecordFilter(from: 1, to: 1, withStoredState: false)) {
            genesis.append($0)
            return false
        }
        guard genesis.count == 1 else { throw LedgerError.usage("the ledger is empty") }
        // Version 2: every rotation of the log key up to `size`, so that the bag's checkpoint is checked with the key
        // in force at its size (FORMAT.md §11.2, §12.10).
        genesis += try LedgerFacts.logKeyRotations(reader, to: size).map(\.record)

        // The key closure: signers of every disclosed entry, and the keys of every recipient.
        var parsed: [Int64: Entry] = [:]
        var wanted: [String] = []
        var seenKeys = Set<String>()
        var seenPeople = Set<String>()
        func visit(_ records: [StoredRecord]) throws {
            for record in records {
                let entry = try Entry.parse(record: record.record)
                parsed[record.seq] = entry
                for sig in entry.sigs where seenKeys.insert(sig.key).inserted { wanted.append(sig.key) }
                if DisclosureStatement.recipientTypes.contains(entry.body.type),
                    let person = entry.body.data.member("to")?.stringValue,
                    seenPeople.insert(person).inserted, let state = try reader.projectionState(.people, key: person)
                {
                    for key in try PersonRecord(state: state).keys where seenKeys.insert(key.keyID).inserted {
                        wanted.append(key.keyID)
                    }
                }
            }
        }
        try visit(genesis)
        for records in streams.values { try visit(records) }
        while let keyID = wanted.popLast() {
            let stream = "key/" + keyID
            let records = try read(stream)
            guard !records.isEmpty else { continue }  // a recipient's key registered after `size`
            streams[stream] = records
            try visit(records)
        }
        var all = genesis
        for records in streams.values { all += records }
        all.sort { $0.seq < $1.seq }
        let heads = streams.compactMap { stream, records in
            parsed[records[records.count - 1].seq].map {
                DisclosedStream(stream: stream, rev: $0.body.streamRev, bodyHash: $0.bodyHashHex)
            }
        }
        return DisclosedRecords(
            size: size, selection: selection, records: all, entries: all.compactMap { parsed[$0.seq] },
            streams: heads)
    }
}
