import LedgerCore
import LedgerCrypto

/// What `ledger copy` did: the two ledgers' sizes and roots, checked equal, and what was carried over.
public struct CopyReport: Sendable {
    /// The source as it may be printed.
    public let source: String
    /// The copy as it may be printed.
    public let destination: String
    /// Entries in the source's snapshot, and so in the copy.
    public let entries: Int64
    /// Entries the copy holds, read back after its creation committed.
    public let copiedEntries: Int64
    /// The source's tree root at `entries`.
    public let sourceRoot: [UInt8]
    /// The copy's tree root at `entries`, read back after its creation committed.
    public let destinationRoot: [UInt8]
    /// Signed checkpoints copied.
    public let checkpoints: Int
    /// Witness cosignature lines copied.
    public let cosignatures: Int
    /// RFC 3161 time-stamp responses copied.
    public let timestamps: Int
    /// Rows of the keys table, derived from the log as the appender derived them.
    public let keys: Int
    /// Projection rows rebuilt in the copy by replaying its log.
    public let projectionRows: Int
    /// Entries that break a custody rule and so changed no projection (as in the source; `ledger verify` lists them).
    public let skipped: Int
    /// The storage engines of the source and the copy.
    public let engines: (source: String, destination: String)
    /// Wall time, commit and the check afterwards included.
    public let duration: Duration
}

/// Copies a ledger into a new store, record for record: `ledger copy`.
///
/// Works through the store seam only, so any pair of stores serves (SQLite to SQLite, to and from PostgreSQL, the
/// tests' in-memory double). The copy holds exactly what the source holds and re-signs nothing:
/// - the ledger's meta values (``ledgerMetaNames``; a store's own, such as its schema version, it sets itself),
/// - every record byte for byte with its stored leaf hash and interior nodes, in seq order,
/// - the keys table, derived from the key events by the type table's rules, as the appender and a rebuild derive it,
/// - every checkpoint note with its witness cosignature lines, and every time-stamp response,
/// - the projections, replayed from the copied log by ``ProjectionRebuilder``'s code.
///
/// The source is read from one snapshot, opened read-only, and streamed: records are written while they are read,
/// never all held. The copy is created in one transaction (`LedgerStoreProvider.create`), so when anything fails it
/// does not exist afterwards; an existing destination is refused before anything is read. Before that transaction
/// commits, its entry count, tree root, keys, checkpoint notes and time stamps are compared with the source's; after,
/// the copy is opened again and its size and root read back for the report.
///
/// The times a store records when a checkpoint, cosignature or time stamp arrived are the store's, not the ledger's,
/// and the store seam does not hand them out: the copy stores each with the ledger time of the entry its checkpoint
/// ends at (for a version-2 ledger the time its checkpoint was signed), so that copying a copy gives the same.
public enum LedgerCopy {
    /// The meta values that belong to the ledger and travel with it: its origin, its format, and the log key file
    /// a version-2 ledger's appenders sign with (``LogKeyFile/metaName``).
    public static let ledgerMetaNames = ["origin", "format", LogKeyFile.metaName]

    /// The phases `progress` reports: the records copied, then the projections replayed.
    public enum Phase: String, Sendable {
        /// Records copied of the source's entries.
        case copying
        /// Entries replayed into the copy's projections.
        case projections
    }

