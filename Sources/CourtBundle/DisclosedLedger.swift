import CustodyDomain
import LedgerCore
import LedgerCrypto

/// File names inside a court-export bag (FORMAT.md §11.1).
public enum BundleLayout {
    /// The signed checkpoint the disclosure is proven against (FORMAT.md §6.4).
    public static let checkpoint = "data/ledger/checkpoint"
    /// Optional: an RFC 3161 response over that checkpoint (FORMAT.md §6.7).
    public static let timestamp = "data/ledger/checkpoint.tsr"
    /// The disclosed records, one per line (FORMAT.md §11.2).
    public static let entries = "data/ledger/entries.jsonl"
    /// One inclusion proof per disclosed record, in the same order (FORMAT.md §11.3).
    public static let proofs = "data/ledger/proofs.jsonl"
    /// The log key's signed disclosure statement (FORMAT.md §11.4).
    public static let disclosure = "data/ledger/disclosure"
    /// The human-readable report (FORMAT.md §11.6).
    public static let report = "data/report/custody-report.html"
    /// The same facts as CASE/UCO JSON-LD (FORMAT.md §11.7).
    public static let graph = "data/case/custody.jsonld"
    /// How to re-check the bag by hand.
    public static let instructions = "data/VERIFY.md"

    /// Every payload file a bag holds, but the optional timestamp.
    public static let requiredPayload = [checkpoint, entries, proofs, disclosure, report, graph, instructions]
}

/// The disclosed part of a ledger: what a bundle's report and CASE/UCO graph are rendered from.
public struct DisclosedLedger: Sendable {
    /// The disclosed entries, by ascending seq.
    public let entries: [Entry]
    /// The checkpoint they are proven against, with every signature line.
    public let checkpoint: SignedCheckpoint
    /// The signed statement of what is disclosed.
    public let statement: DisclosureStatement
    /// True when the bag carries an RFC 3161 response over the checkpoint.
    public let hasTimestamp: Bool

    /// The disclosed part as given: `entries` in ascending seq; nothing is verified here.
    public init(entries: [Entry], checkpoint: SignedCheckpoint, statement: DisclosureStatement, hasTimestamp: Bool) {
        self.entries = entries
        self.checkpoint = checkpoint
        self.statement = statement
        self.hasTimestamp = hasTimestamp
    }

    /// The streams whose whole history (up to the checkpoint) is disclosed.
    public var disclosedStreams: [String] { statement.streams.map(\.stream) }

    /// Replays the custody rules over the disclosed entries (FORMAT.md §11.5): the resulting state, and each
    /// breach as a finding.
    public func custody() -> DisclosedCustody {
        var state = CustodyState(disclosing: disclosedStreams)
        var keys = ReplayedKeys()
        var findings: [Finding] = []
        for entry in entries {
            // Only the key events change keys; the verifier has already run every entry's type-table rules.
            let type = entry.body.type
            if type == EventTypes.keyRegistered || type == EventTypes.keyRevoked || type == EventTypes.ledgerCreated,
                case .some(let effect) = try? EntryRules.check(
                    entry, table: .custody, keys: keys, genesisActor: keys.genesisActor)
            {
                keys.apply(effect, entry: entry)
            }
            do {
                try state.apply(entry, keys: keys)
                for message in state.takeExceptions() {
                    findings.append(Finding(seq: entry.body.seq, category: .custody, message: message))
                }
            } catch {
                findings.append(Finding(seq: entry.body.seq, category: .custody, message: "\(error)"))
            }
        }
        return DisclosedCustody(state: state, findings: findings)
    }
}

/// The custody state a replay of the disclosed entries builds, and the custody rules they break.
public struct DisclosedCustody {
    /// The custody state of the disclosed streams, replayed in partial mode.
    public let state: CustodyState
    /// Every custody rule the disclosed entries break, of category `custody`, in seq order.
    public let findings: [Finding]
}

/// The keys of a partial history, from its `key.registered` and `key.revoked` entries in seq order.
///
/// "The last admin cannot be revoked" needs the whole ledger, so this directory never reports a shortage of
/// admins (FORMAT.md §11.2).
struct ReplayedKeys: KeyDirectory {
    private(set) var keys: [String: KeyState] = [:]
    private(set) var genesisActor: String?
    private(set) var logKey: NoteVerifierKey?

    func key(_ keyID: String) -> KeyState? { keys[keyID] }
    func activeAdminCount() -> Int { Int.max }

    mutating func apply(_ effect: RuleEffect, entry: Entry) {
        switch effect {
        case .none: break
        case .ledgerCreated(let key):
            logKey = key
            genesisActor = entry.body.actor
        case .logKeyRotated(let key, _, let oldSignature, let message):
            // FORMAT.md §12.10: only a rotation the key in force signed moves it.
            if let current = logKey, current.publicKey.verify(signature: oldSignature, message: message) {
                logKey = key
            }
        case .keyRegistered(let state): keys[state.keyID] = state
        case .keyRevoked(let keyID, let revokedAt, let compromisedSince):
            keys[keyID]?.revokedSeq = revokedAt
            keys[keyID]?.compromisedSinceSeq = compromisedSince
        }
    }
}
