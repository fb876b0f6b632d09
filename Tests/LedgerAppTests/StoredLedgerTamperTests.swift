import Foundation
import GRDB
import LedgerApp
import LedgerCore
import LedgerCrypto
import LedgerSQLite
import LedgerTestSupport
import Testing

/// Tampering with the database file directly, as someone with `sqlite3` could.
struct StoredLedgerTamperTests {
    private func fixtureWithEntries() throws -> LedgerFixture {
        let fixture = try LedgerFixture()
        try fixture.register()
        for index in 0..<6 {
            _ = try Appender.append(
                [
                    EventDraft(
                        type: EventTypes.ledgerNote, stream: "ledger", data: ["text": .string("note \(index)")],
                        signer: fixture.admin)
                ],
                to: fixture.store)
        }
        _ = try Checkpointer.checkpoint(store: fixture.store, logKey: fixture.logKey)
        return fixture
    }

    private func tamper(_ fixture: LedgerFixture, _ sql: String) throws {
        let queue = try DatabaseQueue(path: fixture.path)
        try queue.write { db in
            try db.execute(
                sql:
                    "DROP TRIGGER IF EXISTS entries_append_only_update; DROP TRIGGER IF EXISTS entries_append_only_delete"
            )
            try db.execute(sql: "DROP TRIGGER IF EXISTS checkpoints_append_only_update")
            try db.execute(sql: sql)
        }
        try queue.close()
    }

    private func failure(_ fixture: LedgerFixture) throws -> VerificationFailure? {
        let store = try fixture.reopen()
        return try VerifyRunner.verify(store: store, options: VerifyOptions(), source: fixture.path).failure
    }

