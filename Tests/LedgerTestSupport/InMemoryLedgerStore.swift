import Foundation
import LedgerCore
import LedgerCrypto

/// One entry as an in-memory ledger stores it: the record and every value kept beside it, each of which a tamper
/// test may change on its own (as someone editing a database's columns could).
public struct InMemoryEntry: Sendable {
    public var seq: Int64
    public var id: String
    public var stream: String
    public var streamRev: Int64
    public var type: String
    public var actor: String
    public var time: String
    public var bodyHash: [UInt8]
    /// SHA-256(0x00 ‖ record), as the appender computed it.
    public var leafHash: [UInt8]
    /// The interior nodes completed by this leaf, 32 bytes each, level 1 first.
    public var nodes: [UInt8]
    public var record: [UInt8]

    public init(_ entry: Entry, leafHash: [UInt8], nodes: [[UInt8]]) {
        let body = entry.body
        seq = body.seq
        id = body.id
        stream = body.stream
        streamRev = body.streamRev
        type = body.type
        actor = body.actor
        time = body.time
        bodyHash = entry.bodyHash
        self.leafHash = leafHash
        self.nodes = Array(nodes.joined())
        record = entry.record
    }
}

/// Everything an in-memory ledger holds: a value, so a transaction works on a copy and a reader keeps the copy it
/// started with.
///
/// Text that the SQLite store compares with its BINARY collation (ids, streams, projection keys and values) is
/// compared here by UTF-8 bytes too, never with `==`, which treats canonically equivalent strings as equal.
public struct InMemoryLedgerState: Sendable {
    /// The entries in ascending seq (a tamper may leave gaps; ``InMemoryLedgerStore/tamper(_:)`` keeps the order).
    public var entries: [InMemoryEntry] = []
    public var meta: [String: String] = [:]
    /// The keys table, by key id.
    public var keys: [String: KeyState] = [:]
    /// Signed checkpoint notes, by size.
    public var checkpoints: [Int64: String] = [:]
    /// Witness cosignature lines, in the order they were stored.
    public var cosignatures: [(size: Int64, line: String)] = []
    /// RFC 3161 responses, in the order they were stored.
    public var timestamps: [(size: Int64, response: [UInt8])] = []
    /// Projection rows by table name, each table sorted by the UTF-8 bytes of the key.
    public var projections: [String: [ProjectionRow]] = [:]
    /// The seq each projection table is built to, by table name.
    public var projectionBuiltTo: [String: Int64] = [:]

    /// The entry lookups the SQLite store has as indexes: the position of each id, and of each stream's newest
    /// revision; rebuilt by ``reindex()``.
    fileprivate var positionByID: [[UInt8]: Int] = [:]
    fileprivate var streamTop: [[UInt8]: Int] = [:]
    fileprivate var streamRevisions: Set<StreamRevision> = []

    public init() {}

