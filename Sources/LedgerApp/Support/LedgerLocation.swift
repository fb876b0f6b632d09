import CustodyDomain
import LedgerCore

/// Where a custody ledger lives and which stores serve it: what `--ledger` (or a server's configuration) resolves to.
///
/// Every use case opens and creates ledgers through this, so none of them names a store type; the custody
/// projection schema is chosen here, once.
public struct LedgerLocation: Sendable, CustomStringConvertible {
    /// The location as given: a file path, or a URL for a database server.
    public let location: String
    /// The stores that resolve it.
    public let stores: any LedgerStoreProvider

    /// The ledger at `location`, served by `stores`; nothing is opened here.
    public init(_ location: String, stores: any LedgerStoreProvider) {
        self.location = location
        self.stores = stores
    }

    /// The location as it may be printed (never a password).
    public var description: String { stores.displayName(location) }

    /// True when something is at the location already.
    public var exists: Bool { stores.exists(location) }

    /// Opens the ledger for reading and writing.
    public func open() throws(LedgerError) -> any LedgerStore {
        do { return try stores.open(location, schema: .custody, readOnly: false) } catch { throw .from(error) }
    }

    /// Opens the ledger for reading only (works on an auditor's write-protected copy, and changes nothing).
    public func openForReading() throws(LedgerError) -> any LedgerStore {
        do { return try stores.open(location, schema: .custody, readOnly: true) } catch { throw .from(error) }
    }

    /// Creates the ledger and runs `initialize` in the transaction that creates it (all or nothing).
    public func create<T>(_ initialize: (any LedgerWriteTransaction) throws -> T) throws -> T {
        try stores.create(location, schema: .custody, initialize)
    }
}
