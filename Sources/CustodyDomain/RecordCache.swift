import LedgerCore
import LedgerCrypto

/// A record one custody projection table holds: how it is keyed, stored and read back.
protocol CachedRecord {
    /// Decodes a record from its stored state.
    init(_ json: JSONValue) throws(CoreError)
    /// The table its rows live in.
    static var table: ProjectionTable { get }
    /// Its key in that table.
    var key: String { get }
    /// Its row.
    var row: ProjectionRow { get }
}

/// The records of one projection table a ``CustodyState`` has seen: loaded from the store on first use, changed in
/// place, and handed back as rows.
///
/// The caching mechanics live here, once, so the fold's functions read as rules. In a replay (no source) a miss is
/// not remembered and nothing is marked changed: everything is in memory and every row is written at the end.
struct RecordCache<Record: CachedRecord> {
    /// Every record seen, by key; `.some(nil)` remembers that the store has none.
    var records: [String: Record?] = [:]
    /// Keys changed since the last ``takeChangedKeys()`` (appends only).
    private var changed: Set<String> = []
    /// True when records come from a store and changes are handed back (an append); false in a replay.
    let tracksChanges: Bool

    /// Where a record is in ``records``: valid until a record is added.
    typealias Slot = Dictionary<String, Record?>.Index

    init(tracksChanges: Bool) { self.tracksChanges = tracksChanges }

    /// The record with this key, loading it from `source` on first use.
    mutating func get(_ key: String, from source: (any ProjectionSource)?) throws -> Record? {
        if let cached = records[key] { return cached }
        // In memory there is nothing to load, and a miss is not worth remembering.
        guard let source else { return nil }
        let loaded = try source.projectionState(Record.table, key: key).map { try Self.decode($0, key: key) }
        records[key] = .some(loaded)
        return loaded
    }

    /// Loads the records with these keys that are not held yet, in one request to `source` (which a store may answer
    /// in one round trip); a key without a row is remembered as absent, as ``get(_:from:)`` does.
    mutating func prefetch(_ keys: some Sequence<String>, from source: any ProjectionSource) throws {
        var missing: [String] = []
        var asked = Set<String>()
        for key in keys where records[key] == nil && asked.insert(key).inserted { missing.append(key) }
        guard !missing.isEmpty else { return }
        for (key, text) in zip(missing, try source.projectionStates(Record.table, keys: missing)) {
            records[key] = .some(try text.map { try Self.decode($0, key: key) })
        }
    }

    private static func decode(_ text: String, key: String) throws -> Record {
        let json: JSONValue
        do { json = try JSONParser.parse(Array(text.utf8), profile: .ledgerV1) } catch {
            throw CoreError.format(
                "the stored \(Record.table.name) row \(key) is unreadable: \(error); run `ledger rebuild`")
        }
        return try Record(json)
    }

    /// Where the record with this key is, loading it first if need be (one hash lookup when it is there).
    mutating func slot(_ key: String, from source: (any ProjectionSource)?) throws -> Slot? {
        if let index = records.index(forKey: key) { return index }
        guard source != nil else { return nil }
        _ = try get(key, from: source)
        return records.index(forKey: key)
    }

    /// Stores a new or changed record.
    mutating func save(_ record: Record) {
        let key = record.key
        records[key] = .some(record)
        if tracksChanges { changed.insert(key) }
    }

    /// Changes the record at `slot` in place: through the values view the stored record itself changes, nothing is
    /// copied.
    mutating func modify(at slot: Slot, _ change: (inout Record) -> Void) {
        records.values[slot].modifyInPlace(change)
        if tracksChanges, let key = records.values[slot].peek({ $0.key }) { changed.insert(key) }
    }

    /// Marks the record with this key changed (after it was changed where it lies).
    mutating func markChanged(_ key: String) {
        if tracksChanges { changed.insert(key) }
    }

    /// The keys of the records changed since the last call, sorted, and forgets them.
    mutating func takeChangedKeys() -> [String] {
        defer { changed = [] }
        return changed.sorted()
    }

    /// Every row, sorted by key bytes.
    var rows: [ProjectionRow] {
        records.values.compactMap { $0?.row }.sorted { $0.key.precedesInBytes($1.key) }
    }

    /// The keys of the records held, sorted by their bytes.
    var keys: [String] {
        records.compactMap { $0.value == nil ? nil : $0.key }.sorted { $0.precedesInBytes($1) }
    }

    /// The row of the record with this key; safe from several threads at once on a cache no one changes.
    func row(_ key: String) -> ProjectionRow? { records[key]??.row }
}

extension PersonRecord: CachedRecord {
    static var table: ProjectionTable { .people }
    var key: String { person }
}

extension CaseRecord: CachedRecord {
    static var table: ProjectionTable { .cases }
    var key: String { id }
}

extension TargetRecord: CachedRecord {
    static var table: ProjectionTable { .targets }
    var key: String { id }
}

extension ItemRecord: CachedRecord {
    static var table: ProjectionTable { .items }
    var key: String { id }
}
