import CustodyDomain
import Dispatch
import Foundation
import LedgerCore
import LedgerCrypto
import LedgerStores
import LedgerTestSupport
import Testing

@testable import LedgerApp

/// An error of the test's own, which a store must pass through unchanged.
private struct Abort: Error {}

/// Appending: through the appender and raw, one linear chain, all or nothing, idempotency and conflicts.
struct AppendConformanceTests {
    /// Version 2: a stream's head is what its next statement must name, the previous statement's hash (not its
    /// body hash), with the time rule 3 of FORMAT.md §12.5 needs; and every commit stores its checkpoint.
    @Test(arguments: StoreKind.allCases)
    func aVersion2StreamHeadNamesTheStatementHashAndEveryCommitIsCheckpointed(_ kind: StoreKind) throws {
        let fixture = try kind.statementFixture()
        _ = try Appender.append(
            [EventDraft(type: EventTypes.ledgerNote, stream: "ledger", data: ["text": "v2"], signer: fixture.admin)],
            to: fixture.store)
        let last = try Entry.parse(record: try #require(try fixture.records().last))
        #expect(last.body.isStatement)
        try fixture.store.read { reader in
            let head = try #require(try reader.streamHead("ledger"))
            #expect(head.rev == 2)
            #expect(head.link == Hex.encode(last.statementHash))
            #expect(head.link != last.bodyHashHex)
            #expect(head.time == last.body.time)
            #expect(try reader.checkpointNotes().map(\.size) == [2, 3])
        }
        #expect(try fixture.verifyFailure() == nil)
    }

    /// One checkpoint read by index is the one the full list holds: the newest, an exact size, the smallest that
    /// covers a seq, each with its cosignature lines in the order stored.
    @Test(arguments: StoreKind.allCases)
    func oneCheckpointIsReadAsTheFullListHoldsIt(_ kind: StoreKind) throws {
        let fixture = try kind.statementFixture()
        for text in ["one", "two", "three"] {
            _ = try Appender.append(
                [
                    EventDraft(
                        type: EventTypes.ledgerNote, stream: "ledger", data: ["text": .string(text)],
                        signer: fixture.admin)
                ],
                to: fixture.store)
        }
        try fixture.store.write { transaction in
            for line in ["\u{2014} b.example AQID\n", "\u{2014} a.example BAUG\n"] {
                _ = try transaction.insertCosignature(size: 4, line: line, at: "2026-12-06T12:00:00.000Z")
            }
        }
        try fixture.store.read { reader in
            let notes = try reader.checkpointNotes()
            #expect(notes.map(\.size) == [2, 3, 4, 5])
            #expect(notes[2].note.hasSuffix("\u{2014} b.example AQID\n\u{2014} a.example BAUG\n"))
            func same(_ a: (size: Int64, note: String)?, _ b: (size: Int64, note: String)?) -> Bool {
                a?.size == b?.size && a?.note == b?.note
            }
            #expect(same(try reader.checkpointNote(.newest), notes.last))
            for note in notes { #expect(same(try reader.checkpointNote(.size(note.size)), note)) }
            #expect(try reader.checkpointNote(.size(1)) == nil)
            #expect(same(try reader.checkpointNote(.smallestCovering(1)), notes[0]))
            #expect(same(try reader.checkpointNote(.smallestCovering(4)), notes[2]))
            #expect(try reader.checkpointNote(.smallestCovering(6)) == nil)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func providerCreatesOpensAndNeverOverwrites(_ kind: StoreKind) throws {
        let directory = TemporaryDirectory()
        let stores = kind.stores()
        let location = directory.path("new.ledger")
        #expect(!stores.exists(location))
        #expect(stores.displayName(location) == location)
        expectStoreError(.noLedger) { _ = try stores.open(location, schema: .custody, readOnly: false) }
        // A creation whose initializer throws leaves nothing behind.
        #expect(throws: Abort.self) {
            try stores.create(location, schema: .custody) { transaction in
                try transaction.setMeta("origin", "ledger.test.example/x")
                throw Abort()
            }
        }
        #expect(!stores.exists(location))
        let made = try stores.create(location, schema: .custody) { transaction in
            try transaction.setMeta("origin", "ledger.test.example/x")
            return 7
        }
        #expect(made == 7)
        #expect(stores.exists(location))
        expectStoreError(.alreadyExists) { try stores.create(location, schema: .custody) { _ in } }
        let store = try stores.open(location, schema: .custody, readOnly: false)
        #expect(try store.read { try $0.meta("origin") } == "ledger.test.example/x")
        #expect(try store.read { try $0.entryCount() } == 0)
        #expect(!store.engineDescription.isEmpty)
        // Read-only: reads work, writes are refused and change nothing.
        let reader = try stores.open(location, schema: .custody, readOnly: true)
        #expect(try reader.read { try $0.meta("origin") } == "ledger.test.example/x")
        #expect(throws: StoreError.self) { try reader.write { try $0.setMeta("origin", "changed") } }
        #expect(try store.read { try $0.meta("origin") } == "ledger.test.example/x")
    }

    @Test(arguments: StoreKind.allCases)
    func appendsThroughTheAppenderVerify(_ kind: StoreKind) throws {
        let fixture = try kind.fixture()
        let bob = try fixture.register()
        let batch = try Appender.append((0..<3).map { note("batch \($0)", signer: fixture.admin) }, to: fixture.store)
        #expect(batch.seqs == [4, 5, 6])
        #expect(!batch.alreadyRecorded)
        for index in 0..<2 {
            _ = try Appender.append([note("single \(index)", signer: fixture.admin)], to: fixture.store)
        }
        _ = try KeyManagement.revoke(
            keyID: LedgerFixture.keyID(bob), reason: "left", compromisedSinceSeq: nil, signer: bob, store: fixture.store
        )
        #expect(try fixture.count() == 9)
        let seqs = try fixture.records().map { try Entry.parse(record: $0).body.seq }
        #expect(seqs == Array(1...9))
        let report = try VerifyRunner.verify(store: fixture.store, options: VerifyOptions(), source: fixture.path)
        #expect(report.failure == nil, "\(String(describing: report.failure))")
        #expect(report.summary?.entries == 9)
        #expect(report.exitStatus == 0)
        // What another process opening the ledger sees.
        #expect(try fixture.reopen(readOnly: true).read { try $0.entryCount() } == 9)
    }

    @Test(arguments: StoreKind.allCases)
    func rawInsertsComeBackByteForByteWithTheirColumnsAndHashes(_ kind: StoreKind) throws {
        let ledger = try EmptyLedger(kind)
        var builder = LedgerBuilder()
        builder.register()
        for index in 0..<12 {
            builder.append(
                type: EventTypes.ledgerNote, stream: index % 3 == 0 ? "notes/a" : "ledger",
                data: ["text": .string("n\(index) \u{00FC}")], signer: builder.admin)
        }
        try ledger.store.write { try insertRaw(builder.entries, in: $0) }
        var accumulator = MerkleAccumulator()
        let expectedNodes = builder.entries.map {
            Array(accumulator.append(leafHash: Merkle.leafHash($0.record)).joined())
        }
        var stored: [StoredRecord] = []
        try ledger.store.read { reader in
            try reader.forEachRecord(RecordFilter()) {
                stored.append($0)
                return true
            }
        }
        #expect(stored.map(\.record) == builder.records)
        #expect(stored.map(\.seq) == Array(1...Int64(builder.entries.count)))
        #expect(stored.map(\.leafHash) == builder.records.map(Merkle.leafHash))
        #expect(stored.map(\.nodes) == expectedNodes)
        #expect(stored.map(\.columns) == builder.entries.map { StoredColumns($0) })

        try ledger.store.read { reader in
            var bare: [StoredRecord] = []
            try reader.forEachRecord(RecordFilter(withStoredState: false)) {
                bare.append($0)
                return true
            }
            #expect(bare.map(\.record) == builder.records)
            #expect(bare.allSatisfy { $0.leafHash.isEmpty && $0.nodes.isEmpty && $0.columns == nil })
            var range: [Int64] = []
            try reader.forEachRecord(RecordFilter(from: 4, to: 7)) {
                range.append($0.seq)
                return true
            }
            #expect(range == [4, 5, 6, 7])
            var stream: [Int64] = []
            try reader.forEachRecord(RecordFilter(stream: "notes/a")) {
                stream.append($0.seq)
                return true
            }
            #expect(stream == builder.entries.filter { $0.body.stream == "notes/a" }.map(\.body.seq))
            // By type: alone, with a stream and a range; a type name written into the statement or bound.
            func seqs(_ filter: RecordFilter) throws -> [Int64] {
                var seqs: [Int64] = []
                try reader.forEachRecord(filter) {
                    seqs.append($0.seq)
                    return true
                }
                return seqs
            }
            let notes = builder.entries.filter { $0.body.type == EventTypes.ledgerNote }.map(\.body.seq)
            #expect(try seqs(RecordFilter(type: EventTypes.ledgerNote)) == notes)
            #expect(
                try seqs(RecordFilter(from: 5, to: 9, stream: "ledger", type: EventTypes.ledgerNote))
                    == builder.entries.filter {
                        $0.body.type == EventTypes.ledgerNote && $0.body.stream == "ledger"
                            && (5...9).contains($0.body.seq)
                    }.map(\.body.seq))
            #expect(
                try seqs(RecordFilter(type: EventTypes.keyRegistered, withStoredState: false))
                    == builder.entries.filter { $0.body.type == EventTypes.keyRegistered }.map(\.body.seq))
            #expect(try seqs(RecordFilter(type: EventTypes.logKeyRotated)).isEmpty)
            #expect(try seqs(RecordFilter(type: "Ledger.Note")).isEmpty, "compared byte for byte")
            #expect(try seqs(RecordFilter(type: "ledger.note' OR '1'='1")).isEmpty, "never written into the statement")
            var visited = 0
            try reader.forEachRecord(RecordFilter()) { _ in
                visited += 1
                return visited < 2
            }
            #expect(visited == 2, "stops when the visitor returns false")
        }
        let entry = builder.entries[6]
        try ledger.store.write { transaction throws in
            #expect(try transaction.record(forID: entry.body.id) == entry.record)
            #expect(try transaction.record(forID: SecureRandom.uuidV4()) == nil)
        }
    }

