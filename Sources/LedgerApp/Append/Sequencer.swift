import CustodyDomain
import LedgerConcurrency
import LedgerCore
import LedgerCrypto

/// What became of one submitted statement.
public struct SubmitOutcome: Sendable {
    /// What happened.
    public enum Status: Sendable {
        /// Sequenced now, at this seq.
        case recorded(seq: Int64)
        /// Its id was already recorded with the same statement hash, at this seq: nothing written (idempotent).
        case alreadyRecorded(seq: Int64)
        /// Refused: a conflict (exit 4: re-read the stream and sign again), a broken rule, a bad signature, a
        /// custody refusal. The others of its group are not affected.
        case refused(LedgerError)
    }

    /// The statement's id.
    public let id: String
    /// Its type and stream, for reports.
    public let type: String
    /// The stream it acts on.
    public let stream: String
    /// What happened.
    public let status: Status

    /// An outcome from its parts (a client rebuilds the server's answers as outcomes).
    public init(id: String, type: String, stream: String, status: Status) {
        self.id = id
        self.type = type
        self.stream = stream
        self.status = status
    }

    /// The seq the statement is at, recorded now or before.
    public var seq: Int64? {
        switch status {
        case .recorded(let seq), .alreadyRecorded(let seq): seq
        case .refused: nil
        }
    }
}

/// How a commit group is sequenced.
struct SequencingOptions {
    /// The new log key and its file, when the group holds the rotation that names it.
    var rotation: (key: Ed25519PrivateKey, path: String)?
    /// All or nothing (the domain commands): the first refusal throws and nothing is written.
    var allOrNothing = false
    /// Per statement, the keys whose signatures this process has just made (not checked again).
    var selfSigned: [Set<String>]?
    /// Called with the number of entries inserted so far.
    var progress: ((Int) -> Void)?
    /// The head the statements were prepared on by this process, from the ledger itself (ids looked up, each
    /// stream's revision and last statement hash read and chained): while the ledger's head is still that one,
    /// those lookups are not made again.
    var preparedOn: LedgerHead?
    /// The ledger's format as read when the statements were prepared, still true while the head is `preparedOn`.
    var format: LedgerFormat?
    /// The statements with their signatures, each as soon as it is signed, when `submit` holds them unsigned
    /// (bodies and statement hashes only) and this process makes every signature of them (`selfSigned` names them
    /// all): nothing is checked, and a statement waits for its signatures only when it is placed.
    var signedLater: ((Int) -> SignedStatement)?
    /// Told the ledger's head before the group and after it, once the group is in the transaction.
    var sequenced: ((_ before: LedgerHead, _ after: LedgerHead) -> Void)?
}

/// The rows `custody` changed (`CustodyState.takeChangedRows()`), serialized on all cores when there are many.
private func changedRows(of custody: inout CustodyState) -> [ProjectionRow] {
    let changed = custody.takeChangedKeys()
    nonisolated(unsafe) let state = custody  // only read, until `map` returns
    let keys = changed.keys
    let rows = Parallel.map(Partition(items: keys.count, chunkSize: 256)) {
        state.row(keys[$0].table, key: keys[$0].key)
    }
    return rows.compactMap { $0 } + changed.steps
}

/// What the sequencer's workers find of one statement ahead of placing it.
private struct PreChecked: Sendable {
    /// Every signature verifies (or this process made it).
    var signatures: Bool
    /// The data is valid under its type's schema (`EntryRules.dataIsValid`).
    var data: Bool
}

/// Sequences statements that people signed elsewhere (FORMAT.md §12.8): one commit group per call, with one
/// durable commit and one checkpoint signed by the log key.
public enum Sequencer {
    /// Sequences `statements` in order into the version-2 ledger `store`.
    ///
    /// Each statement is checked on its own: its id (idempotent when recorded with the same statement hash, a
    /// conflict otherwise), its ledger and genesis, its stream position (a conflict unless it follows the stream's
    /// head), its times, the type table and roles at the seq it gets, every signature, and the custody rules. A
    /// refused statement is reported and never stops the others. The accepted ones, their projection rows and the
    /// group's checkpoint are committed together or not at all.
    ///
    /// - Parameter rotation: the new log key and its file, when the group holds the `ledger.log-key-rotated` that
    ///   names it (`ledger log-key rotate`): from that entry on the group's checkpoint is signed by it, and the
    ///   ledger remembers its file. A rotation submitted without it is refused.
    /// - Parameter progress: called with the number of entries inserted so far.
    public static func submit(
        _ statements: [SignedStatement], to store: any LedgerStore,
        rotation: (key: Ed25519PrivateKey, path: String)? = nil, progress: ((Int) -> Void)? = nil
    ) throws -> [SubmitOutcome] {
        guard !statements.isEmpty else { throw LedgerError.usage("nothing to submit") }
        do {
            let outcomes = try store.write { transaction in
                let outcomes = try sequence(
                    statements, in: transaction, options: SequencingOptions(rotation: rotation, progress: progress))
                PausePoint.beforeCommit.reach()
                return outcomes
            }
            PausePoint.afterCommit.reach()
            return outcomes
        } catch {
            throw LedgerError.from(error)
        }
    }

