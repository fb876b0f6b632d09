import CourtBundle
import CustodyDomain
import Foundation
import LedgerConcurrency
import LedgerCore
import LedgerCrypto

/// What `ledger verify` is asked to check beyond the ledger itself.
public struct VerifyOptions: Sendable {
    /// A checkpoint handed out earlier: the ledger must still contain exactly that history.
    public var checkpoint: SignedCheckpoint?
    /// The log key the user trusts; without it the result says the log key is unpinned.
    public var pinnedLogKey: NoteVerifierKey?
    /// Called now and then with the number of entries verified so far.
    public var progress: (@Sendable (Int64) -> Void)?
    /// Witnesses whose cosignatures on `checkpoint` count, and how many valid ones are required.
    public var witnesses: [CosignerKey] = []
    /// How many of `witnesses` must have cosigned `checkpoint` (0: none required).
    public var witnessQuorum = 0
    /// The CA certificates that stored RFC 3161 time stamps must chain to; without it they are counted, not checked.
    public var timestampCAFile: String?
    /// A bundle's disclosure statement (the signed note's text) that must be true of this ledger.
    public var disclosure: String?

    /// Options with a checkpoint to check, a pinned log key and a progress callback; the rest are set afterwards.
    public init(
        checkpoint: SignedCheckpoint? = nil, pinnedLogKey: NoteVerifierKey? = nil,
        progress: (@Sendable (Int64) -> Void)? = nil
    ) {
        self.checkpoint = checkpoint
        self.pinnedLogKey = pinnedLogKey
        self.progress = progress
    }
}

/// The outcome of `ledger verify`.
public struct VerifyReport: Sendable {
    /// "database" or "jsonl".
    public var mode: String
    /// The file verified.
    public var source: String
    /// Set when every rule held.
    public var summary: VerificationSummary?
    /// The first rule broken, if any.
    public var failure: VerificationFailure?
    /// Entries read before verification ended.
    public var entriesChecked: Int64 = 0
    /// Stored checkpoints found (database mode).
    public var storedCheckpoints: Int = 0
    /// Projection rows compared with the replay, when the stored projections matched (database mode).
    public var projectionRowsChecked: Int?
    /// The size of the checkpoint given with --checkpoint.
    public var givenCheckpointSize: Int64?
    /// True when the log key was checked against the one the user trusts.
    public var logKeyPinned: Bool
    /// The version of this tool, for the report.
    public var toolVersion = LedgerVersion.current
    /// The OpenSSL version the signatures were checked with.
    public var openSSLVersion = OpenSSLInfo.version
    /// The storage engine and its version, when a database was verified.
    public var storageVersion: String?
    /// Remarks for the reader (for example what a JSON Lines file alone cannot show).
    public var notes: [String] = []
    /// Stored RFC 3161 time stamps: the checkpoint size each covers and, when checked, what it says.
    public var timestamps: [(size: Int64, info: TimestampInfo?)] = []
    /// Each named witness and the time of its valid cosignature on the given checkpoint (nil: none).
    public var witnessTimes: [(name: String, vkey: String, time: UInt64?)] = []
    /// The disclosure statement checked with --disclosure: what it covers.
    public var disclosure: DisclosureStatement?

    /// 0 when valid, 1 on an integrity failure, 3 when valid but with findings.
    public var exitStatus: Int32 {
        if failure != nil { return 1 }
        if let summary, !summary.findings.isEmpty { return 3 }
        return 0
    }
}

/// The tool's version.
public enum LedgerVersion {
    /// The version `ledger --version` prints.
    public static let current = "0.1.0"
}

/// Verifies a stored ledger or an exported JSON Lines file as a stream: records are prepared (parsed, hashed,
/// signatures checked) on all cores a batch at a time, then the sequential rules run over them in order.
public enum VerifyRunner {
    /// Records per batch handed to the worker threads.
    static let batchSize = 2048

