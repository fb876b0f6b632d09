import LedgerCrypto

/// The verification rules (FORMAT.md §7 for a ledger, §11 for a bundle): a closed set callers can switch over.
///
/// The raw value is the short name reports print (`rule  prev chain`, `"rule":"prev chain"` in JSON).
public enum VerificationRule: String, Sendable, CaseIterable {
    /// §7 rule 1: size, JSON profile, exact members, types and patterns.
    case recordForm = "record form"
    /// §7 rule 2: the n-th record has seq n.
    case sequence
    /// §7 rule 3: every entry names the origin of seq 1.
    case origin
    /// §7 rule 4: `prev` is the body hash of the previous entry.
    case prevChain = "prev chain"
    /// §12.7 rule 5: a version-2 statement names the body hash of this ledger's seq 1.
    case genesisBinding = "genesis binding"
    /// §12.7 rule 9: a statement's anchor names an earlier tree size and that tree's root.
    case anchor
    /// §7 rule 5: `stream_rev` and `stream_prev` follow the stream's previous entry.
    case streamChain = "stream chain"
    /// §7 rule 6: no id is used twice.
    case uniqueIDs = "unique ids"
    /// §7 rule 7: time never goes backwards.
    case time
    /// §7 rule 8: known type, matching stream and data, genesis rules.
    case typeTable = "type table"
    /// §7 rule 9: the required signers, registered, unrevoked, with an allowed role; every signature verifies.
    case signatures
    /// The ledger has fewer than two entries, or seq 1 and 2 are not a complete genesis.
    case genesis
    /// §7 rule 10: stored leaf and interior node hashes.
    case merkleTree = "Merkle tree"
    /// §7 rule 11: checkpoints (stored or given) are valid and match the tree.
    case checkpoints
    /// §7 rule 12: the stored columns, origin and keys table equal the replay.
    case storedState = "stored state"
    /// §7 rule 13: every projection row equals the replay's.
    case projections
    /// RFC 3161 time stamps over checkpoints (§6.7).
    case timestamps
    /// Witness cosignatures and their quorum (§6.6).
    case witnesses
    /// A disclosure statement checked against the ledger or inside a bundle (§11.4).
    case disclosure
    /// Inclusion proofs in a bundle (§11.3).
    case proofs
    /// A bundle's BagIt structure, manifests and bag-info (§11.1).
    case bag
    /// A bundle's entries file (§11.2).
    case entries
    /// A bundle's checkpoint (§11.3).
    case checkpoint
    /// A bundle's report and CASE/UCO graph, rendered again (§11.6–11.7).
    case report
}

/// The first rule a ledger breaks: where (seq) and what, in words.
public struct VerificationFailure: Error, Sendable, CustomStringConvertible {
    /// The seq of the failing entry, or nil for a failure about the ledger as a whole (a checkpoint).
    public let seq: Int64?
    /// The rule broken (FORMAT.md §7).
    public let rule: VerificationRule
    /// What failed, in words.
    public let message: String

    /// A failure of `rule` at `seq` (nil: about the ledger as a whole), with `message` saying what failed.
    public init(seq: Int64?, rule: VerificationRule, message: String) {
        self.seq = seq
        self.rule = rule
        self.message = message
    }

    /// `seq N: message`, or the message alone when the failure has no seq.
    public var description: String { seq.map { "seq \($0): \(message)" } ?? message }
}

/// Something that is not an integrity failure but needs a human's review.
public struct Finding: Sendable, CustomStringConvertible {
    /// What kind of review it needs: `compromised-key` from the core, one category per domain fold.
    public struct Category: RawRepresentable, Sendable, Hashable {
        /// The category's name, as `ledger verify` prints it beside each finding.
        public let rawValue: String
        /// The category named `rawValue`; a domain declares its own as a static constant.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// Signed by a key later reported compromised.
        public static let compromisedKey = Category(rawValue: "compromised-key")
    }

    /// The seq of the entry to review.
    public let seq: Int64
    /// What kind of review it needs.
    public let category: Category
    /// What to review, in words.
    public let message: String