    @Test func appendOnlyTriggersRefuseUpdates() throws {
        let fixture = try fixtureWithEntries()
        let queue = try DatabaseQueue(path: fixture.path)
        #expect(throws: DatabaseError.self) {
            try queue.write { try $0.execute(sql: "DELETE FROM entries WHERE seq = 5") }
        }
        #expect(throws: DatabaseError.self) { try queue.write { try $0.execute(sql: "UPDATE entries SET time = 'x'") } }
    }

    @Test func changedRecordByte() throws {
        let fixture = try fixtureWithEntries()
        try tamper(fixture, "UPDATE entries SET record = replace(record, 'note 2', 'note 3') WHERE seq = 6")
        let failure = try #require(try failure(fixture))
        #expect(failure.seq == 6)
    }

    @Test func changedLeafHash() throws {
        let fixture = try fixtureWithEntries()
        try tamper(fixture, "UPDATE entries SET leaf_hash = zeroblob(32) WHERE seq = 4")
        let failure = try #require(try failure(fixture))
        #expect(failure.description == "seq 4: the stored leaf hash does not match the record")
    }

    @Test func changedInteriorNode() throws {
        let fixture = try fixtureWithEntries()
        try tamper(fixture, "UPDATE entries SET nodes = zeroblob(length(nodes)) WHERE seq = 8")
        let failure = try #require(try failure(fixture))
        #expect(failure.description.contains("seq 8: the stored Merkle node at level 1 does not match"))
    }

    @Test func deletedEntry() throws {
        let fixture = try fixtureWithEntries()
        try tamper(fixture, "DELETE FROM entries WHERE seq = 5")
        let failure = try #require(try failure(fixture))
        #expect(failure.description == "seq 5: the record says seq 6, expected 5")
    }

    @Test func truncatedLedgerAgainstStoredCheckpoint() throws {
        let fixture = try fixtureWithEntries()
        try tamper(fixture, "DELETE FROM entries WHERE seq = 9")
        let failure = try #require(try failure(fixture))
        #expect(failure.description.contains("truncated or rolled back"))
    }

    @Test func editedKeysTable() throws {
        let fixture = try fixtureWithEntries()
        try tamper(fixture, "UPDATE keys SET roles = 'admin custodian' WHERE person = 'bob'")
        let failure = try #require(try failure(fixture))
        #expect(failure.rule == .storedState)
        #expect(failure.description.contains("keys table entry"))
    }

    @Test func editedLookupColumn() throws {
        let fixture = try fixtureWithEntries()
        try tamper(fixture, "UPDATE entries SET body_hash = zeroblob(32) WHERE seq = 9")
        let failure = try #require(try failure(fixture))
        #expect(failure.description.contains("seq 9: the stored columns"))
        // The appender never chains onto an edited column: it compares the columns with the record and refuses.
        let before = try fixture.count()
        do {
            _ = try Appender.append(
                [
                    EventDraft(
                        type: EventTypes.ledgerNote, stream: "ledger", data: ["text": "after"], signer: fixture.admin)
                ],
                to: try fixture.reopen())
            Issue.record("an append onto a damaged stream head must be refused")
        } catch {
            #expect("\(error)".contains("run `ledger verify`"))
        }
        #expect(try fixture.count() == before)
    }

    @Test func smuggledRowBeforeSeqOne() throws {
        let fixture = try fixtureWithEntries()
        try tamper(
            fixture,
            "DROP TRIGGER entries_append_only_insert; INSERT INTO entries SELECT 0, 'x', stream, 99, type, actor, time, body_hash, leaf_hash, nodes, record FROM entries WHERE seq = 4"
        )
        let failure = try #require(try failure(fixture))
        #expect(failure.seq == 1)
    }

    @Test func wronglyTypedColumnsAreFailuresNotCrashes() throws {
        let fixture = try fixtureWithEntries()
        // A version-2 ledger has a checkpoint for every commit: the stored note of size 2 replaced by a blob.
        try tamper(
            fixture,
            "DROP TRIGGER IF EXISTS checkpoints_append_only_delete; DELETE FROM checkpoints WHERE size = 2; INSERT INTO checkpoints VALUES (2, X'ff00', 'x')"
        )
        let checkpoint = try #require(try failure(fixture))
        #expect(checkpoint.rule == .checkpoints)
        let other = try fixtureWithEntries()
        try tamper(other, "UPDATE keys SET public_key = X'00' WHERE person = 'bob'")
        let keys = try #require(try failure(other))
        #expect(keys.rule == .storedState)
    }

    @Test func wronglyTypedEntryColumnsAreNamed() throws {
        for (sql, column) in [
            ("UPDATE entries SET id = CAST(id AS BLOB) WHERE seq = 5", "stored id is not text"),
            ("UPDATE entries SET stream_rev = 'one' WHERE seq = 6", "stored stream_rev is not an integer"),
        ] {
            let fixture = try fixtureWithEntries()
            try tamper(fixture, sql)
            do {
                let failure = try #require(try failure(fixture))
                #expect(failure.description.contains(column), "\(failure.description)")
            } catch {
                #expect("\(error)".contains(column), "\(error)")
            }
        }
    }

    @Test func insertsOutOfOrderAreRefused() throws {
        let fixture = try fixtureWithEntries()
        let queue = try DatabaseQueue(path: fixture.path)
        #expect(throws: DatabaseError.self) {
            try queue.write { db in
                try db.execute(
                    sql:
                        "INSERT INTO entries SELECT 100, 'y', stream, 99, type, actor, time, body_hash, leaf_hash, nodes, record FROM entries WHERE seq = 4"
                )
            }
        }
    }

    @Test func forgedStoredCheckpoint() throws {
        let fixture = try fixtureWithEntries()
        try tamper(fixture, "UPDATE checkpoints SET note = replace(note, '\n9\n', '\n8\n')")
        let failure = try #require(try failure(fixture))
        #expect(failure.rule == .checkpoints)
    }
}