    /// Verifies the ledger in `store`, including its stored tree hashes and checkpoints.
    public static func verify(store: any LedgerStore, options: VerifyOptions, source: String) throws -> VerifyReport {
        var report = VerifyReport(mode: "database", source: source, logKeyPinned: options.pinnedLogKey != nil)
        report.storageVersion = store.engineDescription
        report.givenCheckpointSize = options.checkpoint?.checkpoint.size
        // A given checkpoint of another ledger: a usage error, thrown once the snapshot is closed.
        var foreignCheckpoint: LedgerError?
        try store.read { reader in
            var checkpoints: [SignedCheckpoint] = []
            let notes: [(size: Int64, note: String)]
            do { notes = try reader.checkpointNotes() } catch {
                report.failure = VerificationFailure(
                    seq: nil, rule: .checkpoints,
                    message: "the stored checkpoints are damaged: \(LedgerError.from(error))")
                return
            }
            for (size, note) in notes {
                do { checkpoints.append(try SignedCheckpoint(noteText: note)) } catch {
                    report.failure = VerificationFailure(
                        seq: nil, rule: .checkpoints,
                        message: "the stored checkpoint at size \(size) is malformed: \(error)")
                    return
                }
                if checkpoints.last?.checkpoint.size != size {
                    report.failure = VerificationFailure(
                        seq: nil, rule: .checkpoints,
                        message: "the stored checkpoint at size \(size) names another size")
                    return
                }
            }
            report.storedCheckpoints = checkpoints.count
            if let given = options.checkpoint { checkpoints.append(given) }
            var pipeline = Pipeline(
                rootSizes: Set(checkpoints.map(\.checkpoint.size)), expectedEntries: try reader.entryCount(),
                progress: options.progress)
            do {
                var position: Int64 = 0
                // Every row, whatever its seq column says: a row with seq 0 or a gap is itself a finding.
                try reader.forEachRecord(RecordFilter(from: Int64.min)) { stored in
                    position += 1
                    try pipeline.add(
                        Pipeline.Item(
                            position: position, record: stored.record, storedLeafHash: stored.leafHash,
                            storedNodes: stored.nodes, storedColumns: stored.columns))
                    return true
                }
                try pipeline.finish()
                report.entriesChecked = pipeline.verifier.entryCount
                do {
                    report.summary = try pipeline.verifier.finish(
                        checkpoints: checkpoints, pinnedLogKey: options.pinnedLogKey)
                } catch {
                    // Every entry verified, so seq 1's origin is the ledger's own.
                    if let given = options.checkpoint {
                        var genesis: [UInt8] = []
                        try reader.forEachRecord(RecordFilter(from: 1, to: 1, withStoredState: false)) { stored in
                            genesis = stored.record
                            return false
                        }
                        do { try checkOrigin(of: given, genesisRecord: genesis) } catch {
                            foreignCheckpoint = LedgerError.from(error)
                        }
                    }
                    throw error
                }
                // Anchors at sizes with no stored checkpoint: against the stored tree, whose every node the replay
                // has just recomputed.
                for (seq, anchor) in report.summary?.uncheckedAnchors ?? [] {
                    guard anchor.size <= pipeline.verifier.entryCount,
                        Hex.encode(try reader.root(size: anchor.size)) == anchor.root
                    else {
                        throw VerificationFailure(
                            seq: seq, rule: .anchor,
                            message: "the anchor's root does not match the ledger's tree of size \(anchor.size)")
                    }
                }
                report.summary?.uncheckedAnchors = []
                report.witnessTimes = try checkWitnesses(options)
                report.projectionRowsChecked = try checkStoredState(reader, against: pipeline.verifier)
                report.timestamps = try checkTimestamps(reader, caFile: options.timestampCAFile)
                if let disclosure = options.disclosure {
                    report.disclosure = try checkDisclosure(disclosure, reader: reader)
                }
            } catch let failure as VerificationFailure {
                try? pipeline.flushQuietly()
                report.entriesChecked = pipeline.verifier.entryCount
                report.failure = failure
            } catch {
                // The database itself is damaged (a column of the wrong type, an unreadable row): that is an
                // integrity failure of the stored ledger, not a usage error.
                try? pipeline.flushQuietly()
                report.entriesChecked = pipeline.verifier.entryCount
                report.failure = VerificationFailure(
                    seq: nil, rule: .storedState, message: "the database is damaged: \(LedgerError.from(error))")
            }
            // The replayed state (every id, key, record): freed on another core while the report goes out.
            Disposal.inBackground(pipeline)
        }
        if let foreignCheckpoint { throw foreignCheckpoint }
        return report
    }