    /// The batch reads an appender makes for a whole group answer as the one-at-a-time reads do, in the order asked,
    /// with repeats and unknowns, for committed entries and for those a transaction has inserted but not sent yet.
    @Test(arguments: StoreKind.allCases)
    func batchHeadsAndRecordsAnswerAsTheSingleReads(_ kind: StoreKind) throws {
        let ledger = try EmptyLedger(kind)
        var builder = LedgerBuilder()
        builder.register()
        for index in 0..<9 {
            builder.append(
                type: EventTypes.ledgerNote, stream: ["ledger", "notes/a", "notes/b"][index % 3],
                data: ["text": .string("n\(index)")], signer: builder.admin)
        }
        let (committed, waiting) = (Array(builder.entries.prefix(6)), Array(builder.entries.dropFirst(6)))
        try ledger.store.write { try insertRaw(committed, in: $0) }
        let streams = ["notes/c", "ledger", "no/such", "notes/a", "ledger", "notes/b"]
        let ids = [SecureRandom.uuidV4()] + builder.entries.map(\.body.id).reversed() + [builder.entries[2].body.id]
        func expectSame(_ reader: any LedgerReader) throws {
            let heads = try reader.streamHeads(streams)
            #expect(heads.count == streams.count)
            for (stream, head) in zip(streams, heads) {
                let single = try reader.streamHead(stream)
                #expect(head?.rev == single?.rev && head?.link == single?.link && head?.time == single?.time)
            }
            #expect(heads[2] == nil && heads[0] == nil)
            let records = try reader.records(forIDs: ids)
            #expect(records.count == ids.count)
            for (id, record) in zip(ids, records) { #expect(record == (try reader.record(forID: id))) }
            #expect(try reader.streamHeads([]).isEmpty && reader.records(forIDs: []).isEmpty)
            let byStream = try reader.streamHeads(of: streams)
            #expect(byStream.count == 3)
            let size = try reader.entryCount()
            let locations = (1...size).flatMap { Merkle.subtreeLocations(size: $0) } + [(seq: size, level: 0)]
            #expect(
                try reader.subtreeHashes(locations)
                    == locations.map { try reader.subtreeHash(seq: $0.seq, level: $0.level) })
            #expect(
                try reader.root(size: size)
                    == referenceRoot(ArraySlice(builder.records.prefix(Int(size)).map(Merkle.leafHash))))
        }
        try ledger.store.read { reader in
            try expectSame(reader)
            #expect(try reader.records(forIDs: ids).compactMap { $0 }.count == committed.count + 1)
        }
        try ledger.store.write { transaction in
            try insertRaw(waiting, in: transaction)
            try expectSame(transaction)
            #expect(try transaction.records(forIDs: ids).compactMap { $0 }.count == builder.entries.count + 1)
            let last = try #require(builder.entries.last { $0.body.stream == "ledger" })
            #expect(try transaction.streamHeads(["ledger"])[0]?.link == last.streamLinkHex)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func theStoreRefusesOutOfOrderSeqsReusedIDsAndStreamRevisions(_ kind: StoreKind) throws {
        let fixture = try kind.fixture()
        let genesis = try Entry.parse(record: try fixture.records()[1])
        let changes: [(String, (inout EntryBody) -> Void)] = [
            ("same seq", { $0.seq -= 1 }), ("gap", { $0.seq += 1 }), ("reused id", { $0.id = genesis.body.id }),
            ("reused revision", { $0.streamRev = 1 }),
        ]
        for (text, change) in changes {
            // Refused by the insert, or (a store that sends entries in groups) by the commit: nothing is written.
            expectStoreError(.engine) {
                try fixture.store.write { transaction in
                    let entry = try nextNote(text, in: transaction, signer: fixture.admin, change: change)
                    try transaction.insert(entry, leafHash: Merkle.leafHash(entry.record), nodes: [])
                    try transaction.writeProjectionRows([], builtTo: entry.body.seq)
                }
            }
            #expect(try fixture.count() == 2, "\(text): a refused insert leaves nothing")
        }
        // An out-of-order seq is refused by the insert itself: the transaction goes on and commits what follows.
        try fixture.store.write { transaction in
            let gap = try nextNote("gap", in: transaction, signer: fixture.admin) { $0.seq += 1 }
            expectStoreError(.engine) { try transaction.insert(gap, leafHash: Merkle.leafHash(gap.record), nodes: []) }
            #expect(try transaction.entryCount() == 2, "a refused insert leaves nothing, even before the commit")
            let entry = try nextNote("accepted", in: transaction, signer: fixture.admin)
            try insertRaw([entry], in: transaction)
            try transaction.writeProjectionRows([], builtTo: entry.body.seq)
        }
        #expect(try fixture.count() == 3)
        // A refusal that the body does not catch rolls the whole transaction back.
        expectStoreError(.engine) {
            try fixture.store.write { transaction in
                try insertRaw([try nextNote("first", in: transaction, signer: fixture.admin)], in: transaction)
                let duplicate = try nextNote("second", in: transaction, signer: fixture.admin) { $0.seq -= 1 }
                try transaction.insert(duplicate, leafHash: Merkle.leafHash(duplicate.record), nodes: [])
            }
        }
        #expect(try fixture.count() == 3)
        #expect(try fixture.verifyFailure() == nil)
    }

