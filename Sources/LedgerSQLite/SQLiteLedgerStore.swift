import Foundation
import GRDB
import LedgerCore
import LedgerCrypto

/// A store error: no ledger at the path, not a ledger, or a database failure, in words.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// A ledger in one SQLite file (WAL journal, synchronous = FULL), shared safely by several processes.
///
/// Writes run in `BEGIN IMMEDIATE` transactions, so concurrent appenders from any process queue up on SQLite's
/// write lock and each sees the previous one's committed head: one linear chain.
public final class SQLiteLedgerStore: LedgerStore {
    /// The database schema version this code reads and writes.
    public static let schemaVersion = "1"

    private let queue: DatabaseQueue
    /// The path of the database file.
    public let path: String

    private init(path: String, queue: DatabaseQueue) {
        self.path = path
        self.queue = queue
    }

    private static func configuration() -> Configuration {
        var config = Configuration()
        config.journalMode = .wal
        // Writers from other processes wait for the lock rather than failing at once.
        config.busyMode = .timeout(120)
        config.prepareDatabase { db in
            // Durability: fsync the WAL at every commit, so a reported append survives power loss.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // A 64 MiB page cache keeps the id and stream indexes of large ledgers in memory while appending.
            try db.execute(sql: "PRAGMA cache_size = -65536")
        }
        return config
    }

    /// Opens an existing ledger.
    public static func open(path: String) throws(StoreError) -> SQLiteLedgerStore {
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreError("no ledger at \(path) (create one with `ledger init`, or give --ledger PATH)")
        }
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration())
            let version = try queue.read { db -> String? in
                guard try db.tableExists("meta") else { return nil }
                return try String.fetchOne(db, sql: "SELECT value FROM meta WHERE name = 'schema_version'")
            }
            guard let version else {
                throw StoreError("\(path) is not a custody ledger (or its creation did not complete)")
            }
            guard version == schemaVersion else {
                throw StoreError(
                    "\(path) has database schema version \(version); this tool reads version \(schemaVersion)")
            }
            return SQLiteLedgerStore(path: path, queue: queue)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError("cannot open \(path): \(SQLiteLedgerStore.describe(error))")
        }
    }

    /// Creates a new ledger file and runs `initialize` in the same transaction that creates the schema; if
    /// anything fails, the file is removed, so a ledger either exists complete or not at all.
    public static func create<T>(path: String, _ initialize: (any LedgerWriteTransaction) throws -> T) throws -> T {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw StoreError("\(path) already exists; a ledger is never overwritten")
        }
        let queue: DatabaseQueue
        do { queue = try DatabaseQueue(path: path, configuration: configuration()) } catch {
            throw StoreError("cannot create \(path): \(describe(error))")
        }
        let store = SQLiteLedgerStore(path: path, queue: queue)
        do {
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

    public func write<T>(_ body: (any LedgerWriteTransaction) throws -> T) throws -> T {
        var result: T?
        do {
            try queue.inTransaction(.immediate) { db in
                result = try body(SQLiteTransaction(db: db))
                return .commit
            }
        } catch let error as DatabaseError {
            throw StoreError("database error: \(SQLiteLedgerStore.describe(error))")
        }
        guard let result else { preconditionFailure("committed transaction without a result") }
        return result
    }

    public func read<T>(_ body: (any LedgerReader) throws -> T) throws -> T {
        do {
            return try queue.read { db in try body(SQLiteTransaction(db: db)) }
        } catch let error as DatabaseError {
            throw StoreError("database error: \(SQLiteLedgerStore.describe(error))")
        }
    }

    public var engineDescription: String {
        let version = try? queue.read { db in try String.fetchOne(db, sql: "SELECT sqlite_version()") }
        return "SQLite \(version ?? "unknown")"
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError {
            return error.message ?? "\(error.resultCode)"
        }
        return "\(error)"
    }
}