    /// A finding about the entry at `seq`.
    public init(seq: Int64, category: Category, message: String) {
        self.seq = seq
        self.category = category
        self.message = message
    }

    /// `seq N: message`.
    public var description: String { "seq \(seq): \(message)" }
}

/// A record made ready for the sequential rules: parsed, hashed and, where the key was already known, its signatures
/// checked.
///
/// Preparation is independent per record, so it runs on all cores.
public struct PreparedEntry: Sendable {
    /// The record's 1-based position in the ledger (its expected seq).
    public let position: Int64
    /// The parsed entry; nil when its form is invalid (``formError`` says why).
    public let parsed: Entry?
    /// Why the record's form is invalid; nil when it parsed.
    public let formError: EntryFormatError?
    /// The key this entry registers, when it is a `key.registered` whose public key matches its key id.
    ///
    /// A key id is the SHA-256 of its public key, so this binding holds wherever the entry sits in the ledger;
    /// whether the registration is valid is for the sequential rules to decide. Found when the record is parsed
    /// (the pipelines ask every prepared entry for it).
    public let registeredKey: (keyID: String, publicKey: Ed25519PublicKey)?

    /// SHA-256(0x00 ‖ record).
    public let leafHash: [UInt8]
    /// Per element of `sigs`: the checked result, or nil when the key was not known at preparation time.
    public private(set) var signatureChecks: [Bool?]
    /// The leaf hash stored beside the record, when verifying a database.
    public let storedLeafHash: [UInt8]?
    /// The interior nodes stored beside the record, when verifying a database.
    public let storedNodes: [UInt8]?
    /// The lookup columns stored beside the record, when verifying a database.
    public var storedColumns: StoredColumns? = nil

    /// Parses and hashes `record`, and checks each signature whose key is in `knownKeys` (or is the key being
    /// registered, whose public key the entry carries).
    public static func prepare(
        position: Int64, record: [UInt8], knownKeys: [String: Ed25519PublicKey], table: TypeTable,
        storedLeafHash: [UInt8]? = nil, storedNodes: [UInt8]? = nil
    ) -> PreparedEntry {
        parse(position: position, record: record, storedLeafHash: storedLeafHash, storedNodes: storedNodes)
            .checkingSignatures(knownKeys: knownKeys, table: table)
    }

    /// Parses and hashes `record` without checking signatures yet.
    public static func parse(
        position: Int64, record: [UInt8], storedLeafHash: [UInt8]? = nil, storedNodes: [UInt8]? = nil
    ) -> PreparedEntry {
        var repeated = RepeatedStrings()
        return parse(
            position: position, record: record, storedLeafHash: storedLeafHash, storedNodes: storedNodes,
            repeated: &repeated)
    }

    /// ``parse(position:record:storedLeafHash:storedNodes:)`` sharing the strings that repeat from record to record
    /// (origin, genesis hash, actors, types) with the records the same thread read before.
    package static func parse(
        position: Int64, record: [UInt8], storedLeafHash: [UInt8]?, storedNodes: [UInt8]?,
        repeated: inout RepeatedStrings
    ) -> PreparedEntry {
        let parsed: Entry?
        let formError: EntryFormatError?
        do throws(EntryFormatError) {
            parsed = try Entry.parse(record: record, repeated: &repeated)
            formError = nil
        } catch {
            parsed = nil
            formError = error
        }
        return PreparedEntry(
            position: position, parsed: parsed, formError: formError, registeredKey: registeredKey(of: parsed),
            leafHash: Merkle.leafHash(record), signatureChecks: [], storedLeafHash: storedLeafHash,
            storedNodes: storedNodes)
    }

    /// The parsed entry, or why its form is invalid.
    public var entry: Result<Entry, EntryFormatError> {
        if let parsed { return .success(parsed) }
        return .failure(formError ?? EntryFormatError("record could not be read"))
    }

    /// The key `entry` registers (see ``registeredKey``).
    private static func registeredKey(of entry: Entry?) -> (keyID: String, publicKey: Ed25519PublicKey)? {
        guard let entry, entry.body.type == EventTypes.keyRegistered,
            let keyID = entry.body.data.member("key")?.stringValue,
            let text = entry.body.data.member("public_key")?.stringValue, let raw = Base64.decodeCanonical(text),
            KeyID.of(raw: raw) == keyID, let key = try? Ed25519PublicKey(raw: raw)
        else { return nil }
        return (keyID, key)
    }

