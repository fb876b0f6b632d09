import LedgerCore
import LedgerCrypto
import Synchronization

/// Signing checkpoints with the log key.
public enum Checkpointer {
    /// Signs and stores a checkpoint of the ledger's current size; if one of that size exists, returns it.
    public static func checkpoint(
        store: any LedgerStore, logKey: Ed25519PrivateKey, clock: any LedgerClock = SystemClock()
    ) throws -> (
        checkpoint: SignedCheckpoint, created: Bool
    ) {
        do {
            return try store.write { transaction in
                guard let origin = try transaction.meta("origin"), let head = try transaction.head() else {
                    throw LedgerError.usage("the ledger is empty")
                }
                let ledgerLogKey = try LedgerFacts.logKeyInForce(transaction)
                guard ledgerLogKey.publicKey == logKey.publicKey else {
                    throw LedgerError.usage("this is not the ledger's log key (the ledger's is \(ledgerLogKey.vkey))")
                }
                if let existing = try transaction.checkpointNote(.size(head.seq)) {
                    return (try SignedCheckpoint(noteText: existing.note), false)
                }
                let checkpoint = Checkpoint(origin: origin, size: head.seq, root: try transaction.root(size: head.seq))
                let signed = try SignedCheckpoint.sign(checkpoint, logKey: logKey)
                _ = try transaction.insertCheckpoint(size: head.seq, note: signed.noteText, at: clock.now())
                return (signed, true)
            }
        } catch {
            throw LedgerError.from(error)
        }
    }

    /// Attaches a witness's cosignature line to the stored checkpoint of `size`, after checking it verifies.
    ///
    /// Returns the checkpoint with all its stored signature lines, and whether the line was new.
    public static func addCosignature(
        store: any LedgerStore, size: Int64, line: String, witness: CosignerKey, clock: any LedgerClock = SystemClock()
    )
        throws -> (checkpoint: SignedCheckpoint, added: Bool)
    {
        let text = line.hasSuffix("\n") ? line : line + "\n"
        guard text.hasPrefix("\u{2014} "), text.dropLast().firstIndex(of: "\n") == nil else {
            throw LedgerError.usage("give exactly one signature line (starting with an em dash)")
        }
        do {
            return try store.write { transaction in
                guard let stored = try transaction.checkpointNote(.size(size)) else {
                    throw LedgerError.usage("no stored checkpoint of size \(size)")
                }
                let candidate = try SignedNote(parsing: stored.note + text)
                guard try Cosignature.timestamp(of: witness, on: candidate) != nil else {
                    throw LedgerError.usage("the line is not a cosignature by \(witness.name) (\(witness.vkey))")
                }
                let added = try transaction.insertCosignature(size: size, line: text, at: clock.now())
                return (try SignedCheckpoint(noteText: stored.note + (added ? text : "")), added)
            }
        } catch {
            throw LedgerError.from(error)
        }
    }

    /// The RFC 3161 TimeStampReq (DER) for the stored checkpoint of `size`: its message imprint is SHA-256 of the
    /// checkpoint body (the signed text, without signature lines).
    public static func timestampRequest(store: any LedgerStore, size: Int64) throws -> [UInt8] {
        do { return try RFC3161.request(sha256: try checkpointBodyDigest(store: store, size: size)) } catch {
            throw LedgerError.from(error)
        }
    }

    /// Checks a time-stamp response over the stored checkpoint of `size` against `caFile`, then stores it.
    public static func addTimestamp(
        store: any LedgerStore, size: Int64, response: [UInt8], caFile: String, untrusted: [String] = [],
        clock: any LedgerClock = SystemClock()
    ) throws -> (info: TimestampInfo, added: Bool) {
        let digest = try checkpointBodyDigest(store: store, size: size)
        let info: TimestampInfo
        do { info = try RFC3161.verify(response: response, sha256: digest, caFile: caFile, untrusted: untrusted) } catch
        {
            throw LedgerError.usage(
                "the time stamp is not for the checkpoint of size \(size), or does not verify: \(error)")
        }
        do {
            let added = try store.write { try $0.insertTimestamp(size: size, response: response, at: clock.now()) }
            return (info, added)
        } catch {
            throw LedgerError.from(error)
        }
    }

    /// SHA-256 of the body of the stored checkpoint of `size`.
    static func checkpointBodyDigest(store: any LedgerStore, size: Int64) throws -> [UInt8] {
        try store.read { reader in
            guard let stored = try reader.checkpointNote(.size(size)) else {
                throw LedgerError.usage("no stored checkpoint of size \(size)")
            }
            return SHA256.hash(Array(try SignedNote(parsing: stored.note).text.utf8))
        }
    }

    /// The newest stored checkpoint, if any.
    public static func latest(store: any LedgerStore) throws -> SignedCheckpoint? {
        try store.read { reader in
            try reader.checkpointNote(.newest).map { try SignedCheckpoint(noteText: $0.note) }
        }
    }
}

