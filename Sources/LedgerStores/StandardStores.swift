import Foundation
import LedgerCore
import LedgerSQLite

/// The stores this build has, by location: the one place that names a store type.
///
/// A location with a URL scheme selects its store by the scheme; anything else is a path to a SQLite file.
public struct StandardStores: LedgerStoreProvider {
    public init() {}

    public func open(_ location: String, schema: ProjectionSchema, readOnly: Bool) throws(StoreError)
        -> any LedgerStore
    {
        try requireFile(location)
        return try SQLiteLedgerStore.open(path: location, schema: schema, readOnly: readOnly)
    }

    public func create<T>(
        _ location: String, schema: ProjectionSchema, _ initialize: (any LedgerWriteTransaction) throws -> T
    ) throws -> T {
        try requireFile(location)
        return try SQLiteLedgerStore.create(path: location, schema: schema, initialize)
    }

    public func exists(_ location: String) -> Bool {
        Self.scheme(location) == nil && FileManager.default.fileExists(atPath: location)
    }

    public func displayName(_ location: String) -> String {
        guard Self.scheme(location) != nil, var url = URLComponents(string: location) else { return location }
        if url.password != nil { url.password = "…" }
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