    /// This entry with each signature checked whose key is in `knownKeys` or is the key the entry registers.
    public func checkingSignatures(knownKeys: [String: Ed25519PublicKey], table: TypeTable) -> PreparedEntry {
        var checked = self
        var verifiers: [String: Ed25519Verifier] = [:]
        checked.checkSignatures(knownKeys: knownKeys, table: table, verifiers: &verifiers)
        return checked
    }

    /// Checks each signature whose key is in `knownKeys` or is the key the entry registers, in place (a prepared
    /// entry is large: a batch of them is checked where it lies), reusing a thread's verification contexts.
    public mutating func checkSignatures(
        knownKeys: [String: Ed25519PublicKey], table: TypeTable, verifiers: inout [String: Ed25519Verifier]
    ) {
        guard parsed != nil else { return }
        signatureChecks = signatureResults(knownKeys: knownKeys, table: table, verifiers: &verifiers)
    }

    /// Per signature: its check, or nil when its key is not known yet.
    private func signatureResults(
        knownKeys: [String: Ed25519PublicKey], table: TypeTable, verifiers: inout [String: Ed25519Verifier]
    ) -> [Bool?] {
        // A method that does not mutate reads the entry where it lies, without copying it.
        guard let entry = parsed else { return [] }
        let registered = registeredKey
        var checks: [Bool?] = []
        checks.reserveCapacity(entry.sigs.count)
        for sig in entry.sigs {
            checks.append(check(sig))
        }
        func check(_ sig: EntrySignature) -> Bool? {
            guard let message = entry.signedMessage(for: sig, table: table) else { return false }
            if let verifier = verifiers[sig.key] { return verifier.verify(signature: sig.signature, message: message) }
            let key = knownKeys[sig.key] ?? (registered?.keyID == sig.key ? registered?.publicKey : nil)
            guard let key else { return nil }
            let verifier = Ed25519Verifier(key: key)
            verifiers[sig.key] = verifier
            return verifier.verify(signature: sig.signature, message: message)
        }
        return checks
    }
}

/// What a successful verification established.
public struct VerificationSummary: Sendable {
    /// The ledger's origin, from seq 1; nil for an empty ledger.
    public var origin: String?
    /// Entries verified: all of the ledger's.
    public var entries: Int64 = 0
    /// Distinct streams among them.
    public var streams: Int = 0
    /// Keys registered, revoked ones included.
    public var keys: Int = 0
    /// Of those, the keys revoked.
    public var revokedKeys: Int = 0
    /// The size of the Merkle tree ``root`` is of: the number of entries.
    public var treeSize: Int64 = 0
    /// The RFC 9162 root hash over every entry's leaf (the empty tree's hash for none).
    public var root: [UInt8] = Merkle.emptyRoot
    /// The log key's vkey text in force after the last entry: `ledger.created`'s, or the last rotation's.
    public var logKey: String?
    /// The seqs at which the log key was rotated (FORMAT.md §12.10), oldest first.
    public var logKeyRotations: [Int64] = []
    /// Anchors whose size no checkpoint given to the verifier has, so their roots were not at hand: the caller checks
    /// them against a stored tree, or reports them unchecked.
    public var uncheckedAnchors: [(seq: Int64, anchor: StatementAnchor)] = []
    /// Sizes of the checkpoints that were verified.
    public var checkpointSizes: [Int64] = []
    /// Entries after the newest valid checkpoint.
    public var uncoveredEntries: Int64 = 0
    /// Entries that are valid but need a human's review, by seq.
    public var findings: [Finding] = []
}

