import CustodyDomain
import Foundation
import LedgerConcurrency
import LedgerCore
import LedgerCrypto

/// One event to append: what happened, where, and who signs it.
public struct EventDraft: Sendable {
    /// The entry id; nil for a new random UUIDv4.
    ///
    /// Giving one makes the append idempotent.
    public var id: String?
    /// The event type (a row of the type table).
    public var type: String
    /// The stream to append to.
    public var stream: String
    /// The event data, checked against the type's schema.
    public var data: JSONValue
    /// The stream's expected current last revision (0: the stream must not exist yet).
    public var expectRev: Int64?
    /// The actor's private key.
    public var signer: Ed25519PrivateKey
    /// Signatures made earlier by other required signers (a key request's proof of possession).
    public var presigned: [EntrySignature]
    /// Other required signers who sign the entry itself, like the actor (a witnessing officer).
    public var coSigners: [Ed25519PrivateKey]

    /// A draft of one event, signed by `signer` (and `coSigners`) when appended.
    public init(
        id: String? = nil, type: String, stream: String, data: JSONValue, expectRev: Int64? = nil,
        signer: Ed25519PrivateKey, presigned: [EntrySignature] = [], coSigners: [Ed25519PrivateKey] = []
    ) {
        self.id = id
        self.type = type
        self.stream = stream
        self.data = data
        self.expectRev = expectRev
        self.signer = signer
        self.presigned = presigned
        self.coSigners = coSigners
    }
}

/// What an append did.
public struct AppendResult: Sendable {
    /// The seq of each draft's entry, in order.
    public let seqs: [Int64]
    /// True when every draft was already recorded and nothing was written.
    public let alreadyRecorded: Bool
}

/// Decides and appends batches: checks each draft against the current state and the type table, then hashes,
/// signs (on all cores), chains and commits them in one transaction.
public enum Appender {
    /// Appends a batch atomically: all entries or none.
    ///
    /// `progress`, when given, is called with the number of entries inserted so far (before the commit).
    public static func append(
        _ drafts: [EventDraft], to store: any LedgerStore, progress: ((Int) -> Void)? = nil
    ) throws -> AppendResult {
        try append(drafts, to: store, timings: nil, progress: progress)
    }

    /// Appends a batch atomically, as `append(_:to:progress:)`, accumulating where the time went in `timings` (for
    /// `tools/bench`).
    package static func append(
        _ drafts: [EventDraft], to store: any LedgerStore, timings: AppendTimings?, progress: ((Int) -> Void)? = nil
    ) throws -> AppendResult {
        try validateShapes(drafts)
        if try LedgerFormat.version(of: store) == EntryBody.statementVersion {
            return try StatementAppender.append(drafts, to: store, timings: timings, progress: progress)
        }
        let start = ContinuousClock.now
        do {
            let result = try store.write { transaction in
                let result = try append(
                    drafts, in: transaction, genesisActor: nil, timings: timings, progress: progress)
                PausePoint.beforeCommit.reach()
                return result
            }
            PausePoint.afterCommit.reach()
            timings?.add(\.total, since: start)
            return result
        } catch {
            throw LedgerError.from(error)
        }
    }

    /// Checks what can be checked without the ledger: ids, stream names, data shape.
    static func validateShapes(_ drafts: [EventDraft]) throws(LedgerError) {
        guard !drafts.isEmpty else { throw .usage("nothing to append") }
        var seen = Set<String>()
        for draft in drafts {
            if let id = draft.id {
                guard Identifiers.isUUIDv4(id) else { throw .usage("id \(id) is not a lowercase UUID version 4") }
                guard seen.insert(id).inserted else { throw .usage("id \(id) appears twice in the batch") }
            }
            guard Identifiers.isStreamName(draft.stream) else {
                throw .usage("stream \"\(draft.stream)\" must match [A-Za-z0-9._/-]{1,128}")
            }
            guard draft.data.objectMembers != nil else { throw .usage("data must be a JSON object") }
            if let rev = draft.expectRev, rev < 0 { throw .usage("--expect-rev must be 0 or more") }
        }
    }

