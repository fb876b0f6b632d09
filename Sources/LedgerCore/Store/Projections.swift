import LedgerCrypto

/// A secondary index of a projection table, which a store creates over the named filter columns.
public struct ProjectionIndex: Sendable, Hashable {
    /// The index name, unique in the store.
    public let name: String
    /// Filter columns of the table, in index order.
    public let columns: [String]
    /// True when no two rows may share the indexed values.
    public let unique: Bool

    /// An index `name` over `columns` of its table, in order; `unique` when no two rows may share their values.
    public init(_ name: String, on columns: [String], unique: Bool = false) {
        self.name = name
        self.columns = columns
        self.unique = unique
    }
}

/// One read-model table: rows keyed by a text key, with filter columns derived from the row's state.
///
/// Every table has the columns `key`, the filter `columns`, and `state` (the record as canonical JSON); a store
/// creates the listed indexes over the filter columns. The filter columns are a function of the state, so
/// verification can recompute every stored value. A domain describes its tables as values of this type; a store
/// derives its schema from them (``ProjectionSchema``), so the store knows no domain.
public struct ProjectionTable: Sendable, Hashable, CustomStringConvertible {
    /// The table name: lower case letters and `_`, unique in the store.
    public let name: String
    /// The filter columns, in the order of ``ProjectionRow/columns``.
    public let columns: [String]
    /// The secondary indexes a store keeps over the filter columns.
    public let indexes: [ProjectionIndex]

    /// A table `name` with these filter columns, and indexes over them.
    public init(name: String, columns: [String], indexes: [ProjectionIndex] = []) {
        self.name = name
        self.columns = columns
        self.indexes = indexes
    }

    /// The table name.
    public var description: String { name }

    // A table is known by its name: hashing the name alone keeps dictionary lookups by table cheap.
    /// Tables are the same when their names are; columns and indexes are not compared.
    public static func == (lhs: ProjectionTable, rhs: ProjectionTable) -> Bool { lhs.name == rhs.name }
    /// Hashes the name alone, as ``==`` compares it.
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }
}

/// Every projection table a ledger keeps, as data: what a store creates, clears and rebuilds.
public struct ProjectionSchema: Sendable {
    /// The tables, in the order verification compares them.
    public let tables: [ProjectionTable]

    /// A schema of `tables`, in the order verification compares them.
    public init(tables: [ProjectionTable]) { self.tables = tables }

    /// A schema with no projections (a log without a domain).
    public static let none = ProjectionSchema(tables: [])

    /// Refuses a table this schema does not have, or a filter on a column the table does not have: stores put
    /// table and column names into SQL, so they come from the schema, never from input.
    public func check(_ table: ProjectionTable, filters: [(column: String, value: String)]) throws(StoreError) {
        guard tables.contains(table) else {
            throw StoreError(.invalidRequest, "the ledger has no projection \(table.name)")
        }
        for filter in filters where !table.columns.contains(filter.column) {
            throw StoreError(.invalidRequest, "\(table.name) has no column \(filter.column)")
        }
    }
}

/// One row of a projection table.
public struct ProjectionRow: Sendable, Equatable {
    /// The table the row belongs to.
    public let table: ProjectionTable
    /// The row's key, unique in its table.
    public let key: String
    /// Values of `table.columns`, in order: strings or integers.
    public let columns: [JSONValue]
    /// The record as canonical JSON text.
    public let state: String

    /// A row whose `state` is already the record's canonical JSON text; it is not checked here.
    public init(table: ProjectionTable, key: String, columns: [JSONValue], state: String) {
        self.table = table
        self.key = key
        self.columns = columns
        self.state = state
    }

    /// A row whose state is the JCS text of `json`.
    public init(table: ProjectionTable, key: String, columns: [JSONValue], json: JSONValue) {
        self.init(table: table, key: key, columns: columns, state: String(decoding: JCS.serialize(json), as: UTF8.self))
    }

    /// The same table, key and state byte for byte, and equal column values.
    public static func == (lhs: ProjectionRow, rhs: ProjectionRow) -> Bool {
        lhs.table == rhs.table && lhs.key.hasSameBytes(as: rhs.key) && lhs.columns == rhs.columns
            && lhs.state.hasSameBytes(as: rhs.state)
    }
}

/// Where a domain fold loads the records it has not seen yet: a store's projection tables inside a transaction.
public protocol ProjectionSource {
    /// The stored state text of the row with this key, or nil.
    func projectionState(_ table: ProjectionTable, key: String) throws -> String?
    /// The key of the first row (by key) whose filter columns equal the given values, or nil; a store answers it
    /// through an index when one covers the columns.
    func firstProjectionKey(_ table: ProjectionTable, where filters: [(column: String, value: String)]) throws
        -> String?
    /// The stored state texts of the rows with these keys, in the order of `keys` (nil where no row has the key).
    ///
    /// What a fold deciding a large group asks for at once: a store whose every read is a round trip to a server
    /// answers it in one or a few; the default asks ``projectionState(_:key:)`` for each key.
    func projectionStates(_ table: ProjectionTable, keys: [String]) throws -> [String?]
    /// For each list of values (one per column of `columns`, in order), the key of the first row (by key) whose
    /// filter columns equal them, in the order of `values` (nil where none does).
    ///
    /// The batch form of ``firstProjectionKey(_:where:)``, which the default asks for each list.
    func firstProjectionKeys(_ table: ProjectionTable, columns: [String], values: [[String]]) throws -> [String?]
}

extension ProjectionSource {
    /// The default: one ``projectionState(_:key:)`` per key.
    public func projectionStates(_ table: ProjectionTable, keys: [String]) throws -> [String?] {
        try keys.map { try projectionState(table, key: $0) }
    }

    /// The default: one ``firstProjectionKey(_:where:)`` per list of values.
    public func firstProjectionKeys(_ table: ProjectionTable, columns: [String], values: [[String]]) throws
        -> [String?]
    {
        try values.map { row in
            guard row.count == columns.count else {
                throw StoreError(.invalidRequest, "\(row.count) value(s) for \(columns.count) column(s)")
            }
            return try firstProjectionKey(table, where: Array(zip(columns, row)).map { (column: $0.0, value: $0.1) })
        }
    }
}
