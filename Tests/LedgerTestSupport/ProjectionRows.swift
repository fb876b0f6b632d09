import CustodyDomain
import LedgerCore

/// Every projection row of `tables`, table by table, in key order.
public func projectionRows(of reader: any LedgerReader, _ tables: [ProjectionTable] = ProjectionTable.all) throws
    -> [ProjectionRow]
{
    var rows: [ProjectionRow] = []
    for table in tables {
        try reader.forEachProjectionRow(table, where: []) {
            rows.append($0)
            return true
        }
    }
    return rows
}

/// Every projection row of `store`, table by table, in key order, read in one snapshot.
public func projectionRows(of store: any LedgerStore) throws -> [ProjectionRow] {
    try store.read { try projectionRows(of: $0) }
}
