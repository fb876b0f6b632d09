import Foundation
import LedgerApp
import LedgerCore
import LedgerCrypto
import LedgerTestSupport
import Testing

/// The stored Merkle tree, checkpoints, cosignatures and time stamps.
struct TreeConformanceTests {
    @Test(arguments: StoreKind.allCases)
    func storedSubtreeHashesAndRootsAreTheTreeHash(_ kind: StoreKind) throws {
        let fixture = try kind.fixture()
        for batch in 0..<3 {
            _ = try Appender.append((0..<7).map { note("b\(batch) n\($0)", signer: fixture.admin) }, to: fixture.store)
        }
        let leaves = try fixture.records().map(Merkle.leafHash)
        #expect(leaves.count == 23)
        try fixture.store.read { reader throws in
            for size in 0...leaves.count {
                let expected = referenceRoot(leaves[0..<size])
                #expect(try reader.root(size: Int64(size)) == expected, "size \(size)")
                #expect(try reader.accumulator(size: Int64(size)).root == expected, "size \(size)")
            }
            for seq in 1...leaves.count {
                var level = 0
                while seq % (1 << level) == 0 {
                    let expected = referenceRoot(leaves[(seq - (1 << level))..<seq])
                    #expect(
                        try reader.subtreeHash(seq: Int64(seq), level: level) == expected, "seq \(seq) level \(level)")
                    level += 1
                }
                // A leaf stores only the nodes it completes.
                expectStoreError(.damaged) { _ = try reader.subtreeHash(seq: Int64(seq), level: level) }
            }
            expectStoreError(.damaged) { _ = try reader.subtreeHash(seq: Int64(leaves.count + 1), level: 0) }
        }
    }

    @Test(arguments: StoreKind.allCases)
    func checkpointsCosignaturesAndTimestampsAreStoredOnce(_ kind: StoreKind) throws {
        let ledger = try EmptyLedger(kind)
        try ledger.store.write { transaction throws in
            #expect(try transaction.insertCheckpoint(size: 5, note: "five\n", at: storedAt))
            #expect(try transaction.insertCheckpoint(size: 2, note: "two\n", at: storedAt))
            #expect(try !transaction.insertCheckpoint(size: 5, note: "another five\n", at: storedAt))
            #expect(try transaction.insertCosignature(size: 5, line: "\u{2014} w1 a\n", at: storedAt))
            #expect(try transaction.insertCosignature(size: 5, line: "\u{2014} w2 b\n", at: storedAt))
            #expect(try !transaction.insertCosignature(size: 5, line: "\u{2014} w1 a\n", at: storedAt))
            // A line for a size without a checkpoint is kept, but belongs to no note.
            #expect(try transaction.insertCosignature(size: 9, line: "\u{2014} w1 c\n", at: storedAt))
            #expect(try transaction.insertTimestamp(size: 5, response: [1, 2, 3], at: storedAt))
            #expect(try !transaction.insertTimestamp(size: 5, response: [1, 2, 3], at: storedAt))
            #expect(try transaction.insertTimestamp(size: 2, response: [9], at: storedAt))
            #expect(try transaction.insertTimestamp(size: 5, response: [4], at: storedAt))
        }
        // Cosignature lines are separate rows: a second write adds to the same note.
        #expect(try ledger.store.write { try $0.insertCosignature(size: 2, line: "\u{2014} w3 d\n", at: storedAt) })
        try ledger.store.read { reader in
            let notes = try reader.checkpointNotes()
            #expect(notes.map(\.size) == [2, 5])
            #expect(notes.map(\.note) == ["two\n\u{2014} w3 d\n", "five\n\u{2014} w1 a\n\u{2014} w2 b\n"])
            let stamps = try reader.timestampResponses()
            #expect(stamps.map(\.size) == [2, 5, 5])
            #expect(stamps.map(\.response) == [[9], [1, 2, 3], [4]])
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aCheckpointIsSignedOnceAndWitnessesCosignIt(_ kind: StoreKind) throws {
        let fixture = try kind.fixture()
        _ = try Appender.append([note("before the checkpoint", signer: fixture.admin)], to: fixture.store)
        let (checkpoint, created) = try Checkpointer.checkpoint(store: fixture.store, logKey: fixture.logKey)
        #expect(created)
        #expect(checkpoint.checkpoint.size == 3)
        #expect(checkpoint.checkpoint.root == (try fixture.store.read { try $0.root(size: 3) }))
        let again = try Checkpointer.checkpoint(store: fixture.store, logKey: fixture.logKey)
        #expect(!again.created)
        #expect(again.checkpoint.noteText == checkpoint.noteText)

        let body = try SignedNote(parsing: checkpoint.noteText).text
        var witnesses: [CosignerKey] = []
        var lines: [String] = []
        for (index, name) in ["witness.example/one", "witness.example/two"].enumerated() {
            let key = Ed25519PrivateKey.generate()
            let witness = try CosignerKey(name: name, publicKey: key.publicKey)
            let line = try Cosignature.line(
                checkpointBody: body, timestamp: 1_780_000_000 + UInt64(index), key: key, name: name)
            let added = try Checkpointer.addCosignature(store: fixture.store, size: 3, line: line, witness: witness)
            #expect(added.added)
            let repeated = try Checkpointer.addCosignature(store: fixture.store, size: 3, line: line, witness: witness)
            #expect(!repeated.added)
            witnesses.append(witness)
            lines.append(line)
        }
        let stored = try #require(try fixture.store.read { try $0.checkpointNotes() }.first)
        #expect(stored.size == 3)
        #expect(stored.note == checkpoint.noteText + lines.joined())
        var options = VerifyOptions(checkpoint: try SignedCheckpoint(noteText: stored.note))
        options.witnesses = witnesses
        options.witnessQuorum = 2
        let report = try VerifyRunner.verify(store: fixture.store, options: options, source: fixture.path)
        #expect(report.failure == nil, "\(String(describing: report.failure))")
        #expect(report.storedCheckpoints == 1)
        #expect(report.witnessTimes.compactMap(\.time) == [1_780_000_000, 1_780_000_001])
    }
}