    @Test(arguments: StoreKind.allCases)
    func aThrowingWriteLeavesNothingBehind(_ kind: StoreKind) throws {
        let fixture = try kind.custodyFixture()
        try fixture.seize("EV-1")
        _ = try Checkpointer.checkpoint(store: fixture.ledger.store, logKey: fixture.ledger.logKey)
        let before = try VisibleState(fixture.ledger.store)
        let newcomer = Ed25519PrivateKey.generate()
        let newcomerID = LedgerFixture.keyID(newcomer)
        let request = KeyRequest(
            agency: "Test Agency", ledger: fixture.ledger.origin, name: "Zoe", person: "zoe",
            publicKey: newcomer.publicKey)
        let registration = EventDraft(
            type: EventTypes.keyRegistered, stream: "key/\(newcomerID)",
            data: KeyManagement.registrationData(request, keyID: newcomerID, roles: [Roles.custodian]),
            signer: fixture.ledger.admin,
            presigned: [EntrySignature(key: newcomerID, signature: newcomer.sign(request.message))])
        let seizure = EventDraft(
            type: CustodyEvents.itemSeized, stream: "item/EV-2", data: CustodyFixture.seizure(),
            signer: try fixture.key("carol"))
        #expect(throws: Abort.self) {
            try fixture.ledger.store.write { transaction in
                let result = try Appender.append([registration, seizure], in: transaction, genesisActor: nil)
                #expect(result.seqs.count == 2)
                #expect(try transaction.key(newcomerID) != nil, "a transaction reads its own writes")
                #expect(try transaction.projectionState(.items, key: "EV-2") != nil)
                let size = try transaction.entryCount()
                // A version-2 append stores its group's checkpoint in the same transaction; it goes too.
                #expect(try transaction.checkpointNotes().contains { $0.size == size })
                #expect(try transaction.insertCheckpoint(size: size + 1, note: "note\n", at: storedAt))
                #expect(try transaction.insertCosignature(size: size, line: "\u{2014} w x\n", at: storedAt))
                #expect(try transaction.insertTimestamp(size: size, response: [1, 2, 3], at: storedAt))
                try transaction.setMeta("origin", "ledger.test.example/changed")
                try transaction.writeProjectionRows([], builtTo: 999)
                try transaction.clearProjections()
                throw Abort()
            }
        }
        #expect(try VisibleState(fixture.ledger.store) == before)
        // The appender's own refusal of a batch (its last draft breaks a custody rule) leaves nothing either.
        #expect(throws: LedgerError.self) {
            _ = try Appender.append([seizure, seizure], to: fixture.ledger.store)
        }
        #expect(try VisibleState(fixture.ledger.store) == before)
        #expect(try fixture.ledger.verifyFailure() == nil)
    }

    @Test(arguments: StoreKind.allCases)
    func aRetryWithTheSameIDIsAlreadyRecordedAndOtherContentConflicts(_ kind: StoreKind) throws {
        let fixture = try kind.fixture()
        let id = SecureRandom.uuidV4()
        let first = try Appender.append([note("seal checked", id: id, signer: fixture.admin)], to: fixture.store)
        let again = try Appender.append([note("seal checked", id: id, signer: fixture.admin)], to: fixture.store)
        #expect(first.seqs == [3])
        #expect(again.seqs == first.seqs)
        #expect(again.alreadyRecorded)
        #expect(try fixture.count() == 3)
        for (drafts, words) in [
            ([note("seal broken", id: id, signer: fixture.admin)], "different content"),
            ([note("seal checked", id: id, signer: fixture.admin), note("new", signer: fixture.admin)], "mixes"),
        ] {
            do {
                _ = try Appender.append(drafts, to: fixture.store)
                Issue.record("expected a conflict mentioning \(words)")
            } catch let error as LedgerError {
                #expect(error.kind == .conflict, "\(error)")
                #expect(error.description.contains(words), "\(error)")
            }
        }
        #expect(try fixture.count() == 3)
    }

    @Test(arguments: StoreKind.allCases)
    func headsAndCountsFollowTheRecords(_ kind: StoreKind) throws {
        let empty = try EmptyLedger(kind)
        try empty.store.read { reader throws in
            #expect(try reader.entryCount() == 0)
            #expect(try reader.head() == nil)
            #expect(try reader.streamHead("ledger") == nil)
            #expect(try reader.root(size: 0) == Merkle.emptyRoot)
            #expect(try reader.checkpointNotes().isEmpty)
            #expect(try reader.timestampResponses().isEmpty)
            #expect(try reader.allKeys().isEmpty)
            #expect(try reader.activeAdminCount() == 0)
            #expect(try reader.projectionSeq() == 0)
        }
        let fixture = try kind.fixture()
        let bob = try fixture.register()
        for index in 0..<4 { _ = try Appender.append([note("n\(index)", signer: fixture.admin)], to: fixture.store) }
        let entries = try fixture.records().map { try Entry.parse(record: $0) }
        try fixture.store.read { reader in
            #expect(try reader.entryCount() == 7)
            let head = try #require(try reader.head())
            #expect(head.seq == 7)
            #expect(head.bodyHash == entries[6].bodyHashHex)
            #expect(head.time == entries[6].body.time)
            let ledgerStream = try #require(try reader.streamHead("ledger"))
            #expect(ledgerStream.rev == 5)
            #expect(ledgerStream.link == entries[6].streamLinkHex)
            let keyStream = try #require(try reader.streamHead("key/\(LedgerFixture.keyID(bob))"))
            #expect(keyStream.rev == 1)
            #expect(keyStream.link == entries[2].streamLinkHex)
            #expect(try reader.streamHead("no/such/stream") == nil)
            #expect(try reader.allKeys().map(\.keyID) == [fixture.admin, bob].map(LedgerFixture.keyID))
            #expect(try reader.key(LedgerFixture.keyID(bob))?.roles == ["custodian"])
            #expect(try reader.activeAdminCount() == 1)
            #expect(try reader.meta("origin") == fixture.origin)
            #expect(try reader.projectionSeq() == 7)
        }
    }

    /// One linear chain: writers on two handles of the ledger (two processes, or a server's threads), through the
    /// async entry points, each append seeing the head the previous one committed.
    @Test(arguments: StoreKind.allCases)
    func concurrentAsyncWritersFormOneChain(_ kind: StoreKind) async throws {
        let fixture = try kind.fixture()
        let handles = [fixture.store, try fixture.reopen()]
        let admin = fixture.admin
        let seqs = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for (writer, handle) in handles.enumerated() {
                group.addTask {
                    var seqs: [Int64] = []
                    for index in 0..<6 {
                        let result = try await handle.write { transaction in
                            try Appender.append(
                                [note("writer \(writer) n\(index)", signer: admin)], in: transaction, genesisActor: nil)
                        }
                        seqs += result.seqs
                    }
                    return seqs
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(seqs.sorted() == Array(3...14))
        #expect(try await fixture.store.read { try $0.entryCount() } == 14)
        #expect(try fixture.verifyFailure() == nil)
    }

    @Test(arguments: StoreKind.allCases)
    func asyncEntryPointsCommitAndRollBackLikeTheSynchronousOnes(_ kind: StoreKind) async throws {
        let fixture = try kind.fixture()
        let admin = fixture.admin
        let result = try await fixture.store.write { transaction in
            try Appender.append([note("async", signer: admin)], in: transaction, genesisActor: nil)
        }
        #expect(result.seqs == [3])
        await #expect(throws: Abort.self) {
            try await fixture.store.write { transaction in
                _ = try Appender.append([note("rolled back", signer: admin)], in: transaction, genesisActor: nil)
                throw Abort()
            }
        }
        let store = fixture.store
        let counts = try await withThrowingTaskGroup(of: Int64.self) { group in
            for _ in 0..<4 { group.addTask { try await store.read { try $0.entryCount() } } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(counts == [3, 3, 3, 3])
        let head = try await fixture.store.read { try $0.head()?.seq }
        #expect(head == 3)
    }

    /// A read sees one committed state from its start to its end while another writer commits.
    ///
    /// The reading handle is opened for writing (as appends open it) or for reading (as `ledger verify` does).
    @Test(arguments: StoreKind.allCases, [false, true])
    func aReadSeesOneSnapshotWhileAnotherWriterCommits(_ kind: StoreKind, readOnly: Bool) throws {
        let fixture = try kind.custodyFixture()
        try fixture.seize("EV-1")
        let writer = try fixture.ledger.reopen()
        let reader =
            readOnly ? try fixture.ledger.location.openForReading() : fixture.ledger.store
        let before = try fixture.count()
        let seizure = EventDraft(
            type: CustodyEvents.itemSeized, stream: "item/EV-2", data: CustodyFixture.seizure(),
            signer: try fixture.key("carol"))
        let reading = DispatchSemaphore(value: 0)
        let committed = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            _ = reading.wait(timeout: .now() + 30)
            _ = try? Appender.append([seizure], to: writer)
            committed.signal()
        }
        let seen = try reader.read { reader in
            let first = try reader.entryCount()
            let firstItems = try projectionRows(of: reader, [.items]).count
            reading.signal()
            let didCommit = committed.wait(timeout: .now() + 30) == .success
            var records = 0
            try reader.forEachRecord(RecordFilter()) { _ in
                records += 1
                return true
            }
            return (
                first: first, firstItems: firstItems, didCommit: didCommit, count: try reader.entryCount(),
                records: Int64(records), head: try reader.head()?.seq,
                items: try projectionRows(of: reader, [.items]).count,
                newItem: try reader.projectionState(.items, key: "EV-2"), built: try reader.projectionSeq()
            )
        }
        #expect(seen.didCommit, "the other writer committed while the read was open")
        #expect(seen.first == before && seen.count == before && seen.records == before && seen.head == before)
        #expect(seen.firstItems == 1 && seen.items == 1 && seen.newItem == nil)
        #expect(seen.built == before)
        #expect(try fixture.count() == before + 1, "a read that starts afterwards sees the commit")
    }
}