    /// Sequences a group inside an open write transaction (see ``submit(_:to:rotation:)``).
    static func sequence(
        _ statements: [SignedStatement], in transaction: any LedgerWriteTransaction, options: SequencingOptions
    ) throws -> [SubmitOutcome] {
        let rotation = options.rotation
        guard let origin = try transaction.meta("origin"), let head = try transaction.head() else {
            throw LedgerError.usage("the ledger is empty")
        }
        // Prepared by this process on this very head: no other writer has appended since.
        let unchanged = options.preparedOn.map { $0.seq == head.seq && $0.bodyHash == head.bodyHash } ?? false
        let format = try (unchanged ? options.format : nil) ?? LedgerFormat.of(transaction)
        guard format.isStatements, var logKey = format.logKey, let genesisHash = format.genesisHash else {
            throw LedgerError.usage(
                "this ledger is of format version \(format.version); signed statements are sequenced into version-2"
                    + " ledgers only (ledger init --format 2)")
        }
        // The signatures do not depend on where a statement lands: check them all on every core first, with the
        // public key of each signer known now or registered by a statement of this group (a key id is the SHA-256
        // of its key). Validity at the seq is for the rules below.
        var publicKeys: [String: Ed25519PublicKey] = [:]
        for key in try transaction.allKeys() { publicKeys[key.keyID] = key.publicKey }
        for statement in statements where statement.body.type == EventTypes.keyRegistered {
            if let text = statement.body.data.member("public_key")?.stringValue, let raw = Base64.decodeCanonical(text),
                let keyID = statement.body.data.member("key")?.stringValue, KeyID.of(raw: raw) == keyID,
                let key = try? Ed25519PublicKey(raw: raw)
            {
                publicKeys[keyID] = key
            }
        }
        // Chunks are checked in order on the other cores while this thread places the chunks before them, and by
        // this thread when the chunk it needs is not begun; each thread keeps one verifying context per key.
        // Signatures this process has just made (`options.selfSigned`) are not checked again. The data schemas,
        // which depend on the statement alone, are checked there too (the rules below then skip a valid one).
        let keysNow = publicKeys
        let chunkSize = 256
        let selfSigned = options.selfSigned
        // Signed later by this process: every signature is its own, none to check.
        let signedLater = options.signedLater != nil
        let checks = PartsInOrder(
            Partition(items: statements.count, chunkSize: chunkSize),
            context: { [:] }
        ) { (verifiers: inout [String: Ed25519Verifier], _, range) -> [PreChecked] in
            range.map { index in
                let statement = statements[index]
                let data = EntryRules.dataIsValid(statement.body, table: .custody)
                guard !signedLater else { return PreChecked(signatures: true, data: data) }
                let mine = selfSigned.map { $0[index] } ?? []
                let signatures = statement.sigs.allSatisfy { sig in
                    if mine.contains(sig.key) { return true }
                    guard let key = keysNow[sig.key], let message = statement.message(for: sig, table: .custody)
                    else {
                        return false
                    }
                    let verifier = verifiers[sig.key] ?? Ed25519Verifier(key: key)
                    verifiers[sig.key] = verifier
                    return verifier.verify(signature: sig.signature, message: message)
                }
                return PreChecked(signatures: signatures, data: data)
            }
        }
        // Never leave a check running: a process that exits while a worker is inside OpenSSL can crash in its exit
        // handlers.
        defer { checks.finish() }
        var checked: [PreChecked] = []
        func preChecked(_ index: Int) -> PreChecked {
            while checked.count <= index { checked += checks.value(checked.count / chunkSize) }
            return checked[index]
        }

        var seq = head.seq
        var prev = head.bodyHash
        let now = SystemClock().now()
        let time = max(now, head.time)
        // Key and projection rows are read as of the head before this group (its entries go in as they are placed).
        let checkedKeys = LogCheckedKeys(base: transaction, through: head.seq)
        var keys = OverlayKeys(checked: checkedKeys)
        var custody = CustodyState(source: LogCheckedProjections(base: transaction, keys: checkedKeys))
        // What the steps below read for every statement, asked for at once (a round trip each on a database server).
        try custody.prefetch(statements.lazy.map { ($0.body.type, $0.body.stream, $0.body.data) })
        var recorded: [[UInt8]?] = []
        var storedHeads: [String: StreamHead] = [:]
        if !unchanged {
            recorded = try transaction.records(forIDs: statements.map(\.body.id))
            storedHeads = try transaction.streamHeads(of: statements.lazy.map(\.body.stream))
        }
        var streamHeads: [String: StreamHead] = [:]
        // Entries are inserted a chunk at a time as they are placed, while the workers check the next chunks'
        // signatures; their key rows and the projection rows are written at the end, so that every row read while
        // placing is as of the group's start (the reads of the log below stop at that head).
        var accumulator = try transaction.accumulator(size: head.seq)
        var placed: [Entry] = []
        var effects: [RuleEffect] = []
        var inserted = 0
        func insertPlaced() throws {
            for entry in placed {
                let leafHash = Merkle.leafHash(entry.record)
                let nodes = accumulator.append(leafHash: leafHash)
                try transaction.insert(entry, leafHash: leafHash, nodes: nodes)
            }
            inserted += placed.count
            placed.removeAll(keepingCapacity: true)
            options.progress?(inserted)
        }
        var seenIDs: [String: [UInt8]] = [:]
        // The statements refused so far, by statement hash (a later statement of the same stream names it as its
        // stream_prev): their ids and why.
        var refusedStatements: [String: (id: String, code: LedgerError.Code)] = [:]
        var outcomes: [SubmitOutcome] = []
        for (index, statement) in statements.enumerated() {
            if index % chunkSize == 0, !placed.isEmpty { try insertPlaced() }
            let body = statement.body
            var isCopy = false
            func outcome(_ status: SubmitOutcome.Status) throws {
                // All or nothing: a domain command's refusal is its error; the transaction rolls back.
                if case .refused(let error) = status {
                    if options.allOrNothing { throw error }
                    // A second copy of a statement of this group is not entered: the first copy's fate is its own.
                    if !isCopy { refusedStatements[statement.statementHashHex] = (body.id, error.code) }
                }
                outcomes.append(SubmitOutcome(id: body.id, type: body.type, stream: body.stream, status: status))
            }
            func refuse(_ code: LedgerError.Code, _ text: String) throws {
                try outcome(.refused(LedgerError(code, "\(body.type) in \(body.stream): \(text)")))
            }
            // §12.8 step 1: the id first.
            if let earlier = seenIDs[body.id] {
                isCopy = earlier == statement.statementHash
                if isCopy {
                    try refuse(.usage, "id \(body.id) appears twice in this submission")
                } else {
                    try refuse(.idConflict, "id \(body.id) appears twice in this submission with different statements")
                }
                continue
            }
            seenIDs[body.id] = statement.statementHash
            if !unchanged, let record = recorded[index] {
                let existing = try Entry.parse(record: record)
                if existing.statementHash == statement.statementHash {
                    try outcome(.alreadyRecorded(seq: existing.body.seq))
                } else {
                    try refuse(
                        .idConflict,
                        "id \(body.id) is already recorded at seq \(existing.body.seq) with another statement")
                }
                continue
            }
            guard body.ledger.hasSameBytes(as: origin), body.genesis == genesisHash else {
                try refuse(.invalidEntry, "the statement was signed for another ledger (its ledger or genesis differ)")
                continue
            }
            // Step 2: it must follow the stream's head.
            // Unchanged since preparation, a statement's own rev and stream_prev are its stream's head (the time rule
            // against that head then held when it was signed, after the head was read).
            let current =
                streamHeads[body.stream]
                ?? (unchanged
                    ? (body.streamRev == 1
                        ? nil : StreamHead(rev: body.streamRev - 1, link: body.streamPrev, time: body.signedAt))
                    : storedHeads[body.stream])
            let currentRev = current?.rev ?? 0
            guard body.streamRev == currentRev + 1, body.streamPrev == (current?.link ?? EntryBody.zeroHash) else {
                // Chained on a statement of this group that was refused: its refusal, not a moved head, is why.
                if body.streamPrev != (current?.link ?? EntryBody.zeroHash),
                    let earlier = refusedStatements[body.streamPrev]
                {
                    try refuse(
                        earlier.code,
                        "it follows statement \(earlier.id), which was refused; nothing after it in \(body.stream)"
                            + " can be recorded before it is")
                    continue
                }
                try refuse(
                    .staleRevision,
                    "the statement follows revision \(body.streamRev - 1) of \(body.stream), which is now at revision"
                        + " \(currentRev)\(body.streamRev == currentRev + 1 ? " with another last statement" : ""):"
                        + " read the stream again and sign again")
                continue
            }
            // §12.7 rule 9: an anchor names a tree the signer saw, before this group.
            if let anchor = body.anchor {
                guard anchor.size <= head.seq, Hex.encode(try transaction.root(size: anchor.size)) == anchor.root else {
                    try refuse(
                        .invalidEntry,
                        "the statement's anchor (size \(anchor.size), root \(anchor.root.prefix(16))…) is not a tree of this ledger"
                    )
                    continue
                }
            }
            let entry = (options.signedLater?(index) ?? statement).entry(seq: seq + 1, prev: prev, time: time)
            guard entry.record.count <= Entry.maxStatementRecordBytes else {
                try refuse(
                    .usage,
                    "the entry would be \(entry.record.count) bytes, over the limit of \(Entry.maxStatementRecordBytes)"
                )
                continue
            }
            // Steps 3 and 4: times, then the rules, signatures and custody, as the verifier replays them.
            do { try StatementRules.checkTimes(entry, previousStreamTime: current?.time) } catch {
                try refuse(.invalidEntry, "\(error)")
                continue
            }
            let effect: RuleEffect
            let pre = preChecked(index)
            do {
                effect = try EntryRules.check(
                    entry, table: .custody, keys: keys, genesisActor: nil, dataChecked: pre.data)
            } catch {
                try outcome(
                    .refused(LedgerError.from(error).with(description: "\(body.type) in \(body.stream): \(error)")))
                continue
            }
            guard pre.signatures else {
                try refuse(.signature, "a signature does not verify over the statement (or its signer is unknown)")
                continue
            }
            // FORMAT.md §12.10: the log key in force authorizes its successor, whose private key this process holds.
            if case .logKeyRotated(let newKey, _, let oldSignature, let message) = effect {
                guard logKey.publicKey.verify(signature: oldSignature, message: message) else {
                    try refuse(.signature, "old_key_sig does not verify with the log key in force")
                    continue
                }
                guard let rotation, rotation.key.publicKey == newKey.publicKey else {
                    try refuse(
                        .usage, "a log-key rotation is recorded with `ledger log-key rotate`, which holds the new key")
                    continue
                }
            }
            let keysBefore = keys
            keys.apply(effect)
            do { try custody.apply(entry, keys: keys) } catch let violation as CustodyViolation {
                keys = keysBefore
                let text = "\(body.type) in \(body.stream): \(violation)"
                try outcome(
                    .refused(.refused(violation, options.allOrNothing ? "refused: \(text); nothing was written" : text))
                )
                continue
            }
            if case .logKeyRotated = effect, let rotation {
                logKey = rotation.key
                try transaction.setMeta(LogKeyFile.metaName, rotation.path)
            }
            seq += 1
            prev = entry.bodyHashHex
            streamHeads[body.stream] = StreamHead(rev: body.streamRev, link: entry.streamLinkHex, time: time)
            placed.append(entry)
            if case .none = effect {} else { effects.append(effect) }
            try outcome(.recorded(seq: seq))
        }
        guard seq > head.seq else {
            options.sequenced?(head, head)
            return outcomes
        }
        try insertPlaced()
        for effect in effects { try transaction.apply(effect) }
        try transaction.writeProjectionRows(changedRows(of: &custody), builtTo: seq)
        // FORMAT.md §12.6: the log key attests the group's order and times.
        let checkpoint = Checkpoint(origin: origin, size: seq, root: accumulator.root)
        let signed = try SignedCheckpoint.sign(checkpoint, logKey: logKey)
        _ = try transaction.insertCheckpoint(size: seq, note: signed.noteText, at: now)
        options.sequenced?(head, LedgerHead(seq: seq, bodyHash: prev, time: time))
        return outcomes
    }
}