/// A domain's fold over the log: its rules and its projections, replayed by the verifier after the core's rules.
///
/// The log core knows no domain; the custody domain's `CustodyState` is one. An entry that breaks a domain rule is a
/// finding of ``findingCategory`` in a replay (the fold must leave its state unchanged), not an integrity failure.
public protocol ReplayFold {
    /// The category of the findings its refusals become.
    static var findingCategory: Finding.Category { get }
    /// Applies an entry that passed the core's rules, given the keys registered before it (and by it); throws when
    /// the entry breaks a domain rule, leaving the state as it was.
    mutating func apply(_ entry: Entry, keys: any KeyDirectory) throws
    /// Exceptions the entries applied since the last call revealed, in words: entries applied as recorded (history
    /// is not rewritten) that a decision today would refuse, each a finding of ``findingCategory`` for review.
    mutating func takeExceptions() -> [String]
}

extension ReplayFold {
    /// None: a fold that refuses whatever breaks its rules has no exceptions to report.
    public mutating func takeExceptions() -> [String] { [] }
}

/// A fold that keeps no state: replays the core's rules alone.
public struct NoDomainFold: ReplayFold, Sendable {
    /// `domain`; no finding has it, as this fold refuses nothing.
    public static let findingCategory = Finding.Category(rawValue: "domain")
    /// The fold, stateless.
    public init() {}
    /// Does nothing: there is no domain state.
    public mutating func apply(_ entry: Entry, keys: any KeyDirectory) {}
}

/// Replays a ledger entry by entry and checks every rule of FORMAT.md §7, then hands each valid entry to the
/// domain's fold.
///
/// Memory grows with the number of streams and keys, plus 16 bytes per entry for the id check and one range per run
/// of consecutive seqs a key signed (for findings when a key is later reported compromised).
public struct LedgerVerifier<Fold: ReplayFold>: KeyDirectory {
    private var origin: String?
    private var logKey: NoteVerifierKey?
    /// The log keys in force, each from a seq on: seq 1's, then each rotation's (FORMAT.md §12.10).
    private var logKeys: [(fromSeq: Int64, key: NoteVerifierKey)] = []
    private var count: Int64 = 0
    private var lastBodyHash = EntryBody.zeroHash
    private var lastTime = ""
    /// Each stream's last revision, the hash its next entry names (`stream_prev`), and its time.
    private var streams: [String: (rev: Int64, hash: String, time: String)] = [:]
    /// The format version seq 1 fixed (FORMAT.md §12.1), and the body hash of seq 1 (version-2 statements name it).
    private var formatVersion: Int64?
    private var genesisHash: String?
    /// Anchors seen, checked against the roots of their sizes when the replay ends.
    private var anchors: [(seq: Int64, anchor: StatementAnchor)] = []
    /// Every id so far, packed into 16 bytes: the one memory the replay needs per entry.
    private var ids = Set<UUIDKey>()
    private var keys: [String: KeyState] = [:]
    private var activeAdmins = 0
    private var genesisActor: String?
    private var pendingGenesis: (Entry, [Bool?])?
    /// The seqs each key signed, as runs of consecutive seqs: a key usually signs whole commit groups, so memory
    /// follows the runs, not the entries.
    private var signedRuns: [String: [ClosedRange<Int64>]] = [:]
    private var accumulator = MerkleAccumulator()
    private let rootSizes: Set<Int64>
    private var roots: [Int64: [UInt8]] = [:]
    private var findings: [Finding] = []
    /// The domain's state as the replay builds it.
    public private(set) var fold: Fold
    /// The type table the entries are checked against.
    public let table: TypeTable

    /// A verifier that checks entries against `table`, replays them into `fold` (an empty state), and remembers the
    /// tree roots at `rootSizes` (the sizes of checkpoints to check).
    ///
    /// `expectedEntries`, when known, sizes the set of ids once (no growth, whose copy would double its memory for a
    /// moment).
    public init(table: TypeTable, fold: Fold, rootSizes: Set<Int64> = [], expectedEntries: Int = 0) {
        self.table = table
        self.fold = fold
        self.rootSizes = rootSizes
        ids.reserveCapacity(expectedEntries)
    }

    /// Public keys of every key registered so far, for checking signatures ahead of the sequential rules.
    public var knownPublicKeys: [String: Ed25519PublicKey] { keys.mapValues(\.publicKey) }

    /// Entries verified so far.
    public var entryCount: Int64 { count }