    /// A bundle's disclosure statement must be signed by the log key and list exactly the streams of its
    /// selection at its size, each with its real head (FORMAT.md §11.4).
    static func checkDisclosure(_ note: String, reader: any LedgerReader) throws -> DisclosureStatement {
        func fail(_ message: String) -> VerificationFailure {
            VerificationFailure(seq: nil, rule: .disclosure, message: message)
        }
        let statement: DisclosureStatement
        // Signed by the log key in force at its size (the third line of its text; FORMAT.md §11.4, §12.10).
        let size = note.split(separator: "\n", omittingEmptySubsequences: false).dropFirst(2).first.flatMap {
            Int64($0)
        }
        do {
            statement = try DisclosureStatement(
                note: note,
                logKey: try LedgerFacts.logKeyInForce(reader, atSize: min(size ?? 1, try reader.entryCount())))
        } catch {
            throw fail("\(error)")
        }
        let count = try reader.entryCount()
        guard statement.size <= count else {
            throw fail("the disclosure is made at size \(statement.size), but the ledger holds \(count) entries")
        }
        let actual: DisclosedRecords
        do { actual = try DisclosedRecords.gather(reader, selection: statement.selection, size: statement.size) } catch
        {
            throw fail("the disclosure's selection \(statement.selection) is not in this ledger: \(error)")
        }
        if let difference = statement.difference(from: actual.statement(origin: statement.origin)) {
            throw fail("the disclosure statement is false: \(difference)")
        }
        return statement
    }

    /// Every stored time stamp must be a valid RFC 3161 token over its checkpoint's body (when a CA is given).
    static func checkTimestamps(_ reader: any LedgerReader, caFile: String?) throws -> [(
        size: Int64, info: TimestampInfo?
    )] {
        let stored = try reader.timestampResponses()
        guard !stored.isEmpty else { return [] }
        let notes = try reader.checkpointNotes()
        var results: [(size: Int64, info: TimestampInfo?)] = []
        for (size, response) in stored {
            guard let caFile else {
                results.append((size, nil))
                continue
            }
            guard let note = notes.first(where: { $0.size == size })?.note else {
                throw VerificationFailure(
                    seq: nil, rule: .timestamps, message: "a time stamp covers size \(size), which has no checkpoint")
            }
            let digest = SHA256.hash(Array(try SignedNote(parsing: note).text.utf8))
            do {
                results.append((size, try RFC3161.verify(response: response, sha256: digest, caFile: caFile)))
            } catch {
                throw VerificationFailure(
                    seq: nil, rule: .timestamps,
                    message: "the time stamp over the checkpoint of size \(size) does not verify: \(error)")
            }
        }
        return results
    }

    /// The named witnesses' cosignatures on the given checkpoint: at least `witnessQuorum` must be valid.
    static func checkWitnesses(_ options: VerifyOptions) throws(VerificationFailure) -> [(
        name: String, vkey: String, time: UInt64?
    )] {
        guard !options.witnesses.isEmpty || options.witnessQuorum > 0 else { return [] }
        guard let checkpoint = options.checkpoint else {
            throw VerificationFailure(
                seq: nil, rule: .witnesses,
                message: "witness cosignatures are checked on a checkpoint: give --checkpoint FILE")
        }
        return try Cosignature.checkQuorum(
            on: checkpoint.note, witnesses: options.witnesses, quorum: options.witnessQuorum
        ).map { ($0.name, $0.vkey, $0.time) }
    }

