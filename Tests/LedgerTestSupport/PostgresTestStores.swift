import Foundation
import LedgerCore
import LedgerCrypto
import LedgerPostgres
import LedgerStores
import Synchronization

/// The PostgreSQL server the tests use, named by `$LEDGER_TEST_POSTGRES_URL`.
///
/// That is a superuser's URL on a throwaway cluster that `tools/postgres-cluster start` (run by `.ci/run`) starts.
/// Without it the PostgreSQL tests are skipped, except under `CI=true`, where a missing server is a failure.
public enum PostgresTestServer {
    /// The superuser URL, if the environment names one.
    public static var adminURL: String? {
        let url = ProcessInfo.processInfo.environment["LEDGER_TEST_POSTGRES_URL"]
        return url?.isEmpty == false ? url : nil
    }

    /// True when the PostgreSQL tests should run; under `CI=true` a missing server fails them instead of skipping.
    public static var isAvailable: Bool {
        adminURL != nil || ProcessInfo.processInfo.environment["CI"] == "true"
    }

    /// The role that owns the test databases and runs `ledger init` (created by `tools/postgres-cluster`).
    public static let ownerRole = "ledger_owner"

    private static let counter = Atomic<Int>(0)

    /// A new, empty database owned by ``ownerRole``; returns its name.
    public static func createDatabase() throws -> String {
        let name =
            "lt_\(ProcessInfo.processInfo.processIdentifier)_\(counter.add(1, ordering: .relaxed).newValue)_"
            + Hex.encode(SecureRandom.bytes(3))
        try psql(database: "postgres", "CREATE DATABASE \(name) OWNER \(ownerRole)")
        return name
    }

    /// The URL of `database` connecting as `user` (default: the superuser).
    public static func url(database: String, user: String? = nil) throws -> String {
        guard let admin = adminURL, var components = URLComponents(string: admin) else {
            throw TestServerError("LEDGER_TEST_POSTGRES_URL is not set: start a cluster with tools/postgres-cluster")
        }
        components.path = "/" + database
        if let user {
            components.user = user
            components.password = nil
        }
        guard let url = components.string else { throw TestServerError("cannot build a URL from \(admin)") }
        return url
    }

    /// Runs SQL with `psql` as the superuser on `database`, and returns what it printed (unaligned, tuples only).
    ///
    /// Fails on the first error.
    @discardableResult
    public static func psql(database: String, _ sql: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "psql", "--no-psqlrc", "-v", "ON_ERROR_STOP=1", "-qAt", "-d", try url(database: database), "-c", sql,
        ]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        let complaint = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestServerError(
                "psql failed (\(process.terminationStatus)): \(String(decoding: complaint, as: UTF8.self))")
        }
        return String(decoding: printed, as: UTF8.self)
    }

    /// A test failure about the server.
    public struct TestServerError: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
}

/// Stores for tests that put every ledger in a database of its own on the test server.
///
/// A location is any name (the fixtures' file paths); creating it makes a new database and runs `ledger init`'s
/// path as its owner, opening it connects as the runtime role `<database>_writer`, as an officer's `ledger` would.
public final class PostgresTestStores: LedgerStoreProvider {
    private let databases = Mutex<[String: String]>([:])

    public init() {}

    /// The database holding the ledger created at `location`.
    public func database(for location: String) -> String? { databases.withLock { $0[location] } }

    public func open(_ location: String, schema: ProjectionSchema, readOnly: Bool) throws(StoreError)
        -> any LedgerStore
    {
        guard let database = database(for: location) else {
            throw StoreError(.noLedger, "no test database for \(location)")
        }
        let url: String
        do { url = try PostgresTestServer.url(database: database, user: "\(database)_writer") } catch {
            throw StoreError(.engine, "\(error)")
        }
        return try StandardStores().open(url, schema: schema, readOnly: readOnly)
    }

    public func create<T>(
        _ location: String, schema: ProjectionSchema, _ initialize: (any LedgerWriteTransaction) throws -> T
    ) throws -> T {
        let database = try PostgresTestServer.createDatabase()
        let claimed = databases.withLock {
            guard $0[location] == nil else { return false }
            $0[location] = database
            return true
        }
        guard claimed else { throw StoreError(.alreadyExists, "\(location) already exists") }
        do {
            return try StandardStores().create(
                try PostgresTestServer.url(database: database, user: PostgresTestServer.ownerRole), schema: schema,
                initialize)
        } catch {
            // A failed creation leaves an empty database: the location is free again.
            _ = databases.withLock { $0.removeValue(forKey: location) }
            throw error
        }
    }

    public func exists(_ location: String) -> Bool { database(for: location) != nil }

    public func displayName(_ location: String) -> String { location }

    /// Runs SQL on the ledger's database as the superuser, with `search_path` set to the ledger's schema, after
    /// dropping the append-only triggers, as a superuser with `psql` could.
    public func tamper(_ location: String, sql: String) throws {
        guard let database = database(for: location) else { throw StoreError(.noLedger, "no test database") }
        try PostgresTestServer.psql(
            database: database,
            """
            SET search_path = ledger;
            DROP TRIGGER IF EXISTS entries_append_only ON ledger.entries;
            DROP TRIGGER IF EXISTS checkpoints_append_only ON ledger.checkpoints;
            \(sql)
            """)
    }
}
