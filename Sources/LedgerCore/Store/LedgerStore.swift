import Dispatch
import LedgerCrypto

/// The newest entry of a ledger.
public struct LedgerHead: Sendable {
    /// Its seq: the number of entries.
    public let seq: Int64
    /// Hex of its body hash (the next entry's `prev`).
    public let bodyHash: String
    /// Its ledger time.
    public let time: String

    /// A head from its parts.
    public init(seq: Int64, bodyHash: String, time: String) {
        self.seq = seq
        self.bodyHash = bodyHash
        self.time = time
    }
}

/// The newest entry of one stream, as the next entry of that stream must follow it.
public struct StreamHead: Sendable {
    /// Its `stream_rev`.
    public let rev: Int64
    /// Hex of what the next entry names in `stream_prev`: the body hash (format version 1), the statement hash
    /// (version 2).
    public let link: String
    /// Its ledger time (version-2 statements may not be signed more than the clock skew before it).
    public let time: String

    /// A stream head from its parts.
    public init(rev: Int64, link: String, time: String) {
        self.rev = rev
        self.link = link
        self.time = time
    }
}

/// One stored entry as a store hands it out: the record's bytes and the tree hashes stored beside it.
public struct StoredRecord: Sendable {
    /// The entry's seq.
    public let seq: Int64
    /// The record's exact bytes (FORMAT.md §3).
    public let record: [UInt8]
    /// The stored SHA-256(0x00 ‖ record).
    public let leafHash: [UInt8]
    /// The stored interior nodes completed by this leaf, 32 bytes each, level 1 first.
    public let nodes: [UInt8]
    /// The columns a store derives from the record for lookups, which verification compares with the record.
    public let columns: StoredColumns?

    /// A stored record from its parts.
    public init(seq: Int64, record: [UInt8], leafHash: [UInt8], nodes: [UInt8], columns: StoredColumns? = nil) {
        self.seq = seq
        self.record = record
        self.leafHash = leafHash
        self.nodes = nodes
        self.columns = columns
    }
}

/// Values a store keeps beside a record (indexes for appending and reading) that must equal the record's own.
public struct StoredColumns: Sendable, Equatable {
    /// The seq column.
    public let seq: Int64
    /// The id column.
    public let id: String
    /// The stream column.
    public let stream: String
    /// The stream revision column.
    public let streamRev: Int64
    /// The event type column.
    public let type: String
    /// The actor key id column.
    public let actor: String
    /// The time column.
    public let time: String
    /// Hex of the stored body hash.
    public let bodyHash: String

    /// Columns from their values.
    public init(
        seq: Int64, id: String, stream: String, streamRev: Int64, type: String, actor: String, time: String,
        bodyHash: String
    ) {
        self.seq = seq
        self.id = id
        self.stream = stream
        self.streamRev = streamRev
        self.type = type
        self.actor = actor
        self.time = time
        self.bodyHash = bodyHash
    }

    /// The columns an entry should have.
    public init(_ entry: Entry) {
        let body = entry.body
        self.init(
            seq: body.seq, id: body.id, stream: body.stream, streamRev: body.streamRev, type: body.type,
            actor: body.actor, time: body.time, bodyHash: entry.bodyHashHex)
    }

    /// Equal when every column has the same bytes (not merely equivalent Unicode).
    public static func == (lhs: StoredColumns, rhs: StoredColumns) -> Bool {
        lhs.seq == rhs.seq && lhs.id.hasSameBytes(as: rhs.id) && lhs.stream.hasSameBytes(as: rhs.stream)
            && lhs.streamRev == rhs.streamRev && lhs.type.hasSameBytes(as: rhs.type)
            && lhs.actor.hasSameBytes(as: rhs.actor) && lhs.time.hasSameBytes(as: rhs.time)
            && lhs.bodyHash.hasSameBytes(as: rhs.bodyHash)
    }
}

/// Which records to read.
public struct RecordFilter: Sendable {
    /// The first seq to read (1 for all).
    public var from: Int64
    /// The last seq to read, or nil for up to the head.
    public var to: Int64?
    /// Only this stream's records, when given.
    public var stream: String?
    /// Only records of this type, when given, by the stored `type` column (which `ledger verify` checks).
    ///
    /// Stores index the log-key rotations (``EventTypes/logKeyRotated``), so that finding them never
    /// reads the `ledger` stream's notes; other types are filtered as they are read.
    public var type: String?
    /// False to read only the records, without the tree hashes and lookup columns stored beside them.
    public var withStoredState: Bool

