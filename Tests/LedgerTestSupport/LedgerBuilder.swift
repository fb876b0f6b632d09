import CustodyDomain
import LedgerApp
import LedgerCore
import LedgerCrypto

/// Builds valid ledgers in memory, entry by entry, with real keys and signatures, and lets a test change any
/// part of an entry before it is signed: the tamper toolkit for testing each verification rule.
public struct LedgerBuilder {
    public let origin: String
    public let admin: Ed25519PrivateKey
    public let logKey: Ed25519PrivateKey
    public private(set) var entries: [Entry] = []
    /// The format version of the entries built: 1, or 2 (statements, FORMAT.md §12).
    public let version: Int64
    private var streamHeads: [String: (rev: Int64, hash: String)] = [:]
    private var clock: Int64 = 1_780_000_000_000

    /// A ledger with its genesis entries (seq 1 and 2), of format `version`.
    public init(origin: String = "ledger.test.example/unit", version: Int64 = EntryBody.version) {
        self.origin = origin
        self.version = version
        admin = Ed25519PrivateKey.generate()
        logKey = Ed25519PrivateKey.generate()
        let vkey = (try? NoteVerifierKey(name: origin, publicKey: logKey.publicKey))?.vkey ?? ""
        append(type: EventTypes.ledgerCreated, stream: "ledger", data: ["log_vkey": .string(vkey)], signer: admin)
        let request = KeyRequest(
            agency: "Test Agency", ledger: origin, name: "Ada Admin", person: "ada", publicKey: admin.publicKey)
        append(
            type: EventTypes.keyRegistered, stream: "key/\(Self.keyID(admin))",
            data: Self.registration(request, roles: ["admin"]), signer: admin)
    }

    /// The key id of a key.
    public static func keyID(_ key: Ed25519PrivateKey) -> String { KeyID.of(key.publicKey) }

    static func registration(_ request: KeyRequest, roles: [String]) -> JSONValue {
        KeyManagement.registrationData(request, keyID: request.keyID ?? "", roles: roles)
    }

    /// Registers a new person's key (signed by `by`, default the admin), with its proof of possession.
    @discardableResult
    public mutating func register(
        name: String = "Bob Custodian", person: String = "bob", roles: [String] = ["custodian"],
        by signer: Ed25519PrivateKey? = nil, key: Ed25519PrivateKey = .generate()
    ) -> Ed25519PrivateKey {
        let request = KeyRequest(
            agency: "Test Agency", ledger: origin, name: name, person: person, publicKey: key.publicKey)
        let proof = EntrySignature(key: Self.keyID(key), signature: key.sign(request.message))
        append(
            type: EventTypes.keyRegistered, stream: "key/\(Self.keyID(key))",
            data: Self.registration(request, roles: roles),
            signer: signer ?? admin, presigned: [proof])
        return key
    }

