import Foundation
import LedgerCore
import LedgerPostgres
import LedgerSQLite

/// The stores this build has, by location: the one place that names a store type.
///
/// `postgresql://…` (or `postgres://…`) selects the PostgreSQL store; a location with another URL scheme is refused;
/// anything else is a path to a SQLite file.
public struct StandardStores: LedgerStoreProvider {
    /// For PostgreSQL ledgers this provider creates: the runtime role appends connect as (nil: `<database>_writer`)
    /// and the password it is given (nil: none set).
    public let writerRole: String?
    private let writerPassword: String?

    /// The stores of this build; `writerRole` and `writerPassword` apply to PostgreSQL ledgers it creates.
    public init(writerRole: String? = nil, writerPassword: String? = nil) {
        self.writerRole = writerRole
        self.writerPassword = writerPassword
    }

    /// Opens the ledger at `location`; with `readOnly`, nothing there is changed.
    ///
    /// Throws `unsupported-location` for a URL of another scheme, and the store's errors otherwise.
    public func open(_ location: String, schema: ProjectionSchema, readOnly: Bool) throws(StoreError)
        -> any LedgerStore
    {
        if PostgresLocation.isPostgres(location) {
            return try PostgresLedgerStore.open(PostgresLocation(location), schema: schema, readOnly: readOnly)
        }
        try requireFile(location)
        return try SQLiteLedgerStore.open(path: location, schema: schema, readOnly: readOnly)
    }

    /// Creates a ledger at `location` and runs `initialize` in the transaction that creates it.
    ///
    /// All or nothing: the ledger exists complete or not at all, and nothing is ever overwritten.
    public func create<T>(
        _ location: String, schema: ProjectionSchema, _ initialize: (any LedgerWriteTransaction) throws -> T
    ) throws -> T {
        if PostgresLocation.isPostgres(location) {
            return try PostgresLedgerStore.create(
                try PostgresLocation(location), schema: schema, writerRole: writerRole, writerPassword: writerPassword,
                initialize)
        }
        try requireFile(location)
        return try SQLiteLedgerStore.create(path: location, schema: schema, initialize)
    }

    /// Where appends to a ledger created at `location` connect: for PostgreSQL, the same database as the runtime
    /// role (``writerRole``, or `<database>_writer`), with the password this provider gives it when
    /// `withPassword` (never for printing); nil for a SQLite file, which is appended to where it is.
    public func appendLocation(forCreated location: String, withPassword: Bool = false) -> String? {
        guard PostgresLocation.isPostgres(location), var url = URLComponents(string: location),
            let database = try? PostgresLocation(location).database
        else { return nil }
        url.user = writerRole ?? PostgresLedgerStore.defaultWriterRole(database: database)
        url.password = withPassword ? writerPassword : nil
        return url.string
    }

    /// True when a file (a ledger or not) is at path `location`, or a database at a URL holds a ledger; false when
    /// the database cannot be reached (opening or creating it then says why).
    public func exists(_ location: String) -> Bool {
        if PostgresLocation.isPostgres(location) {
            guard let parsed = try? PostgresLocation(location) else { return false }
            return (try? PostgresLedgerStore.open(parsed, schema: .none, readOnly: true)) != nil
        }
        return Self.scheme(location) == nil && FileManager.default.fileExists(atPath: location)
    }

    /// The location as it may be printed: a URL's password is replaced by `…`; a path is returned unchanged.
    public func displayName(_ location: String) -> String {
        guard Self.scheme(location) != nil, var url = URLComponents(string: location) else { return location }
        if url.password != nil { url.password = "***" }
        return url.string ?? location
    }

    /// `postgresql://…` and the like: a scheme of letters followed by `://`.
    static func scheme(_ location: String) -> String? {
        guard let range = location.range(of: "://") else { return nil }
        let scheme = location[..<range.lowerBound]
        guard !scheme.isEmpty, scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0 == "+") }) else { return nil }
        return scheme.lowercased()
    }

    private func requireFile(_ location: String) throws(StoreError) {
        if let scheme = Self.scheme(location) {
            throw StoreError(
                .unsupportedLocation,
                "\(displayName(location)): this build stores ledgers in SQLite files and PostgreSQL databases"
                    + " (postgresql://…), not \(scheme)")
        }
    }
}
