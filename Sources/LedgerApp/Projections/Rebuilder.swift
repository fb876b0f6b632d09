import CustodyDomain
import Dispatch
import Foundation
import LedgerConcurrency
import LedgerCore
import LedgerCrypto

/// What `ledger rebuild` did.
public struct RebuildReport: Sendable {
    /// Entries replayed.
    public let entries: Int64
    /// Projection rows written.
    public let rows: Int
    /// Entries that break a custody rule and so changed nothing (`ledger verify` lists them as findings).
    public let skipped: Int
    /// Wall time, commit included.
    public let duration: Duration
    /// Where the time went: replay, rows, write and commit; `duration` is their sum.
    ///
    /// Replay is reading, parsing and folding the log; rows is waiting for rows to be serialized (on other threads
    /// while earlier ones are written); write is writing them, dropping and rebuilding the tables' indexes.
    public let phases: (replay: Duration, rows: Duration, write: Duration, commit: Duration)
}

/// Drops every projection and replays the log into them, in one transaction.
///
/// Records are parsed on all cores a batch at a time; the fold runs in order. Signatures are not checked here
/// (`ledger verify` does that); an entry the type table rejects stops the rebuild, since such a log needs
/// verification first. Memory grows with the size of the state, not of the log.
public enum ProjectionRebuilder {
    static let batchSize = 4096

    /// Rebuilds the projections of `store`; `progress` is called with entries replayed so far.
    public static func rebuild(store: any LedgerStore, progress: ((Int64) -> Void)? = nil) throws -> RebuildReport {
        let start = ContinuousClock.now
        do {
            let report = try store.write { try rebuild(in: $0, since: start, progress: progress) }
            // The duration includes the commit, which makes the rebuild durable.
            let committed = ContinuousClock.now - start
            return RebuildReport(
                entries: report.entries, rows: report.rows, skipped: report.skipped, duration: committed,
                phases: (
                    report.phases.replay, report.phases.rows, report.phases.write, committed - report.duration
                ))
        } catch {
            throw LedgerError.from(error)
        }
    }

    /// Replays the records of `transaction` into its projections, replacing every row: the rebuild inside a
    /// transaction the caller holds (a rebuild's own, or a copy's creating one); times are counted from `start`,
    /// and the commit's is left to the caller.
    static func rebuild(
        in transaction: any LedgerWriteTransaction, since start: ContinuousClock.Instant,
        progress: ((Int64) -> Void)?
    ) throws -> RebuildReport {
        let pipeline = FoldPipeline()
        var batch: [[UInt8]] = []
        var seqs: [Int64] = []
        var cleared = false
        batch.reserveCapacity(batchSize)
        seqs.reserveCapacity(batchSize)
        do {
            try transaction.forEachRecord(RecordFilter(withStoredState: false)) { stored in
                batch.append(stored.record)
                seqs.append(stored.seq)
                guard batch.count == batchSize else { return true }
                pipeline.submit(batch, seqs: seqs)
                batch.removeAll(keepingCapacity: true)
                seqs.removeAll(keepingCapacity: true)
                if !cleared {
                    // While the first batch is parsed and folded: the old rows go now, not after the replay.
                    try transaction.clearProjections()
                    cleared = true
                }
                progress?(pipeline.folded)
                return !pipeline.failed
            }
        } catch {
            // Nothing is left working in the background once the rebuild has failed.
            pipeline.cancel()
            _ = try? pipeline.finish()
            throw error
        }
        if !batch.isEmpty { pipeline.submit(batch, seqs: seqs) }
        var replay = try pipeline.finish()
        progress?(replay.count)
        let replayed = ContinuousClock.now
        var rows = 0
        var waited = Duration.zero
        try transaction.replaceAllProjections(builtTo: replay.count) { write in
            try serializeRows(of: replay.custody) { batch, wait in
                rows += batch.count
                waited += wait
                try write(batch)
                PausePoint.rebuildBulkLoad.reach()
            }
        }
        let written = ContinuousClock.now
        let (count, skipped) = (replay.count, replay.skipped)
        // Tens of thousands of records: freed on another core while this one commits.
        Disposal.inBackground(&replay, leaving: Replay())
        return RebuildReport(
            entries: count, rows: rows, skipped: skipped, duration: written - start,
            phases: (replayed - start, waited, written - replayed - waited, .zero))
    }