    /// Appends inside an open write transaction (used by `ledger init` for the genesis entries too, with the new
    /// ledger's format version and its log key in `genesis`).
    static func append(
        _ drafts: [EventDraft], in transaction: any LedgerWriteTransaction, genesisActor: String?,
        genesis: (version: Int64, logKey: Ed25519PrivateKey)? = nil, timings: AppendTimings? = nil,
        progress: ((Int) -> Void)? = nil
    ) throws -> AppendResult {
        let decided = try decide(
            drafts, in: transaction, genesisActor: genesisActor, genesis: genesis, timings: timings)
        return try store(decided, in: transaction, timings: timings, progress: progress)
    }

    /// Appends batches one after another, each atomically in its own transaction, as one `append` per batch
    /// would, but pipelined: inside each batch's transaction, once its entries are written, the next batch is
    /// decided on the state they leave and handed to the signers, so signing runs while the commit waits for its
    /// fsync.
    ///
    /// At the next transaction the pre-decided batch is used only if the ledger's head is still the one it was
    /// decided on; if another process appended in between, it is decided again. Batches before a failing one stay
    /// committed; the error names the failing batch.
    ///
    /// - Parameters:
    ///   - batches: produced lazily, one ahead of the one being stored.
    ///   - name: how an error names batch n (1-based).
    public static func append(
        batches: some Sequence<[EventDraft]>, to store: any LedgerStore, name: (Int) -> String = { "batch \($0)" },
        progress: ((Int) -> Void)? = nil
    ) throws -> [AppendResult] {
        try append(batches: batches, to: store, timings: nil, name: name, progress: progress)
    }

    /// Appends batches pipelined, as `append(batches:to:name:progress:)`, accumulating where the time went in
    /// `timings` (for `tools/bench`).
    package static func append(
        batches: some Sequence<[EventDraft]>, to store: any LedgerStore, timings: AppendTimings?,
        name: (Int) -> String = { "batch \($0)" }, progress: ((Int) -> Void)? = nil
    ) throws -> [AppendResult] {
        if try LedgerFormat.version(of: store) == EntryBody.statementVersion {
            return try StatementAppender.append(
                batches: batches, to: store, timings: timings, name: name, progress: progress)
        }
        var iterator = batches.makeIterator()
        var next = iterator.next()
        var ahead: DecidedBatch?
        var results: [AppendResult] = []
        var done = 0
        while let drafts = next {
            let number = results.count + 1
            do {
                // A batch decided ahead was checked then.
                if ahead == nil { try validateShapes(drafts) }
                let start = ContinuousClock.now
                let result = try store.write { transaction in
                    let decided = ahead
                    ahead = nil
                    let result = try storeBatch(drafts, decidedAhead: decided, in: transaction, timings: timings) {
                        progress?(done + $0)
                    }
                    next = iterator.next()
                    // Decided ahead on this transaction's state; a refusal is left for its own transaction to
                    // report.
                    if let following = next, (try? validateShapes(following)) != nil {
                        ahead = try? decide(following, in: transaction, genesisActor: nil, timings: timings)
                    }
                    PausePoint.beforeCommit.reach()
                    return result
                }
                PausePoint.afterCommit.reach()
                timings?.add(\.total, since: start)
                done += drafts.count
                results.append(result)
            } catch {
                let wrapped = LedgerError.from(error)
                throw wrapped.with(
                    description:
                        "\(name(number)): \(wrapped.description) (the \(results.count) before it are committed)")
            }
        }
        return results
    }

