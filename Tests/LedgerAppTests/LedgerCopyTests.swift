import CustodyDomain
import Foundation
import GRDB
import LedgerCore
import LedgerCrypto
import LedgerStores
import LedgerTestSupport
import Testing

@testable import LedgerApp

/// Everything a ledger holds that a copy must reproduce, read from one snapshot.
private struct LedgerContents: Equatable {
    struct Record: Equatable {
        let seq: Int64
        let record: [UInt8]
        let leafHash: [UInt8]
        let nodes: [UInt8]
    }

    var records: [Record] = []
    var meta: [String?] = []
    var keys: [String] = []
    var checkpoints: [String] = []
    var timestamps: [String] = []
    var projections: [ProjectionRow] = []
    var projectionSeq: Int64 = 0
    var root: [UInt8] = []

    init(_ store: any LedgerStore) throws {
        self = try store.read { reader in
            var contents = LedgerContents()
            try reader.forEachRecord(RecordFilter()) {
                contents.records.append(Record(seq: $0.seq, record: $0.record, leafHash: $0.leafHash, nodes: $0.nodes))
                return true
            }
            contents.meta = try LedgerCopy.ledgerMetaNames.map { try reader.meta($0) }
            contents.keys = try reader.allKeys().map { key in
                "\(key.keyID) \(key.name) \(key.person) \(key.agency) \(key.roles) \(key.registeredSeq)"
                    + " \(String(describing: key.revokedSeq)) \(String(describing: key.compromisedSinceSeq))"
            }
            contents.checkpoints = try reader.checkpointNotes().map { "\($0.size)\n\($0.note)" }
            contents.timestamps = try reader.timestampResponses().map { "\($0.size) \(Hex.encode($0.response))" }
            for table in ProjectionTable.all {
                try reader.forEachProjectionRow(table, where: []) {
                    contents.projections.append($0)
                    return true
                }
            }
            contents.projectionSeq = try reader.projectionSeq()
            contents.root = try reader.root(size: try reader.entryCount())
            return contents
        }
    }

    private init() {}
}

/// `LedgerCopy`: a ledger copied into a new store holds the same records byte for byte, the same tree, keys,
/// checkpoints with cosignatures, time stamps and projections, and verifies clean; a refused or failed copy leaves
/// nothing behind and the source unchanged.
@Suite(.serialized)
struct LedgerCopyTests {
    /// A custody ledger with seizures and a transfer, a checkpoint cosigned by two witnesses, a time stamp, and a
    /// revoked key.
    private static func richLedger(stores: any LedgerStoreProvider, format: Int64) throws -> CustodyFixture {
        let fixture = try CustodyFixture(stores: stores, format: format)
        try fixture.seize("EV-1")
        try fixture.seize("EV-2", seal: "S-2")
        try fixture.record(
            CustodyEvents.custodyReleased, "item/EV-1", ["to": "bob", "purpose": "storage", "seal": "S-1"],
            by: "carol")
        let ledger = fixture.ledger
        let extra = try ledger.register(name: "Officer zoe", person: "zoe", roles: [Roles.custodian])
        _ = try KeyManagement.revoke(
            keyID: LedgerFixture.keyID(extra), reason: "left", compromisedSinceSeq: nil, signer: ledger.admin,
            store: ledger.store)
        let (checkpoint, _) = try Checkpointer.checkpoint(store: ledger.store, logKey: ledger.logKey)
        for name in ["witness-a.test.example", "witness-b.test.example"] {
            let key = Ed25519PrivateKey.generate()
            let line = try Cosignature.line(
                checkpointBody: checkpoint.note.text, timestamp: 1_780_000_000, key: key, name: name)
            _ = try Checkpointer.addCosignature(
                store: ledger.store, size: checkpoint.checkpoint.size, line: line,
                witness: try CosignerKey(name: name, publicKey: key.publicKey))
        }
        // Not a real RFC 3161 response: without a CA, verification counts stored time stamps and copies carry bytes.
        try ledger.store.write {
            _ = try $0.insertTimestamp(
                size: checkpoint.checkpoint.size, response: [0x30, 0x03, 0x02, 0x01, 0x00], at: "2026-12-06T08:00:00Z")
        }
        return fixture
    }

    private static func expectCleanVerification(_ store: any LedgerStore) throws {
        let report = try VerifyRunner.verify(store: store, options: VerifyOptions(), source: "copy")
        #expect(report.failure == nil, "\(String(describing: report.failure))")
        #expect(report.exitStatus == 0)
        #expect(report.projectionRowsChecked != nil)
    }

    @Test(arguments: [EntryBody.version, EntryBody.statementVersion])
    func anInMemoryLedgerCopiesRecordForRecord(format: Int64) throws {
        let stores = InMemoryStores()
        let fixture = try Self.richLedger(stores: stores, format: format)
        let source = try LedgerContents(fixture.ledger.store)
        let destination = LedgerLocation("copy", stores: stores)

        var phases: Set<String> = []
        let report = try LedgerCopy.copy(from: fixture.ledger.location, to: destination) { phase, _, _ in
            phases.insert(phase.rawValue)
        }
        let copy = try destination.openForReading()
        let copied = try LedgerContents(copy)
        #expect(copied == source)
        #expect(copied.checkpoints.contains { $0.contains("witness-b.test.example") })
        #expect(report.entries == source.records.count.asInt64 && report.copiedEntries == report.entries)
        #expect(report.sourceRoot == report.destinationRoot && report.sourceRoot == source.root)
        #expect(report.cosignatures == 2 && report.timestamps == 1 && report.keys == source.keys.count)
        #expect(report.projectionRows == source.projections.count)
        #expect(phases == ["copying", "projections"])
        try Self.expectCleanVerification(copy)
        // The source is read only.
        #expect(try LedgerContents(fixture.ledger.store) == source)
    }