    /// The key as the replay has it after the last verified entry, or nil if it was not registered by then.
    public func key(_ keyID: String) -> KeyState? { keys[keyID] }

    /// Every key the replay registered, as the log says it stands now.
    public var replayedKeys: [KeyState] { keys.values.sorted { $0.registeredSeq < $1.registeredSeq } }

    /// The format version seq 1 fixed, once verified (FORMAT.md §12.1).
    public var replayedFormatVersion: Int64? { formatVersion }

    /// The origin of seq 1, once verified.
    public var replayedOrigin: String? { origin }
    /// How many keys registered by the last verified entry hold `admin` and are not revoked.
    public func activeAdminCount() -> Int { activeAdmins }

    /// Applies every rule to the next entry.
    public mutating func verify(_ prepared: PreparedEntry) throws(VerificationFailure) {
        let seq = count + 1
        func fail(_ rule: VerificationRule, _ message: String) -> VerificationFailure {
            VerificationFailure(seq: seq, rule: rule, message: message)
        }
        guard let entry = prepared.parsed else {
            throw fail(.recordForm, prepared.formError?.description ?? "record could not be read")
        }
        let body = entry.body
        if let formatVersion, body.version != formatVersion {
            throw fail(
                .recordForm, "a version-\(body.version) record in a ledger of format version \(formatVersion)")
        }
        guard body.seq == seq else { throw fail(.sequence, "the record says seq \(body.seq), expected \(seq)") }
        if seq == 1 {
            guard Identifiers.isOrigin(body.ledger) else {
                throw fail(.origin, "origin \"\(body.ledger)\" is not valid")
            }
            origin = body.ledger
        } else if let origin, !body.ledger.hasSameBytes(as: origin) {
            throw fail(.origin, "ledger origin \"\(body.ledger)\" differs from \"\(origin)\" of seq 1")
        }
        guard body.prev == lastBodyHash else {
            throw fail(
                .prevChain,
                seq == 1 ? "prev of seq 1 must be 64 zeros" : "prev does not match the body hash of seq \(seq - 1)")
        }
        if body.isStatement, seq > 1, let genesisHash, body.genesis != genesisHash {
            throw fail(
                .genesisBinding,
                "statement.genesis does not name the body hash of this ledger's seq 1 (a statement of another ledger)")
        }
        if let anchor = body.anchor {
            guard anchor.size < seq else {
                throw fail(.anchor, "the anchor names tree size \(anchor.size), which is not before this entry")
            }
            anchors.append((seq, anchor))
        }
        let head = streams[body.stream]
        let expectedRev = (head?.rev ?? 0) + 1
        guard body.streamRev == expectedRev else {
            throw fail(
                .streamChain,
                "stream_rev \(body.streamRev) of stream \(body.stream) does not follow its last revision \(expectedRev - 1)"
            )
        }
        guard body.streamPrev == (head?.hash ?? EntryBody.zeroHash) else {
            let hashName = body.isStatement ? "statement hash" : "body hash"
            throw fail(
                .streamChain,
                head == nil
                    ? "stream_prev of the first entry of stream \(body.stream) must be 64 zeros"
                    : "stream_prev does not match the \(hashName) of stream \(body.stream) revision \(expectedRev - 1)")
        }
        guard ids.insert(Identifiers.packedUUID(body.id)).inserted else {
            throw fail(.uniqueIDs, "id \(body.id) was already used by an earlier entry")
        }
        guard body.time >= lastTime else {
            throw fail(.time, "time \(body.time) is earlier than the previous entry's time \(lastTime)")
        }
        do { try StatementRules.checkTimes(entry, previousStreamTime: head?.time) } catch {
            throw fail(.time, "\(error)")
        }

        // Seq 1's signature can be checked as soon as seq 2 names its key, before seq 2's own rules, so that a
        // broken seq 1 is reported as the first failure.
        if seq == 2, let (genesis, checks) = pendingGenesis, let genesisActor,
            let registered = prepared.registeredKey, registered.keyID == genesisActor
        {
            pendingGenesis = nil
            var genesisKeys = self
            genesisKeys.keys[genesisActor] = KeyState(
                keyID: genesisActor, publicKey: registered.publicKey, name: "", person: "", agency: "", roles: [],
                registeredSeq: 1)
            try genesisKeys.checkSignatures(genesis, checks, seq: 1)
        }
        let effect: RuleEffect
        do { effect = try EntryRules.check(entry, table: table, keys: self, genesisActor: genesisActor) } catch {
            throw fail((error as? CoreError)?.code == .signer ? .signatures : .typeTable, "\(error)")
        }
        if seq == 1 {
            pendingGenesis = (entry, prepared.signatureChecks)
        } else {
            try checkSignatures(entry, prepared.signatureChecks, seq: seq)
        }

        try checkStoredTree(prepared, seq: seq)

        // The entry is valid: update state.
        switch effect {
        case .none: break
        case .ledgerCreated(let key):
            logKey = key
            logKeys = [(1, key)]
            genesisActor = body.actor
        case .logKeyRotated(let key, let rotatedAt, let oldSignature, let message):
            // §12.10: the log key in force authorizes its successor.
            guard let current = logKey, current.publicKey.verify(signature: oldSignature, message: message) else {
                throw fail(
                    .signatures, "old_key_sig does not verify with the log key in force (\(logKey?.vkey ?? "none"))")
            }
            guard key.publicKey != current.publicKey else {
                throw fail(.typeTable, "ledger.log-key-rotated names the log key already in force")
            }
            logKey = key
            logKeys.append((rotatedAt, key))
        case .keyRegistered(let state):
            keys[state.keyID] = state
            if state.hasRole(Roles.admin) { activeAdmins += 1 }
        case .keyRevoked(let keyID, let revokedAt, let compromisedSince):
            keys[keyID]?.revokedSeq = revokedAt
            keys[keyID]?.compromisedSinceSeq = compromisedSince
            if keys[keyID]?.hasRole(Roles.admin) == true { activeAdmins -= 1 }
            if let compromisedSince {
                let selfSigned = entry.sigs.contains { $0.key == keyID } ? [revokedAt] : []
                let suspect =
                    (signedRuns[keyID] ?? []).flatMap { run in
                        run.upperBound > compromisedSince
                            ? Array(max(run.lowerBound, compromisedSince + 1)...run.upperBound) : []
                    } + selfSigned
                for suspectSeq in Set(suspect).sorted() {
                    findings.append(
                        Finding(
                            seq: suspectSeq, category: .compromisedKey,
                            message: "signed by key \(keyID.prefix(12))… (\(keys[keyID]?.name ?? "?")), reported "
                                + "compromised since seq \(compromisedSince) by the revocation at seq \(revokedAt)"))
                }
            }
        }
        if seq == 2, let (genesis, checks) = pendingGenesis {
            pendingGenesis = nil
            try checkSignatures(genesis, checks, seq: 1)
        }
        for sig in entry.sigs { signedRuns[sig.key, default: []].extendRun(with: seq) }
        // Domain rules: a breach is a finding for review, not an integrity failure; the entry leaves the
        // projections unchanged. The fold sees the keys through a view, so that it changes in place.
        let keyView = ReplayedKeyView(keys: keys, activeAdmins: activeAdmins)
        do {
            try fold.apply(entry, keys: keyView)
            for message in fold.takeExceptions() {
                findings.append(Finding(seq: seq, category: Fold.findingCategory, message: message))
            }
        } catch {
            findings.append(Finding(seq: seq, category: Fold.findingCategory, message: "\(error)"))
        }
        streams[body.stream] = (body.streamRev, entry.streamLinkHex, body.time)
        if seq == 1 {
            formatVersion = body.version
            genesisHash = entry.bodyHashHex
        }
        lastBodyHash = entry.bodyHashHex
        lastTime = body.time
        count = seq
        if rootSizes.contains(seq) { roots[seq] = accumulator.root }
    }