    /// The tables the appender decides with (the keys projection, the origin) must be what the log says: a
    /// hand-edited keys table could otherwise let the tool accept entries the log does not allow.
    ///
    /// Returns the number of projection rows compared.
    @discardableResult
    static func checkStoredState(_ reader: any LedgerReader, against verifier: CustodyVerifier) throws -> Int {
        func fail(_ message: String) -> VerificationFailure {
            VerificationFailure(seq: nil, rule: .storedState, message: message)
        }
        guard let origin = try reader.meta("origin"), origin.hasSameBytes(as: verifier.replayedOrigin ?? "") else {
            throw fail("the stored origin does not match the origin of seq 1")
        }
        let stored = try reader.allKeys()
        let replayed = verifier.replayedKeys
        guard stored.count == replayed.count else {
            throw fail("the keys table lists \(stored.count) keys but the log registers \(replayed.count)")
        }
        for (table, log) in zip(stored, replayed) {
            guard table.keyID == log.keyID, table.publicKey == log.publicKey, table.roles == log.roles,
                table.person.hasSameBytes(as: log.person), table.name.hasSameBytes(as: log.name),
                table.agency.hasSameBytes(as: log.agency), table.registeredSeq == log.registeredSeq,
                table.revokedSeq == log.revokedSeq, table.compromisedSinceSeq == log.compromisedSinceSeq
            else { throw fail("the keys table entry for key \(log.keyID.prefix(12))… does not match the log") }
        }
        return try checkProjections(reader, against: verifier.fold, entries: verifier.entryCount)
    }

    /// Every projection row must be what the replay of the log builds: a hand edit is caught and named.
    ///
    /// Returns the number of rows compared.
    @discardableResult
    static func checkProjections(_ reader: any LedgerReader, against replay: CustodyState, entries: Int64) throws
        -> Int
    {
        let remedy = "(edited by hand? `ledger rebuild` rebuilds the projections from the log)"
        let builtTo = try reader.projectionSeq()
        guard builtTo == entries else {
            throw VerificationFailure(
                seq: nil, rule: .projections,
                message: "the projections are built to seq \(builtTo) but the log has \(entries) entries \(remedy)")
        }
        var compared = 0
        for table in ProjectionTable.all {
            if table == .custodySteps, replay.keepsStepChains {
                compared += try checkStepChains(reader, against: replay.stepChains, remedy: remedy)
                continue
            }
            // The replay's rows are serialized on the other cores while this thread reads and compares.
            let expected = ReplayedRows(of: replay, table: table)
            defer { expected.stop() }
            var batch: [ProjectionRow] = []
            var index = 0
            func nextExpected() -> ProjectionRow? {
                if index == batch.count {
                    guard let (rows, _) = expected.nextBatch() else { return nil }
                    (batch, index) = (rows, 0)
                    if batch.isEmpty { return nextExpected() }
                }
                return batch[index]
            }
            var problem: String?
            try reader.forEachProjectionRow(table, where: []) { row in
                guard let want = nextExpected() else {
                    problem = "row \(row.key) does not follow from the log"
                    return false
                }
                if !want.key.hasSameBytes(as: row.key) {
                    problem =
                        want.key.precedesInBytes(row.key)
                        ? "row \(want.key) is missing" : "row \(row.key) does not follow from the log"
                    return false
                }
                if row != want {
                    let columns = zip(table.columns, zip(row.columns, want.columns)).filter { $0.1.0 != $0.1.1 }
                        .map(\.0)
                    problem =
                        "row \(row.key) differs from the log in "
                        + (columns.isEmpty ? "state" : columns.joined(separator: ", "))
                    return false
                }
                index += 1
                compared += 1
                return true
            }
            if problem == nil, let missing = nextExpected() { problem = "row \(missing.key) is missing" }
            if let problem {
                throw VerificationFailure(
                    seq: nil, rule: .projections, message: "the \(table.name) projection: \(problem) \(remedy)")
            }
        }
        return compared
    }

