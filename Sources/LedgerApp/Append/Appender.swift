import Dispatch
import LedgerCore
import LedgerCrypto

/// One event to append: what happened, where, and who signs it.
public struct EventDraft: Sendable {
    /// The entry id; nil for a new random UUIDv4. Giving one makes the append idempotent.
    public var id: String?
    public var type: String
    public var stream: String
    public var data: JSONValue
    /// The stream's expected current last revision (0: the stream must not exist yet).
    public var expectRev: Int64?
    /// The actor's private key.
    public var signer: Ed25519PrivateKey
    /// Signatures made earlier by other required signers (a key request's proof of possession).
    public var presigned: [EntrySignature]

    public init(
        id: String? = nil, type: String, stream: String, data: JSONValue, expectRev: Int64? = nil,
        signer: Ed25519PrivateKey, presigned: [EntrySignature] = []
    ) {
        self.id = id
        self.type = type
        self.stream = stream
        self.data = data
        self.expectRev = expectRev
        self.signer = signer
        self.presigned = presigned
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
    public static func append(_ drafts: [EventDraft], to store: any LedgerStore) throws -> AppendResult {
        try validateShapes(drafts)
        do {
            return try store.write { transaction in try append(drafts, in: transaction, genesisActor: nil) }
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

    /// Appends inside an open write transaction (used by `ledger init` for the genesis entries too).
    static func append(_ drafts: [EventDraft], in transaction: any LedgerWriteTransaction, genesisActor: String?) throws
        -> AppendResult
    {
        if let recorded = try alreadyRecorded(drafts, in: transaction) {
            return AppendResult(seqs: recorded, alreadyRecorded: true)
        }
        guard let origin = try transaction.meta("origin") else { throw LedgerError.usage("the ledger has no origin") }
        let head = try transaction.head()
        var seq = head?.seq ?? 0
        var prev = head?.bodyHash ?? EntryBody.zeroHash
        let now = LedgerTime.now()
        let time = max(now, head?.time ?? now)
        var keys = OverlayKeys(base: transaction)
        var streamHeads: [String: (rev: Int64, bodyHash: String)] = [:]
        var unsigned: [(Entry, RuleEffect)] = []
        unsigned.reserveCapacity(drafts.count)

        for draft in drafts {
            seq += 1
            let current = try streamHeads[draft.stream] ?? transaction.streamHead(draft.stream)
            let currentRev = current?.rev ?? 0
            if let expected = draft.expectRev, expected != currentRev {
                throw LedgerError.conflict(
                    "stream \(draft.stream) is at revision \(currentRev), not the expected \(expected); nothing was written")
            }
            let actor = KeyFiles.keyID(draft.signer.publicKey)
            let body = EntryBody(
                ledger: origin, seq: seq, prev: prev, stream: draft.stream, streamRev: currentRev + 1,
                streamPrev: current?.bodyHash ?? EntryBody.zeroHash, id: draft.id ?? SecureRandom.uuidV4(), time: time,
                type: draft.type, actor: actor, data: draft.data)
            // Placeholder signatures of the right size, so the rules and the size limit see the final shape.
            var placeholders = [EntrySignature(key: actor, signature: [UInt8](repeating: 0, count: 64))]
            for sig in draft.presigned where sig.key != actor { placeholders.append(sig) }
            let entry = Entry(body: body, sigs: placeholders)
            guard entry.record.count <= Entry.maxRecordBytes else {
                throw LedgerError.usage(
                    "the entry would be \(entry.record.count) bytes, over the limit of \(Entry.maxRecordBytes)")
            }
            let effect: RuleEffect
            do { effect = try EntryRules.check(entry, keys: keys, genesisActor: genesisActor) } catch {
                throw LedgerError.usage("\(draft.type) in \(draft.stream): \(error)")
            }
            for sig in draft.presigned where sig.key != actor {
                guard let message = entry.signedMessage(for: sig.key), let key = try keys.publicKey(sig.key, entry: entry),
                    key.verify(signature: sig.signature, message: message)
                else { throw LedgerError.usage("the signature by key \(sig.key.prefix(12))… does not verify") }
            }
            keys.apply(effect)
            streamHeads[draft.stream] = (body.streamRev, entry.bodyHashHex)
            prev = entry.bodyHashHex
            unsigned.append((entry, effect))
        }

        let signed = signAll(unsigned.map(\.0), drafts: drafts)
        var accumulator = try transaction.accumulator(size: head?.seq ?? 0)
        for (index, entry) in signed.enumerated() {
            let leafHash = Merkle.leafHash(entry.record)
            let nodes = accumulator.append(leafHash: leafHash)
            try transaction.insert(entry, leafHash: leafHash, nodes: nodes)
            try transaction.apply(unsigned[index].1)
        }
        return AppendResult(seqs: signed.map(\.body.seq), alreadyRecorded: false)
    }

    /// The actor's signatures, made on all cores; Ed25519 signing is the costly step of an append.
    private static func signAll(_ entries: [Entry], drafts: [EventDraft]) -> [Entry] {
        let results = SendableBuffer<Entry?>(repeating: nil, count: entries.count)
        let chunk = 64
        let chunks = (entries.count + chunk - 1) / chunk
        DispatchQueue.concurrentPerform(iterations: chunks) { chunkIndex in
            for index in (chunkIndex * chunk)..<min(entries.count, (chunkIndex + 1) * chunk) {
                let entry = entries[index]
                let draft = drafts[index]
                let actorSig = EntrySignature(
                    key: entry.body.actor, signature: draft.signer.sign(SigningMessage.entry(bodyHash: entry.bodyHash)))
                let others = draft.presigned.filter { $0.key != entry.body.actor }
                results[index] = entry.withSignatures([actorSig] + others)
            }
        }
        return results.values.map { entry in
            guard let entry else { preconditionFailure("every entry is signed") }
            return entry
        }
    }

    /// The existing seqs when every draft carries an id that is already recorded with the same content; nil when
    /// none is recorded. Throws a conflict for any other mix.
    private static func alreadyRecorded(_ drafts: [EventDraft], in transaction: any LedgerWriteTransaction) throws
        -> [Int64]?
    {
        var seqs: [Int64] = []
        var newCount = 0
        for draft in drafts {
            guard let id = draft.id, let record = try transaction.record(forID: id) else {
                newCount += 1
                continue
            }
            let existing = try Entry.parse(record: record)
            let body = existing.body
            guard body.type == draft.type, body.stream.utf8.elementsEqual(draft.stream.utf8),
                body.actor == KeyFiles.keyID(draft.signer.publicKey), JCS.serialize(body.data) == JCS.serialize(draft.data)
            else {
                throw LedgerError.conflict(
                    "id \(id) is already recorded at seq \(body.seq) with different content; nothing was written")
            }
            seqs.append(body.seq)
        }
        if seqs.isEmpty { return nil }
        guard newCount == 0 else {
            throw LedgerError.conflict(
                "the batch mixes \(seqs.count) already recorded id(s) with \(newCount) new one(s); nothing was written")
        }
        return seqs
    }
}

/// The keys of the ledger plus those registered or revoked earlier in the same batch.
private struct OverlayKeys: KeyDirectory {
    let base: any LedgerWriteTransaction
    var changed: [String: KeyState] = [:]

    init(base: any LedgerWriteTransaction) { self.base = base }

    func key(_ keyID: String) throws -> KeyState? {
        if let key = changed[keyID] { return key }
        return try base.key(keyID)
    }

    func activeAdminCount() throws -> Int {
        var count = try base.activeAdminCount()
        for (keyID, key) in changed {
            let before = try base.key(keyID)
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
        case .none, .ledgerCreated: break
        case .keyRegistered(let key): changed[key.keyID] = key
        case .keyRevoked(let keyID, let seq, let compromised):
            guard var key = (try? self.key(keyID)) ?? nil else { return }
            key.revokedSeq = seq
            key.compromisedSinceSeq = compromised
            changed[keyID] = key
        }
    }
}

/// A fixed-size buffer that concurrent workers fill at distinct indices.
final class SendableBuffer<Element>: @unchecked Sendable {
    // @unchecked: each index is written by exactly one worker, and read only after all workers finish.
    private let storage: UnsafeMutableBufferPointer<Element>

    init(repeating value: Element, count: Int) {
        storage = .allocate(capacity: count)
        storage.initialize(repeating: value)
    }

    deinit {
        storage.deinitialize()
        storage.deallocate()
    }

    subscript(index: Int) -> Element {
        get { storage[index] }
        set { storage[index] = newValue }
    }

    var values: [Element] { Array(storage) }
}