/// Facts read from a stored ledger's own entries.
public enum LedgerFacts {
    /// The entry at seq 1, parsed and checked; nil for an empty ledger.
    public static func genesis(_ reader: any LedgerReader) throws -> Entry? {
        var genesis: Entry?
        try reader.forEachRecord(RecordFilter(from: 1, to: 1, withStoredState: false)) { stored in
            genesis = try Entry.parse(record: stored.record)
            return false
        }
        return genesis
    }

    /// The log key named by seq 1.
    public static func logKey(_ reader: any LedgerReader) throws -> NoteVerifierKey {
        try logKey(of: genesis(reader))
    }

    /// The log key a genesis entry names.
    static func logKey(of genesis: Entry?) throws -> NoteVerifierKey {
        guard let genesis, let text = genesis.body.data.member("log_vkey")?.stringValue else {
            throw LedgerError.integrity("seq 1 does not name a log key")
        }
        return try NoteVerifierKey(vkey: text)
    }

    /// The log key that signs checkpoints of `size` (nil: of the ledger's size now): seq 1's, or the one the last
    /// `ledger.log-key-rotated` at or before that size names (FORMAT.md §12.10), read from the records themselves.
    public static func logKeyInForce(_ reader: any LedgerReader, atSize size: Int64? = nil) throws -> NoteVerifierKey {
        try logKeyInForce(reader, atSize: size, genesisKey: logKey(reader))
    }

    /// As ``logKeyInForce(_:atSize:)``, from seq 1's key already read.
    ///
    /// The key in force now (`size` nil, what an appender asks before each batch) is read incrementally: the
    /// records of the `ledger` stream are read only from where this process last read this ledger to, once the
    /// entry read to then is found unchanged (its body hash, and by the hash chain every entry before it). A ledger
    /// is looked up by seq 1's log key; ledgers that share it (copies that diverged, test ledgers) are told apart by
    /// that check.
    static func logKeyInForce(_ reader: any LedgerReader, atSize size: Int64?, genesisKey: NoteVerifierKey) throws
        -> NoteVerifierKey
    {
        guard size == nil, let head = try reader.head() else {
            return try scanLogKey(reader, from: 2, to: size, startingWith: genesisKey)
        }
        let ledger = genesisKey.vkey
        if let known = readTo.withLock({ $0[ledger] }), known.seq <= head.seq,
            try bodyHash(reader, seq: known.seq) == known.bodyHash
        {
            let key = try scanLogKey(reader, from: known.seq + 1, to: head.seq, startingWith: known.key)
            readTo.withLock { $0[ledger] = (head.seq, head.bodyHash, key) }
            return key
        }
        let key = try scanLogKey(reader, from: 2, to: head.seq, startingWith: genesisKey)
        readTo.withLock { $0[ledger] = (head.seq, head.bodyHash, key) }
        return key
    }

    /// Per ledger (by seq 1's log key): the seq and body hash read to, and the key in
    /// force there.
    private static let readTo = Mutex<[String: (seq: Int64, bodyHash: String, key: NoteVerifierKey)]>([:])

    private static func bodyHash(_ reader: any LedgerReader, seq: Int64) throws -> String? {
        var hash: String?
        try reader.forEachRecord(RecordFilter(from: seq, to: seq, withStoredState: false)) { stored in
            hash = try Entry.parse(record: stored.record).bodyHashHex
            return false
        }
        return hash
    }

    private static func scanLogKey(
        _ reader: any LedgerReader, from: Int64, to size: Int64?, startingWith start: NoteVerifierKey
    ) throws -> NoteVerifierKey {
        var key = start
        for (_, body) in try logKeyRotations(reader, from: from, to: size) {
            if let text = body.data.member("log_vkey")?.stringValue { key = try NoteVerifierKey(vkey: text) }
        }
        return key
    }

    /// The log-key rotations (FORMAT.md §12.10) among seqs `from`…`size` (nil: the head), oldest first, each with its
    /// parsed body.
    ///
    /// One indexed read by the type column, however many notes the `ledger` stream holds; each record is parsed and
    /// must itself be a rotation in the `ledger` stream (a hand-edited column selects nothing else).
    public static func logKeyRotations(_ reader: any LedgerReader, from: Int64 = 2, to size: Int64? = nil) throws
        -> [(record: StoredRecord, body: EntryBody)]
    {
        var rotations: [(record: StoredRecord, body: EntryBody)] = []
        let filter = RecordFilter(from: from, to: size, type: EventTypes.logKeyRotated, withStoredState: false)
        try reader.forEachRecord(filter) { stored in
            let body = try EntryBody.parse(record: stored.record)
            if body.type == EventTypes.logKeyRotated, body.stream == "ledger" { rotations.append((stored, body)) }
            return true
        }
        return rotations
    }
}