    private func checkSignatures(_ entry: Entry, _ checks: [Bool?], seq: Int64) throws(VerificationFailure) {
        for (index, sig) in entry.sigs.enumerated() {
            var valid = index < checks.count ? checks[index] : nil
            if valid == nil {
                guard let key = keys[sig.key]?.publicKey, let message = entry.signedMessage(for: sig, table: table)
                else {
                    throw VerificationFailure(
                        seq: seq, rule: .signatures, message: "signer \(sig.key.prefix(12))… is not a registered key")
                }
                valid = key.verify(signature: sig.signature, message: message)
            }
            guard valid == true else {
                let who = keys[sig.key].map { " (\($0.name))" } ?? ""
                // A version-1 co-signer (a witness) signs without `signed_at`, as a registered key does: tell them
                // apart by what the entry says the key is.
                let isRegisteredKey =
                    entry.body.type == EventTypes.keyRegistered
                    && entry.body.data.member("key")?.stringValue?.hasSameBytes(as: sig.key) == true
                let what =
                    sig.key == entry.body.actor
                    ? (entry.body.isStatement ? "the statement" : "the entry")
                    : (isRegisteredKey ? "its key request" : "its co-signature")
                throw VerificationFailure(
                    seq: seq, rule: .signatures,
                    message: "signature by key \(sig.key.prefix(12))…\(who) over \(what) does not verify")
            }
        }
    }

