import Foundation
import LedgerConcurrency
import LedgerCore
import LedgerCrypto
import LedgerTestSupport
import Testing

@testable import LedgerApp

/// Tests/Vectors/cosignature.json, the parts a cosignature needs.
struct CosignatureVector: Decodable {
    let witness_name: String
    let witness_seed_hex: String
    let witness_vkey: String
    let checkpoint_body: String
    let cosignature_timestamp: UInt64
    let cosignature_signature_hex: String
    let note: String
}

struct CosignatureTests {
    @Test func theVectorIsReproducedAndVerified() throws {
        let vector = try JSONDecoder().decode(CosignatureVector.self, from: try TestVectors.data("cosignature.json"))
        let key = try Ed25519PrivateKey(seed: Hex.decode(vector.witness_seed_hex) ?? [])
        let cosigner = try CosignerKey(name: vector.witness_name, publicKey: key.publicKey)
        #expect(cosigner.vkey == vector.witness_vkey)
        #expect(try CosignerKey(vkey: vector.witness_vkey) == cosigner)
        let line = try Cosignature.line(
            checkpointBody: vector.checkpoint_body, timestamp: vector.cosignature_timestamp, key: key,
            name: vector.witness_name)
        #expect(vector.note.hasSuffix(line))
        let note = try SignedNote(parsing: vector.note)
        #expect(try Cosignature.timestamp(of: cosigner, on: note) == vector.cosignature_timestamp)
        let other = try CosignerKey(name: "other.example", publicKey: key.publicKey)
        #expect(try Cosignature.timestamp(of: other, on: note) == nil)
    }
}

/// A witness cosigns only checkpoints that extend what it cosigned before.
@Suite(.serialized)
struct WitnessTests {
    let fixture: LedgerFixture
    let witness: Witness

    init() throws {
        fixture = try LedgerFixture(origin: "ledger.test.example/witnessed")
        witness = Witness(directory: fixture.directory.path("witness"))
        _ = try witness.initialize(name: "witness.test.example", passphrase: nil)
        let vkey = try NoteVerifierKey(name: fixture.origin, publicKey: fixture.logKey.publicKey).vkey
        try witness.addLog(origin: fixture.origin, vkey: vkey)
    }

    private func appendNotes(_ count: Int) throws {
        let drafts = (0..<count).map { index in
            EventDraft(
                type: EventTypes.ledgerNote, stream: "ledger", data: ["text": .string("n\(index)")],
                signer: fixture.admin)
        }
        _ = try Appender.append(drafts, to: fixture.store)
    }

    private func checkpoint() throws -> SignedCheckpoint {
        try Checkpointer.checkpoint(store: fixture.store, logKey: fixture.logKey).0
    }