    /// A filter; the defaults read every record with its stored state.
    public init(
        from: Int64 = 1, to: Int64? = nil, stream: String? = nil, type: String? = nil, withStoredState: Bool = true
    ) {
        self.from = from
        self.to = to
        self.stream = stream
        self.type = type
        self.withStoredState = withStoredState
    }

    /// The type as an SQL string literal, when it is a type name (lower-case letters, digits, dots and hyphens):
    /// written into the statement, so that a partial index on that type can be chosen when it is prepared.
    public var typeLiteral: String? {
        guard let type, !type.isEmpty,
            type.utf8.allSatisfy({
                (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2e || $0 == 0x2d
            })
        else { return nil }
        return "'" + type + "'"
    }
}

/// Read access to a stored ledger, from one consistent snapshot.
public protocol LedgerReader: KeyDirectory, ProjectionSource {
    /// The number of entries.
    func entryCount() throws -> Int64
    /// The stored record of the entry with this id, if any.
    func record(forID id: String) throws -> [UInt8]?
    /// A metadata value (`origin`, `schema_version`).
    func meta(_ name: String) throws -> String?
    /// Calls `visit` for each matching record in ascending seq; stops early when it returns false.
    func forEachRecord(_ filter: RecordFilter, _ visit: (StoredRecord) throws -> Bool) throws
    /// The stored hash of the perfect subtree of height `level` whose last leaf is `seq` (level 0: the leaf).
    func subtreeHash(seq: Int64, level: Int) throws -> [UInt8]
    /// The stored hashes of these perfect subtrees, in their order: the O(log n) a root or a proof needs, which a
    /// store whose every read is a round trip answers at once (the default asks ``subtreeHash(seq:level:)`` for
    /// each).
    func subtreeHashes(_ locations: [(seq: Int64, level: Int)]) throws -> [[UInt8]]
    /// Every stored checkpoint note, by ascending size, with the cosignature lines stored for it appended.
    func checkpointNotes() throws -> [(size: Int64, note: String)]
    /// One stored checkpoint note with its cosignature lines appended, or nil when none is as asked; a store
    /// answers with indexed reads (the default reads every note).
    func checkpointNote(_ choice: CheckpointChoice) throws -> (size: Int64, note: String)?
    /// Every stored RFC 3161 time-stamp response (DER), by the size of the checkpoint it covers.
    func timestampResponses() throws -> [(size: Int64, response: [UInt8])]
    /// Every registered key, by registration seq.
    func allKeys() throws -> [KeyState]
    /// The last revision and body hash of a stream, or nil if it has no entries.
    func streamHead(_ stream: String) throws -> StreamHead?
    /// The heads of these streams, in the order of `streams` (nil for a stream without entries).
    ///
    /// What an appender placing a large group asks for at once: a store whose every read is a round trip to a server
    /// answers it in one or a few; the default asks ``streamHead(_:)`` for each stream.
    func streamHeads(_ streams: [String]) throws -> [StreamHead?]
    /// The stored records of the entries with these ids, in the order of `ids` (nil where none is recorded); the
    /// batch form of ``record(forID:)``, which the default asks for each id.
    func records(forIDs ids: [String]) throws -> [[UInt8]?]
    /// The newest entry, or nil for an empty ledger.
    func head() throws -> LedgerHead?
    /// Calls `visit` with each row of a projection table whose filter columns equal the given values, by key;
    /// stops early when it returns false.
    func forEachProjectionRow(
        _ table: ProjectionTable, where filters: [(column: String, value: String)],
        _ visit: (ProjectionRow) throws -> Bool) throws
    /// The seq the projections are built to.
    func projectionSeq() throws -> Int64
}

/// A write transaction: everything it does is committed together or not at all.
public protocol LedgerWriteTransaction: LedgerReader {
    /// Appends an entry with its leaf hash and the interior nodes it completes.
    ///
    /// An entry whose seq is not the next is refused here; one whose id or (stream, stream_rev) is taken is refused
    /// here or, by a store that sends entries to its engine in groups, by a later call of the transaction and at the
    /// latest by its commit. Either way the transaction then fails as a whole and leaves nothing.
    func insert(_ entry: Entry, leafHash: [UInt8], nodes: [[UInt8]]) throws
    /// Applies an entry's effect to the keys table.
    func apply(_ effect: RuleEffect) throws
    /// Stores a signed checkpoint made at `time` (a ledger time, FORMAT.md §3.1); returns false (and stores
    /// nothing) if one of that size exists.
    func insertCheckpoint(size: Int64, note: String, at time: String) throws -> Bool
    /// Stores a witness's cosignature line for the checkpoint of `size`, received at `time`; returns false if it is
    /// stored already.
    func insertCosignature(size: Int64, line: String, at time: String) throws -> Bool
    /// Stores an RFC 3161 time-stamp response (DER) over the checkpoint of `size`, received at `time`; false if
    /// stored already.
    func insertTimestamp(size: Int64, response: [UInt8], at time: String) throws -> Bool
    /// Sets a metadata value.
    func setMeta(_ name: String, _ value: String) throws
    /// Inserts projection rows, or replaces the row with the same key, and records the seq the projections are now
    /// built to.
    ///
    /// A row whose values in a unique index equal another key's row is refused (a ``StoreError``), never resolved
    /// by dropping the other row: the domain's fold keeps such values unique, so a collision is a bug to surface.
    func writeProjectionRows(_ rows: [ProjectionRow], builtTo seq: Int64) throws
    /// Deletes every projection row; a rebuild does it while it replays (it may be called while a
    /// ``forEachRecord(_:_:)`` of the same transaction is in progress).
    ///
    /// ``replaceAllProjections(builtTo:_:)`` calls it too, at no cost when already done.
    func clearProjections() throws
    /// Replaces every projection row and records `seq`: a rebuild's bulk load.
    ///
    /// `produce` hands the rows over in batches, sorted by table and key, by calling the function it is given, so
    /// that the rows can be serialized while earlier ones are written.
    func replaceAllProjections(
        builtTo seq: Int64, _ produce: (_ write: ([ProjectionRow]) throws -> Void) throws -> Void) throws
}

/// Where a ledger lives.
///
/// Implementations: SQLite (LedgerSQLite); an in-memory double in the tests; later PostgreSQL. What every store
/// must guarantee, whatever its engine (the store conformance suite checks each):
/// - **One linear chain.** Writes are serialized across every process and host that writes the ledger: a write
///   transaction sees the head the previous one committed, so no two entries ever share a seq.
/// - **All or nothing.** A write transaction is durable once ``write(_:)`` returns and leaves nothing behind when
///   `body` throws (entries, keys, checkpoints, projections alike).
/// - **Snapshots.** A read sees one committed state from its start to its end, however long it runs and whatever
///   is appended meanwhile.
/// - **Append-only.** Entries and checkpoints are never changed or deleted through the store; ids and
///   (stream, stream_rev) pairs are unique; entries are inserted in seq order.
/// - **Exactly what was written.** Records come back byte for byte, with the hashes stored beside them.
/// - **Errors are ``StoreError``s** when they leave ``read(_:)`` or ``write(_:)`` (or errors the caller's closures
///   threw, passed through unchanged). Inside a transaction a method may throw the engine's own error; catching it
///   and going on is not supported: let it end the transaction.
public protocol LedgerStore: Sendable {
    /// Runs `body` in one exclusive, durable write transaction: committed when it returns, rolled back when it
    /// throws. Concurrent writers from any process are serialized.
    func write<T>(_ body: (any LedgerWriteTransaction) throws -> T) throws -> T
    /// Runs `body` against one consistent snapshot.
    func read<T>(_ body: (any LedgerReader) throws -> T) throws -> T
    /// ``write(_:)`` for async callers (a server): the transaction runs off the caller's executor, so an event loop
    /// is never blocked by the engine.
    func write<T: Sendable>(_ body: @escaping @Sendable (any LedgerWriteTransaction) throws -> T) async throws -> T
    /// ``read(_:)`` for async callers.
    func read<T: Sendable>(_ body: @escaping @Sendable (any LedgerReader) throws -> T) async throws -> T
    /// A description of the storage engine and its version, for reports ("SQLite 3.40.1").
    var engineDescription: String { get }
    /// Closes the store's connections now, rather than when the last reference goes (a server stopping, whose
    /// tasks may still hold the store as the process exits): a SQLite ledger is then one file again, its WAL copied
    /// in. Nothing may be read or written after it.
    func close()
}

extension LedgerStore {
    /// Nothing to close before the store goes.
    public func close() {}