    /// Stores a batch decided ahead if the ledger's head is still the one it was decided on; otherwise (another
    /// writer appended since) decides it again on the current head first.
    static func storeBatch(
        _ drafts: [EventDraft], decidedAhead: DecidedBatch?, in transaction: any LedgerWriteTransaction,
        timings: AppendTimings? = nil, progress: ((Int) -> Void)? = nil
    ) throws -> AppendResult {
        let head = try transaction.head()
        var batch = decidedAhead
        if let ahead = batch, ahead.head?.seq != head?.seq || ahead.head?.bodyHash != head?.bodyHash {
            batch = nil
            timings?.countDecidedAgain()
        }
        return try store(
            batch ?? decide(drafts, in: transaction, genesisActor: nil, timings: timings), in: transaction,
            timings: timings, progress: progress)
    }

    /// Checks and builds a batch's entries in order and starts signing them; stores nothing.
    static func decide(
        _ drafts: [EventDraft], in transaction: any LedgerWriteTransaction, genesisActor: String?,
        genesis: (version: Int64, logKey: Ed25519PrivateKey)? = nil, timings: AppendTimings? = nil
    ) throws -> DecidedBatch {
        let decideStart = ContinuousClock.now
        let head = try transaction.head()
        if let recorded = try alreadyRecorded(drafts, in: transaction) {
            return DecidedBatch(head: head, recorded: recorded)
        }
        guard let origin = try transaction.meta("origin") else { throw LedgerError.usage("the ledger has no origin") }
        // The ledger's format: what seq 1 says, or what `ledger init` asks for. Version 2 needs the log key, which
        // signs the group's checkpoint (FORMAT.md §12.6).
        var format =
            try genesis.map { LedgerFormat(version: $0.version, genesisHash: nil, logKey: $0.logKey) }
            ?? LedgerFormat.of(transaction)
        var seq = head?.seq ?? 0
        var prev = head?.bodyHash ?? EntryBody.zeroHash
        let now = SystemClock().now()
        let time = max(now, head?.time ?? now)
        let expires = StatementRules.defaultExpiry(signedAt: time)
        // Key rows and item rows are checked against the log before they decide anything.
        let checkedKeys = LogCheckedKeys(base: transaction)
        var keys = OverlayKeys(checked: checkedKeys)
        var custody = CustodyState(source: LogCheckedProjections(base: transaction, keys: checkedKeys))
        // What deciding reads for every draft, asked for at once (a round trip each on a database server).
        try custody.prefetch(drafts.lazy.map { ($0.type, $0.stream, $0.data) })
        let storedHeads = try transaction.streamHeads(of: drafts.lazy.map(\.stream))
        var streamHeads: [String: StreamHead] = [:]
        var effects: [RuleEffect] = []
        effects.reserveCapacity(drafts.count)
        // Signing, the costly step, runs on worker threads while this thread decides the next entries and then
        // inserts the signed ones.
        let signing = ParallelSigner(drafts: drafts)

        // A batch usually has one signer: its key id (a SHA-256) is computed once.
        var lastSigner: (raw: [UInt8], keyID: String)?
        for (index, draft) in drafts.enumerated() {
            seq += 1
            let current = streamHeads[draft.stream] ?? storedHeads[draft.stream]
            let currentRev = current?.rev ?? 0
            if let expected = draft.expectRev, expected != currentRev {
                throw LedgerError(
                    .staleRevision,
                    "stream \(draft.stream) is at revision \(currentRev), not the expected \(expected); nothing was written"
                )
            }
            let actor: String
            if let lastSigner, lastSigner.raw == draft.signer.publicKey.raw {
                actor = lastSigner.keyID
            } else {
                actor = KeyFiles.keyID(draft.signer.publicKey)
                lastSigner = (draft.signer.publicKey.raw, actor)
            }
            // Version 2: the statement is signed by the actor now, by this process's clock, and expires by default.
            let body = EntryBody(
                ledger: origin, seq: seq, prev: prev, stream: draft.stream, streamRev: currentRev + 1,
                streamPrev: current?.link ?? EntryBody.zeroHash, id: draft.id ?? SecureRandom.uuidV4(), time: time,
                type: draft.type, actor: actor, data: draft.data, version: format.version,
                genesis: seq == 1 ? nil : format.genesisHash, signedAt: format.isStatements ? time : "",
                expires: format.isStatements ? expires : "")
            // Placeholder signatures of the right size, so the rules and the size limit see the final shape.
            var placeholders = [EntrySignature(key: actor, signature: [UInt8](repeating: 0, count: 64))]
            for sig in draft.presigned where sig.key != actor { placeholders.append(sig) }
            for coSigner in draft.coSigners {
                placeholders.append(
                    EntrySignature(
                        key: KeyFiles.keyID(coSigner.publicKey), signature: [UInt8](repeating: 0, count: 64),
                        signedAt: format.isStatements ? time : nil))
            }
            let entry = Entry(body: body, sigs: placeholders)
            let limit = Entry.maxRecordBytes(version: format.version)
            guard entry.record.count <= limit else {
                throw LedgerError.usage("the entry would be \(entry.record.count) bytes, over the limit of \(limit)")
            }
            if seq == 1 { format.genesisHash = entry.bodyHashHex }
            do { try StatementRules.checkTimes(entry, previousStreamTime: current?.time) } catch {
                throw LedgerError.from(error).with(description: "\(draft.type) in \(draft.stream): \(error)")
            }
            let effect: RuleEffect
            do { effect = try EntryRules.check(entry, table: .custody, keys: keys, genesisActor: genesisActor) } catch {
                throw LedgerError.from(error).with(description: "\(draft.type) in \(draft.stream): \(error)")
            }
            if case .logKeyRotated = effect {
                throw LedgerError.usage(
                    "a log-key rotation is recorded with `ledger log-key rotate`, which holds the new key")
            }
            for sig in draft.presigned where sig.key != actor {
                guard let message = entry.signedMessage(for: sig, table: .custody),
                    let key = try keys.publicKey(sig.key, entry: entry),
                    key.verify(signature: sig.signature, message: message)
                else {
                    throw LedgerError(.signature, "the signature by key \(sig.key.prefix(12))… does not verify")
                }
            }
            keys.apply(effect)
            // The custody rules decide on the state the projections hold, as `ledger verify` replays it.
            do { try custody.apply(entry, keys: keys) } catch let violation as CustodyViolation {
                throw LedgerError.refused(
                    violation, "refused: \(draft.type) in \(draft.stream): \(violation); nothing was written")
            }
            streamHeads[draft.stream] = StreamHead(rev: body.streamRev, link: entry.streamLinkHex, time: body.time)
            prev = entry.bodyHashHex
            effects.append(effect)
            signing.put(entry, at: index)
            if (index + 1) % ParallelSigner.chunkSize == 0 || index + 1 == drafts.count {
                signing.submit(upTo: index + 1)
            }
        }

        timings?.add(\.decide, since: decideStart)
        return DecidedBatch(
            head: head, recorded: nil, effects: effects, signing: signing, rows: custody.takeChangedRows(),
            lastSeq: seq, origin: origin, logKey: format.isStatements ? format.logKey : nil)
    }