    private mutating func checkStoredTree(_ prepared: PreparedEntry, seq: Int64) throws(VerificationFailure) {
        if let columns = prepared.storedColumns, let entry = prepared.parsed,
            columns != StoredColumns(entry)
        {
            throw VerificationFailure(
                seq: seq, rule: .storedState,
                message:
                    "the stored columns (seq, id, stream, revision, type, actor, time or body hash) do not match the record"
            )
        }
        let completed = accumulator.append(leafHash: prepared.leafHash)
        if let stored = prepared.storedLeafHash, stored != prepared.leafHash {
            throw VerificationFailure(
                seq: seq, rule: .merkleTree, message: "the stored leaf hash does not match the record")
        }
        if let nodes = prepared.storedNodes {
            guard nodes.count == completed.count * 32 else {
                throw VerificationFailure(
                    seq: seq, rule: .merkleTree,
                    message: "\(nodes.count / 32) stored Merkle nodes, expected \(completed.count)")
            }
            for (level, node) in completed.enumerated()
            where !nodes[(level * 32)..<(level * 32 + 32)].elementsEqual(node) {
                throw VerificationFailure(
                    seq: seq, rule: .merkleTree,
                    message: "the stored Merkle node at level \(level + 1) does not match the recomputed subtree")
            }
        }
    }

