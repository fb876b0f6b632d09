import Foundation
import LedgerCore
import LedgerSQLite

/// The stores this build has, by location: the one place that names a store type.
///
/// A location with a URL scheme selects its store by the scheme; anything else is a path to a SQLite file.
public struct StandardStores: LedgerStoreProvider {
    /// The stores of this build; the value holds no state.
    public init() {}

    /// Opens the SQLite ledger at path `location`; with `readOnly`, nothing there is changed.
    ///
    /// Throws `unsupported-location` for a URL such as `postgresql://…`, and the SQLite store's errors otherwise.
    public func open(_ location: String, schema: ProjectionSchema, readOnly: Bool) throws(StoreError)
        -> any LedgerStore
    {
        try requireFile(location)
        return try SQLiteLedgerStore.open(path: location, schema: schema, readOnly: readOnly)
    }

    /// Creates a SQLite ledger at path `location` and runs `initialize` in the transaction that creates it.
    ///
    /// All or nothing: the file exists complete or not at all, and nothing is ever overwritten. Throws
    /// `unsupported-location` for a URL.
    public func create<T>(
        _ location: String, schema: ProjectionSchema, _ initialize: (any LedgerWriteTransaction) throws -> T
    ) throws -> T {
        try requireFile(location)
        return try SQLiteLedgerStore.create(path: location, schema: schema, initialize)
    }

    /// True when a file (a ledger or not) is at path `location`; always false for a URL.
    public func exists(_ location: String) -> Bool {
        Self.scheme(location) == nil && FileManager.default.fileExists(atPath: location)
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
                "\(displayName(location)): this build stores ledgers in SQLite files only (no \(scheme) store)")
        }
    }
}
