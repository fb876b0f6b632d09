import CustodyDomain
import Foundation
import GRDB
import LedgerApp
import LedgerCore
import LedgerTestSupport
import Testing

@testable import LedgerSQLite

struct WALCheckpointTests {
    private func fileSize(_ path: String) throws -> Int {
        try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
    }

    @Test func committedPagesReachTheDatabaseFileThroughTheBackgroundCheckpointer() throws {
        let fixture = try LedgerFixture()
        let checkpointer = try #require((fixture.store as? SQLiteLedgerStore)?.checkpointer)
        let before = try fileSize(fixture.path)
        // About 0.27 pages per entry: 5,000 entries put well over the 1,000 frames that start a background copy.
        let drafts = (0..<5000).map { index in
            EventDraft(
                type: EventTypes.ledgerNote, stream: "ledger",
                data: ["text": .string("entry \(index): seal intact, stored in vault B, shelf \(index % 40)")],
                signer: fixture.admin)
        }
        _ = try Appender.append(drafts, to: fixture.store)
        let deadline = Date().addingTimeInterval(60)
        while checkpointer.completed == 0 && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(checkpointer.completed >= 1)
        // The commit left the pages in the WAL; the background copy moved them into the database file.
        #expect(try fileSize(fixture.path) > before + 1_000_000)
        // A fresh reader sees every entry, and the ledger verifies.
        let reopened = try SQLiteLedgerStore.open(path: fixture.path, schema: .custody, readOnly: true)
        let report = try VerifyRunner.verify(store: reopened, options: VerifyOptions(), source: fixture.path)
        #expect(report.failure == nil)
        #expect(report.summary?.entries == 5002)
    }

    @Test func readOnlyStoresHaveNoCheckpointer() throws {
        let fixture = try LedgerFixture()
        #expect(try SQLiteLedgerStore.open(path: fixture.path, schema: .custody, readOnly: true).checkpointer == nil)
    }
}

/// Scans of the whole log run with a small SQLite page cache (SQLiteLedgerStore.withScanCache).
struct ScanCacheTests {
    @Test func scansOfTheLogUseTheSmallPageCacheAndRestoreTheLargeOne() throws {
        let fixture = try LedgerFixture()
        func cacheSize(_ reader: any LedgerReader) throws -> Int? {
            try (reader as? SQLiteTransaction).flatMap { try Int.fetchOne($0.db, sql: "PRAGMA cache_size") }
        }
        try fixture.store.read { reader in
            #expect(try cacheSize(reader) == SQLiteLedgerStore.cacheSize)
            var during: [Int?] = []
            try reader.forEachRecord(RecordFilter()) { _ in
                during.append(try cacheSize(reader))
                return true
            }
            #expect(!during.isEmpty && during.allSatisfy { $0 == SQLiteLedgerStore.scanCacheSize })
            // One record (a proof's) keeps the large cache and the tree pages in it.
            var single: Int?
            try reader.forEachRecord(RecordFilter(from: 1, to: 1)) { _ in
                single = try cacheSize(reader)
                return true
            }
            #expect(single == SQLiteLedgerStore.cacheSize)
            #expect(try cacheSize(reader) == SQLiteLedgerStore.cacheSize)
        }
        // Also after a scan that stops with an error.
        struct Stop: Error {}
        try fixture.store.read { reader in
            #expect(throws: Stop.self) { try reader.forEachRecord(RecordFilter()) { _ in throw Stop() } }
            let after = try cacheSize(reader)
            #expect(after == SQLiteLedgerStore.cacheSize)
        }
    }

    @Test func readAheadIsAdviceForFilesThatExist() throws {
        let fixture = try LedgerFixture()
        #expect(ReadAhead(databasePath: fixture.path + ".missing") == nil)
        let readAhead = try #require(ReadAhead(databasePath: fixture.path))
        // Any position, even out of range, is only advice.
        for fraction in [0, 0.5, 1, 2, -1] { readAhead.advance(to: fraction) }
        // A scan with read-ahead still reads every record.
        var count = 0
        try fixture.store.read { reader in
            try reader.forEachRecord(RecordFilter()) { _ in
                count += 1
                return true
            }
        }
        #expect(count == 2)
    }
}
