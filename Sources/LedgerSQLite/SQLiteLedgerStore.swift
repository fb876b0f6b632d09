import Foundation
import GRDB
import GRDBSQLite
import LedgerCore
import LedgerCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// A ledger in one SQLite file (WAL journal, synchronous = FULL), shared safely by several processes.
///
/// Writes run in `BEGIN IMMEDIATE` transactions, so concurrent appenders from any process queue up on SQLite's
/// write lock and each sees the previous one's committed head: one linear chain.
public final class SQLiteLedgerStore: LedgerStore {
    /// The database schema version this code reads and writes.
    public static let schemaVersion = "2"

    private let queue: DatabaseQueue
    /// The path of the database file.
    public let path: String
    /// The projection tables the ledger's domain describes; the store derives their tables and indexes.
    public let schema: ProjectionSchema
    /// Copies the WAL into the database file off the commit path (nil when read-only).
    let checkpointer: WALCheckpointer?

    /// Whether the store was opened for reading only: `write` is refused.
    public let readOnly: Bool

    private init(
        path: String, schema: ProjectionSchema, queue: DatabaseQueue, checkpointer: WALCheckpointer?,
        readOnly: Bool = false
    ) {
        self.path = path
        self.schema = schema
        self.queue = queue
        self.checkpointer = checkpointer
        self.readOnly = readOnly
    }

    deinit { close() }

    /// Closes the connections, the writer's last, so that the ledger is one file again.
    ///
    /// The background checkpoint's connection closes first (after a checkpoint in progress), so the writer's is
    /// the last to close: SQLite then copies the WAL into the database file and removes it, and a copy of the file
    /// alone holds every committed entry. The checkpointer object, which the writer's commit hook refers to, lives
    /// as long as this store. Closing again does nothing.
    public func close() {
        checkpointer?.close()
        try? queue.close()
    }

    /// The page cache (negative: KiB): 64 MiB keeps the id and stream indexes of large ledgers in memory while
    /// appending.
    static let cacheSize = -65536
    /// The page cache while scanning the entries (SQLite's default, 2 MiB).
    static let scanCacheSize = -2048

    /// - Parameter connectionReadOnly: open the connection itself read-only (see `open`), not only `query_only`.
    private static func configuration(
        readOnly: Bool = false, connectionReadOnly: Bool = false, checkpointer: WALCheckpointer? = nil
    ) -> Configuration {
        var config = Configuration()
        // Never GRDB's WAL set-up (`journalMode = .wal`): it creates and drops a table whenever no WAL file exists,
        // which changes the database file (change counter, schema cookie, a freed page) on every open, even of a
        // command that then fails, and switches a foreign database to WAL before it is refused. A ledger is put in
        // WAL mode once, when it is created; `open` checks that it still is.
        config.journalMode = .default
        // Read-only use opens the file read-write and forbids writing with `query_only`: the connection that
        // closes last then removes the `-wal` and `-shm` files it needed, where a read-only connection leaves them
        // beside the ledger. SQLite falls back to read-only itself when the file is write-protected.
        config.readonly = connectionReadOnly
        // Writers from other processes wait for the lock rather than failing at once.
        config.busyMode = .timeout(120)
        config.prepareDatabase { db in
            if readOnly { try db.execute(sql: "PRAGMA query_only = 1") }
            // Durability: fsync the WAL at every commit, so a reported append survives power loss.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA cache_size = \(cacheSize)")
            checkpointer?.install(on: db.sqliteConnection)
        }
        return config
    }

    /// The first 100 bytes of every SQLite database file (the header), and where in it the format is stated.
    private enum Header {
        static let length = 100
        static let magic = Array("SQLite format 3\u{0}".utf8)
        /// The file format write and read versions: 2 in both means WAL mode (sqlite.org/fileformat.html §1.3.4).
        static let formatVersions = 18...19
    }

    /// Recognises a ledger file by its header alone, before SQLite opens it: an SQLite database in WAL mode.
    ///
    /// Nothing is created or changed: the header is read through the process's own descriptor of the file
    /// (``DatabaseFileDescriptors``), never one that closing would drop SQLite's locks with.
    private static func checkHeader(path: String) throws(StoreError) {
        let notALedger = StoreError(.notALedger, "\(path) is not a custody ledger (or its creation did not complete)")
        guard let descriptor = DatabaseFileDescriptors.descriptor(for: path) else {
            throw StoreError(.engine, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        var header = [UInt8](repeating: 0, count: Header.length)
        let count = header.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, Header.length, 0) }
        guard count == Header.length, header.starts(with: Header.magic) else { throw notALedger }
        guard Header.formatVersions.allSatisfy({ header[$0] == 2 }) else { throw notALedger }
    }

    /// Whether the WAL file exists and holds more than nothing (its 32-byte header alone holds no frame).
    private static func hasFrames(walPath: String) -> Bool {
        var info = stat()
        return stat(walPath, &info) == 0 && info.st_size > 32
    }

    /// True when this user may not write the file, or may not create files in its folder.
    private static func isWriteProtected(_ path: String) -> Bool {
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        return access(path, W_OK) != 0 || access(folder, W_OK) != 0
    }