    /// Copies the ledger at `source` into a new ledger at `destination`; `progress` is called now and then with the
    /// phase, the entries done and their total.
    ///
    /// Throws a ``LedgerError``: usage when the destination exists already (nothing is read or written then),
    /// integrity when the source's records or stored hashes cannot be copied as they are or the copy does not read
    /// back as the source. The source is never written.
    public static func copy(
        from source: LedgerLocation, to destination: LedgerLocation,
        progress: ((_ phase: Phase, _ done: Int64, _ total: Int64) -> Void)? = nil
    ) throws(LedgerError) -> CopyReport {
        let start = ContinuousClock.now
        guard !destination.exists else {
            throw .usage("\(destination) already exists; a copy never overwrites anything (choose a new --to)")
        }
        let sourceStore = try source.openForReading()
        let copied: Copied
        do {
            copied = try sourceStore.read { reader in
                try destination.create { transaction in
                    try copy(from: reader, into: transaction, progress: progress)
                }
            }
        } catch {
            throw LedgerError.from(error)
        }
        // Read back as any later command will: the committed copy, opened afresh.
        let (count, root, engine): (Int64, [UInt8], String)
        do {
            let store = try destination.openForReading()
            (count, root) = try store.read { reader in
                let count = try reader.entryCount()
                return (count, try reader.root(size: copied.entries))
            }
            engine = store.engineDescription
        } catch {
            throw .integrity("the copy at \(destination) could not be read back (\(LedgerError.from(error)))")
        }
        guard count == copied.entries, root == copied.root else {
            throw .integrity(
                "the copy at \(destination) reads back \(count) entries with root \(Hex.encode(root)), not the"
                    + " source's \(copied.entries) with \(Hex.encode(copied.root)); do not use it")
        }
        return CopyReport(
            source: source.description, destination: destination.description, entries: copied.entries,
            copiedEntries: count, sourceRoot: copied.root, destinationRoot: root, checkpoints: copied.checkpoints,
            cosignatures: copied.cosignatures, timestamps: copied.timestamps, keys: copied.keys,
            projectionRows: copied.rebuild.rows, skipped: copied.rebuild.skipped,
            engines: (sourceStore.engineDescription, engine), duration: ContinuousClock.now - start)
    }

    /// What the creating transaction wrote.
    private struct Copied {
        let entries: Int64
        let root: [UInt8]
        let checkpoints: Int
        let cosignatures: Int
        let timestamps: Int
        let keys: Int
        let rebuild: RebuildReport
    }

    /// Writes everything `reader` holds into `transaction`, then compares the two before the caller commits.
    private static func copy(
        from reader: any LedgerReader, into transaction: any LedgerWriteTransaction,
        progress: ((_ phase: Phase, _ done: Int64, _ total: Int64) -> Void)?
    ) throws -> Copied {
        let start = ContinuousClock.now
        let total = try reader.entryCount()
        for name in ledgerMetaNames {
            if let value = try reader.meta(name) { try transaction.setMeta(name, value) }
        }
        let notes = try reader.checkpointNotes()
        let stamps = try reader.timestampResponses()
        // The ledger times the checkpoints' (and time stamps') last entries carry, picked up while streaming.
        var times: [Int64: String] = [:]
        for size in notes.map(\.size) + stamps.map(\.size) { times[size] = "" }
        var keys = ReplayKeys()
        var copied: Int64 = 0
        progress?(.copying, 0, total)
        try reader.forEachRecord(RecordFilter(to: total)) { stored in
            let entry: Entry
            do { entry = try Entry.parse(record: stored.record) } catch {
                throw LedgerError.integrity(
                    "seq \(stored.seq) of the source is not a readable record (\(error)); run `ledger verify`")
            }
            let nodes = stored.nodes
            guard entry.body.seq == stored.seq, entry.body.seq == copied + 1, stored.leafHash.count == 32,
                nodes.count % 32 == 0
            else {
                throw LedgerError.integrity(
                    "seq \(stored.seq) of the source is stored out of order or with damaged tree hashes; run"
                        + " `ledger verify`")
            }
            let completed = stride(from: 0, to: nodes.count, by: 32).map { Array(nodes[$0..<($0 + 32)]) }
            try transaction.insert(entry, leafHash: stored.leafHash, nodes: completed)
            if ProjectionRebuilder.Replay.keyEvents.contains(entry.body.type) {
                try transaction.apply(try keys.replay(entry))
            }
            if times[stored.seq] != nil { times[stored.seq] = entry.body.time }
            copied = stored.seq
            if copied % 1024 == 0 { progress?(.copying, copied, total) }
            return true
        }
        progress?(.copying, copied, total)
        guard copied == total else {
            throw LedgerError.integrity("the source holds \(copied) records for \(total) entries; run `ledger verify`")
        }
        // A size past the records (only a damaged source has one) takes the head's time.
        let headTime = try reader.head()?.time ?? ""
        var cosignatures = 0
        for (size, stored) in notes {
            let (note, lines) = try split(stored, size: size)
            let time = times[size].flatMap { $0.isEmpty ? nil : $0 } ?? headTime
            guard try transaction.insertCheckpoint(size: size, note: note, at: time) else {
                throw LedgerError.integrity("the source holds two checkpoints of size \(size)")
            }
            for line in lines {
                guard try transaction.insertCosignature(size: size, line: line, at: time) else {
                    throw LedgerError.integrity(
                        "the source holds a cosignature line twice on the checkpoint of size \(size)")
                }
                cosignatures += 1
            }
        }
        for (size, response) in stamps {
            let time = times[size].flatMap { $0.isEmpty ? nil : $0 } ?? headTime
            _ = try transaction.insertTimestamp(size: size, response: response, at: time)
        }
        let rebuild = try ProjectionRebuilder.rebuild(in: transaction, since: start) {
            progress?(.projections, $0, total)
        }
        let root = try reader.root(size: total)
        try compare(reader, transaction, size: total, root: root)
        return Copied(
            entries: total, root: root, checkpoints: notes.count, cosignatures: cosignatures,
            timestamps: stamps.count, keys: try transaction.allKeys().count, rebuild: rebuild)
    }