    /// Runs the synchronous ``write(_:)`` on a thread of its own, off the caller's executor.
    public func write<T: Sendable>(_ body: @escaping @Sendable (any LedgerWriteTransaction) throws -> T) async throws
        -> T
    {
        try await OffExecutor.run { try self.write(body) }
    }

    /// Runs the synchronous ``read(_:)`` on a thread of its own, off the caller's executor.
    public func read<T: Sendable>(_ body: @escaping @Sendable (any LedgerReader) throws -> T) async throws -> T {
        try await OffExecutor.run { try self.read(body) }
    }
}

/// Blocking work (a store's reads and writes, use cases built on them) from async code.
public enum OffExecutor {
    /// Runs `work` on a Dispatch thread and resumes the caller when it is done, so Swift's cooperative threads
    /// (and a server's event loops) never wait for a database.
    public static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async { continuation.resume(with: Result { try work() }) }
        }
    }
}

/// Resolves ledger locations to stores: the one seam through which the tool creates and opens ledgers.
///
/// A location is what a user gives as `--ledger`: a file path today, a `postgresql://` URL later. The command line
/// and a server are handed one provider; nothing above it names a store type.
public protocol LedgerStoreProvider: Sendable {
    /// Opens the ledger at `location`, whose projections follow `schema`; `readOnly` for commands that only read
    /// (and then nothing at the location is changed).
    func open(_ location: String, schema: ProjectionSchema, readOnly: Bool) throws(StoreError) -> any LedgerStore
    /// Creates a ledger at `location` and runs `initialize` in the transaction that creates its schema: the ledger
    /// then exists complete, or (when anything throws) not at all. Never overwrites anything.
    func create<T>(
        _ location: String, schema: ProjectionSchema, _ initialize: (any LedgerWriteTransaction) throws -> T
    ) throws -> T
    /// True when something (a ledger or not) is at `location`.
    func exists(_ location: String) -> Bool
    /// The location as it may be printed: never a password.
    func displayName(_ location: String) -> String
}