    /// Writes a decided batch as its entries are signed: leaf hashes, Merkle nodes, rows, keys, projections.
    static func store(
        _ batch: DecidedBatch, in transaction: any LedgerWriteTransaction, timings: AppendTimings? = nil,
        progress: ((Int) -> Void)? = nil
    ) throws -> AppendResult {
        if let recorded = batch.recorded { return AppendResult(seqs: recorded, alreadyRecorded: true) }
        guard let signing = batch.signing else { preconditionFailure("a decided batch is being signed") }
        let storeStart = ContinuousClock.now
        var accumulator = try transaction.accumulator(size: batch.head?.seq ?? 0)
        var seqs: [Int64] = []
        seqs.reserveCapacity(batch.effects.count)
        var waited = Duration.zero
        for chunk in signing.chunks {
            let waitStart = ContinuousClock.now
            signing.wait(for: chunk)
            waited += ContinuousClock.now - waitStart
            for index in chunk.range {
                let (entry, leafHash) = signing.takeSigned(at: index)
                let nodes = accumulator.append(leafHash: leafHash)
                try transaction.insert(entry, leafHash: leafHash, nodes: nodes)
                try transaction.apply(batch.effects[index])
                seqs.append(entry.body.seq)
            }
            progress?(seqs.count)
        }
        try transaction.writeProjectionRows(batch.rows, builtTo: batch.lastSeq)
        // FORMAT.md §12.6: in version 2 the log key attests the group's order and times, in the same transaction.
        if let logKey = batch.logKey {
            let checkpoint = Checkpoint(origin: batch.origin, size: batch.lastSeq, root: accumulator.root)
            let signed = try SignedCheckpoint.sign(checkpoint, logKey: logKey)
            _ = try transaction.insertCheckpoint(size: batch.lastSeq, note: signed.noteText, at: SystemClock().now())
        }
        timings?.add(\.insert, since: storeStart, minus: waited)
        timings?.add(\.sign, duration: waited)
        return AppendResult(seqs: seqs, alreadyRecorded: false)
    }