    /// A stored checkpoint note as `checkpointNotes()` hands it out, split back into the note the log signed and the
    /// witnesses' cosignature lines appended to it.
    ///
    /// C2SP signed note: the text, a blank line, then signature lines. The log's lines come first and carry the
    /// checkpoint's origin as their name (every log key is named by the origin); the witnesses' follow, each named
    /// by its witness. The caller's comparison of the copy's notes with the source's catches any other shape.
    static func split(_ stored: String, size: Int64) throws -> (note: String, cosignatures: [String]) {
        let parsed: SignedNote
        do { parsed = try SignedNote(parsing: stored) } catch {
            throw LedgerError.integrity("the stored checkpoint of size \(size) is not a signed note (\(error))")
        }
        let origin = parsed.text.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
        let prefix = parsed.text + "\n"
        guard stored.hasPrefix(prefix) else {
            throw LedgerError.integrity("the stored checkpoint of size \(size) is not a signed note")
        }
        let lines = stored.dropFirst(prefix.count).split(separator: "\n", omittingEmptySubsequences: true)
            .map { String($0) + "\n" }
        guard lines.count == parsed.signatures.count else {
            throw LedgerError.integrity("the signature lines of the stored checkpoint of size \(size) are damaged")
        }
        let logLines = parsed.signatures.prefix { $0.name.hasSameBytes(as: origin) }.count
        return (prefix + lines.prefix(logLines).joined(), Array(lines.dropFirst(logLines)))
    }

    /// Refuses the copy (so its transaction rolls back) unless it holds what the source does.
    private static func compare(
        _ source: any LedgerReader, _ copy: any LedgerWriteTransaction, size: Int64, root: [UInt8]
    ) throws {
        func differ(_ what: String) -> LedgerError {
            .integrity("the copy's \(what) would differ from the source's; nothing was written (run `ledger verify`)")
        }
        guard try copy.entryCount() == size else { throw differ("entry count") }
        guard try copy.root(size: size) == root else { throw differ("tree root") }
        func keyText(_ key: KeyState) -> String {
            [
                key.keyID, Hex.encode(key.publicKey.raw), key.name, key.person, key.agency,
                key.roles.joined(separator: " "), "\(key.registeredSeq)", key.revokedSeq.map { "\($0)" } ?? "-",
                key.compromisedSinceSeq.map { "\($0)" } ?? "-",
            ].joined(separator: "\u{0}")
        }
        guard try copy.allKeys().map(keyText).elementsEqual(try source.allKeys().map(keyText), by: sameBytes) else {
            throw differ("keys table (the source's does not follow its log)")
        }
        let (notes, sourceNotes) = (try copy.checkpointNotes(), try source.checkpointNotes())
        guard notes.count == sourceNotes.count,
            zip(notes, sourceNotes).allSatisfy({ $0.size == $1.size && sameBytes($0.note, $1.note) })
        else { throw differ("checkpoints") }
        let (stamps, sourceStamps) = (try copy.timestampResponses(), try source.timestampResponses())
        guard stamps.count == sourceStamps.count,
            zip(stamps, sourceStamps).allSatisfy({ $0.size == $1.size && $0.response == $1.response })
        else { throw differ("time stamps") }
    }

    private static func sameBytes(_ lhs: String, _ rhs: String) -> Bool { lhs.hasSameBytes(as: rhs) }
}