    /// Parses batches of records on worker threads and folds them in order on a thread of its own.
    ///
    /// The thread that reads the store only hands batches over, so reading, parsing and the fold (the critical
    /// path) overlap. At most `depth` batches are in flight, which bounds memory.
    private final class FoldPipeline: @unchecked Sendable {
        // @unchecked: `replay` and `failure` are touched only on `queue`, and read by `finish()` after the queue
        // drained; `count` and `stopped` are guarded by `lock`.
        private let queue = DispatchQueue(label: "custody-ledger.rebuild.fold", qos: .userInitiated)
        private let slots: DispatchSemaphore
        private let lock = NSLock()
        private var replay = Replay()
        private var failure: (any Error)?
        private var count: Int64 = 0
        private var stopped = false

        init(depth: Int = 4) { slots = DispatchSemaphore(value: depth) }

        /// Entries folded so far.
        var folded: Int64 { lock.withLock { count } }

        /// True once a batch failed: reading can stop.
        var failed: Bool { lock.withLock { stopped } }

        /// Skips the batches not yet folded (reading failed).
        func cancel() {
            lock.withLock { stopped = true }
        }

        /// Starts parsing `records` (stored at `seqs`) and queues their fold after every batch submitted before.
        func submit(_ records: [[UInt8]], seqs: [Int64]) {
            slots.wait()
            let batch = ParsingBatch(records, seqs: seqs)
            queue.async {
                defer { self.slots.signal() }
                guard self.failure == nil, !self.failed else { return }
                do {
                    let parsed = try batch.wait()
                    for index in 0..<parsed.count {
                        // Moved out of its slot for the fold and back: copying it would retain each of its strings,
                        // and freeing it here would cost the fold's thread.
                        try parsed.modify(index) { (slot: inout ParsedRecord?) throws in
                            guard let record = slot.take() else { return }
                            defer { slot = consume record }
                            try self.replay.apply(record)
                        }
                    }
                    // Freeing the parsed JSON is costly: another thread does it (whichever thread lets go of the
                    // buffer last only frees empty slots).
                    Background<Void, Never>.start(qos: .utility) { parsed.reset(to: nil) }
                } catch {
                    self.failure = error
                    self.lock.withLock { self.stopped = true }
                }
                let count = self.replay.count
                self.lock.withLock { self.count = count }
            }
        }

        /// The replayed state once every batch is folded, or the first error.
        func finish() throws -> Replay {
            queue.sync {}
            if let failure { throw failure }
            // Moved out: the caller decides where the state is freed.
            defer { replay = Replay() }
            return replay
        }
    }

    /// Every projection row of a replayed state, sorted by table and key, handed to `write` in batches.
    ///
    /// The rows are serialized on all cores, ahead of `write`, which runs on the calling thread in order and is
    /// told how long it waited for each batch.
    private static func serializeRows(
        of state: CustodyState, into write: (_ rows: [ProjectionRow], _ waited: Duration) throws -> Void
    ) throws {
        for table in ProjectionTable.all {
            let rows = ReplayedRows(of: state, table: table)
            while let (batch, waited) = rows.nextBatch() { try write(batch, waited) }
        }
    }

    /// One parsed record: its body, and the whole entry for the key events whose rules the replay needs.
    struct ParsedRecord {
        let body: EntryBody
        let whole: Entry?
    }

    /// A batch of records being parsed on worker threads.
    ///
    /// Split over every core: the fold waits for nothing else, so any core it leaves idle parses.
    private struct ParsingBatch: Sendable {
        private let parsed: SlotBuffer<ParsedRecord?>
        /// Fails with the first unreadable record.
        private let parsing: Background<Void, LedgerError>

        init(_ records: [[UInt8]], seqs: [Int64]) {
            let parsed = SlotBuffer<ParsedRecord?>(repeating: nil, count: records.count)
            self.parsed = parsed
            let workers = Partition(items: records.count, parts: max(1, ProcessInfo.processInfo.activeProcessorCount))
            parsing = Background.start(workers) { _, range throws(LedgerError) in
                var decoder = EntryBodyDecoder()
                for index in range {
                    do throws(EntryFormatError) {
                        let body = try decoder.body(of: records[index])
                        let whole = Replay.keyEvents.contains(body.type) ? try Entry.parse(record: records[index]) : nil
                        parsed[index] = ParsedRecord(body: body, whole: whole)
                    } catch {
                        throw LedgerError.integrity(
                            "seq \(seqs[index]) is not a readable record (\(error)); run `ledger verify`")
                    }
                }
            }
        }