    /// The existing seqs when every draft carries an id that is already recorded with the same content; nil when none
    /// is recorded.
    ///
    /// Throws a conflict for any other mix.
    static func alreadyRecorded(_ drafts: [EventDraft], in transaction: any LedgerReader) throws
        -> [Int64]?
    {
        var seqs: [Int64] = []
        let withIDs = drafts.filter { $0.id != nil }
        var newCount = drafts.count - withIDs.count
        let records = try transaction.records(forIDs: withIDs.compactMap(\.id))
        for (draft, record) in zip(withIDs, records) {
            guard let id = draft.id, let record else {
                newCount += 1
                continue
            }
            let existing = try Entry.parse(record: record)
            let body = existing.body
            guard body.type == draft.type, body.stream.hasSameBytes(as: draft.stream),
                body.actor == KeyFiles.keyID(draft.signer.publicKey),
                JCS.serialize(body.data) == JCS.serialize(draft.data)
            else {
                throw LedgerError(
                    .idConflict,
                    "id \(id) is already recorded at seq \(body.seq) with different content; nothing was written")
            }
            seqs.append(body.seq)
        }
        if seqs.isEmpty { return nil }
        guard newCount == 0 else {
            throw LedgerError(
                .idConflict,
                "the batch mixes \(seqs.count) already recorded id(s) with \(newCount) new one(s); nothing was written")
        }
        return seqs
    }
}

/// A batch checked and built on one head, its entries being signed on worker threads.
struct DecidedBatch {
    /// The head the batch was decided on.
    let head: LedgerHead?
    /// The existing seqs when every draft was already recorded (nothing to store).
    let recorded: [Int64]?
    var effects: [RuleEffect] = []
    fileprivate var signing: ParallelSigner?
    /// The projection rows the batch changes.
    var rows: [ProjectionRow] = []
    /// The seq of the batch's last entry.
    var lastSeq: Int64 = 0
    /// The ledger's origin, which the group's checkpoint names.
    var origin = ""
    /// Version 2: the log key that signs the group's checkpoint; nil in version 1.
    var logKey: Ed25519PrivateKey?
}

/// What an appender must know of a ledger's format: its version, the body hash of seq 1 that version-2 statements
/// name, and, for version 2, the log key that attests each commit group.
struct LedgerFormat {
    var version: Int64
    var genesisHash: String?
    var logKey: Ed25519PrivateKey?

    var isStatements: Bool { version == EntryBody.statementVersion }