/// One transaction's view of the database.
///
/// Used only inside the closure it was made for, on GRDB's queue.
struct SQLiteTransaction: LedgerWriteTransaction {
    let db: Database

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
                CREATE TRIGGER entries_append_only_update BEFORE UPDATE ON entries
                    BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
                CREATE TRIGGER entries_append_only_delete BEFORE DELETE ON entries
                    BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
                CREATE TRIGGER checkpoints_append_only_update BEFORE UPDATE ON checkpoints
                    BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
                CREATE TRIGGER checkpoints_append_only_delete BEFORE DELETE ON checkpoints
                    BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
                """)
        try setMeta("schema_version", SQLiteLedgerStore.schemaVersion)
        try setMeta("format", "custody-ledger/v1")
    }

    // MARK: LedgerReader

    func entryCount() throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM entries") ?? 0
    }

    func meta(_ name: String) throws -> String? {
        try String.fetchOne(db, sql: "SELECT value FROM meta WHERE name = ?", arguments: [name])
    }

    func forEachRecord(_ filter: RecordFilter, _ visit: (StoredRecord) throws -> Bool) throws {
        var sql = "SELECT seq, record, leaf_hash, nodes FROM entries WHERE seq >= ?"
        var arguments: StatementArguments = [filter.from]
        if let to = filter.to {
            sql += " AND seq <= ?"
            arguments += [to]
        }
        if let stream = filter.stream {
            sql += " AND stream = ?"
            arguments += [stream]
        }
        sql += " ORDER BY seq"
        let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
        while let row = try rows.next() {
            let record = try row.withUnsafeData(atIndex: 1) { [UInt8]($0 ?? Data()) }
            let leaf = try row.withUnsafeData(atIndex: 2) { [UInt8]($0 ?? Data()) }
            let nodes = try row.withUnsafeData(atIndex: 3) { [UInt8]($0 ?? Data()) }
            let stored = StoredRecord(seq: row[0], record: record, leafHash: leaf, nodes: nodes)
            guard try visit(stored) else { return }
        }
    }

    func subtreeHash(seq: Int64, level: Int) throws -> [UInt8] {
        guard
            let row = try Row.fetchOne(db, sql: "SELECT leaf_hash, nodes FROM entries WHERE seq = ?", arguments: [seq])
        else { throw StoreError("entry \(seq) is missing from the database") }
        if level == 0 { return [UInt8](row[0] as Data) }
        let nodes = [UInt8](row[1] as Data)
        guard nodes.count >= level * 32 else {
            throw StoreError("the stored Merkle nodes of entry \(seq) are incomplete")
        }
        return Array(nodes[((level - 1) * 32)..<(level * 32)])
    }

    func checkpointNotes() throws -> [(size: Int64, note: String)] {
        try Row.fetchAll(db, sql: "SELECT size, note FROM checkpoints ORDER BY size").map { ($0[0], $0[1]) }
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
        let raw = [UInt8](row["public_key"] as Data)
        let roles = (row["roles"] as String).split(separator: " ").map(String.init)
        return KeyState(
            keyID: row["key_id"], publicKey: try Ed25519PublicKey(raw: raw), name: row["name"], person: row["person"],
            agency: row["agency"], roles: roles, registeredSeq: row["registered_seq"], revokedSeq: row["revoked_seq"],
            compromisedSinceSeq: row["compromised_since_seq"])
    }

    func streamHead(_ stream: String) throws -> (rev: Int64, bodyHash: String)? {
        guard
            let row = try Row.fetchOne(
                db, sql: "SELECT stream_rev, body_hash FROM entries WHERE stream = ? ORDER BY stream_rev DESC LIMIT 1",
                arguments: [stream])
        else { return nil }
        return (row[0], Hex.encode([UInt8](row[1] as Data)))
    }

    func head() throws -> LedgerHead? {
        guard let row = try Row.fetchOne(db, sql: "SELECT seq, body_hash, time FROM entries ORDER BY seq DESC LIMIT 1")
        else { return nil }
        return LedgerHead(seq: row[0], bodyHash: Hex.encode([UInt8](row[1] as Data)), time: row[2])
    }

    // MARK: LedgerWriteTransaction

    func record(forID id: String) throws -> [UInt8]? {
        try Row.fetchOne(db, sql: "SELECT record FROM entries WHERE id = ?", arguments: [id]).map {
            try $0.withUnsafeData(atIndex: 0) { [UInt8]($0 ?? Data()) }
        }
    }

    func insert(_ entry: Entry, leafHash: [UInt8], nodes: [[UInt8]]) throws {
        let body = entry.body
        // A cached prepared statement: appends insert thousands of rows per transaction.
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO entries (seq, id, stream, stream_rev, type, actor, time, body_hash, leaf_hash, nodes, record)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        try statement.execute(
            arguments: [
                body.seq, body.id, body.stream, body.streamRev, body.type, body.actor, body.time, Data(entry.bodyHash),
                Data(leafHash), Data(nodes.joined()), String(decoding: entry.record, as: UTF8.self),
            ])
    }

    func apply(_ effect: RuleEffect) throws {
        switch effect {
        case .none, .ledgerCreated: break
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

    func insertCheckpoint(size: Int64, note: String) throws -> Bool {
        if try Int64.fetchOne(db, sql: "SELECT size FROM checkpoints WHERE size = ?", arguments: [size]) != nil {
            return false
        }
        try db.execute(
            sql: "INSERT INTO checkpoints (size, note, created) VALUES (?, ?, ?)",
            arguments: [size, note, LedgerTime.now()])
        return true
    }

    func setMeta(_ name: String, _ value: String) throws {
        try db.execute(
            sql: "INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            arguments: [name, value])
    }
}