    @Test(arguments: [EntryBody.version, EntryBody.statementVersion])
    func aSQLiteLedgerCopiesToANewFile(format: Int64) throws {
        let fixture = try Self.richLedger(stores: StandardStores(), format: format)
        let before = try Data(contentsOf: URL(fileURLWithPath: fixture.ledger.path))
        let source = try LedgerContents(fixture.ledger.store)
        let destination = ledgerLocation(fixture.ledger.directory.path("copy.ledger"))

        let report = try LedgerCopy.copy(from: fixture.ledger.location, to: destination)
        let copy = try destination.openForReading()
        #expect(try LedgerContents(copy) == source)
        #expect(report.destinationRoot == source.root)
        #expect(report.engines.destination.hasPrefix("SQLite"))
        try Self.expectCleanVerification(copy)
        #expect(try Data(contentsOf: URL(fileURLWithPath: fixture.ledger.path)) == before)
    }

    @Test func anExistingDestinationIsRefusedAndLeftAsItWas() throws {
        let stores = InMemoryStores()
        let fixture = try Self.richLedger(stores: stores, format: EntryBody.statementVersion)
        let other = try LedgerFixture(origin: "ledger.test.example/other", stores: stores)
        // Both fixtures use the name custody.ledger in their own folder: give the other one a name of its own.
        let occupied = LedgerLocation(other.path, stores: stores)
        #expect(other.path != fixture.ledger.path)
        let sourceBefore = try LedgerContents(fixture.ledger.store)
        let occupiedBefore = try LedgerContents(other.store)

        #expect {
            _ = try LedgerCopy.copy(from: fixture.ledger.location, to: occupied)
        } throws: { error in
            let error = error as? LedgerError
            return error?.code == .usage && error?.description.contains("already exists") == true
        }
        #expect(try LedgerContents(other.store) == occupiedBefore)
        #expect(try LedgerContents(fixture.ledger.store) == sourceBefore)
    }

    @Test func anExistingSQLiteFileIsRefusedByteForByte() throws {
        let fixture = try Self.richLedger(stores: StandardStores(), format: EntryBody.statementVersion)
        let target = fixture.ledger.directory.path("occupied.ledger")
        try Data("not a ledger".utf8).write(to: URL(fileURLWithPath: target))
        let before = try Data(contentsOf: URL(fileURLWithPath: fixture.ledger.path))

        #expect(throws: LedgerError.self) {
            _ = try LedgerCopy.copy(from: fixture.ledger.location, to: ledgerLocation(target))
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Data("not a ledger".utf8))
        #expect(try Data(contentsOf: URL(fileURLWithPath: fixture.ledger.path)) == before)
    }

    @Test func aSourceWhoseKeysTableDiffersFromItsLogLeavesNoCopy() throws {
        let stores = InMemoryStores()
        let fixture = try Self.richLedger(stores: stores, format: EntryBody.statementVersion)
        try stores.store(fixture.ledger.path, schema: .custody).tamper { state in
            for keyID in state.keys.keys { state.keys[keyID]?.revokedSeq = nil }
        }
        let destination = LedgerLocation("copy", stores: stores)

        #expect {
            _ = try LedgerCopy.copy(from: fixture.ledger.location, to: destination)
        } throws: { error in
            (error as? LedgerError)?.code == .integrity && "\(error)".contains("keys table")
        }
        #expect(!destination.exists)
    }

    /// A SQLite source damaged behind the store's back: a keys table that no longer follows the log (found when the
    /// copy is compared, after every record is written), or a record's stored nodes cut short (found while streaming).
    @Test(arguments: [
        "UPDATE keys SET revoked_seq = NULL",
        "DROP TRIGGER entries_append_only_update; UPDATE entries SET nodes = zeroblob(5) WHERE seq = 4",
    ])
    func aFailedSQLiteCopyLeavesNoFileAndTheSourceUnchanged(damage: String) throws {
        let fixture = try Self.richLedger(stores: StandardStores(), format: EntryBody.statementVersion)
        let queue = try DatabaseQueue(path: fixture.ledger.path)
        try queue.write { try $0.execute(sql: damage) }
        try queue.close()
        let before = try Data(contentsOf: URL(fileURLWithPath: fixture.ledger.path))
        let folder = fixture.ledger.directory.url.path
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()

        #expect {
            _ = try LedgerCopy.copy(
                from: fixture.ledger.location, to: ledgerLocation(fixture.ledger.directory.path("copy.ledger")))
        } throws: { error in
            (error as? LedgerError)?.code == .integrity
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == files)
        #expect(try Data(contentsOf: URL(fileURLWithPath: fixture.ledger.path)) == before)
    }

    @Test func checkpointNotesSplitIntoTheLogsNoteAndCosignatureLines() throws {
        let fixture = try Self.richLedger(stores: InMemoryStores(), format: EntryBody.version)
        let stored = try #require(try fixture.ledger.store.read { try $0.checkpointNotes() }.last)
        let (note, lines) = try LedgerCopy.split(stored.note, size: stored.size)
        #expect(lines.count == 2 && lines.allSatisfy { $0.hasPrefix("\u{2014} witness-") && $0.hasSuffix("\n") })
        #expect(note + lines.joined() == stored.note)
        #expect(try SignedNote(parsing: note).signatures.map(\.name) == [fixture.ledger.origin])
    }
}

extension Int {
    fileprivate var asInt64: Int64 { Int64(self) }
}
