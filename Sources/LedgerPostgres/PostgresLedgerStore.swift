import Foundation
import LedgerCore
import PostgresNIO
import Synchronization

/// A ledger in a PostgreSQL database (the schema `ledger`), shared by any number of processes and hosts.
///
/// Writes run in one transaction each, after taking a transaction-level advisory lock, so writers from anywhere
/// queue up and each sees the head the previous one committed (one linear chain); `READ COMMITTED` gives each
/// statement after the lock the newest committed state. Reads run in one `REPEATABLE READ READ ONLY` transaction:
/// one snapshot however long a verify takes, on a primary or a hot standby. Connections are kept for reuse.
///
/// Appends are refused when connected as the owner of the tables or a superuser, who could drop the append-only
/// triggers: `ledger init` (as the owner) creates a runtime role that may only read, append, and keep the
/// projections (``PostgresSchema/grants(to:_:)``).
public final class PostgresLedgerStore: LedgerStore {
    /// Where the ledger is (the password never printed).
    public let location: PostgresLocation
    /// The projection tables the ledger's domain describes.
    public let schema: ProjectionSchema
    /// Whether the store was opened for reading only: `write` is refused.
    public let readOnly: Bool
    /// The server's version, read when the store opened.
    public let serverVersion: String
    /// Why this connection's role may not append, if it may not.
    private let writeRefusal: String?

    private let idle = Mutex<[PostgresSession]>([])

    private init(
        location: PostgresLocation, schema: ProjectionSchema, readOnly: Bool, serverVersion: String,
        writeRefusal: String?, session: PostgresSession
    ) {
        self.location = location
        self.schema = schema
        self.readOnly = readOnly
        self.serverVersion = serverVersion
        self.writeRefusal = writeRefusal
        idle.withLock { $0.append(session) }
    }

    deinit {
        for session in idle.withLock({ $0 }) { session.close() }
    }

    /// Opens the ledger in the database `location` names; `readOnly` for commands that only read.
    ///
    /// Nothing is changed by opening. A database without a ledger, or with one of another layout, is refused.
    public static func open(_ location: PostgresLocation, schema: ProjectionSchema, readOnly: Bool) throws(StoreError)
        -> PostgresLedgerStore
    {
        let session = try PostgresSession.connect(location)
        do {
            let version = try session.run("SHOW server_version").first?.decode(String.self) ?? "unknown"
            let found = try session.run(
                """
                SELECT (SELECT value FROM ledger.meta WHERE name = 'schema_version'),
                       (SELECT value FROM ledger.meta WHERE name = 'writer_role'),
                       (SELECT rolsuper FROM pg_roles WHERE rolname = current_user),
                       pg_get_userbyid(c.relowner) = current_user
                FROM pg_class c WHERE c.oid = to_regclass('ledger.entries')
                """)
            guard let row = found.first else {
                session.close()
                throw StoreError(
                    .noLedger,
                    "no ledger in \(location.displayName) (create one with `ledger init --ledger URL`, connected as"
                        + " the database's owner)")
            }
            let (schemaVersion, writerRole, superuser, owner) = try row.decode((String?, String?, Bool?, Bool).self)
            guard schemaVersion == PostgresSchema.version else {
                session.close()
                throw StoreError(
                    .unsupportedVersion,
                    "\(location.displayName) holds a ledger of database layout \(schemaVersion ?? "none"); this tool"
                        + " reads \(PostgresSchema.version)")
            }
            var refusal: String?
            if superuser == true || owner {
                refusal =
                    "\(location.displayName): connected as \(location.user), \(superuser == true ? "a superuser" : "the owner of the ledger's tables"),"
                    + " who could drop the append-only triggers; append as the runtime role"
                    + " \(writerRole ?? PostgresSchema.writerRole(database: location.database)) instead"
            }
            return PostgresLedgerStore(
                location: location, schema: schema, readOnly: readOnly, serverVersion: version, writeRefusal: refusal,
                session: session)
        } catch let error as StoreError {
            session.close()
            throw error
        } catch {
            session.close()
            throw StoreError(.damaged, "\(location.displayName): unexpected ledger metadata (\(error))")
        }
    }