    /// Appends an entry.
    ///
    /// `mutate` may change the body before it is hashed and signed; `mutateSigs` may change the
    /// signatures afterwards. The builder keeps chaining from whatever was actually appended. `coSigners` sign the
    /// entry message (version 1) or the co-signature message at `coSignedAt` (version 2; default the entry's time).
    @discardableResult
    public mutating func append(
        type: String, stream: String, data: JSONValue, signer: Ed25519PrivateKey, presigned: [EntrySignature] = [],
        coSigners: [Ed25519PrivateKey] = [], coSignedAt: String? = nil,
        mutate: (inout EntryBody) -> Void = { _ in }, mutateSigs: ([EntrySignature]) -> [EntrySignature] = { $0 }
    ) -> Entry {
        clock += 1000
        let head = streamHeads[stream]
        let time = LedgerTime.format(millisecondsSince1970: clock)
        let isStatement = version == EntryBody.statementVersion
        var body = EntryBody(
            ledger: origin, seq: Int64(entries.count + 1), prev: entries.last?.bodyHashHex ?? EntryBody.zeroHash,
            stream: stream, streamRev: (head?.rev ?? 0) + 1, streamPrev: head?.hash ?? EntryBody.zeroHash,
            id: SecureRandom.uuidV4(), time: time, type: type, actor: Self.keyID(signer), data: data,
            version: version, genesis: isStatement ? entries.first?.bodyHashHex : nil,
            signedAt: isStatement ? time : "",
            expires: isStatement ? StatementRules.defaultExpiry(signedAt: time) : "")
        mutate(&body)
        let unsigned = Entry(body: body, sigs: [])
        let actorSig = EntrySignature(key: body.actor, signature: signer.sign(unsigned.actorMessage))
        let coSignedAt = isStatement ? (coSignedAt ?? body.time) : nil
        let coSigs = coSigners.compactMap { key -> EntrySignature? in
            guard let message = unsigned.coSignerMessage(signedAt: coSignedAt) else { return nil }
            return EntrySignature(key: Self.keyID(key), signature: key.sign(message), signedAt: coSignedAt)
        }
        let entry = Entry(
            body: body, sigs: mutateSigs([actorSig] + presigned.filter { $0.key != body.actor } + coSigs))
        entries.append(entry)
        streamHeads[body.stream] = (body.streamRev, entry.streamLinkHex)
        return entry
    }

    /// Appends raw, already-built entry.
    public mutating func appendRaw(_ entry: Entry) {
        entries.append(entry)
        streamHeads[entry.body.stream] = (entry.body.streamRev, entry.streamLinkHex)
    }

    /// The records, in seq order.
    public var records: [[UInt8]] { entries.map(\.record) }

    /// The JSON Lines export.
    public var jsonl: [UInt8] { Array(records.map { $0 + [0x0a] }.joined()) }

    /// A checkpoint of the first `size` entries signed by the log key (or another key).
    public func checkpoint(size: Int? = nil, signedBy key: Ed25519PrivateKey? = nil) -> SignedCheckpoint {
        let count = size ?? entries.count
        var accumulator = MerkleAccumulator()
        for entry in entries.prefix(count) { accumulator.append(leafHash: Merkle.leafHash(entry.record)) }
        let checkpoint = Checkpoint(origin: origin, size: Int64(count), root: accumulator.root)
        // swiftlint-style force unwrap avoided: signing a well-formed checkpoint cannot fail.
        return (try? SignedCheckpoint.sign(checkpoint, logKey: key ?? logKey))!
    }

    /// The log key's vkey.
    public var logVKey: NoteVerifierKey { (try? NoteVerifierKey(name: origin, publicKey: logKey.publicKey))! }
}

/// Verifies records in memory the way `ledger verify --jsonl` does, returning the summary or the first failure.
public func verifyRecords(
    _ records: [[UInt8]], checkpoints: [SignedCheckpoint] = [], pinned: NoteVerifierKey? = nil
) -> Result<VerificationSummary, VerificationFailure> {
    var verifier = CustodyVerifier(
        table: .custody, fold: CustodyState(), rootSizes: Set(checkpoints.map(\.checkpoint.size)))
    do throws(VerificationFailure) {
        for (index, record) in records.enumerated() {
            let prepared = PreparedEntry.prepare(
                position: Int64(index + 1), record: record, knownKeys: index % 2 == 0 ? verifier.knownPublicKeys : [:],
                table: .custody)
            try verifier.verify(prepared)
        }
        return .success(try verifier.finish(checkpoints: checkpoints, pinnedLogKey: pinned))
    } catch {
        return .failure(error)
    }
}

extension Result where Failure == VerificationFailure {
    /// The failure's text, or nil on success.
    public var failureText: String? {
        if case .failure(let failure) = self { return failure.description }
        return nil
    }
}

extension LedgerBuilder {
    /// A copy of `builder` whose entries are replaced (for tamper tests that rebuild an entry).
    public static func from(_ builder: LedgerBuilder, entries: [Entry]) -> LedgerBuilder {
        var copy = builder
        copy.entries = []
        for entry in entries { copy.appendRaw(entry) }
        return copy
    }
}