    /// The stored custody steps, item by item in key order, against each item's chain from the replay: memory by
    /// items, not by steps.
    ///
    /// Returns the number of rows compared.
    static func checkStepChains(
        _ reader: any LedgerReader, against expected: [(item: String, chain: StepChain)], remedy: String
    ) throws -> Int {
        func fail(_ problem: String) -> VerificationFailure {
            VerificationFailure(
                seq: nil, rule: .projections, message: "the custody_steps projection: \(problem) \(remedy)")
        }
        var index = 0
        var stored: (item: String, chain: StepChain)?
        var compared = 0
        // Called when the stored rows of one item end (or all of them, with nil).
        func compare(_ group: (item: String, chain: StepChain)?) -> String? {
            while index < expected.count {
                let want = expected[index]
                guard let group, !want.item.precedesInBytes(group.item) else {
                    return "the rows of item \(want.item) are missing"
                }
                guard want.item.hasSameBytes(as: group.item) else { break }
                index += 1
                guard group.chain == want.chain else {
                    return "the rows of item \(want.item) differ from the log (\(group.chain.count) stored, "
                        + "\(want.chain.count) from the log)"
                }
                return nil
            }
            return group.map { "the rows of item \($0.item) do not follow from the log" }
        }
        var problem: String?
        try reader.forEachProjectionRow(.custodySteps, where: []) { row in
            guard let item = StepChain.item(ofStepKey: row.key) else {
                problem = "row \(row.key) does not follow from the log"
                return false
            }
            if let current = stored, !current.item.hasSameBytes(as: item) {
                if let found = compare(current) {
                    problem = found
                    return false
                }
                stored = nil
            }
            if stored == nil { stored = (item, StepChain()) }
            stored?.chain.add(row)
            compared += 1
            return true
        }
        if let problem { throw fail(problem) }
        if let stored, let found = compare(stored) { throw fail(found) }
        if let found = compare(nil) { throw fail(found) }
        return compared
    }

    /// Verifies an exported JSON Lines file without a database.
    public static func verify(jsonlPath path: String, options: VerifyOptions) throws -> VerifyReport {
        var report = VerifyReport(mode: "jsonl", source: path, logKeyPinned: options.pinnedLogKey != nil)
        report.givenCheckpointSize = options.checkpoint?.checkpoint.size
        if options.checkpoint == nil {
            report.notes.append(
                "a JSON Lines file alone cannot show that entries were removed from its end; give --checkpoint to detect truncation"
            )
        }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw LedgerError.usage("cannot read \(path)") }
        defer { try? handle.close() }
        // A SQLite ledger given as an export is a usage error, not evidence of tampering. The bytes read to tell
        // are the first chunk below (a pipe cannot seek back).
        var firstBytes: Data
        do { firstBytes = try handle.read(upToCount: 16) ?? Data() } catch {
            throw LedgerError.usage("cannot read \(path): \(error.localizedDescription)")
        }
        if firstBytes == Data("SQLite format 3\0".utf8) {
            throw LedgerError.usage(
                "\(path) is a SQLite ledger, not a JSON Lines export: verify it with `ledger verify --ledger \(path)`")
        }
        let checkpoints = options.checkpoint.map { [$0] } ?? []
        var pipeline = Pipeline(rootSizes: Set(checkpoints.map(\.checkpoint.size)), progress: options.progress)
        /// A failure of the file's form at a line: the lines before it are checked first, so that the first
        /// failure in line order is the one reported.
        func formFailure(at line: Int64, _ message: String) throws -> VerificationFailure {
            try pipeline.finish()
            return VerificationFailure(seq: line, rule: .recordForm, message: message)
        }
        do {
            var position: Int64 = 0
            var pending: [UInt8] = []
            var genesis: [UInt8] = []
            while true {
                var chunk = firstBytes
                firstBytes = Data()
                do { chunk += try handle.read(upToCount: 1 << 20) ?? Data() } catch {
                    throw LedgerError.usage("cannot read \(path): \(error.localizedDescription)")
                }
                if chunk.isEmpty { break }
                // Search only the new bytes for newlines: the unterminated tail was searched already.
                var searchStart = pending.count
                pending.append(contentsOf: chunk)
                var lineStart = 0
                while let newline = pending[searchStart...].firstIndex(of: 0x0a) {
                    position += 1
                    let line = Array(pending[lineStart..<newline])
                    if line.isEmpty { throw try formFailure(at: position, "line \(position) is empty") }
                    if position == 1 { genesis = line }
                    try pipeline.add(
                        Pipeline.Item(position: position, record: line, storedLeafHash: nil, storedNodes: nil))
                    lineStart = newline + 1
                    searchStart = lineStart
                }
                pending.removeFirst(lineStart)
                if pending.count > Entry.maxRecordBytes {
                    throw try formFailure(
                        at: position + 1,
                        "line \(position + 1) is longer than the record limit of \(Entry.maxRecordBytes) bytes")
                }
            }
            if !pending.isEmpty {
                throw try formFailure(
                    at: position + 1, "the last line does not end with a newline (the file may be cut off)")
            }
            try pipeline.finish()
            report.entriesChecked = pipeline.verifier.entryCount
            do {
                report.summary = try pipeline.verifier.finish(
                    checkpoints: checkpoints, pinnedLogKey: options.pinnedLogKey)
            } catch {
                // Every entry verified, so seq 1's origin is the ledger's own.
                if let given = options.checkpoint { try checkOrigin(of: given, genesisRecord: genesis) }
                throw error
            }
            if let unchecked = report.summary?.uncheckedAnchors, !unchecked.isEmpty {
                report.notes.append(
                    "\(unchecked.count) statement anchor(s) name tree sizes no given checkpoint has (first: seq"
                        + " \(unchecked[0].seq), size \(unchecked[0].anchor.size)); they were not checked: verify the"
                        + " database, or give the checkpoint of that size")
            }
            report.witnessTimes = try checkWitnesses(options)
        } catch let failure as VerificationFailure {
            try? pipeline.flushQuietly()
            report.entriesChecked = pipeline.verifier.entryCount
            report.failure = failure
        }
        Disposal.inBackground(pipeline)
        return report
    }
}