    /// The format version of the ledger in `store` (FORMAT.md §12.1), from its seq 1.
    static func version(of store: any LedgerStore) throws -> Int64 {
        do {
            return try store.read { reader in
                var version: Int64 = EntryBody.version
                try reader.forEachRecord(RecordFilter(from: 1, to: 1, withStoredState: false)) {
                    version = try EntryBody.parse(record: $0.record).version
                    return false
                }
                return version
            }
        } catch {
            throw LedgerError.from(error)
        }
    }

    /// The format of the ledger `reader` reads, from its seq 1.
    static func of(_ reader: any LedgerReader) throws -> LedgerFormat {
        guard let genesis = try LedgerFacts.genesis(reader) else { throw LedgerError.usage("the ledger is empty") }
        var format = LedgerFormat(version: genesis.body.version, genesisHash: genesis.bodyHashHex, logKey: nil)
        if format.isStatements {
            let inForce = try LedgerFacts.logKeyInForce(
                reader, atSize: nil, genesisKey: LedgerFacts.logKey(of: genesis))
            format.logKey = try LogKeyFile.load(for: reader, expected: inForce)
        }
        return format
    }
}

/// The keys of the ledger plus those registered or revoked earlier in the same batch.
struct OverlayKeys: KeyDirectory {
    /// The store's keys, each checked against its stream (and cached) for the length of the transaction.
    let checked: LogCheckedKeys
    var changed: [String: KeyState] = [:]

    init(checked: LogCheckedKeys) { self.checked = checked }

    func key(_ keyID: String) throws -> KeyState? {
        if let key = changed[keyID] { return key }
        return try checked.key(keyID)
    }

    func activeAdminCount() throws -> Int {
        var count = try checked.activeAdminCount()
        for (keyID, key) in changed {
            let before = try checked.key(keyID)
            let wasActiveAdmin = before.map { $0.revokedSeq == nil && $0.hasRole(Roles.admin) } ?? false
            let isActiveAdmin = key.revokedSeq == nil && key.hasRole(Roles.admin)
            count += (isActiveAdmin ? 1 : 0) - (wasActiveAdmin ? 1 : 0)
        }
        return count
    }

    /// The public key of a signer: registered, or being registered by `entry` itself.
    func publicKey(_ keyID: String, entry: Entry) throws -> Ed25519PublicKey? {
        if let key = try key(keyID) { return key.publicKey }
        guard entry.body.type == EventTypes.keyRegistered, let text = entry.body.data.member("public_key")?.stringValue,
            let raw = Base64.decodeCanonical(text)
        else { return nil }
        return try? Ed25519PublicKey(raw: raw)
    }

    mutating func apply(_ effect: RuleEffect) {
        switch effect {
        case .none, .ledgerCreated, .logKeyRotated: break
        case .keyRegistered(let key): changed[key.keyID] = key
        case .keyRevoked(let keyID, let seq, let compromised):
            guard var key = (try? self.key(keyID)) ?? nil else { return }
            key.revokedSeq = seq
            key.compromisedSinceSeq = compromised
            changed[keyID] = key
        }
    }
}

/// Signs chunks of entries on worker threads; the caller collects them in order.
///
/// Entries move through one slot each, never copied: the deciding thread puts the unsigned entry, a worker takes
/// it and puts back the signed entry with its leaf hash, and the inserting thread takes that. A slot is handed over
/// by `submit` (starting the chunk's work) and `wait(for:)` (its end).
private final class ParallelSigner {
    static let chunkSize = 128

    private enum Slot {
        case empty
        case unsigned(Entry)
        case signed(Entry, leafHash: [UInt8])
    }

    private let drafts: [EventDraft]
    private let slots: SlotBuffer<Slot>
    private var submitted = 0
    private(set) var chunks: [(range: Range<Int>, signing: Background<Void, Never>)] = []

    init(drafts: [EventDraft]) {
        self.drafts = drafts
        slots = SlotBuffer(repeating: .empty, count: drafts.count)
    }