/// Any single changed byte of an exported ledger is caught (with its checkpoint), and the export verifies.
struct ExportPropertyTests {
    @Test func exportVerifiesAndEverySingleByteChangeIsCaught() throws {
        let fixture = try LedgerFixture()
        let bob = try fixture.register()
        _ = try Appender.append(
            [
                EventDraft(
                    type: EventTypes.ledgerNote, stream: "ledger", data: ["text": "Übergabe an BKA \u{1F512}"],
                    signer: fixture.admin)
            ],
            to: fixture.store)
        _ = try KeyManagement.revoke(
            keyID: LedgerFixture.keyID(bob), reason: "rotated", compromisedSinceSeq: nil, signer: bob,
            store: fixture.store)
        let (checkpoint, _) = try Checkpointer.checkpoint(store: fixture.store, logKey: fixture.logKey)
        let export = Array(try fixture.records().map { $0 + [0x0a] }.joined())
        let path = fixture.directory.path("export.jsonl")
        let options = VerifyOptions(
            checkpoint: checkpoint,
            pinnedLogKey: try NoteVerifierKey(name: fixture.origin, publicKey: fixture.logKey.publicKey))
        #expect(FileManager.default.createFile(atPath: path, contents: Data(export)))
        let clean = try VerifyRunner.verify(jsonlPath: path, options: options)
        #expect(clean.failure == nil)
        #expect(clean.summary?.entries == 5)

        var generator = SystemRandomNumberGenerator()
        let positions =
            (0..<120).map { _ in Int.random(in: 0..<export.count, using: &generator) } + [0, export.count - 1]
        for position in positions {
            var changed = export
            changed[position] = changed[position] &+ UInt8.random(in: 1...255, using: &generator)
            #expect(FileManager.default.createFile(atPath: path, contents: Data(changed)))
            let report = try VerifyRunner.verify(jsonlPath: path, options: options)
            #expect(report.failure != nil, "a change at byte \(position) was not caught")
        }
    }
}

/// The verify pipeline across several batches: keys registered mid-ledger, failures deep in a later batch.
struct PipelineTests {
    @Test func manyBatchesVerifyAndALateTamperIsFoundAtItsSeq() throws {
        var builder = LedgerBuilder()
        for index in 0..<2100 {
            builder.append(
                type: EventTypes.ledgerNote, stream: "ledger", data: ["text": .string("n\(index)")],
                signer: builder.admin)
        }
        let eve = builder.register(name: "Eve", person: "eve", roles: ["supervisor"])
        for index in 0..<600 {
            builder.append(
                type: EventTypes.ledgerNote, stream: "ledger", data: ["text": .string("e\(index)")], signer: eve)
        }
        let directory = TemporaryDirectory()
        let path = directory.path("many.jsonl")
        #expect(FileManager.default.createFile(atPath: path, contents: Data(builder.jsonl)))
        let report = try VerifyRunner.verify(jsonlPath: path, options: VerifyOptions(checkpoint: builder.checkpoint()))
        #expect(report.failure == nil, "\(String(describing: report.failure))")
        #expect(report.summary?.entries == 2703)

        var records = builder.records
        records[2499] = Array(
            String(decoding: records[2499], as: UTF8.self).replacingOccurrences(of: "\"e", with: "\"f").utf8)
        #expect(FileManager.default.createFile(atPath: path, contents: Data(records.map { $0 + [0x0a] }.joined())))
        let tampered = try VerifyRunner.verify(jsonlPath: path, options: VerifyOptions())
        #expect(tampered.failure?.seq == 2500)
        #expect(tampered.entriesChecked == 2499)

        // A key known from an earlier batch (the admin's) is checked in the batch's first pass, a key the batch
        // registers (Eve's, above) once the batch's keys are learned: either way the forged entry is named.
        records = builder.records
        records[2059] = Array(
            String(decoding: records[2059], as: UTF8.self).replacingOccurrences(of: "\"n2", with: "\"m2").utf8)
        #expect(FileManager.default.createFile(atPath: path, contents: Data(records.map { $0 + [0x0a] }.joined())))
        let forged = try VerifyRunner.verify(jsonlPath: path, options: VerifyOptions())
        #expect(forged.failure?.seq == 2060)
        #expect(forged.failure?.rule == .signatures, "\(String(describing: forged.failure))")
    }
}
