import CustodyDomain
import Foundation
import GRDB
import LedgerApp
import LedgerCore
import LedgerTestSupport
import Testing

@testable import LedgerSQLite

/// The SQLite layout of the projection tables: rowid tables in new ledgers; the WITHOUT ROWID tables of ledgers made
/// by earlier releases are read and written as before, and `ledger rebuild` makes them anew.
struct ProjectionLayoutTests {
    /// Each projection table's CREATE statement, by name.
    private static func tableSQL(_ path: String) throws -> [String: String] {
        let queue = try DatabaseQueue(path: path)
        let names = ProjectionSchema.custody.tables.map(\.name)
        return try queue.read { db in
            var found: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT name, sql FROM sqlite_schema WHERE type = 'table'")
            where names.contains(row["name"]) {
                found[row["name"]] = row["sql"]
            }
            return found
        }
    }

    /// Remakes every projection table as the releases before this one made them (WITHOUT ROWID), rows kept.
    private static func useTheEarlierLayout(_ path: String) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            for table in ProjectionSchema.custody.tables {
                let columns = table.columns.map { "\($0) NOT NULL" }.joined(separator: ", ")
                try db.execute(
                    sql: "CREATE TABLE earlier (key TEXT PRIMARY KEY, \(columns), state TEXT NOT NULL) WITHOUT ROWID")
                try db.execute(sql: "INSERT INTO earlier SELECT * FROM \(table.name)")
                try db.execute(sql: "DROP TABLE \(table.name)")
                try db.execute(sql: "ALTER TABLE earlier RENAME TO \(table.name)")
                for index in table.indexes {
                    try db.execute(
                        sql: "CREATE \(index.unique ? "UNIQUE " : "")INDEX \(index.name) ON \(table.name) ("
                            + index.columns.joined(separator: ", ") + ")")
                }
            }
        }
    }

    private static func verifyFailure(_ fixture: CustodyFixture) throws -> VerificationFailure? {
        try VerifyRunner.verify(store: fixture.ledger.store, options: VerifyOptions(), source: fixture.ledger.path)
            .failure
    }

    private static func identify(_ fixture: CustodyFixture, _ index: Int) throws {
        try fixture.record(
            CustodyEvents.targetIdentified, "target/T-\(index)",
            [
                "case": "CASE-1", "kind": "ip", "value": .string("192.0.2.\(index)"), "category": "phishing",
                "country": "NL", "source": "feed",
            ], by: "tina")
    }

    @Test func newLedgersKeepProjectionRowsInRowidTablesWithAKeyThatIsNeverNull() throws {
        let fixture = try CustodyFixture()
        try fixture.seize("EV-1")
        let tables = try Self.tableSQL(fixture.ledger.path)
        #expect(tables.count == ProjectionSchema.custody.tables.count)
        for (name, sql) in tables {
            #expect(!sql.uppercased().contains("WITHOUT ROWID"), "\(name): \(sql)")
            #expect(sql.contains("key TEXT NOT NULL PRIMARY KEY"), "\(name): \(sql)")
        }
    }

    @Test func aLedgerWithTheEarlierLayoutIsWrittenAndVerifiedAndARebuildMakesItsTablesAnew() throws {
        let fixture = try CustodyFixture()
        try fixture.seize("EV-1")
        try Self.identify(fixture, 1)
        try Self.useTheEarlierLayout(fixture.ledger.path)
        #expect(try Self.tableSQL(fixture.ledger.path).values.allSatisfy { $0.contains("WITHOUT ROWID") })

        // Appends insert and update rows of the earlier tables; the ledger verifies.
        try fixture.seize("EV-2", seal: "S-2")
        try fixture.record(
            CustodyEvents.custodyReleased, "item/EV-1", ["to": "bob", "purpose": "storage", "seal": "S-1"], by: "carol")
        try Self.identify(fixture, 2)
        try fixture.record(
            CustodyEvents.takedownRequested, "target/T-1",
            ["legal_instrument": "Order 12", "recipient": "Host.example BV"], by: "tina")
        #expect(try Self.verifyFailure(fixture) == nil)
        let store = fixture.ledger.store
        let written = try projectionRows(of: store)
        #expect(written.count >= 6)

        // The rebuild makes this release's tables, with the same rows, and the ledger still verifies.
        let report = try ProjectionRebuilder.rebuild(store: store)
        #expect(report.rows == written.count)
        #expect(try Self.tableSQL(fixture.ledger.path).values.allSatisfy { !$0.contains("WITHOUT ROWID") })
        #expect(try projectionRows(of: store) == written)
        let verified = try VerifyRunner.verify(store: store, options: VerifyOptions(), source: fixture.ledger.path)
        #expect(verified.failure == nil, "\(String(describing: verified.failure))")
        #expect(verified.projectionRowsChecked == written.count)
        // And appends go on in the new tables.
        try fixture.record(
            CustodyEvents.custodyReceived, "item/EV-1", ["seal": "S-1", "seal_intact": true, "location": "Lab"],
            by: "bob")
        #expect(try fixture.item("EV-1")?.status == ItemStatus.inCustody)
        #expect(try Self.verifyFailure(fixture) == nil)
    }
}
