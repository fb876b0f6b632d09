import LedgerCore
import LedgerCrypto

/// Builds RFC 9162 proofs from the subtree hashes a store keeps beside each entry (O(log² n) indexed reads).
public enum ProofBuilder {
    /// The inclusion proof of entry `seq` against the stored checkpoint of `size`, or against the newest stored
    /// checkpoint that covers it.
    public static func inclusion(seq: Int64, size: Int64?, in store: any LedgerStore) throws -> TlogProof {
        try store.read { reader in
            var checkpoints = CheckpointCache()
            return try inclusion(
                seq: seq, against: size.map { .size($0) } ?? .newest, in: reader, checkpoints: &checkpoints
            ).proof
        }
    }

    /// What several proofs built in one read share: stored checkpoints parsed once, and the subtree hashes read
    /// (the proofs of neighbouring entries have most of their hashes in common).
    struct CheckpointCache {
        var parsed: [Int64: SignedCheckpoint] = [:]
        var subtrees: [SubtreeKey: [UInt8]] = [:]
    }

    struct SubtreeKey: Hashable {
        let start: Int64
        let level: Int
    }

    /// The inclusion proof of entry `seq` against the stored checkpoint `choice` names, and the entry's record,
    /// inside an open read; checked against the checkpoint's root (a damaged tree is an integrity error).
    static func inclusion(
        seq: Int64, against choice: CheckpointChoice, in reader: any LedgerReader, checkpoints: inout CheckpointCache
    ) throws -> (proof: TlogProof, record: [UInt8]) {
        var record: [UInt8]?
        try reader.forEachRecord(RecordFilter(from: seq, to: seq, withStoredState: false)) {
            record = $0.record
            return false
        }
        guard seq >= 1, let record else {
            throw LedgerError.notFound("there is no entry at seq \(seq) (1…\(try reader.entryCount()))")
        }
        let chosen = try reader.checkpointNote(choice)
        if case .size(let size) = choice, chosen == nil {
            throw LedgerError.usage(
                "no stored checkpoint of size \(size); sign one with `ledger checkpoint --log-key FILE`")
        }
        guard let chosen, chosen.size >= seq else {
            throw LedgerError.usage(
                "no stored checkpoint covers seq \(seq) yet; sign one with `ledger checkpoint --log-key FILE`")
        }
        let checkpoint = try checkpoints.parsed[chosen.size] ?? SignedCheckpoint(noteText: chosen.note)
        checkpoints.parsed[chosen.size] = checkpoint
        var subtrees = checkpoints.subtrees
        // Every subtree the proof reads, asked for at once (one round trip on a database server).
        let missing = MerkleProof.inclusionSubtrees(index: seq - 1, size: chosen.size).filter {
            subtrees[SubtreeKey(start: $0.start, level: $0.level)] == nil
        }
        let fetched = try reader.subtreeHashes(missing.map { ($0.start + (Int64(1) << $0.level), $0.level) })
        for (location, hash) in zip(missing, fetched) {
            subtrees[SubtreeKey(start: location.start, level: location.level)] = hash
        }
        let hashes = try MerkleProof.inclusion(index: seq - 1, size: chosen.size) { start, level in
            let key = SubtreeKey(start: start, level: level)
            if let known = subtrees[key] { return known }
            let hash = try reader.subtreeHash(seq: start + (Int64(1) << level), level: level)
            subtrees[key] = hash
            return hash
        }
        checkpoints.subtrees = subtrees
        // The stored hashes must lead to the signed root; otherwise the database is damaged.
        guard
            MerkleProof.verifyInclusion(
                index: seq - 1, size: chosen.size, leafHash: Merkle.leafHash(record), proof: hashes,
                root: checkpoint.checkpoint.root)
        else {
            throw LedgerError.integrity(
                "the stored tree does not lead to the checkpoint of size \(chosen.size); run `ledger verify`")
        }
        return (TlogProof(index: seq - 1, hashes: hashes, checkpoint: checkpoint), record)
    }

    /// The consistency proof between the trees of `old` and `new` entries, with both roots.
    public static func consistency(old: Int64, new: Int64, in store: any LedgerStore) throws -> (
        oldRoot: [UInt8], newRoot: [UInt8], hashes: [[UInt8]]
    ) {
        try store.read { reader in
            let count = try reader.entryCount()
            guard old >= 1, old <= new, new <= count else {
                throw LedgerError.usage("a consistency proof needs 1 <= OLD <= NEW <= \(count) (the ledger's size)")
            }
            // Every subtree the proof reads, asked for at once.
            let locations = MerkleProof.consistencySubtrees(old: old, new: new)
            var known: [SubtreeKey: [UInt8]] = [:]
            let fetched = try reader.subtreeHashes(locations.map { ($0.start + (Int64(1) << $0.level), $0.level) })
            for (location, hash) in zip(locations, fetched) {
                known[SubtreeKey(start: location.start, level: location.level)] = hash
            }
            let read = subtreeHashes(reader)
            let hashes = try MerkleProof.consistency(old: old, new: new) { start, level in
                try known[SubtreeKey(start: start, level: level)] ?? read(start, level)
            }
            return (try reader.root(size: old), try reader.root(size: new), hashes)
        }
    }

    /// Perfect subtree [start, start + 2^level) is stored with the entry of its last leaf, seq start + 2^level.
    static func subtreeHashes(_ reader: any LedgerReader) -> MerkleProof.SubtreeHashes {
        { start, level in try reader.subtreeHash(seq: start + (Int64(1) << level), level: level) }
    }

    /// Checks a tlog-proof offline against an entry's record and a trusted log key; returns the entry.
    ///
    /// `record` (the entry's exact bytes) must be at the proof's index in the tree of the proof's checkpoint, and the
    /// checkpoint signed by `logKey`. Throws a usage error when the proof text is malformed, an integrity error when anything does not hold.
    public static func verifyOffline(proofText: String, record: [UInt8], logKey: NoteVerifierKey) throws(LedgerError)
        -> (entry: Entry, checkpoint: Checkpoint)
    {
        let proof: TlogProof
        do { proof = try TlogProof(text: proofText) } catch { throw .usage("\(error)") }
        let parsed: Entry
        do { parsed = try Entry.parse(record: record) } catch {
            throw .integrity("the entry is not a ledger record: \(error)")
        }
        guard parsed.body.seq == proof.index + 1 else {
            throw .integrity(
                "the entry is seq \(parsed.body.seq) but the proof is for index \(proof.index) (seq \(proof.index + 1))"
            )
        }
        do { try proof.verify(record: record, logKey: logKey) } catch {
            throw .integrity("the proof does not verify: \(error)")
        }
        return (parsed, proof.checkpoint.checkpoint)
    }
}