    /// Ends the replay: checks the genesis was complete and every checkpoint, and summarizes.
    ///
    /// - Parameters:
    ///   - checkpoints: signed checkpoints to check (stored ones and any given by the user).
    ///   - pinnedLogKey: when given, the ledger's log key must be this one.
    public func finish(checkpoints: [SignedCheckpoint], pinnedLogKey: NoteVerifierKey?) throws(VerificationFailure)
        -> VerificationSummary
    {
        if count == 0 { throw VerificationFailure(seq: nil, rule: .genesis, message: "the ledger is empty") }
        if count == 1 || pendingGenesis != nil {
            throw VerificationFailure(
                seq: 2, rule: .genesis, message: "the ledger ends before seq 2 registers its first key")
        }
        guard let logKey, let genesisKey = logKeys.first?.key else {
            throw VerificationFailure(seq: 1, rule: .genesis, message: "no log key")
        }
        // Any key of the chain may be pinned: each rotation is signed by the key before it and binds the genesis.
        if let pinnedLogKey, !logKeys.contains(where: { $0.key == pinnedLogKey }) {
            throw VerificationFailure(
                seq: 1, rule: .checkpoints,
                message: "the ledger's log key \(genesisKey.vkey) is not the pinned log key \(pinnedLogKey.vkey)"
                    + (logKeys.count > 1 ? " (nor is any key it was rotated to)" : ""))
        }
        var verifiedSizes: [Int64] = []
        for signed in checkpoints {
            let checkpoint = signed.checkpoint
            let label = "checkpoint at size \(checkpoint.size)"
            // The key in force after entry `size`: the last one named at or before it.
            let logKey = logKeys.last { $0.fromSeq <= max(checkpoint.size, 1) }?.key ?? genesisKey
            guard checkpoint.origin.hasSameBytes(as: logKey.name) else {
                throw VerificationFailure(
                    seq: nil, rule: .checkpoints,
                    message: "\(label) names origin \"\(checkpoint.origin)\", not \"\(logKey.name)\"")
            }
            guard signed.note.isSigned(by: logKey) else {
                throw VerificationFailure(
                    seq: nil, rule: .checkpoints,
                    message: "\(label) is not signed by the ledger's log key \(logKey.vkey)")
            }
            guard checkpoint.size <= count else {
                throw VerificationFailure(
                    seq: nil, rule: .checkpoints,
                    message:
                        "\(label) covers more entries than the ledger holds (\(count)): the ledger was truncated or rolled back"
                )
            }
            guard let root = checkpoint.size == 0 ? Merkle.emptyRoot : roots[checkpoint.size] else {
                throw VerificationFailure(seq: nil, rule: .checkpoints, message: "\(label): no tree of that size")
            }
            guard root == checkpoint.root else {
                throw VerificationFailure(
                    seq: checkpoint.size, rule: .checkpoints,
                    message:
                        "\(label): its root \(Base64.encode(checkpoint.root)) does not match the ledger's tree of size \(checkpoint.size), whose root is \(Checkpoint.rootText(root)): history was rewritten: it diverged at or before seq \(checkpoint.size)"
                )
            }
            verifiedSizes.append(checkpoint.size)
        }
        // §12.6: in version 2 only the log key attests order and time, so every entry must be under a checkpoint.
        let covered = verifiedSizes.max() ?? 0
        if formatVersion == EntryBody.statementVersion, covered < count {
            throw VerificationFailure(
                seq: covered + 1, rule: .checkpoints,
                message:
                    "not covered by a checkpoint signed by the log key (the order and time of entries \(covered + 1)…\(count) are not attested)"
            )
        }
        // §12.7 rule 9: each anchor against the root of its size, where the replay kept it (a checkpoint's size).
        var unchecked: [(seq: Int64, anchor: StatementAnchor)] = []
        for (seq, anchor) in anchors {
            guard let root = roots[anchor.size] else {
                unchecked.append((seq, anchor))
                continue
            }
            guard Hex.encode(root) == anchor.root else {
                throw VerificationFailure(
                    seq: seq, rule: .anchor,
                    message:
                        "the anchor names root \(anchor.root.prefix(16))… at size \(anchor.size), but the ledger's tree of that size has root \(Hex.encode(root).prefix(16))…"
                )
            }
        }
        var summary = VerificationSummary()
        summary.uncheckedAnchors = unchecked
        summary.origin = origin
        summary.entries = count
        summary.streams = streams.count
        summary.keys = keys.count
        summary.revokedKeys = keys.values.filter { $0.revokedSeq != nil }.count
        summary.treeSize = count
        summary.root = accumulator.root
        summary.logKey = logKey.vkey
        summary.logKeyRotations = logKeys.dropFirst().map(\.fromSeq)
        summary.checkpointSizes = Array(Set(verifiedSizes)).sorted()
        summary.uncoveredEntries = count - (verifiedSizes.max() ?? 0)
        summary.findings = findings.sorted { $0.seq < $1.seq }
        return summary
    }
}

/// The keys of a replay as a ``KeyDirectory``, handed to the domain's fold.
struct ReplayedKeyView: KeyDirectory {
    let keys: [String: KeyState]
    let activeAdmins: Int

    func key(_ keyID: String) -> KeyState? { keys[keyID] }
    func activeAdminCount() -> Int { activeAdmins }
}

extension Array where Element == ClosedRange<Int64> {
    /// Adds `seq` to the last run when it follows it, else as a run of its own (a seq already in the last run is not
    /// added twice).
    fileprivate mutating func extendRun(with seq: Int64) {
        guard let last else {
            append(seq...seq)
            return
        }
        if last.upperBound + 1 == seq {
            self[count - 1] = last.lowerBound...seq
        } else if last.upperBound < seq {
            append(seq...seq)
        }
    }
}
