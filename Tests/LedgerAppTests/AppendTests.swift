import Foundation
import LedgerCore
import LedgerCrypto
import LedgerSQLite
import LedgerTestSupport
import Testing

@testable import LedgerApp

struct AppendTests {
    private func note(_ text: String, id: String? = nil, signer: Ed25519PrivateKey, expectRev: Int64? = nil)
        -> EventDraft
    {
        EventDraft(
            id: id, type: EventTypes.ledgerNote, stream: "ledger", data: ["text": .string(text)], expectRev: expectRev,
            signer: signer)
    }

    private func expectError(_ kind: LedgerError.Kind, containing text: String, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected a \(kind) error containing \"\(text)\"")
        } catch let error as LedgerError {
            #expect(error.kind == kind, "\(error)")
            #expect(error.description.contains(text), "\(error)")
            #expect(!error.description.contains("\n"), "errors are one line")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func everyCommitOfAVersion2LedgerIsCheckpointedAndTheCheckpointCommandReturnsTheStoredOne() throws {
        let fixture = try LedgerFixture()
        let bob = try fixture.register()
        _ = try Appender.append([note("first shift", signer: fixture.admin)], to: fixture.store)
        _ = try KeyManagement.revoke(
            keyID: LedgerFixture.keyID(bob), reason: "left", compromisedSinceSeq: nil, signer: bob, store: fixture.store
        )
        let (checkpoint, created) = try Checkpointer.checkpoint(store: fixture.store, logKey: fixture.logKey)
        #expect(!created)
        #expect(checkpoint.checkpoint.size == 5)
        let report = try VerifyRunner.verify(store: fixture.store, options: VerifyOptions(), source: fixture.path)
        #expect(report.failure == nil)
        #expect(report.summary?.checkpointSizes == [2, 3, 4, 5])
        #expect(report.summary?.uncoveredEntries == 0)
    }

    @Test func initRegisterAppendCheckpointVerify() throws {
        // Version 1: checkpoints only when asked (version 2 checkpoints every commit: `everyCommitOfAVersion2…`).
        let fixture = try LedgerFixture(format: 1)
        let bob = try fixture.register()
        _ = try Appender.append([note("first shift", signer: fixture.admin)], to: fixture.store)
        _ = try KeyManagement.revoke(
            keyID: LedgerFixture.keyID(bob), reason: "left", compromisedSinceSeq: nil, signer: bob, store: fixture.store
        )
        let (checkpoint, created) = try Checkpointer.checkpoint(store: fixture.store, logKey: fixture.logKey)
        #expect(created)
        #expect(checkpoint.checkpoint.size == 5)
        let report = try VerifyRunner.verify(store: fixture.store, options: VerifyOptions(), source: fixture.path)
        #expect(report.failure == nil)
        #expect(report.summary?.entries == 5)
        #expect(report.summary?.checkpointSizes == [5])
        #expect(report.summary?.root == checkpoint.checkpoint.root)
        #expect(report.exitStatus == 0)
        // The same checkpoint is returned, not re-signed.
        #expect(try Checkpointer.checkpoint(store: fixture.store, logKey: fixture.logKey).created == false)
    }

    @Test func storedRootsMatchRecomputedRootsAtEverySize() throws {
        let fixture = try LedgerFixture()
        for index in 0..<21 { _ = try Appender.append([note("n\(index)", signer: fixture.admin)], to: fixture.store) }
        let records = try fixture.records()
        var accumulator = MerkleAccumulator()
        for (index, record) in records.enumerated() {
            accumulator.append(leafHash: Merkle.leafHash(record))
            let stored = try fixture.store.read { try $0.root(size: Int64(index + 1)) }
            #expect(stored == accumulator.root, "size \(index + 1)")
        }
    }

    @Test func idempotentRetryWritesNothing() throws {
        let fixture = try LedgerFixture()
        let id = SecureRandom.uuidV4()
        let first = try Appender.append([note("seal checked", id: id, signer: fixture.admin)], to: fixture.store)
        let second = try Appender.append([note("seal checked", id: id, signer: fixture.admin)], to: fixture.store)
        #expect(first.seqs == second.seqs)
        #expect(second.alreadyRecorded)
        #expect(try fixture.count() == 3)
    }

    @Test func reusedIDWithDifferentContentIsAConflict() throws {
        let fixture = try LedgerFixture()
        let id = SecureRandom.uuidV4()
        _ = try Appender.append([note("seal checked", id: id, signer: fixture.admin)], to: fixture.store)
        expectError(.conflict, containing: "different content") {
            _ = try Appender.append([note("seal broken", id: id, signer: fixture.admin)], to: fixture.store)
        }
        expectError(.conflict, containing: "mixes") {
            _ = try Appender.append(
                [note("seal checked", id: id, signer: fixture.admin), note("new", signer: fixture.admin)],
                to: fixture.store)
        }
        #expect(try fixture.count() == 3)
    }

    @Test func expectedRevision() throws {
        let fixture = try LedgerFixture()
        _ = try Appender.append([note("a", signer: fixture.admin, expectRev: 1)], to: fixture.store)
        expectError(.conflict, containing: "is at revision 2, not the expected 1") {
            _ = try Appender.append([note("b", signer: fixture.admin, expectRev: 1)], to: fixture.store)
        }
        let fresh = EventDraft(
            type: EventTypes.keyRevoked, stream: "key/\(String(repeating: "a", count: 64))", data: ["reason": "x"],
            expectRev: 1, signer: fixture.admin)
        expectError(.conflict, containing: "is at revision 0") { _ = try Appender.append([fresh], to: fixture.store) }
        #expect(try fixture.count() == 3)
    }

    @Test func badInputLeavesTheLedgerUntouched() throws {
        let fixture = try LedgerFixture()
        let bob = try fixture.register()
        let before = try fixture.records()
        expectError(.refused, containing: "none of which may sign ledger.note") {
            _ = try Appender.append([note("hello", signer: bob)], to: fixture.store)
        }
        expectError(.refused, containing: "not a registered key") {
            _ = try Appender.append([note("hello", signer: .generate())], to: fixture.store)
        }
        expectError(.usage, containing: "unknown event type") {
            _ = try Appender.append(
                [
                    note("ok", signer: fixture.admin),
                    EventDraft(type: "x.y", stream: "ledger", data: [:], signer: fixture.admin),
                ],
                to: fixture.store)
        }
        expectError(.usage, containing: "over the limit") {
            _ = try Appender.append(
                [note(String(repeating: "x", count: 70_000), signer: fixture.admin)], to: fixture.store)
        }
        expectError(.usage, containing: "must match") {
            _ = try Appender.append(
                [
                    EventDraft(
                        type: EventTypes.ledgerNote, stream: "bad stream", data: ["text": "x"], signer: fixture.admin)
                ],
                to: fixture.store)
        }
        expectError(.usage, containing: "last admin") {
            _ = try KeyManagement.revoke(
                keyID: LedgerFixture.keyID(fixture.admin), reason: "x", compromisedSinceSeq: nil, signer: fixture.admin,
                store: fixture.store)
        }
        #expect(try fixture.records() == before)
    }

    @Test func revokedKeyCannotAppend() throws {
        let fixture = try LedgerFixture()
        let eve = try fixture.register(name: "Eve", person: "eve", roles: ["supervisor"])
        _ = try Appender.append([note("by eve", signer: eve)], to: fixture.store)
        _ = try KeyManagement.revoke(
            keyID: LedgerFixture.keyID(eve), reason: "left", compromisedSinceSeq: nil, signer: fixture.admin,
            store: fixture.store)
        expectError(.refused, containing: "was revoked at seq 5") {
            _ = try Appender.append([note("late", signer: eve)], to: fixture.store)
        }
    }

    @Test func registrationRequestChecks() throws {
        let fixture = try LedgerFixture()
        let key = Ed25519PrivateKey.generate()
        let other = KeyRequest(
            agency: "A", ledger: "other.example/x", name: "Bob", person: "bob", publicKey: key.publicKey)
        expectError(.usage, containing: "not this ledger") {
            _ = try KeyManagement.register(
                requestText: Array(other.signedDocument(with: key).utf8), roles: ["custodian"], admin: fixture.admin,
                store: fixture.store)
        }
        let mine = KeyRequest(agency: "A", ledger: fixture.origin, name: "Bob", person: "bob", publicKey: key.publicKey)
        let forged = mine.signedDocument(with: .generate())
        expectError(.usage, containing: "does not verify") {
            _ = try KeyManagement.register(
                requestText: Array(forged.utf8), roles: ["custodian"], admin: fixture.admin, store: fixture.store)
        }
        expectError(.usage, containing: "unknown role") {
            _ = try KeyManagement.register(
                requestText: Array(mine.signedDocument(with: key).utf8), roles: ["wizard"], admin: fixture.admin,
                store: fixture.store)
        }
        #expect(try fixture.count() == 2)
    }

    @Test func encryptedKeysNeedTheRightPassphrase() throws {
        let directory = TemporaryDirectory()
        _ = try LedgerSetup.initialize(
            at: ledgerLocation(directory.path("l.ledger")), origin: "ledger.test.example/pass",
            admin: Identity(name: "Ada", person: "ada", agency: "A"), adminKeyPath: directory.path("admin.pem"),
            logKeyPath: directory.path("log.pem"), passphrase: "correct horse")
        #expect(throws: LedgerError.self) { _ = try KeyFiles.load(directory.path("admin.pem"), passphrase: "wrong") }
        #expect(throws: LedgerError.self) { _ = try KeyFiles.load(directory.path("admin.pem"), passphrase: nil) }
        _ = try KeyFiles.load(directory.path("admin.pem"), passphrase: "correct horse")
        let mode =
            try FileManager.default.attributesOfItem(atPath: directory.path("admin.pem"))[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func initNeverOverwrites() throws {
        let fixture = try LedgerFixture()
        expectError(.usage, containing: "already exists") {
            _ = try LedgerSetup.initialize(
                at: ledgerLocation(fixture.path), origin: "x.example/y",
                admin: Identity(name: "A", person: "a", agency: "A"),
                adminKeyPath: fixture.directory.path("a2.pem"), logKeyPath: fixture.directory.path("l2.pem"),
                passphrase: nil)
        }
        expectError(.usage, containing: "origin") {
            _ = try LedgerSetup.initialize(
                at: ledgerLocation(fixture.directory.path("new.ledger")), origin: "bad origin",
                admin: Identity(name: "A", person: "a", agency: "A"),
                adminKeyPath: fixture.directory.path("a3.pem"), logKeyPath: fixture.directory.path("l3.pem"),
                passphrase: nil)
        }
        #expect(!FileManager.default.fileExists(atPath: fixture.directory.path("a3.pem")))
        #expect(!FileManager.default.fileExists(atPath: fixture.directory.path("new.ledger")))
    }

    @Test func pipelinedBatchesDecideEachOnTheStateTheLastOneLeft() throws {
        let fixture = try LedgerFixture()
        // The ledger stream is at revision 1 (ledger.created); each batch's first draft expects the revision the
        // batch before it left, which a batch decided ahead sees only if it reads that batch's writes.
        let batches = (0..<5).map { batch in
            (0..<150).map { index in
                note(
                    "b\(batch) n\(index)", signer: fixture.admin,
                    expectRev: index == 0 ? Int64(1 + 150 * batch) : nil)
            }
        }
        let results = try Appender.append(batches: batches, to: fixture.store)
        #expect(results.map(\.seqs.count) == [150, 150, 150, 150, 150])
        #expect(results.flatMap(\.seqs) == Array(3...752))
        let report = try VerifyRunner.verify(store: fixture.store, options: VerifyOptions(), source: fixture.path)
        #expect(report.failure == nil)
        #expect(report.summary?.findings.isEmpty == true)
    }

    @Test func aBatchDecidedAheadIsDecidedAgainWhenAnotherWriterCameFirst() throws {
        let fixture = try LedgerFixture()
        let drafts = (0..<3).map { note("ahead \($0)", signer: fixture.admin) }
        // Decided on the head at seq 2, in a transaction that then ends without storing it.
        let stale = try fixture.store.write { try Appender.decide(drafts, in: $0, genesisActor: nil) }
        _ = try Appender.append([note("another writer", signer: fixture.admin)], to: fixture.store)
        let timings = AppendTimings()
        let result = try fixture.store.write {
            try Appender.storeBatch(drafts, decidedAhead: stale, in: $0, timings: timings)
        }
        #expect(result.seqs == [4, 5, 6])
        #expect(timings.decidedAgain == 1)
        // On an unchanged head the batch decided ahead is the one stored.
        let fresh = try fixture.store.write { try Appender.decide(drafts, in: $0, genesisActor: nil) }
        let again = try fixture.store.write {
            try Appender.storeBatch(drafts, decidedAhead: fresh, in: $0, timings: timings)
        }
        #expect(again.seqs == [7, 8, 9])
        #expect(timings.decidedAgain == 1)
        let report = try VerifyRunner.verify(store: fixture.store, options: VerifyOptions(), source: fixture.path)
        #expect(report.failure == nil)
    }

    /// Batches made lazily: asking for batch `index` first runs `before(index)` (another writer, say).
    private struct Batches: Sequence, IteratorProtocol {
        let batches: [[EventDraft]]
        let before: (Int) throws -> Void
        var index = 0

        mutating func next() -> [EventDraft]? {
            guard index < batches.count else { return nil }
            defer { index += 1 }
            do { try before(index) } catch { Issue.record("the other writer failed: \(error)") }
            return batches[index]
        }
    }

    @Test(arguments: ["ledger", "a key's stream"])
    func aBatchPreparedAheadIsPreparedAgainWhenAnotherWriterCameFirst(_ stream: String) throws {
        let fixture = try LedgerFixture()
        // Batch 1 is prepared and signed while batch 0 is written; asking for batch 2 (while batch 1 waits for its
        // write) lets another writer append first, on the batches' stream or on another one.
        let batches = (0..<3).map { batch in (0..<20).map { note("b\(batch) n\($0)", signer: fixture.admin) } }
        let timings = AppendTimings()
        let results = try Appender.append(
            batches: Batches(batches: batches) { index in
                guard index == 2 else { return }
                if stream == "ledger" {
                    _ = try Appender.append([note("another writer", signer: fixture.admin)], to: fixture.store)
                } else {
                    try fixture.register()  // a key's own stream
                }
            }, to: fixture.store, timings: timings)
        #expect(results.map(\.seqs) == [Array(3...22), Array(24...43), Array(44...63)])
        // On the batches' stream, batch 1 is prepared again in its write, and so is batch 2, chained on batch 1's
        // first statements; on another stream, both are written as prepared.
        #expect(timings.decidedAgain == (stream == "ledger" ? 2 : 0))
        let report = try VerifyRunner.verify(store: fixture.store, options: VerifyOptions(), source: fixture.path)
        #expect(report.failure == nil, "\(String(describing: report.failure))")
        #expect(report.summary?.findings.isEmpty == true)
    }

    @Test func aBatchWithAnIDOfTheBatchBeforeItIsReportedAlreadyRecorded() throws {
        let fixture = try LedgerFixture()
        // The second batch repeats the first (same ids): it cannot be prepared ahead, and once the first is written
        // it is recorded already.
        let batch = (0..<10).map { note("n\($0)", id: SecureRandom.uuidV4(), signer: fixture.admin) }
        let results = try Appender.append(batches: [batch, batch], to: fixture.store)
        #expect(results.map(\.alreadyRecorded) == [false, true])
        #expect(results[0].seqs == results[1].seqs)
        #expect(try fixture.count() == 12)
    }

    @Test func aRefusedBatchKeepsTheBatchesBeforeIt() throws {
        let fixture = try LedgerFixture()
        let batches = (0..<4).map { batch in
            (0..<40).map { index in
                // Batch 2 (the third) expects a revision the stream is not at.
                note("b\(batch) n\(index)", signer: fixture.admin, expectRev: batch == 2 && index == 0 ? 7 : nil)
            }
        }
        expectError(.conflict, containing: "batch 3: stream ledger is at revision 81") {
            _ = try Appender.append(batches: batches, to: fixture.store)
        }
        #expect(try fixture.count() == 82)
        let report = try VerifyRunner.verify(store: fixture.store, options: VerifyOptions(), source: fixture.path)
        #expect(report.failure == nil)
    }

    @Test func aLargeBatchIsSequencedWhileItsLaterPartsAreSigned() throws {
        let fixture = try LedgerFixture()
        // Three parts of 256 and a short one: the write places the first while the others are signed.
        let drafts = (0..<800).map { note("n\($0)", signer: fixture.admin) }
        let result = try Appender.append(drafts, to: fixture.store)
        #expect(result.seqs == Array(3...802))
        let report = try VerifyRunner.verify(store: fixture.store, options: VerifyOptions(), source: fixture.path)
        #expect(report.failure == nil, "\(String(describing: report.failure))")
        #expect(report.summary?.findings.isEmpty == true)
        #expect(report.summary?.checkpointSizes.last == 802)
    }

    @Test func aLargeBatchRefusedInItsLastPartWritesNothing() throws {
        let fixture = try LedgerFixture()
        var drafts = (0..<700).map { note("n\($0)", signer: fixture.admin) }
        // Refused by the type table, which only the sequencer applies: after two parts are placed.
        drafts[600] = EventDraft(type: "x.y", stream: "ledger", data: [:], signer: fixture.admin)
        let before = try fixture.records()
        expectError(.usage, containing: "unknown event type") {
            _ = try Appender.append(drafts, to: fixture.store)
        }
        #expect(try fixture.records() == before)
    }

    @Test func checkpointNeedsTheLogKey() throws {
        let fixture = try LedgerFixture()
        expectError(.usage, containing: "not the ledger's log key") {
            _ = try Checkpointer.checkpoint(store: fixture.store, logKey: fixture.admin)
        }
    }
}