/// Which stored checkpoint a reader asks for.
public enum CheckpointChoice: Sendable, Equatable {
    /// The newest (largest) one.
    case newest
    /// The one of exactly this size.
    case size(Int64)
    /// The smallest one covering this seq (a commit group's checkpoint: what a receipt is against).
    case smallestCovering(Int64)
}

extension LedgerReader {
    /// The default: one ``streamHead(_:)`` per stream.
    public func streamHeads(_ streams: [String]) throws -> [StreamHead?] {
        try streams.map { try streamHead($0) }
    }

    /// The heads of the distinct streams among `streams`, by stream (a stream without entries is absent), asked for
    /// at once through ``streamHeads(_:)``.
    public func streamHeads(of streams: some Sequence<String>) throws -> [String: StreamHead] {
        var distinct: [String] = []
        var seen = Set<String>()
        for stream in streams where seen.insert(stream).inserted { distinct.append(stream) }
        var heads: [String: StreamHead] = [:]
        for (stream, head) in zip(distinct, try streamHeads(distinct)) { heads[stream] = head }
        return heads
    }

    /// The default: one ``subtreeHash(seq:level:)`` per subtree.
    public func subtreeHashes(_ locations: [(seq: Int64, level: Int)]) throws -> [[UInt8]] {
        try locations.map { try subtreeHash(seq: $0.seq, level: $0.level) }
    }

    /// The default: one ``record(forID:)`` per id.
    public func records(forIDs ids: [String]) throws -> [[UInt8]?] {
        try ids.map { try record(forID: $0) }
    }

    /// The default: every note read, one picked.
    public func checkpointNote(_ choice: CheckpointChoice) throws -> (size: Int64, note: String)? {
        let notes = try checkpointNotes()
        switch choice {
        case .newest: return notes.last
        case .size(let size): return notes.first { $0.size == size }
        case .smallestCovering(let seq): return notes.first { $0.size >= seq }
        }
    }

    /// The root of the tree of `size` leaves, from O(log n) stored subtree hashes.
    public func root(size: Int64) throws -> [UInt8] {
        Merkle.root(ofSubtrees: try subtreeHashes(Merkle.subtreeLocations(size: size).map { ($0.seq, $0.level) }))
    }

    /// The compact range of the tree of `size` leaves, ready to append to.
    public func accumulator(size: Int64) throws -> MerkleAccumulator {
        let hashes = try subtreeHashes(Merkle.subtreeLocations(size: size).map { ($0.seq, $0.level) })
        return MerkleAccumulator(size: size, subtrees: hashes)
    }
}