extension VerifyRunner {
    /// Refuses a given checkpoint of another ledger: a usage error, not evidence of tampering.
    ///
    /// A checkpoint names its ledger's origin (FORMAT.md §6.4). Called only when every entry verified and the
    /// checkpoints did not, so that seq 1's origin is authentic: an origin changed in the ledger fails the replay
    /// first, as an integrity failure.
    static func checkOrigin(of given: SignedCheckpoint, genesisRecord: [UInt8]) throws(LedgerError) {
        guard let genesis = try? Entry.parse(record: genesisRecord) else { return }
        let origin = genesis.body.ledger
        guard !given.checkpoint.origin.hasSameBytes(as: origin) else { return }
        throw .usage(
            "the checkpoint is of ledger \(given.checkpoint.origin), not of this ledger (\(origin)): give a checkpoint"
                + " of \(origin)")
    }
}

/// Batches records and prepares each batch on all cores while the sequential verifier works through the
/// previous one: reading and the sequential rules overlap with parsing and signature checks.
struct Pipeline {
    struct Item: Sendable {
        let position: Int64
        let record: [UInt8]
        let storedLeafHash: [UInt8]?
        let storedNodes: [UInt8]?
        var storedColumns: StoredColumns? = nil
    }

    var verifier: CustodyVerifier
    private var batch: [Item] = []
    /// The batch being prepared on worker threads.
    private var inFlight: Background<SlotBuffer<PreparedEntry?>, Never>?
    private let keys = KeyMap()
    /// Verifying contexts, one per key, that the threads preparing a batch take for a part and give back: kept from
    /// batch to batch (making one costs about a tenth of a verification, and a batch's parts are small).
    private let verifiers = ContextPool<[String: Ed25519Verifier]>()
    private let progress: (@Sendable (Int64) -> Void)?

    init(rootSizes: Set<Int64>, expectedEntries: Int64 = 0, progress: (@Sendable (Int64) -> Void)?) {
        verifier = CustodyVerifier(
            table: .custody, fold: CustodyState.comparing(), rootSizes: rootSizes,
            // A hint only (a hand-edited seq column can make it anything): never more than 64 Mi entries' worth.
            expectedEntries: Int(min(max(expectedEntries, 0), 1 << 26)))
        self.progress = progress
        batch.reserveCapacity(VerifyRunner.batchSize)
    }