    /// An SQLite URI filename (sqlite.org/uri.html) opening `path` read-only and immutable.
    static func immutableURI(_ path: String) -> String {
        var encoded = ""
        for byte in path.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"), UInt8(ascii: "/"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                encoded +=
                    "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 15, radix: 16, uppercase: true)
            }
        }
        return "file:" + encoded + "?mode=ro&immutable=1"
    }

    /// Opens an existing ledger; `readOnly` for commands that only read (an auditor's copy).
    ///
    /// A file that is not a ledger is refused before anything is written: the header is checked first, and the
    /// connection that reads the schema version writes nothing and removes the `-wal`/`-shm` files it opened.
    public static func open(path: String, schema: ProjectionSchema, readOnly: Bool = false) throws(StoreError)
        -> SQLiteLedgerStore
    {
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreError(.noLedger, "no ledger at \(path) (create one with `ledger init`, or give --ledger PATH)")
        }
        try checkHeader(path: path)
        if !readOnly && isWriteProtected(path) {
            // SQLite would open it read-only and leave -wal/-shm files beside it before the write failed.
            throw StoreError(
                .engine,
                "\(path) is write-protected (the file or its folder): commands that only read (verify, log, items, …)"
                    + " work on it, appends need a writable ledger")
        }
        var opened: DatabaseQueue?
        do {
            let checkpointer = readOnly ? nil : WALCheckpointer(path: path)
            // A WAL holding frames belongs to a writer that is running or was killed. A read-write connection that
            // closes last checkpoints it into the database file and deletes it, query_only or not, so a reader
            // that finds one opens read-only and leaves both files as they were (and the -shm it found beside them).
            let keepsWAL = readOnly && Self.hasFrames(walPath: path + "-wal")
            // A write-protected copy (this user may write neither the file nor its folder, as on a read-only
            // medium) whose WAL is checkpointed is read as immutable: SQLite reads the file alone, takes no locks
            // and creates no -wal or -shm beside it. Such a copy must not be written while it is read.
            let immutable = readOnly && !keepsWAL && Self.isWriteProtected(path)
            let queue = try DatabaseQueue(
                path: immutable ? Self.immutableURI(path) : path,
                configuration: configuration(
                    readOnly: readOnly, connectionReadOnly: keepsWAL || immutable, checkpointer: checkpointer))
            opened = queue
            let (journalMode, version) = try queue.read { db -> (String?, String?) in
                let journalMode = try String.fetchOne(db, sql: "PRAGMA journal_mode")
                guard try db.tableExists("meta") else { return (journalMode, nil) }
                return (
                    journalMode, try String.fetchOne(db, sql: "SELECT value FROM meta WHERE name = 'schema_version'")
                )
            }
            // An immutable connection reports no WAL mode; the header said so already.
            guard let version, journalMode == "wal" || immutable else {
                throw StoreError(.notALedger, "\(path) is not a custody ledger (or its creation did not complete)")
            }
            guard version == schemaVersion else {
                throw StoreError(
                    .unsupportedVersion,
                    "\(path) has database schema version \(version); this tool reads version \(schemaVersion)")
            }
            return SQLiteLedgerStore(
                path: path, schema: schema, queue: queue, checkpointer: checkpointer, readOnly: readOnly)
        } catch {
            try? opened?.close()
            if let error = error as? StoreError { throw error }
            throw StoreError(.engine, "cannot open \(path): \(SQLiteLedgerStore.describe(error))")
        }
    }

    /// Creates a new ledger file and runs `initialize` in the same transaction that creates the schema; if
    /// anything fails, the file is removed, so a ledger either exists complete or not at all.
    public static func create<T>(
        path: String, schema: ProjectionSchema, _ initialize: (any LedgerWriteTransaction) throws -> T
    ) throws -> T {
        // Claim the path atomically: of two processes creating the same ledger, one gets it, the other stops
        // here (and never deletes the winner's files).
        let descriptor = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard descriptor >= 0 else {
            if errno == EEXIST {
                throw StoreError(.alreadyExists, "\(path) already exists; a ledger is never overwritten")
            }
            throw StoreError(.engine, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        Glibc.close(descriptor)
        let queue: DatabaseQueue
        let checkpointer = WALCheckpointer(path: path)
        do { queue = try DatabaseQueue(path: path, configuration: configuration(checkpointer: checkpointer)) } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw StoreError(.engine, "cannot create \(path): \(describe(error))")
        }
        let store = SQLiteLedgerStore(path: path, schema: schema, queue: queue, checkpointer: checkpointer)
        do {
            // WAL mode is persistent: set once here, checked by `open`.
            let journalMode = try queue.inDatabase { db in try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") }
            guard journalMode == "wal" else { throw StoreError(.engine, "cannot create \(path): WAL mode unavailable") }
            return try store.write { transaction in
                guard let sqlite = transaction as? SQLiteTransaction else {
                    preconditionFailure("SQLite transaction expected")
                }
                try sqlite.createSchema()
                return try initialize(transaction)
            }
        } catch {
            try? queue.close()
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            throw error
        }
    }

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction (WAL, synchronous = FULL).
    ///
    /// Committed when it returns, rolled back when it throws; writers from any process queue on SQLite's write lock.
    /// Database errors become ``StoreError``s.
    public func write<T>(_ body: (any LedgerWriteTransaction) throws -> T) throws -> T {
        guard !readOnly else { throw StoreError(.invalidRequest, "\(path) was opened for reading only") }
        var result: T?
        do {
            try queue.inTransaction(.immediate) { db in
                result = try body(SQLiteTransaction(db: db, schema: schema))
                return .commit
            }
        } catch let error as DatabaseError {
            throw StoreError(.engine, "database error: \(SQLiteLedgerStore.describe(error))")
        }
        guard let result else { preconditionFailure("committed transaction without a result") }
        return result
    }

    /// Runs `body` in one read transaction: a WAL snapshot that appends do not change while it runs.
    public func read<T>(_ body: (any LedgerReader) throws -> T) throws -> T {
        do {
            return try queue.read { db in try body(SQLiteTransaction(db: db, schema: schema)) }
        } catch let error as DatabaseError {
            throw StoreError(.engine, "database error: \(SQLiteLedgerStore.describe(error))")
        }
    }

    /// "SQLite" and the library's version.
    public var engineDescription: String {
        let version = try? queue.read { db in try String.fetchOne(db, sql: "SELECT sqlite_version()") }
        return "SQLite \(version ?? "unknown")"
    }

    static func describe(_ error: any Error) -> String {
        guard let error = error as? DatabaseError else { return "\(error)" }
        // A full disk (ENOSPC is SQLITE_FULL; a file size limit, EFBIG, surfaces as a failed write) rolls the
        // transaction back: say so in words a user can act on.
        switch error.extendedResultCode {
        case .SQLITE_FULL:
            return "the disk is full (\(error.message ?? "SQLITE_FULL")); nothing was written"
        case .SQLITE_IOERR_WRITE, .SQLITE_IOERR_FSYNC, .SQLITE_IOERR_TRUNCATE:
            return "cannot write the database file (is the disk full, or a file size limit reached?);"
                + " nothing was written"
        default:
            return error.message ?? "\(error.resultCode)"
        }
    }
}

/// One transaction's view of the database.
///
/// Used only inside the closure it was made for, on GRDB's queue.
struct SQLiteTransaction: LedgerWriteTransaction {
    let db: Database
    let schema: ProjectionSchema

    func createSchema() throws {
        try db.execute(
            sql: """
                CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
                CREATE TABLE entries (
                    seq INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    stream TEXT NOT NULL,
                    stream_rev INTEGER NOT NULL,
                    type TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    time TEXT NOT NULL,
                    body_hash BLOB NOT NULL,
                    leaf_hash BLOB NOT NULL,
                    nodes BLOB NOT NULL,
                    record TEXT NOT NULL,
                    UNIQUE (stream, stream_rev)
                );
                CREATE INDEX entries_log_key_rotations ON entries (seq) WHERE type = 'ledger.log-key-rotated';
                CREATE TABLE keys (
                    key_id TEXT PRIMARY KEY,
                    public_key BLOB NOT NULL,
                    name TEXT NOT NULL,
                    person TEXT NOT NULL,
                    agency TEXT NOT NULL,
                    roles TEXT NOT NULL,
                    registered_seq INTEGER NOT NULL,
                    revoked_seq INTEGER,
                    compromised_since_seq INTEGER
                ) WITHOUT ROWID;
                CREATE TABLE checkpoints (size INTEGER PRIMARY KEY, note TEXT NOT NULL, created TEXT NOT NULL);
                CREATE TRIGGER entries_append_only_insert BEFORE INSERT ON entries
                    WHEN NEW.seq <> (SELECT COALESCE(MAX(seq), 0) + 1 FROM entries)
                    BEGIN SELECT RAISE(ABORT, 'ledger entries are appended in seq order'); END;
                CREATE TRIGGER entries_append_only_update BEFORE UPDATE ON entries
                    BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
                CREATE TRIGGER entries_append_only_delete BEFORE DELETE ON entries
                    BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
                CREATE TRIGGER checkpoints_append_only_update BEFORE UPDATE ON checkpoints
                    BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
                CREATE TRIGGER checkpoints_append_only_delete BEFORE DELETE ON checkpoints
                    BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
                """)
        try createProjectionTables()
        try setMeta("schema_version", SQLiteLedgerStore.schemaVersion)
        try setMeta("format", "custody-ledger/v1")
    }

    /// The read models the schema describes: `key`, the filter columns, `state`; its indexes.
    private func createProjectionTables() throws {
        try db.execute(sql: "CREATE TABLE projection_state (name TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID")
        for table in schema.tables { try createProjectionTable(table) }
        try createProjectionIndexes()
    }

    /// One read model's table, without its secondary indexes.
    ///
    /// A rowid table, its key in an index of its own: a new row goes at the end of the table, and only the small
    /// entry of the key (and of each secondary index) lands at a random place. Keyed by its random-looking key
    /// (WITHOUT ROWID), each new row of a few hundred bytes would land in a random leaf of the whole table, and a
    /// commit group of 1,000 new targets would rewrite most of the table's pages into the WAL (2.2 WAL pages per
    /// appended entry against 0.9, measured). The price: a scan in key order (`ledger verify` comparing the rows)
    /// reads the rows through the key's index, in the order they were appended: for a million rows appended in
    /// random key order it takes about half as long again as a WITHOUT ROWID scan (measured with SQLite alone:
    /// 6.8–7.9 s against 4.5–4.7 s), and about half as long once `ledger rebuild` has written them in key order
    /// (1.7–2.3 s). Ledgers made by earlier releases keep their WITHOUT ROWID tables, which the same statements read
    /// and write, until `ledger rebuild` makes them anew (as `ledger copy` makes a new ledger's).
    private func createProjectionTable(_ table: ProjectionTable) throws {
        let columns = table.columns.map { "\($0) NOT NULL" }.joined(separator: ", ")
        try db.execute(
            sql: "CREATE TABLE \(table.name) (key TEXT NOT NULL PRIMARY KEY, \(columns), state TEXT NOT NULL)")
    }

    /// The secondary indexes of the projection tables, as the schema describes them.
    private func createProjectionIndexes() throws {
        for table in schema.tables {
            for index in table.indexes {
                try db.execute(
                    sql: "CREATE \(index.unique ? "UNIQUE " : "")INDEX \(index.name) ON \(table.name) ("
                        + index.columns.joined(separator: ", ") + ")")
            }
        }
    }

    func replaceAllProjections(
        builtTo seq: Int64, _ produce: (_ write: ([ProjectionRow]) throws -> Void) throws -> Void
    ) throws {
        // Bulk load: empty tables without secondary indexes take rows in key order fastest; the indexes are
        // built afterwards by sorting, in the same transaction. The tables are made anew (a ledger of an earlier
        // release gets this release's tables), which drops their rows and indexes at once.
        try db.execute(sql: "DELETE FROM projection_state")
        for table in schema.tables {
            try db.execute(sql: "DROP TABLE \(table.name)")
            try createProjectionTable(table)
        }
        var statements: [ProjectionTable: RawStatement] = [:]
        try produce { rows in try insertProjectionRows(rows, statements: &statements) }
        try recordProjectionState(builtTo: seq)
        try createProjectionIndexes()
    }

    // MARK: LedgerReader

    func entryCount() throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM entries") ?? 0
    }

    func meta(_ name: String) throws -> String? {
        try String.fetchOne(db, sql: "SELECT value FROM meta WHERE name = ?", arguments: [name])
    }

    func forEachRecord(_ filter: RecordFilter, _ visit: (StoredRecord) throws -> Bool) throws {
        var sql = """
            SELECT seq, record, leaf_hash, nodes, id, stream, stream_rev, type, actor, time, body_hash
            FROM entries WHERE seq >= ?
            """
        var arguments: StatementArguments = [filter.from]
        if let to = filter.to {
            sql += " AND seq <= ?"
            arguments += [to]
        }
        if let stream = filter.stream {
            sql += " AND stream = ?"
            arguments += [stream]
        }
        if let literal = filter.typeLiteral {
            sql += " AND type = \(literal)"
        } else if let type = filter.type {
            sql += " AND type = ?"
            arguments += [type]
        }
        sql += " ORDER BY seq"
        // A few records (a proof's, a stream's) are read with the large cache, which keeps the tree's pages.
        let span = filter.to.map { $0.subtractingReportingOverflow(filter.from) }
        let isScan =
            filter.stream == nil && filter.type == nil
            && (span.map { $0.overflow || $0.partialValue >= Self.scanThreshold } ?? true)
        guard isScan else {
            try forEachRecord(sql: sql, arguments: arguments, withStoredState: filter.withStoredState, visit)
            return
        }
        // The kernel reads the file ahead of the scan's position, estimated from the seq.
        let readAhead = db.sqliteConnection.flatMap { ReadAhead(connection: $0) }
        let first = max(filter.from, 1)
        let last = try filter.to ?? entryCount()
        let length = Double(max(last - first, 1))
        var read = 0
        try withScanCache {
            try forEachRecord(sql: sql, arguments: arguments, withStoredState: filter.withStoredState) { stored in
                read += 1
                if read % 1024 == 0 { readAhead?.advance(to: Double(stored.seq - first) / length) }
                return try visit(stored)
            }
        }
    }

    /// From how many entries a read counts as a scan of the log.
    private static let scanThreshold: Int64 = 4096

    /// Runs a scan of the entries with SQLite's default 2 MiB page cache instead of the 64 MiB one, restored after.
    ///
    /// A scan reads each page once: in a large cache every page read is a fresh allocation (a page fault, a cold
    /// line), while a small one recycles a few pages that stay in the CPU's caches. `ledger rebuild` replays about
    /// 15% faster this way, and its resident memory drops by the 60 MiB the scan no longer fills. Dirty pages of an
    /// open write transaction are not lost: SQLite spills them to the WAL if the smaller cache cannot hold them.
    private func withScanCache(_ scan: () throws -> Void) throws {
        let size = try Int.fetchOne(db, sql: "PRAGMA cache_size") ?? SQLiteLedgerStore.cacheSize
        try db.execute(sql: "PRAGMA cache_size = \(SQLiteLedgerStore.scanCacheSize)")
        defer { try? db.execute(sql: "PRAGMA cache_size = \(size)") }
        try scan()
    }

    private func forEachRecord(
        sql: String, arguments: StatementArguments, withStoredState: Bool, _ visit: (StoredRecord) throws -> Bool
    ) throws {
        if !withStoredState {
            let recordsOnly = sql.replacingOccurrences(
                of: "seq, record, leaf_hash, nodes, id, stream, stream_rev, type, actor, time, body_hash",
                with: "seq, record")
            try forEachRecordOnly(sql: recordsOnly, arguments: arguments, visit)
            return
        }
        // Stepped through the SQLite C API: no boxed values; the actor, the same in long runs, is shared.
        var actor = ""
        try step(sql: sql, arguments: arguments) { row in
            let seq = try row.int64(0, "seq")
            let actorBytes = try row.text(8, "actor")
            if !actorBytes.elementsEqual(actor.utf8) { actor = String(decoding: actorBytes, as: UTF8.self) }
            let columns = StoredColumns(
                seq: seq, id: try row.string(4, "id"), stream: try row.string(5, "stream"),
                streamRev: try row.int64(6, "stream_rev"), type: try row.string(7, "type"), actor: actor,
                time: try row.string(9, "time"), bodyHash: Hex.encode(try row.bytes(10, "body_hash")))
            let stored = StoredRecord(
                seq: seq, record: try row.bytes(1, "record of seq \(seq)"),
                leafHash: try row.bytes(2, "leaf_hash of seq \(seq)"),
                nodes: try row.bytes(3, "nodes"), columns: columns)
            return try visit(stored)
        }
    }

    /// Steps through the rows of `sql` with the SQLite C API until `visit` returns false.
    private func step(sql: String, arguments: StatementArguments, _ visit: (RawRow) throws -> Bool) throws {
        let statement = try db.makeStatement(sql: sql)
        try statement.setArguments(arguments)
        let raw = statement.sqliteStatement
        defer { sqlite3_reset(raw) }
        try RawRow.step(raw, connection: db.sqliteConnection, failing: "reading records failed", visit)
    }

    /// Records only: one copy per record (replays read every record of the ledger this way).
    private func forEachRecordOnly(
        sql: String, arguments: StatementArguments, _ visit: (StoredRecord) throws -> Bool
    ) throws {
        try step(sql: sql, arguments: arguments) { row in
            let seq = try row.int64(0, "seq")
            return try visit(
                StoredRecord(seq: seq, record: try row.bytes(1, "record of seq \(seq)"), leafHash: [], nodes: []))
        }
    }

    func subtreeHash(seq: Int64, level: Int) throws -> [UInt8] {
        guard
            let row = try Row.fetchOne(db, sql: "SELECT leaf_hash, nodes FROM entries WHERE seq = ?", arguments: [seq])
        else { throw StoreError(.damaged, "entry \(seq) is missing from the database") }
        if level == 0 { return try Column.bytes(row, 0, "leaf_hash") }
        let nodes = try Column.bytes(row, 1, "nodes")
        guard nodes.count >= level * 32 else {
            throw StoreError(.damaged, "the stored Merkle nodes of entry \(seq) are incomplete")
        }
        return Array(nodes[((level - 1) * 32)..<(level * 32)])
    }

    func checkpointNotes() throws -> [(size: Int64, note: String)] {
        let notes = try Row.fetchAll(db, sql: "SELECT size, note FROM checkpoints ORDER BY size").map {
            (size: try Column.int64($0, 0, "checkpoint size"), note: try Column.string($0, 1, "checkpoint note"))
        }
        guard try db.tableExists("cosignatures") else { return notes }
        var lines: [Int64: String] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT size, line FROM cosignatures ORDER BY rowid") {
            lines[try Column.int64(row, 0, "cosignature size"), default: ""] += try Column.string(row, 1, "cosignature")
        }
        return notes.map { ($0.size, $0.note + (lines[$0.size] ?? "")) }
    }

    func checkpointNote(_ choice: CheckpointChoice) throws -> (size: Int64, note: String)? {
        let row: Row? =
            switch choice {
            case .newest: try Row.fetchOne(db, sql: "SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1")
            case .size(let size):
                try Row.fetchOne(db, sql: "SELECT size, note FROM checkpoints WHERE size = ?", arguments: [size])
            case .smallestCovering(let seq):
                try Row.fetchOne(
                    db, sql: "SELECT size, note FROM checkpoints WHERE size >= ? ORDER BY size LIMIT 1",
                    arguments: [seq])
            }
        guard let row else { return nil }
        let size = try Column.int64(row, 0, "checkpoint size")
        var note = try Column.string(row, 1, "checkpoint note")
        if try db.tableExists("cosignatures") {
            for line in try Row.fetchAll(
                db, sql: "SELECT line FROM cosignatures WHERE size = ? ORDER BY rowid", arguments: [size])
            {
                note += try Column.string(line, 0, "cosignature")
            }
        }
        return (size, note)
    }

    func timestampResponses() throws -> [(size: Int64, response: [UInt8])] {
        guard try db.tableExists("timestamps") else { return [] }
        return try Row.fetchAll(db, sql: "SELECT size, response FROM timestamps ORDER BY size, rowid").map {
            (try Column.int64($0, 0, "timestamp size"), try Column.bytes($0, 1, "timestamp response"))
        }
    }

    func insertTimestamp(size: Int64, response: [UInt8], at time: String) throws -> Bool {
        // Created on first use, like cosignatures.
        try db.execute(
            sql: """
                CREATE TABLE IF NOT EXISTS timestamps (
                    size INTEGER NOT NULL, response BLOB NOT NULL, added TEXT NOT NULL, UNIQUE (size, response));
                CREATE TRIGGER IF NOT EXISTS timestamps_append_only_update BEFORE UPDATE ON timestamps
                    BEGIN SELECT RAISE(ABORT, 'timestamps are append-only'); END;
                CREATE TRIGGER IF NOT EXISTS timestamps_append_only_delete BEFORE DELETE ON timestamps
                    BEGIN SELECT RAISE(ABORT, 'timestamps are append-only'); END;
                """)
        if try Int64.fetchOne(
            db, sql: "SELECT size FROM timestamps WHERE size = ? AND response = ?", arguments: [size, Data(response)])
            != nil
        {
            return false
        }
        try db.execute(
            sql: "INSERT INTO timestamps (size, response, added) VALUES (?, ?, ?)",
            arguments: [size, Data(response), time])
        return true
    }

    func insertCosignature(size: Int64, line: String, at time: String) throws -> Bool {
        // Created on first use, so ledgers made before cosignatures existed need no migration.
        try db.execute(
            sql: """
                CREATE TABLE IF NOT EXISTS cosignatures (
                    size INTEGER NOT NULL, line TEXT NOT NULL, added TEXT NOT NULL, UNIQUE (size, line));
                CREATE TRIGGER IF NOT EXISTS cosignatures_append_only_update BEFORE UPDATE ON cosignatures
                    BEGIN SELECT RAISE(ABORT, 'cosignatures are append-only'); END;
                CREATE TRIGGER IF NOT EXISTS cosignatures_append_only_delete BEFORE DELETE ON cosignatures
                    BEGIN SELECT RAISE(ABORT, 'cosignatures are append-only'); END;
                """)
        if try Int64.fetchOne(
            db, sql: "SELECT size FROM cosignatures WHERE size = ? AND line = ?", arguments: [size, line]) != nil
        {
            return false
        }
        try db.execute(
            sql: "INSERT INTO cosignatures (size, line, added) VALUES (?, ?, ?)",
            arguments: [size, line, time])
        return true
    }

    func allKeys() throws -> [KeyState] {
        try Row.fetchAll(db, sql: "SELECT * FROM keys ORDER BY registered_seq").map(keyState)
    }

    func key(_ keyID: String) throws -> KeyState? {
        try Row.fetchOne(db, sql: "SELECT * FROM keys WHERE key_id = ?", arguments: [keyID]).map(keyState)
    }

    func activeAdminCount() throws -> Int {
        try allKeys().filter { $0.revokedSeq == nil && $0.hasRole(Roles.admin) }.count
    }

    private func keyState(_ row: Row) throws -> KeyState {
        let raw = try Column.bytes(row, 1, "keys.public_key")
        let publicKey: Ed25519PublicKey
        do { publicKey = try Ed25519PublicKey(raw: raw) } catch {
            throw StoreError(.damaged, "the keys table holds an invalid public key: \(error)")
        }
        return KeyState(
            keyID: try Column.string(row, 0, "keys.key_id"), publicKey: publicKey,
            name: try Column.string(row, 2, "keys.name"), person: try Column.string(row, 3, "keys.person"),
            agency: try Column.string(row, 4, "keys.agency"),
            roles: try Column.string(row, 5, "keys.roles").split(separator: " ").map(String.init),
            registeredSeq: try Column.int64(row, 6, "keys.registered_seq"),
            revokedSeq: try Column.optionalInt64(row, 7, "keys.revoked_seq"),
            compromisedSinceSeq: try Column.optionalInt64(row, 8, "keys.compromised_since_seq"))
    }

    /// The last revision and body hash of a stream, taken from its newest record (not from derived columns, so a
    /// hand-edited column cannot make an append chain onto the wrong hash).
    ///
    /// Appends ask this for every entry, so it reads the canonical record's bytes without parsing it as JSON
    /// (``Entry/canonicalBodyFacts(_:)``), and cross-checks them with the stored columns.
    func streamHead(_ stream: String) throws -> StreamHead? { try streamHeads([stream])[0] }

    /// Each stream's head, as ``streamHead(_:)``, through one prepared statement stepped with the C API (an import
    /// asks for thousands at once).
    func streamHeads(_ streams: [String]) throws -> [StreamHead?] {
        let statement = try RawStatement(
            db,
            "SELECT seq, record, stream_rev, body_hash FROM entries WHERE stream = ? ORDER BY stream_rev DESC LIMIT 1")
        return try streams.map { stream in
            statement.bind(1, stream)
            return try statement.firstRow { row in
                let seq = try row.int64(0, "seq")
                let record = try row.bytes(1, "record of seq \(seq)")
                guard let facts = Entry.canonicalBodyFacts(record), facts.streamRev == (try row.int64(2, "stream_rev")),
                    facts.bodyHash == (try row.bytes(3, "body_hash of seq \(seq)"))
                else {
                    throw StoreError(
                        .damaged, "the stored record or columns of seq \(seq) are damaged; run `ledger verify`")
                }
                return StreamHead(rev: facts.streamRev, link: Hex.encode(facts.link), time: facts.time)
            }
        }
    }

    /// The newest entry, read from its record.
    func head() throws -> LedgerHead? {
        guard let row = try Row.fetchOne(db, sql: "SELECT seq, record FROM entries ORDER BY seq DESC LIMIT 1")
        else { return nil }
        let entry = try parsedRecord(row)
        return LedgerHead(seq: entry.body.seq, bodyHash: entry.bodyHashHex, time: entry.body.time)
    }

    private func parsedRecord(_ row: Row) throws -> Entry {
        try parsedRecord(seq: try Column.int64(row, 0, "seq"), try Column.bytes(row, 1, "record"))
    }

    /// The record stored at `seq`, parsed and checked against it.
    private func parsedRecord(seq: Int64, _ record: [UInt8]) throws -> Entry {
        let entry: Entry
        do { entry = try Entry.parse(record: record) } catch {
            throw StoreError(.damaged, "the stored record of seq \(seq) is unreadable (\(error)); run `ledger verify`")
        }
        guard entry.body.seq == seq else {
            throw StoreError(.damaged, "the stored seq \(seq) does not match its record; run `ledger verify`")
        }
        return entry
    }

    func projectionState(_ table: ProjectionTable, key: String) throws -> String? {
        try projectionStates(table, keys: [key])[0]
    }

    /// Each key's state, through one prepared statement stepped with the C API (the custody fold asks for a commit
    /// group's rows at once).
    func projectionStates(_ table: ProjectionTable, keys: [String]) throws -> [String?] {
        try checkColumns(table, [])
        let statement = try RawStatement(db, "SELECT state FROM \(table.name) WHERE key = ?")
        return try keys.map { key in
            statement.bind(1, key)
            return try statement.firstRow { row in try row.string(0, "\(table.name).state") }
        }
    }

    func firstProjectionKey(_ table: ProjectionTable, where filters: [(column: String, value: String)]) throws
        -> String?
    {
        try firstProjectionKeys(table, columns: filters.map(\.column), values: [filters.map(\.value)])[0]
    }

    /// For each list of values, the first key (by key) of a row whose filter columns equal them, through one
    /// prepared statement stepped with the C API (an import looks up every row's target at once).
    func firstProjectionKeys(_ table: ProjectionTable, columns: [String], values: [[String]]) throws -> [String?] {
        let filters = columns.map { (column: $0, value: "") }
        try checkColumns(table, filters)
        let statement = try RawStatement(
            db, "SELECT key FROM \(table.name)" + whereClause(filters) + " ORDER BY key LIMIT 1")
        return try values.map { row in
            guard row.count == columns.count else {
                throw StoreError(.invalidRequest, "\(row.count) value(s) for \(columns.count) column(s)")
            }
            for (offset, value) in row.enumerated() { statement.bind(Int32(offset + 1), value) }
            return try statement.firstRow { found in try found.string(0, "\(table.name).key") }
        }
    }

    /// Filter columns are names from the schema, never from input: anything else is refused.
    private func checkColumns(_ table: ProjectionTable, _ filters: [(column: String, value: String)]) throws {
        try schema.check(table, filters: filters)
    }

    private func whereClause(_ filters: [(column: String, value: String)]) -> String {
        filters.isEmpty ? "" : " WHERE " + filters.map { "\($0.column) = ?" }.joined(separator: " AND ")
    }

    func forEachProjectionRow(
        _ table: ProjectionTable, where filters: [(column: String, value: String)],
        _ visit: (ProjectionRow) throws -> Bool
    ) throws {
        try checkColumns(table, filters)
        let sql =
            "SELECT key, \(table.columns.joined(separator: ", ")), state FROM \(table.name)" + whereClause(filters)
            + " ORDER BY key"
        let rows = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments(filters.map(\.value)))
        while let row = try rows.next() {
            var columns: [JSONValue] = []
            for index in table.columns.indices {
                let value = row[index + 1] as DatabaseValue
                switch value.storage {
                case .int64(let number): columns.append(.integer(number))
                case .string(let text): columns.append(.string(text))
                default: columns.append(.null)
                }
            }
            let projected = ProjectionRow(
                table: table, key: try Column.string(row, 0, "\(table.name).key"), columns: columns,
                state: try Column.string(row, table.columns.count + 1, "\(table.name).state"))
            guard try visit(projected) else { return }
        }
    }

    /// The lowest seq any projection table is built to (0 when one was never built).
    func projectionSeq() throws -> Int64 {
        var lowest: Int64?
        for table in schema.tables {
            let statement = try db.cachedStatement(sql: "SELECT seq FROM projection_state WHERE name = ?")
            guard let row = try Row.fetchOne(statement, arguments: [table.name]) else { return 0 }
            let seq = try Column.int64(row, 0, "projection_state.seq")
            lowest = min(lowest ?? seq, seq)
        }
        return lowest ?? 0
    }

    // MARK: LedgerWriteTransaction

    func writeProjectionRows(_ rows: [ProjectionRow], builtTo seq: Int64) throws {
        var statements: [ProjectionTable: RawStatement] = [:]
        try insertProjectionRows(rows, statements: &statements)
        try recordProjectionState(builtTo: seq)
    }

    /// Inserts or replaces rows, preparing one statement per table in `statements`.
    private func insertProjectionRows(_ rows: [ProjectionRow], statements: inout [ProjectionTable: RawStatement])
        throws
    {
        for row in rows {
            let statement: RawStatement
            if let known = statements[row.table] {
                statement = known
            } else {
                // An upsert by key: a row that takes another key's values in a unique index is refused (a
                // constraint error), never silently deleting that other row as INSERT OR REPLACE would.
                let names = ["key"] + row.table.columns + ["state"]
                let updates = names.dropFirst().map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
                statement = try RawStatement(
                    db,
                    "INSERT INTO \(row.table.name) (\(names.joined(separator: ", "))) VALUES ("
                        + Array(repeating: "?", count: names.count).joined(separator: ", ")
                        + ") ON CONFLICT(key) DO UPDATE SET \(updates)")
                statements[row.table] = statement
            }
            statement.bind(1, row.key)
            for (offset, column) in row.columns.enumerated() {
                let index = Int32(offset + 2)
                switch column {
                case .integer(let number): statement.bind(index, number)
                case .string(let text): statement.bind(index, text)
                default: statement.bindNull(index)
                }
            }
            statement.bind(Int32(row.columns.count + 2), row.state)
            try statement.run()
        }
    }

    /// Every table remembers the seq it is built to; an append brings them all to its last seq.
    private func recordProjectionState(builtTo seq: Int64) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO projection_state (name, seq) VALUES (?, ?)
                ON CONFLICT(name) DO UPDATE SET seq = excluded.seq
                """)
        for table in schema.tables { try statement.execute(arguments: [table.name, seq]) }
    }

    func clearProjections() throws {
        // DELETE without WHERE truncates a table and its indexes at once, and (unlike DROP INDEX) may run while a
        // read of the entries is in progress on this connection.
        for table in schema.tables { try db.execute(sql: "DELETE FROM \(table.name)") }
        try db.execute(sql: "DELETE FROM projection_state")
    }

    func record(forID id: String) throws -> [UInt8]? { try records(forIDs: [id])[0] }

    /// Each id's record, checked against its seq and id columns, through one prepared statement stepped with the C
    /// API (a commit group looks up every statement's id).
    func records(forIDs ids: [String]) throws -> [[UInt8]?] {
        let statement = try RawStatement(db, "SELECT seq, record FROM entries WHERE id = ?")
        return try ids.map { id in
            statement.bind(1, id)
            return try statement.firstRow { row in
                let seq = try row.int64(0, "seq")
                let entry = try parsedRecord(seq: seq, try row.bytes(1, "record of seq \(seq)"))
                guard entry.body.id.hasSameBytes(as: id) else {
                    throw StoreError(
                        .damaged, "the stored id column of seq \(seq) does not match its record; run `ledger verify`")
                }
                return entry.record
            }
        }
    }

    func insert(_ entry: Entry, leafHash: [UInt8], nodes: [[UInt8]]) throws {
        let body = entry.body
        // A cached prepared statement, bound through the C API: appends insert thousands of rows per transaction.
        let statement = try RawStatement(
            db,
            """
            INSERT INTO entries (seq, id, stream, stream_rev, type, actor, time, body_hash, leaf_hash, nodes, record)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        statement.bind(1, body.seq)
        statement.bind(2, body.id)
        statement.bind(3, body.stream)
        statement.bind(4, body.streamRev)
        statement.bind(5, body.type)
        statement.bind(6, body.actor)
        statement.bind(7, body.time)
        statement.bind(8, blob: entry.bodyHash)
        statement.bind(9, blob: leafHash)
        statement.bind(10, blob: Array(nodes.joined()))
        statement.bind(11, text: entry.record)
        try statement.run()
    }

    func apply(_ effect: RuleEffect) throws {
        switch effect {
        case .none, .ledgerCreated, .logKeyRotated: break
        case .keyRegistered(let key):
            try db.execute(
                sql: """
                    INSERT INTO keys (key_id, public_key, name, person, agency, roles, registered_seq)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    key.keyID, Data(key.publicKey.raw), key.name, key.person, key.agency,
                    key.roles.joined(separator: " "), key.registeredSeq,
                ])
        case .keyRevoked(let keyID, let seq, let compromisedSince):
            try db.execute(
                sql: "UPDATE keys SET revoked_seq = ?, compromised_since_seq = ? WHERE key_id = ?",
                arguments: [seq, compromisedSince, keyID])
        }
    }

    func insertCheckpoint(size: Int64, note: String, at time: String) throws -> Bool {
        if try Int64.fetchOne(db, sql: "SELECT size FROM checkpoints WHERE size = ?", arguments: [size]) != nil {
            return false
        }
        try db.execute(
            sql: "INSERT INTO checkpoints (size, note, created) VALUES (?, ?, ?)",
            arguments: [size, note, time])
        return true
    }

    func setMeta(_ name: String, _ value: String) throws {
        try db.execute(
            sql: "INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            arguments: [name, value])
    }
}

/// A cached prepared statement bound and stepped through the SQLite C API, without boxing each value (the hot
/// inserts of appends and rebuilds).
struct RawStatement {
    private let raw: SQLiteStatement
    private let connection: SQLiteConnection?
    /// SQLite copies bound values before `sqlite3_bind_*` returns.
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

    init(_ db: Database, _ sql: String) throws {
        raw = try db.cachedStatement(sql: sql).sqliteStatement
        connection = db.sqliteConnection
    }

    func bind(_ index: Int32, _ value: Int64) { sqlite3_bind_int64(raw, index, value) }
    func bindNull(_ index: Int32) { sqlite3_bind_null(raw, index) }

    func bind(_ index: Int32, _ value: String) {
        var text = value
        text.withUTF8 { bind(index, text: UnsafeRawBufferPointer($0)) }
    }

    /// Binds UTF-8 bytes as text.
    func bind(_ index: Int32, text bytes: [UInt8]) {
        bytes.withUnsafeBytes { bind(index, text: $0) }
    }

    private func bind(_ index: Int32, text bytes: UnsafeRawBufferPointer) {
        // A nil pointer would bind NULL: an empty text is bound from a static empty string.
        guard let base = bytes.baseAddress, !bytes.isEmpty else {
            sqlite3_bind_text(raw, index, "", 0, Self.transient)
            return
        }
        sqlite3_bind_text(raw, index, base.assumingMemoryBound(to: CChar.self), Int32(bytes.count), Self.transient)
    }

    func bind(_ index: Int32, blob bytes: [UInt8]) {
        // A nil pointer would bind NULL: an empty blob is a zero-length blob.
        guard !bytes.isEmpty else {
            sqlite3_bind_zeroblob(raw, index, 0)
            return
        }
        _ = bytes.withUnsafeBytes { sqlite3_bind_blob(raw, index, $0.baseAddress, Int32($0.count), Self.transient) }
    }

    /// Steps through the bound statement's rows until `visit` returns false, then makes it ready for the next
    /// binding.
    func rows(_ visit: (RawRow) throws -> Bool) throws {
        defer {
            sqlite3_reset(raw)
            sqlite3_clear_bindings(raw)
        }
        try RawRow.step(raw, connection: connection, failing: "database error", visit)
    }

    /// What `read` makes of the bound statement's first row, or nil when it has none.
    func firstRow<T>(_ read: (RawRow) throws -> T) throws -> T? {
        var value: T?
        try rows { row in
            value = try read(row)
            return false
        }
        return value
    }

    /// Executes the statement and makes it ready for the next binding.
    func run() throws {
        let code = sqlite3_step(raw)
        sqlite3_reset(raw)
        sqlite3_clear_bindings(raw)
        guard code == SQLITE_DONE else {
            throw StoreError(.engine, "database error: \(String(cString: sqlite3_errmsg(connection)))")
        }
    }
}

/// Reading columns without trusting their types: a hand-edited database must produce an error, never a crash.
enum Column {
    static func int64(_ row: Row, _ index: Int, _ name: String) throws -> Int64 {
        guard let value = Int64.fromDatabaseValue(row[index] as DatabaseValue) else {
            throw StoreError(.damaged, "the stored \(name) is not an integer; run `ledger verify`")
        }
        return value
    }

    static func optionalInt64(_ row: Row, _ index: Int, _ name: String) throws -> Int64? {
        let value = row[index] as DatabaseValue
        if value.isNull { return nil }
        return try int64(row, index, name)
    }

    static func string(_ row: Row, _ index: Int, _ name: String) throws -> String {
        guard let value = String.fromDatabaseValue(row[index] as DatabaseValue) else {
            throw StoreError(.damaged, "the stored \(name) is not text; run `ledger verify`")
        }
        return value
    }

    static func bytes(_ row: Row, _ index: Int, _ name: String) throws -> [UInt8] {
        guard let data = try row.withUnsafeData(atIndex: index, { $0.map { [UInt8]($0) } }) else {
            throw StoreError(.damaged, "the stored \(name) is missing; run `ledger verify`")
        }
        return data
    }
}

/// The current row of a stepped statement, read through the SQLite C API with the type checks of ``Column``.
struct RawRow {
    let statement: OpaquePointer

    /// Steps `statement` until `visit` returns false or the rows end; a failed step is an engine error whose text
    /// begins with `failing`.
    static func step(
        _ statement: OpaquePointer, connection: OpaquePointer?, failing: String, _ visit: (RawRow) throws -> Bool
    ) throws {
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else {
                throw StoreError(.engine, "\(failing): \(String(cString: sqlite3_errmsg(connection)))")
            }
            guard try visit(RawRow(statement: statement)) else { return }
        }
    }

    func int64(_ index: Int32, _ name: @autoclosure () -> String) throws -> Int64 {
        guard sqlite3_column_type(statement, index) == SQLITE_INTEGER else {
            throw StoreError(.damaged, "the stored \(name()) is not an integer; run `ledger verify`")
        }
        return sqlite3_column_int64(statement, index)
    }

    /// The UTF-8 bytes of a text column, valid until the next step.
    func text(_ index: Int32, _ name: @autoclosure () -> String) throws -> UnsafeBufferPointer<UInt8> {
        guard sqlite3_column_type(statement, index) == SQLITE_TEXT else {
            throw StoreError(.damaged, "the stored \(name()) is not text; run `ledger verify`")
        }
        // The pointer first, then the size (SQLite's advice).
        guard let bytes = sqlite3_column_text(statement, index) else {
            return UnsafeBufferPointer(start: nil, count: 0)
        }
        return UnsafeBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(statement, index)))
    }

    func string(_ index: Int32, _ name: @autoclosure () -> String) throws -> String {
        String(decoding: try text(index, name()), as: UTF8.self)
    }

    /// A blob or text column's bytes.
    func bytes(_ index: Int32, _ name: @autoclosure () -> String) throws -> [UInt8] {
        guard sqlite3_column_type(statement, index) != SQLITE_NULL else {
            throw StoreError(.damaged, "the stored \(name()) is missing; run `ledger verify`")
        }
        guard let bytes = sqlite3_column_blob(statement, index) else { return [] }
        return [UInt8](UnsafeRawBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(statement, index))))
    }
}