    private func expectRefusal(_ words: String, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected a refusal mentioning \(words)")
        } catch {
            #expect("\(error)".contains(words), "\(error)")
        }
    }

    @Test func cosignsAnExtensionAndRefusesRewritesShorterTreesAndUnknownKeys() throws {
        try appendNotes(3)
        let first = try checkpoint()
        _ = try witness.cosign(checkpointNote: first.noteText, consistency: [], passphrase: nil)
        try appendNotes(4)
        let second = try checkpoint()
        let (_, _, proof) = try ProofBuilder.consistency(
            old: first.checkpoint.size, new: second.checkpoint.size, in: fixture.store)
        let line = try witness.cosign(checkpointNote: second.noteText, consistency: proof, passphrase: nil)
        let cosigner = try CosignerKey(vkey: try witness.load().vkey)
        let note = try SignedNote(parsing: second.noteText + line)
        #expect(try Cosignature.timestamp(of: cosigner, on: note) != nil)

        // The same size again is fine; an older, shorter tree is not.
        _ = try witness.cosign(checkpointNote: second.noteText, consistency: [], passphrase: nil)
        expectRefusal("shorter") {
            _ = try witness.cosign(checkpointNote: first.noteText, consistency: [], passphrase: nil)
        }

        // A rewritten history: the same size with another root, signed by the real log key.
        let forged = try SignedCheckpoint.sign(
            Checkpoint(origin: fixture.origin, size: second.checkpoint.size, root: Merkle.emptyRoot),
            logKey: fixture.logKey)
        expectRefusal("history was rewritten") {
            _ = try witness.cosign(checkpointNote: forged.noteText, consistency: [], passphrase: nil)
        }
        // A longer tree whose proof does not lead from what was cosigned.
        try appendNotes(2)
        let third = try checkpoint()
        let rewritten = try SignedCheckpoint.sign(
            Checkpoint(origin: fixture.origin, size: third.checkpoint.size, root: Merkle.emptyRoot),
            logKey: fixture.logKey)
        let (_, _, goodProof) = try ProofBuilder.consistency(
            old: second.checkpoint.size, new: third.checkpoint.size, in: fixture.store)
        expectRefusal("does not extend") {
            _ = try witness.cosign(checkpointNote: rewritten.noteText, consistency: goodProof, passphrase: nil)
        }
        // Signed by a key the witness does not know for this origin.
        let stranger = try SignedCheckpoint.sign(third.checkpoint, logKey: Ed25519PrivateKey.generate())
        expectRefusal("not signed by the configured log key") {
            _ = try witness.cosign(checkpointNote: stranger.noteText, consistency: goodProof, passphrase: nil)
        }
        _ = try witness.cosign(checkpointNote: third.noteText, consistency: goodProof, passphrase: nil)
        #expect(try witness.load().logs[fixture.origin]?.size == third.checkpoint.size)
    }

    /// Perfect subtree hashes of in-memory leaves, as a store provides them.
    private static func source(_ leaves: [[UInt8]]) -> MerkleProof.SubtreeHashes {
        var levels = [leaves]
        while let last = levels.last, last.count > 1 {
            levels.append(stride(from: 0, to: last.count - 1, by: 2).map { Merkle.nodeHash(last[$0], last[$0 + 1]) })
        }
        return { start, level in levels[level][Int(start) >> level] }
    }

    @Test func twoConcurrentForksNeverBothGetCosigned() throws {
        // Two histories that share their first 3 leaves and then diverge: each extends the cosigned base, but they
        // contradict each other, so a witness may cosign only one of them, whichever comes first.
        let base = (0..<3).map { Merkle.leafHash([UInt8($0)]) }
        let forkA = base + [Merkle.leafHash([0xa1]), Merkle.leafHash([0xa2])]
        let forkB = base + [Merkle.leafHash([0xb1]), Merkle.leafHash([0xb2])]
        func signed(_ leaves: [[UInt8]]) throws -> SignedCheckpoint {
            let hashes = try Merkle.subtreeLocations(size: Int64(leaves.count)).map {
                try Self.source(leaves)($0.seq - (Int64(1) << $0.level), $0.level)
            }
            return try SignedCheckpoint.sign(
                Checkpoint(origin: fixture.origin, size: Int64(leaves.count), root: Merkle.root(ofSubtrees: hashes)),
                logKey: fixture.logKey)
        }
        _ = try witness.cosign(checkpointNote: try signed(base).noteText, consistency: [], passphrase: nil)
        let requests = [
            (try signed(forkA).noteText, try MerkleProof.consistency(old: 3, new: 5, subtree: Self.source(forkA))),
            (try signed(forkB).noteText, try MerkleProof.consistency(old: 3, new: 5, subtree: Self.source(forkB))),
        ]
        for _ in 0..<5 {
            let directory = fixture.directory.path("witness-\(UUID().uuidString)")
            let witness = Witness(directory: directory)
            _ = try witness.initialize(name: "witness.test.example", passphrase: nil)
            try witness.addLog(
                origin: fixture.origin,
                vkey: try NoteVerifierKey(name: fixture.origin, publicKey: fixture.logKey.publicKey).vkey)
            _ = try witness.cosign(checkpointNote: try signed(base).noteText, consistency: [], passphrase: nil)
            let results = SlotBuffer<Bool>(repeating: false, count: 2)
            DispatchQueue.concurrentPerform(iterations: 2) { index in
                let (note, proof) = requests[index]
                results[index] = (try? witness.cosign(checkpointNote: note, consistency: proof, passphrase: nil)) != nil
            }
            #expect(results.values.filter { $0 }.count == 1)
        }
    }

    @Test func verifyRequiresTheWitnessQuorum() throws {
        try appendNotes(2)
        let signed = try checkpoint()
        let line = try witness.cosign(checkpointNote: signed.noteText, consistency: [], passphrase: nil)
        let ours = try CosignerKey(vkey: try witness.load().vkey)
        let absent = try CosignerKey(name: "absent.example", publicKey: Ed25519PrivateKey.generate().publicKey)
        var options = VerifyOptions(checkpoint: try SignedCheckpoint(noteText: signed.noteText + line))
        options.witnesses = [ours, absent]
        options.witnessQuorum = 1
        let met = try VerifyRunner.verify(store: fixture.store, options: options, source: "t")
        #expect(met.exitStatus == 0, "\(String(describing: met.failure))")
        #expect(met.witnessTimes.map { $0.time != nil } == [true, false])
        options.witnessQuorum = 2
        let unmet = try VerifyRunner.verify(store: fixture.store, options: options, source: "t")
        #expect(unmet.failure?.message.contains("witness quorum not met") == true)
    }

    @Test func aCosignatureIsAttachedToTheStoredCheckpointOnlyWhenItVerifies() throws {
        try appendNotes(2)
        let signed = try checkpoint()
        let line = try witness.cosign(checkpointNote: signed.noteText, consistency: [], passphrase: nil)
        let ours = try CosignerKey(vkey: try witness.load().vkey)
        let stranger = try CosignerKey(name: "witness.test.example", publicKey: Ed25519PrivateKey.generate().publicKey)
        #expect(throws: LedgerError.self) {
            _ = try Checkpointer.addCosignature(
                store: fixture.store, size: signed.checkpoint.size, line: line, witness: stranger)
        }
        let (stored, added) = try Checkpointer.addCosignature(
            store: fixture.store, size: signed.checkpoint.size, line: line, witness: ours)
        #expect(added && stored.noteText == signed.noteText + line)
        #expect(try Checkpointer.latest(store: fixture.store)?.noteText == signed.noteText + line)
        let again = try Checkpointer.addCosignature(
            store: fixture.store, size: signed.checkpoint.size, line: line, witness: ours)
        #expect(!again.added)
        // The ledger still verifies with the cosigned checkpoint stored, and proofs carry the cosignature.
        #expect(try VerifyRunner.verify(store: fixture.store, options: VerifyOptions(), source: "t").exitStatus == 0)
        let proof = try ProofBuilder.inclusion(seq: 1, size: nil, in: fixture.store)
        #expect(proof.text.hasSuffix(line))
    }
}