    mutating func add(_ item: Item) throws(VerificationFailure) {
        batch.append(item)
        if batch.count >= VerifyRunner.batchSize { try flush() }
    }

    /// Drops what is pending (after a failure).
    mutating func flushQuietly() throws {
        batch.removeAll()
        _ = inFlight?.wait()
        inFlight = nil
    }

    /// Starts preparing the current batch, then verifies the batch prepared before it.
    mutating func flush() throws(VerificationFailure) {
        let previous = inFlight?.wait()
        inFlight = nil
        if !batch.isEmpty {
            inFlight = launch(batch)
            batch.removeAll(keepingCapacity: true)
        }
        if let previous { try verifyAll(previous) }
    }

    /// Verifies everything still pending.
    mutating func finish() throws(VerificationFailure) {
        try flush()
        try flush()
    }

    private mutating func verifyAll(_ results: SlotBuffer<PreparedEntry?>) throws(VerificationFailure) {
        for index in 0..<results.count {
            try results.modify(index) { (slot: inout PreparedEntry?) throws(VerificationFailure) in
                if let entry = slot.take() { try verifier.verify(entry) }
            }
        }
        progress?(verifier.entryCount)
    }

    /// Prepares `items` on worker threads.
    ///
    /// Each part is parsed, hashed and has its signatures checked in one go, against the keys registered before the
    /// batch; the keys the batch registers are learned afterwards, and only the entries signed by one of them are
    /// checked again (rare: the first entries of a new key). So the cores never wait for one another in the middle of
    /// a batch. Only one batch is prepared at a time, so `keys` is never touched concurrently.
    private func launch(_ items: [Item]) -> Background<SlotBuffer<PreparedEntry?>, Never> {
        let results = SlotBuffer<PreparedEntry?>(repeating: nil, count: items.count)
        let (keys, pool) = (self.keys, self.verifiers)
        return Background.start {
            // Small parts, so that the cores finish a batch within a few entries of each other.
            let slices = Partition(items: items.count, chunkSize: 32)
            let known = keys.keys
            Parallel.forEach(slices) { _, range in
                var repeated = RepeatedStrings()
                pool.with(make: { [:] }) { verifiers in
                    for index in range {
                        // Each member read where it lies: a copy of the item would retain all of them.
                        var prepared = PreparedEntry.parse(
                            position: items[index].position, record: items[index].record,
                            storedLeafHash: items[index].storedLeafHash, storedNodes: items[index].storedNodes,
                            repeated: &repeated)
                        prepared.storedColumns = items[index].storedColumns
                        prepared.checkSignatures(knownKeys: known, table: .custody, verifiers: &verifiers)
                        results[index] = prepared
                    }
                }
            }
            var unchecked: [Int] = []
            var learned = false
            for index in 0..<results.count {
                let (registered, pending) = results.modify(index) {
                    ($0?.registeredKey, $0?.signatureChecks.contains(nil) == true)
                }
                if let registered {
                    keys.keys[registered.keyID] = registered.publicKey
                    learned = true
                }
                if pending { unchecked.append(index) }
            }
            guard learned, !unchecked.isEmpty else { return results }
            let (all, again) = (keys.keys, unchecked)
            Parallel.forEach(Partition(items: again.count, chunkSize: 32)) { _, range in
                pool.with(make: { [:] }) { verifiers in
                    for index in range {
                        results.modify(again[index]) {
                            $0?.checkSignatures(knownKeys: all, table: .custody, verifiers: &verifiers)
                        }
                    }
                }
            }
            return results
        }
    }
}

/// Public keys by key id, learned from `key.registered` entries as batches are prepared.
private final class KeyMap: @unchecked Sendable {
    // @unchecked: only the one batch being prepared reads or writes it; the pipeline waits for each batch before
    // starting the next.
    var keys: [String: Ed25519PublicKey] = [:]
}
