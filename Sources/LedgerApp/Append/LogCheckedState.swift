import CustodyDomain
import LedgerCore
import LedgerCrypto

/// The key rows and item rows an append decides on, each checked against the log before it is trusted.
///
/// Write access to the database file is not an admin key: someone who raises their own roles in the `keys` table,
/// or names themselves holder in the `items` table, must not get an entry into the append-only log on the strength
/// of it (`ledger verify` would catch it, but the entry would stay forever). So a key row is compared with what its
/// own stream (`key/<id>`: registration, revocation) says, and an item row with a re-fold of that item's stream;
/// each is one indexed range of a few records, read once per transaction.
///
/// The rows are those of the ledger at `through` (its head when the transaction began): a commit group inserts its
/// entries as it places them but writes its key and projection rows at its end, so only the log up to `through` is
/// what the rows must agree with.
struct LogCheckedKeys: KeyDirectory {
    let base: any LedgerWriteTransaction
    /// The last seq the stored rows describe; nil for the whole log.
    let through: Int64?
    /// Keys already read and checked in this transaction (nil: known to be absent).
    private let cache = Cache()

    private final class Cache {
        var keys: [String: KeyState?] = [:]
    }

    init(base: any LedgerWriteTransaction, through: Int64? = nil) {
        self.base = base
        self.through = through
    }

    func key(_ keyID: String) throws -> KeyState? {
        if let cached = cache.keys[keyID] { return cached }
        let key = try base.key(keyID)
        try check(key, keyID: keyID)
        cache.keys[keyID] = .some(key)
        return key
    }

    /// Counted from key rows that are each checked against their stream.
    func activeAdminCount() throws -> Int {
        var count = 0
        for stored in try base.allKeys() where stored.revokedSeq == nil && stored.hasRole(Roles.admin) {
            guard let key = try key(stored.keyID), key.revokedSeq == nil, key.hasRole(Roles.admin) else { continue }
            count += 1
        }
        return count
    }

    /// The row (or its absence) must be what the key's stream records.
    private func check(_ stored: KeyState?, keyID: String) throws {
        var entries: [Entry] = []
        let filter = RecordFilter(from: 1, to: through, stream: "key/" + keyID, withStoredState: false)
        try base.forEachRecord(filter) { record in
            entries.append(try Self.streamEntry(record, of: "key/" + keyID, revision: entries.count + 1))
            return true
        }
        let logged: KeyState?
        do { logged = try EntryRules.keyState(fromStream: entries) } catch {
            throw Self.differs("the stream key/\(keyID) cannot be read as a key's history (\(error))")
        }
        guard Self.same(stored, logged) else {
            throw Self.differs("the keys projection of key \(keyID.prefix(12))… differs from the log")
        }
    }

    private static func same(_ a: KeyState?, _ b: KeyState?) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        return a.keyID == b.keyID && a.publicKey.raw == b.publicKey.raw && a.name.hasSameBytes(as: b.name)
            && a.person.hasSameBytes(as: b.person) && a.agency.hasSameBytes(as: b.agency)
            && a.roles.count == b.roles.count && zip(a.roles, b.roles).allSatisfy { $0.hasSameBytes(as: $1) }
            && a.registeredSeq == b.registeredSeq && a.revokedSeq == b.revokedSeq
            && a.compromisedSinceSeq == b.compromisedSinceSeq
    }

    /// The record as an entry of `stream` at `revision`: the stream is selected by a stored column, so the record's
    /// own body must say the same (a record moved between streams by hand is not history to decide on).
    static func streamEntry(_ record: StoredRecord, of stream: String, revision: Int) throws -> Entry {
        let entry: Entry
        do { entry = try Entry.parse(record: record.record) } catch {
            throw differs("the record of seq \(record.seq) in stream \(stream) cannot be read (\(error))")
        }
        guard entry.body.stream.hasSameBytes(as: stream), entry.body.streamRev == Int64(revision) else {
            throw differs("the record of seq \(record.seq) is not revision \(revision) of stream \(stream)")
        }
        return entry
    }

    static func differs(_ what: String) -> LedgerError {
        .integrity("\(what); nothing was written: run `ledger verify`")
    }
}

/// The projection rows the custody fold loads while deciding; an item row is re-folded from its stream first.
struct LogCheckedProjections: ProjectionSource {
    let base: any LedgerWriteTransaction
    let keys: LogCheckedKeys

    func projectionState(_ table: ProjectionTable, key: String) throws -> String? {
        let stored = try base.projectionState(table, key: key)
        guard table == .items else { return stored }
        // An item's record changes only by the events of its own stream (EVENTS.md), so a fold of that stream
        // alone, with rules about other streams and people left unchecked, rebuilds the row byte for byte.
        let stream = CustodyStreams.item(key)
        var state = CustodyState(refolding: stream)
        var revision = 0
        try base.forEachRecord(RecordFilter(from: 1, to: keys.through, stream: stream, withStoredState: false)) {
            record in
            revision += 1
            let entry = try LogCheckedKeys.streamEntry(record, of: stream, revision: revision)
            // A breach recorded in the history is a finding of `ledger verify`; the fold leaves the state as it was.
            do { try state.apply(entry, keys: keys) } catch is CustodyViolation {}
            return true
        }
        let logged = state.row(.items, key: key)?.state
        let same =
            switch (stored, logged) {
            case (nil, nil): true
            case (let stored?, let logged?): stored.utf8.elementsEqual(logged.utf8)
            default: false
            }
        guard same else { throw LogCheckedKeys.differs("the items projection of item \(key) differs from the log") }
        return stored
    }

    func firstProjectionKey(_ table: ProjectionTable, where filters: [(column: String, value: String)]) throws
        -> String?
    {
        try base.firstProjectionKey(table, where: filters)
    }

    /// Other rows at once from the store; item rows one by one, each re-folded from its stream.
    func projectionStates(_ table: ProjectionTable, keys: [String]) throws -> [String?] {
        guard table == .items else { return try base.projectionStates(table, keys: keys) }
        return try keys.map { try projectionState(table, key: $0) }
    }

    func firstProjectionKeys(_ table: ProjectionTable, columns: [String], values: [[String]]) throws -> [String?] {
        try base.firstProjectionKeys(table, columns: columns, values: values)
    }
}