    /// Hands over the unsigned entry of draft `index`.
    func put(_ entry: Entry, at index: Int) { slots[index] = .unsigned(entry) }

    /// Starts signing the entries put since the last call, up to (not including) `end`.
    func submit(upTo end: Int) {
        let range = submitted..<end
        submitted = end
        let (drafts, slots) = (self.drafts, self.slots)
        let signing = Background<Void, Never>.start {
            // One signing context per key for the whole chunk.
            var signers: [String: Ed25519Signer] = [:]
            for index in range {
                guard case .unsigned(let entry) = slots.take(index, leaving: .empty) else {
                    preconditionFailure("an unsigned entry")
                }
                let draft = drafts[index]
                let signer = signers[entry.body.actor] ?? Ed25519Signer(key: draft.signer)
                signers[entry.body.actor] = signer
                var sigs = [EntrySignature(key: entry.body.actor, signature: signer.sign(entry.actorMessage))]
                for sig in draft.presigned where sig.key != entry.body.actor { sigs.append(sig) }
                // Version 2: a co-signer signing in the same process signs at the recorded time.
                let coSignedAt = entry.body.isStatement ? entry.body.time : nil
                for coSigner in draft.coSigners {
                    guard let message = entry.coSignerMessage(signedAt: coSignedAt) else { continue }
                    sigs.append(
                        EntrySignature(
                            key: KeyFiles.keyID(coSigner.publicKey), signature: coSigner.sign(message),
                            signedAt: coSignedAt))
                }
                let signed = entry.withSignatures(sigs)
                let leafHash = Merkle.leafHash(signed.record)
                slots[index] = .signed(signed, leafHash: leafHash)
            }
        }
        chunks.append((range, signing))
    }

    /// Waits until a chunk is signed.
    func wait(for chunk: (range: Range<Int>, signing: Background<Void, Never>)) { chunk.signing.wait() }

    /// Takes the signed entry of draft `index` and its leaf hash, once its chunk is signed.
    func takeSigned(at index: Int) -> (Entry, [UInt8]) {
        guard case .signed(let entry, let leafHash) = slots.take(index, leaving: .empty) else {
            preconditionFailure("every entry is signed")
        }
        return (entry, leafHash)
    }
}

/// Where an append's time went, summed over calls (for `tools/bench`).
package final class AppendTimings: @unchecked Sendable {
    // @unchecked: every field is read and written under `lock`.
    private let lock = NSLock()
    private var values: [KeyPath<AppendTimings, Duration>: Duration] = [:]

    /// Checking drafts against state and rules, building and hashing bodies.
    package var decide: Duration { value(\.decide) }
    /// Waiting for Ed25519 signatures that worker threads had not finished yet (signing overlaps deciding).
    package var sign: Duration { value(\.sign) }
    /// Merkle hashing and the SQLite inserts.
    package var insert: Duration { value(\.insert) }
    /// Everything, including opening the transaction and the durable commit.
    package var total: Duration { value(\.total) }
    /// Batches decided ahead that had to be decided again because another writer appended first.
    package var decidedAgain: Int {
        lock.lock()
        defer { lock.unlock() }
        return decidedAgainCount
    }
    private var decidedAgainCount = 0

    func countDecidedAgain() {
        lock.lock()
        decidedAgainCount += 1
        lock.unlock()
    }

    /// No time spent yet.
    package init() {}

    private func value(_ key: KeyPath<AppendTimings, Duration>) -> Duration {
        lock.lock()
        defer { lock.unlock() }
        return values[key] ?? .zero
    }

    func add(_ key: KeyPath<AppendTimings, Duration>, since start: ContinuousClock.Instant, minus: Duration = .zero) {
        add(key, duration: ContinuousClock.now - start - minus)
    }

    func add(_ key: KeyPath<AppendTimings, Duration>, duration: Duration) {
        lock.lock()
        values[key, default: .zero] += duration
        lock.unlock()
    }
}