        /// The parsed batch, once the workers are done.
        func wait() throws(LedgerError) -> SlotBuffer<ParsedRecord?> {
            try parsing.wait()
            return parsed
        }
    }

    /// The sequential part: key effects and the custody fold.
    struct Replay {
        var keys = ReplayKeys()
        var custody = CustodyState()
        var count: Int64 = 0
        var skipped = 0

        /// The events that change keys: the replay runs their type-table rules to learn the keys.
        static let keyEvents: Set<String> = [EventTypes.ledgerCreated, EventTypes.keyRegistered, EventTypes.keyRevoked]

        mutating func apply(_ entries: [ParsedRecord?]) throws {
            for case let record? in entries { try apply(record) }
        }

        mutating func apply(_ record: ParsedRecord) throws {
            if let entry = record.whole { _ = try keys.replay(entry) }
            do { try custody.apply(record.body, keys: keys) } catch is CustodyViolation { skipped += 1 }
            count = record.body.seq
        }
    }
}

/// Keys as the log registers them, for a replay that does not check signatures.
struct ReplayKeys: KeyDirectory {
    private var keys: [String: KeyState] = [:]
    private var admins = 0
    /// The actor of seq 1, once replayed: the genesis rules name it.
    private var genesisActor: String?

    func key(_ keyID: String) -> KeyState? { keys[keyID] }
    func activeAdminCount() -> Int { admins }

    /// Runs the type table's rules for a key event (`ProjectionRebuilder.Replay.keyEvents`), the next entry of the
    /// log, and applies its effect to these keys; returns the effect, which is what a store's keys table applies.
    ///
    /// Throws an integrity error when the entry breaks the type table: such a log needs `ledger verify` first.
    mutating func replay(_ entry: Entry) throws -> RuleEffect {
        let effect: RuleEffect
        do { effect = try EntryRules.check(entry, table: .custody, keys: self, genesisActor: genesisActor) } catch {
            throw LedgerError.integrity("seq \(entry.body.seq) breaks the type table (\(error)); run `ledger verify`")
        }
        apply(effect)
        if entry.body.seq == 1 { genesisActor = entry.body.actor }
        return effect
    }

    mutating func apply(_ effect: RuleEffect) {
        switch effect {
        case .none, .ledgerCreated, .logKeyRotated: break
        case .keyRegistered(let key):
            keys[key.keyID] = key
            if key.hasRole(Roles.admin) { admins += 1 }
        case .keyRevoked(let keyID, let seq, let compromised):
            if keys[keyID]?.hasRole(Roles.admin) == true { admins -= 1 }
            keys[keyID]?.revokedSeq = seq
            keys[keyID]?.compromisedSinceSeq = compromised
        }
    }
}

extension ProjectionRebuilder {
    /// For `tools/bench`: the times of reading every record of `store`, parsing their bodies on one thread, and
    /// the custody fold alone (over records parsed beforehand); parsing and folding the best of `rounds`.
    package static func measureFold(store: any LedgerStore, rounds: Int = 3) throws -> (
        read: Duration, parse: Duration, fold: Duration
    ) {
        func best(_ body: () throws -> Void) rethrows -> Duration {
            var best: Duration?
            for _ in 0..<rounds {
                let start = ContinuousClock.now
                try body()
                let elapsed = ContinuousClock.now - start
                best = min(best ?? elapsed, elapsed)
            }
            return best ?? .zero
        }
        // Read once: freeing and re-reading every record between rounds would leave the heap fragmented and
        // slow down the parse rounds that follow.
        var records: [[UInt8]] = []
        let readStart = ContinuousClock.now
        try store.read { reader in
            try reader.forEachRecord(RecordFilter(withStoredState: false)) {
                records.append($0.record)
                return true
            }
        }
        let read = ContinuousClock.now - readStart
        var parsed: [ParsedRecord] = []
        let parse = try best {
            var decoder = EntryBodyDecoder()
            parsed = try records.map { record in
                let body = try decoder.body(of: record)
                return ParsedRecord(
                    body: body, whole: Replay.keyEvents.contains(body.type) ? try Entry.parse(record: record) : nil)
            }
        }
        let fold = try best {
            var replay = Replay()
            try replay.apply(parsed)
        }
        return (read, parse, fold)
    }
}