    /// Creates a ledger in the (existing) database `location` names, connected as its owner: the schema `ledger`,
    /// its tables and triggers, the runtime role `writerRole` (created with LOGIN if it does not exist, with the
    /// password given if any) and its grants; then runs `initialize` in the same transaction.
    ///
    /// All or nothing: on any failure nothing of it remains. A database that holds a ledger already is refused.
    public static func create<T>(
        _ location: PostgresLocation, schema: ProjectionSchema, writerRole: String? = nil,
        writerPassword: String? = nil, _ initialize: (any LedgerWriteTransaction) throws -> T
    ) throws -> T {
        let session = try PostgresSession.connect(location)
        defer { session.close() }
        let role = writerRole ?? PostgresSchema.writerRole(database: location.database)
        do {
            return try session.transaction("BEGIN", schema: schema) { transaction in
                if try session.run("SELECT 1 FROM pg_namespace WHERE nspname = 'ledger'").first != nil {
                    throw StoreError(
                        .alreadyExists,
                        "\(location.displayName) holds a ledger already (the schema ledger); a ledger is never overwritten"
                    )
                }
                let script = PostgresSchema.logTables + "\n" + PostgresSchema.projectionTables(schema)
                for statement in PostgresSchema.statements(script) { try session.run(statement) }
                var binds = PostgresBindings()
                binds.append(role)
                let exists = try session.run("SELECT 1 FROM pg_roles WHERE rolname = $1", binds).first != nil
                let quotedRole = PostgresSchema.quoted(role)
                if !exists { try session.run("CREATE ROLE \(quotedRole) LOGIN") }
                if let writerPassword {
                    // ALTER ROLE takes no parameters: the password goes in as a quoted literal.
                    try session.run(
                        "ALTER ROLE \(quotedRole) PASSWORD '\(writerPassword.replacingOccurrences(of: "'", with: "''"))'"
                    )
                }
                for statement in PostgresSchema.statements(PostgresSchema.grants(to: role, schema)) {
                    try session.run(statement)
                }
                try transaction.setMeta("schema_version", PostgresSchema.version)
                try transaction.setMeta("writer_role", role)
                return try initialize(transaction)
            }
        } catch {
            if let error = error as? StoreError, error.code == .notPermitted {
                throw StoreError(
                    .notPermitted,
                    "\(location.displayName): \(location.user) may not create the ledger (\(error.description));"
                        + " connect as the database's owner, with the right to create roles")
            }
            throw error
        }
    }

    /// The runtime role `ledger init` creates when none is named: `<database>_writer`.
    public static func defaultWriterRole(database: String) -> String { PostgresSchema.writerRole(database: database) }

    // MARK: LedgerStore

    /// Runs `body` in one transaction holding the ledger's writer lock: committed when it returns, rolled back
    /// when it throws or the connection is lost.
    public func write<T>(_ body: (any LedgerWriteTransaction) throws -> T) throws -> T {
        guard !readOnly else {
            throw StoreError(.invalidRequest, "\(location.displayName) was opened for reading only")
        }
        if let writeRefusal { throw StoreError(.notPermitted, writeRefusal) }
        return try withSession { session in
            try session.transaction("BEGIN ISOLATION LEVEL READ COMMITTED", schema: schema) { transaction in
                var lock = PostgresBindings()
                lock.append(PostgresSchema.writerLock)
                try session.run("SELECT pg_advisory_xact_lock($1)", lock)
                return try body(transaction)
            }
        }
    }

    /// Runs `body` in one `REPEATABLE READ READ ONLY` transaction: one snapshot from start to end.
    public func read<T>(_ body: (any LedgerReader) throws -> T) throws -> T {
        try withSession { session in
            try session.transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", schema: schema) { try body($0) }
        }
    }

    /// "PostgreSQL" and the server's version.
    public var engineDescription: String { "PostgreSQL \(serverVersion)" }

    /// Takes an idle connection (or makes one), runs `work`, and keeps the connection if it is still sound.
    private func withSession<T>(_ work: (PostgresSession) throws -> T) throws -> T {
        var kept = idle.withLock { $0.popLast() }
        while let session = kept, !session.answers() {
            session.close()
            kept = idle.withLock { $0.popLast() }
        }
        let session = try kept ?? PostgresSession.connect(location)
        do {
            let result = try work(session)
            if session.reusable { idle.withLock { $0.append(session) } } else { session.close() }
            return result
        } catch {
            // Kept only when the transaction was rolled back cleanly.
            if session.reusable { idle.withLock { $0.append(session) } } else { session.close() }
            throw error
        }
    }
}