    /// The position of the entry stored with `seq`, if any.
    public func position(ofSeq seq: Int64) -> Int? {
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].seq < seq { low = middle + 1 } else { high = middle }
        }
        return low < entries.count && entries[low].seq == seq ? low : nil
    }

    /// Changes the entry stored with `seq` (nothing if there is none).
    public mutating func modifyEntry(seq: Int64, _ change: (inout InMemoryEntry) -> Void) {
        guard let position = position(ofSeq: seq) else { return }
        change(&entries[position])
    }

    /// Removes the entry stored with `seq`.
    public mutating func removeEntry(seq: Int64) {
        guard let position = position(ofSeq: seq) else { return }
        entries.remove(at: position)
    }

    /// The stored row of `table` with `key`, if any.
    public func projectionRow(_ table: ProjectionTable, key: String) -> ProjectionRow? {
        let rows = projections[table.name] ?? []
        let position = Self.position(of: key, in: rows)
        return position < rows.count && rows[position].key.hasSameBytes(as: key) ? rows[position] : nil
    }

    /// Stores `row` over the row of its table with the same key (no index is consulted).
    public mutating func replaceProjectionRow(_ row: ProjectionRow) {
        var rows = projections[row.table.name] ?? []
        let position = Self.position(of: row.key, in: rows)
        if position < rows.count, rows[position].key.hasSameBytes(as: row.key) {
            rows[position] = row
        } else {
            rows.insert(row, at: position)
        }
        projections[row.table.name] = rows
    }

    /// Removes the row of `table` with `key`.
    public mutating func removeProjectionRow(_ table: ProjectionTable, key: String) {
        guard var rows = projections[table.name] else { return }
        let position = Self.position(of: key, in: rows)
        guard position < rows.count, rows[position].key.hasSameBytes(as: key) else { return }
        rows.remove(at: position)
        projections[table.name] = rows
    }

    /// Where `key` is or would be in `rows` (sorted by key bytes).
    fileprivate static func position(of key: String, in rows: [ProjectionRow]) -> Int {
        var low = 0
        var high = rows.count
        while low < high {
            let middle = (low + high) / 2
            if rows[middle].key.precedesInBytes(key) { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Puts the entries back in seq order and rebuilds the lookups from them, after a tamper.
    mutating func reindex() {
        entries.sort { $0.seq < $1.seq }
        positionByID = [:]
        streamTop = [:]
        streamRevisions = []
        for position in entries.indices { index(position) }
    }

    /// Adds the entry at `position` to the lookups.
    fileprivate mutating func index(_ position: Int) {
        let entry = entries[position]
        let stream = Array(entry.stream.utf8)
        positionByID[Array(entry.id.utf8)] = position
        streamRevisions.insert(StreamRevision(stream: stream, rev: entry.streamRev))
        if streamTop[stream].map({ entries[$0].streamRev < entry.streamRev }) ?? true { streamTop[stream] = position }
    }
}

/// A stream and one of its revisions, as UTF-8 bytes: the unique (stream, stream_rev) pair.
private struct StreamRevision: Hashable, Sendable {
    let stream: [UInt8]
    let rev: Int64
}

/// The storage of one in-memory ledger, shared by every store opened on it (as a file is by several processes).
final class InMemoryLedger: @unchecked Sendable {
    // @unchecked: `committed` and `complete` are touched only under `stateLock`; a write holds `writeLock` throughout.
    private let writeLock = NSLock()
    private let stateLock = NSLock()
    private var committed: InMemoryLedgerState
    private var complete = false

    init(_ state: InMemoryLedgerState) { committed = state }

    /// The committed state: a reader's snapshot.
    var snapshot: InMemoryLedgerState { stateLock.withLock { committed } }

    /// False while the ledger is being created.
    var isComplete: Bool {
        get { stateLock.withLock { complete } }
        set { stateLock.withLock { complete = newValue } }
    }

    /// Runs `body` on a copy of the committed state, exclusive of other writes, and commits the copy if it returns.
    func write<T>(_ body: (inout InMemoryLedgerState) throws -> T) rethrows -> T {
        writeLock.lock()
        defer { writeLock.unlock() }
        var state = snapshot
        let result = try body(&state)
        stateLock.withLock { committed = state }
        return result
    }
}

/// A deterministic in-memory ``LedgerStore``: the double the store conformance suite holds to the same contract as
/// the SQLite store.
///
/// Writes run one at a time on a copy of the state, which replaces the committed state only when the body returns;
/// reads run on the state committed when they start. Append-only rules, uniqueness and the derived columns follow
/// the SQLite store's triggers and constraints, with ``StoreError`` codes alike. Not reentrant: a write must not
/// start another write on the same ledger. ``tamper(_:)`` edits the stored state behind the contract's back.
public final class InMemoryLedgerStore: LedgerStore {
    let ledger: InMemoryLedger
    /// The projection tables of the ledger's domain, as given when it was created or opened.
    public let schema: ProjectionSchema
    /// True when opened for reading only: every write is refused.
    public let readOnly: Bool

    init(ledger: InMemoryLedger, schema: ProjectionSchema, readOnly: Bool) {
        self.ledger = ledger
        self.schema = schema
        self.readOnly = readOnly
    }

    /// An empty ledger of its own, as a store creates one before it runs the creator's `initialize`.
    public convenience init(schema: ProjectionSchema) {
        let ledger = InMemoryLedger(Self.emptyState())
        ledger.isComplete = true
        self.init(ledger: ledger, schema: schema, readOnly: false)
    }

    /// The state of a newly created ledger: its metadata only.
    static func emptyState() -> InMemoryLedgerState {
        var state = InMemoryLedgerState()
        state.meta["schema_version"] = "in-memory-1"
        state.meta["format"] = "custody-ledger/v1"
        return state
    }

    public func write<T>(_ body: (any LedgerWriteTransaction) throws -> T) throws -> T {
        guard !readOnly else { throw StoreError(.engine, "database error: attempt to write a readonly database") }
        return try ledger.write { state in
            let transaction = InMemoryTransaction(state: state, schema: schema)
            let result = try body(transaction)
            state = transaction.state
            return result
        }
    }

    public func read<T>(_ body: (any LedgerReader) throws -> T) throws -> T {
        try body(InMemoryReader(state: ledger.snapshot, schema: schema))
    }

    public var engineDescription: String { "in-memory test store" }

    /// Changes the stored state directly, bypassing every rule of the store (the append-only checks included), as
    /// someone with write access to a database file could; the change is committed as one write.
    ///
    /// Afterwards the entries are put back in seq order and the store's lookups rebuilt from them.
    public func tamper(_ change: (inout InMemoryLedgerState) throws -> Void) rethrows {
        try ledger.write { state in
            try change(&state)
            state.reindex()
        }
    }

    /// The committed state, for tests that compare it.
    public var state: InMemoryLedgerState { ledger.snapshot }
}

/// Named in-memory ledgers: the provider tests hand to `LedgerLocation` in place of the file-backed stores.
///
/// Every store opened on a name shares that ledger, as processes share a file. The provider is a reference: copies
/// of a `LedgerLocation` holding it see the same ledgers.
public final class InMemoryStores: LedgerStoreProvider, @unchecked Sendable {
    // @unchecked: `ledgers` is read and changed only under `lock`.
    private let lock = NSLock()
    private var ledgers: [String: InMemoryLedger] = [:]

    public init() {}

    public func open(_ location: String, schema: ProjectionSchema, readOnly: Bool) throws(StoreError)
        -> any LedgerStore
    {
        try store(location, schema: schema, readOnly: readOnly)
    }

    /// ``open(_:schema:readOnly:)`` with the concrete type, for tests that tamper with the ledger.
    public func store(_ location: String, schema: ProjectionSchema, readOnly: Bool = false) throws(StoreError)
        -> InMemoryLedgerStore
    {
        guard let ledger = lock.withLock({ ledgers[location] }) else {
            throw StoreError(.noLedger, "no in-memory ledger named \(location)")
        }
        guard ledger.isComplete else {
            throw StoreError(.notALedger, "\(location) is not a custody ledger (or its creation did not complete)")
        }
        return InMemoryLedgerStore(ledger: ledger, schema: schema, readOnly: readOnly)
    }

    public func create<T>(
        _ location: String, schema: ProjectionSchema, _ initialize: (any LedgerWriteTransaction) throws -> T
    ) throws -> T {
        // The name is claimed first, so of two creators one gets it; while `initialize` runs the ledger exists but
        // is not complete, as a SQLite file being created.
        let ledger = InMemoryLedger(InMemoryLedgerStore.emptyState())
        let claimed = lock.withLock {
            guard ledgers[location] == nil else { return false }
            ledgers[location] = ledger
            return true
        }
        guard claimed else {
            throw StoreError(.alreadyExists, "\(location) already exists; a ledger is never overwritten")
        }
        do {
            let result = try InMemoryLedgerStore(ledger: ledger, schema: schema, readOnly: false).write(initialize)
            ledger.isComplete = true
            return result
        } catch {
            lock.withLock { ledgers[location] = nil }
            throw error
        }
    }

    public func exists(_ location: String) -> Bool { lock.withLock { ledgers[location] != nil } }

    public func displayName(_ location: String) -> String { location }
}

/// The read side shared by a snapshot reader and a write transaction.
private protocol InMemoryStateReading: LedgerReader {
    var state: InMemoryLedgerState { get }
    var schema: ProjectionSchema { get }
}

/// A read on the state committed when it started.
private struct InMemoryReader: InMemoryStateReading {
    let state: InMemoryLedgerState
    let schema: ProjectionSchema
}

/// A write transaction on its own copy of the state, which the store commits when the transaction's body returns.
///
/// Used only inside the closure it was made for, on the writing thread.
private final class InMemoryTransaction: InMemoryStateReading, LedgerWriteTransaction {
    var state: InMemoryLedgerState
    let schema: ProjectionSchema

    init(state: InMemoryLedgerState, schema: ProjectionSchema) {
        self.state = state
        self.schema = schema
    }
}

// MARK: Reading

extension InMemoryStateReading {
    func entryCount() throws -> Int64 { state.entries.last?.seq ?? 0 }

    func meta(_ name: String) throws -> String? { state.meta[name] }

    func forEachRecord(_ filter: RecordFilter, _ visit: (StoredRecord) throws -> Bool) throws {
        // A copy: `visit` may change the transaction's state (a rebuild clears the projections while it reads).
        let entries = state.entries
        let stream = filter.stream.map { Array($0.utf8) }
        for entry in entries where entry.seq >= filter.from {
            if let to = filter.to, entry.seq > to { break }
            if let stream, !entry.stream.utf8.elementsEqual(stream) { continue }
            if let type = filter.type, !entry.type.utf8.elementsEqual(type.utf8) { continue }
            let stored =
                filter.withStoredState
                ? StoredRecord(
                    seq: entry.seq, record: entry.record, leafHash: entry.leafHash, nodes: entry.nodes,
                    columns: StoredColumns(
                        seq: entry.seq, id: entry.id, stream: entry.stream, streamRev: entry.streamRev,
                        type: entry.type, actor: entry.actor, time: entry.time, bodyHash: Hex.encode(entry.bodyHash)))
                : StoredRecord(seq: entry.seq, record: entry.record, leafHash: [], nodes: [])
            guard try visit(stored) else { return }
        }
    }

    func subtreeHash(seq: Int64, level: Int) throws -> [UInt8] {
        guard let position = state.position(ofSeq: seq) else {
            throw StoreError(.damaged, "entry \(seq) is missing from the database")
        }
        let entry = state.entries[position]
        if level == 0 { return entry.leafHash }
        guard level > 0, entry.nodes.count >= level * 32 else {
            throw StoreError(.damaged, "the stored Merkle nodes of entry \(seq) are incomplete")
        }
        return Array(entry.nodes[((level - 1) * 32)..<(level * 32)])
    }

    func checkpointNotes() throws -> [(size: Int64, note: String)] {
        var lines: [Int64: String] = [:]
        for cosignature in state.cosignatures { lines[cosignature.size, default: ""] += cosignature.line }
        return state.checkpoints.sorted { $0.key < $1.key }.map { ($0.key, $0.value + (lines[$0.key] ?? "")) }
    }

    func timestampResponses() throws -> [(size: Int64, response: [UInt8])] {
        // By size, then in the order stored.
        state.timestamps.enumerated().sorted { ($0.element.size, $0.offset) < ($1.element.size, $1.offset) }
            .map(\.element)
    }

    func allKeys() throws -> [KeyState] {
        state.keys.values.sorted {
            $0.registeredSeq != $1.registeredSeq
                ? $0.registeredSeq < $1.registeredSeq : $0.keyID.precedesInBytes($1.keyID)
        }
    }

    func key(_ keyID: String) throws -> KeyState? { state.keys[keyID] }

    func activeAdminCount() throws -> Int {
        state.keys.values.filter { $0.revokedSeq == nil && $0.hasRole(Roles.admin) }.count
    }

    /// From the stream's newest record, cross-checked with its stored columns, as the SQLite store reads it.
    func streamHead(_ stream: String) throws -> StreamHead? {
        guard let position = state.streamTop[Array(stream.utf8)] else { return nil }
        let entry = state.entries[position]
        guard let facts = Entry.canonicalBodyFacts(entry.record), facts.streamRev == entry.streamRev,
            facts.bodyHash == entry.bodyHash
        else {
            throw StoreError(
                .damaged, "the stored record or columns of seq \(entry.seq) are damaged; run `ledger verify`")
        }
        return StreamHead(rev: facts.streamRev, link: Hex.encode(facts.link), time: facts.time)
    }

    func head() throws -> LedgerHead? {
        guard let entry = state.entries.last else { return nil }
        let parsed = try parsedRecord(entry)
        return LedgerHead(seq: parsed.body.seq, bodyHash: parsed.bodyHashHex, time: parsed.body.time)
    }

    /// The entry's record, parsed, whose seq must be the stored one.
    func parsedRecord(_ entry: InMemoryEntry) throws -> Entry {
        let parsed: Entry
        do { parsed = try Entry.parse(record: entry.record) } catch {
            throw StoreError(
                .damaged, "the stored record of seq \(entry.seq) is unreadable (\(error)); run `ledger verify`")
        }
        guard parsed.body.seq == entry.seq else {
            throw StoreError(.damaged, "the stored seq \(entry.seq) does not match its record; run `ledger verify`")
        }
        return parsed
    }

    func projectionState(_ table: ProjectionTable, key: String) throws -> String? {
        try checkColumns(table, [])
        return state.projectionRow(table, key: key)?.state
    }

    func firstProjectionKey(_ table: ProjectionTable, where filters: [(column: String, value: String)]) throws
        -> String?
    {
        let positions = try checkColumns(table, filters)
        return (state.projections[table.name] ?? []).first { Self.matches($0, positions, filters) }?.key
    }

    func forEachProjectionRow(
        _ table: ProjectionTable, where filters: [(column: String, value: String)],
        _ visit: (ProjectionRow) throws -> Bool
    ) throws {
        let positions = try checkColumns(table, filters)
        for row in state.projections[table.name] ?? [] where Self.matches(row, positions, filters) {
            guard try visit(ProjectionRow(table: table, key: row.key, columns: row.columns, state: row.state)) else {
                return
            }
        }
    }

    /// The lowest seq any projection table is built to (0 when one was never built).
    func projectionSeq() throws -> Int64 {
        var lowest: Int64?
        for table in schema.tables {
            guard let seq = state.projectionBuiltTo[table.name] else { return 0 }
            lowest = min(lowest ?? seq, seq)
        }
        return lowest ?? 0
    }

    /// The position in the row of each filter's column, which must be a column of a table of the schema.
    ///
    /// Filter columns are names from the schema, never from input: anything else is refused.
    @discardableResult
    func checkColumns(_ table: ProjectionTable, _ filters: [(column: String, value: String)]) throws -> [Int] {
        guard let known = schema.tables.first(where: { $0 == table }) else {
            throw StoreError(.invalidRequest, "the ledger has no projection \(table.name)")
        }
        return try filters.map { filter in
            guard let position = known.columns.firstIndex(of: filter.column) else {
                throw StoreError(.invalidRequest, "\(table.name) has no column \(filter.column)")
            }
            return position
        }
    }

    /// A filter compares text with text by bytes; an integer column never equals a text value (as in SQLite,
    /// whose projection columns have no type affinity).
    static func matches(_ row: ProjectionRow, _ positions: [Int], _ filters: [(column: String, value: String)])
        -> Bool
    {
        zip(positions, filters).allSatisfy { position, filter in
            guard position < row.columns.count, case .string(let text) = row.columns[position] else { return false }
            return text.hasSameBytes(as: filter.value)
        }
    }
}

// MARK: Writing

extension InMemoryStateReading {
    func record(forID id: String) throws -> [UInt8]? {
        guard let position = state.positionByID[Array(id.utf8)] else { return nil }
        let entry = state.entries[position]
        let parsed = try parsedRecord(entry)
        guard parsed.body.id.hasSameBytes(as: id) else {
            throw StoreError(
                .damaged, "the stored id column of seq \(entry.seq) does not match its record; run `ledger verify`")
        }
        return entry.record
    }
}

extension InMemoryTransaction {

    /// Refused, as the SQLite store's trigger and unique constraints refuse it, unless the entry's seq follows the
    /// highest stored one and its id and (stream, stream_rev) are new.
    func insert(_ entry: Entry, leafHash: [UInt8], nodes: [[UInt8]]) throws {
        let body = entry.body
        guard body.seq == (state.entries.last?.seq ?? 0) + 1 else {
            throw StoreError(.engine, "database error: ledger entries are appended in seq order")
        }
        guard state.positionByID[Array(body.id.utf8)] == nil else {
            throw StoreError(.engine, "database error: UNIQUE constraint failed: entries.id")
        }
        guard !state.streamRevisions.contains(StreamRevision(stream: Array(body.stream.utf8), rev: body.streamRev))
        else {
            throw StoreError(.engine, "database error: UNIQUE constraint failed: entries.stream, entries.stream_rev")
        }
        state.entries.append(InMemoryEntry(entry, leafHash: leafHash, nodes: nodes))
        state.index(state.entries.count - 1)
    }

    func apply(_ effect: RuleEffect) throws {
        switch effect {
        case .none, .ledgerCreated, .logKeyRotated: break
        case .keyRegistered(let key):
            guard state.keys[key.keyID] == nil else {
                throw StoreError(.engine, "database error: UNIQUE constraint failed: keys.key_id")
            }
            // Roles are stored as one space-separated text, as in the SQLite keys table.
            state.keys[key.keyID] = KeyState(
                keyID: key.keyID, publicKey: key.publicKey, name: key.name, person: key.person, agency: key.agency,
                roles: key.roles.joined(separator: " ").split(separator: " ").map(String.init),
                registeredSeq: key.registeredSeq)
        case .keyRevoked(let keyID, let seq, let compromisedSince):
            state.keys[keyID]?.revokedSeq = seq
            state.keys[keyID]?.compromisedSinceSeq = compromisedSince
        }
    }

    func insertCheckpoint(size: Int64, note: String, at time: String) throws -> Bool {
        guard state.checkpoints[size] == nil else { return false }
        state.checkpoints[size] = note
        return true
    }

    func insertCosignature(size: Int64, line: String, at time: String) throws -> Bool {
        guard !state.cosignatures.contains(where: { $0.size == size && $0.line.hasSameBytes(as: line) }) else {
            return false
        }
        state.cosignatures.append((size, line))
        return true
    }

    func insertTimestamp(size: Int64, response: [UInt8], at time: String) throws -> Bool {
        guard !state.timestamps.contains(where: { $0.size == size && $0.response == response }) else { return false }
        state.timestamps.append((size, response))
        return true
    }

    func setMeta(_ name: String, _ value: String) throws { state.meta[name] = value }

    func writeProjectionRows(_ rows: [ProjectionRow], builtTo seq: Int64) throws {
        for row in rows { try insertOrReplace(row, indexed: true) }
        recordProjectionState(builtTo: seq)
    }

    func clearProjections() throws {
        for table in schema.tables { state.projections[table.name] = nil }
        state.projectionBuiltTo = [:]
    }

    func replaceAllProjections(
        builtTo seq: Int64, _ produce: (_ write: ([ProjectionRow]) throws -> Void) throws -> Void
    ) throws {
        // As the SQLite store's bulk load: rows go in without the secondary indexes, which are built (and so
        // checked) afterwards.
        try clearProjections()
        try produce { rows in for row in rows { try insertOrReplace(row, indexed: false) } }
        recordProjectionState(builtTo: seq)
        for table in schema.tables {
            for index in table.indexes where index.unique {
                var seen = Set<[UInt8]>()
                for row in state.projections[table.name] ?? [] {
                    guard seen.insert(Self.indexKey(row, index, table)).inserted else {
                        throw StoreError(.engine, "database error: " + Self.uniqueFailure(table, index))
                    }
                }
            }
        }
    }

    /// SQLite's `INSERT OR REPLACE`: the row replaces the row with its key and, when `indexed`, every row that has
    /// its values in a unique index (SQLite deletes those rather than refuse the insert).
    private func insertOrReplace(_ row: ProjectionRow, indexed: Bool) throws {
        guard let table = schema.tables.first(where: { $0 == row.table }) else {
            throw StoreError(.engine, "database error: no such table: \(row.table.name)")
        }
        guard row.columns.count == table.columns.count else {
            throw StoreError(.invalidRequest, "a row of \(table.name) needs \(table.columns.count) column values")
        }
        for (column, value) in zip(table.columns, row.columns) {
            switch value {
            case .integer, .string: continue
            default: throw StoreError(.engine, "database error: NOT NULL constraint failed: \(table.name).\(column)")
            }
        }
        var rows = state.projections[table.name] ?? []
        if indexed {
            for index in table.indexes where index.unique {
                let values = Self.indexKey(row, index, table)
                if rows.contains(where: {
                    !$0.key.hasSameBytes(as: row.key) && Self.indexKey($0, index, table) == values
                }) {
                    throw StoreError(.engine, "database error: UNIQUE constraint failed: \(index.name)")
                }
            }
        }
        let stored = ProjectionRow(table: table, key: row.key, columns: row.columns, state: row.state)
        let position = InMemoryLedgerState.position(of: row.key, in: rows)
        if position < rows.count, rows[position].key.hasSameBytes(as: row.key) {
            rows[position] = stored
        } else {
            rows.insert(stored, at: position)
        }
        state.projections[table.name] = rows
    }

    /// Every table remembers the seq it is built to; a write brings them all to `seq`.
    private func recordProjectionState(builtTo seq: Int64) {
        for table in schema.tables { state.projectionBuiltTo[table.name] = seq }
    }

    /// A row's values in `index`, as bytes that are equal exactly when SQLite finds the values equal: a type tag,
    /// then the integer or the UTF-8 text with its length.
    private static func indexKey(_ row: ProjectionRow, _ index: ProjectionIndex, _ table: ProjectionTable) -> [UInt8] {
        var key: [UInt8] = []
        for column in index.columns {
            guard let position = table.columns.firstIndex(of: column), position < row.columns.count else { continue }
            switch row.columns[position] {
            case .integer(let number):
                key.append(1)
                withUnsafeBytes(of: number.bigEndian) { key.append(contentsOf: $0) }
            case .string(let text):
                key.append(2)
                withUnsafeBytes(of: Int64(text.utf8.count).bigEndian) { key.append(contentsOf: $0) }
                key.append(contentsOf: text.utf8)
            default: key.append(0)
            }
        }
        return key
    }

    private static func uniqueFailure(_ table: ProjectionTable, _ index: ProjectionIndex) -> String {
        "UNIQUE constraint failed: " + index.columns.map { "\(table.name).\($0)" }.joined(separator: ", ")
    }
}
