import Dispatch
import Foundation
import LedgerCore
import LedgerCrypto

/// What `ledger rebuild` did.
public struct RebuildReport: Sendable {
    public let entries: Int64
    public let rows: Int
    /// Entries that break a custody rule and so changed nothing (`ledger verify` lists them as findings).
    public let skipped: Int
    public let duration: Duration
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
            return try store.write { transaction in
                var replay = Replay()
                var batch: [[UInt8]] = []
                batch.reserveCapacity(batchSize)
                // While the workers parse one batch, this thread folds the previous one.
                var inFlight: ParsingBatch?
                func fold(_ batch: ParsingBatch?) throws {
                    guard let batch else { return }
                    let parsed = try batch.wait()
                    for index in 0..<parsed.count {
                        guard let record = parsed[index] else { continue }
                        try replay.apply(record)
                    }
                    progress?(replay.count)
                    // Freeing the parsed JSON is costly: leave it to another thread.
                    DispatchQueue.global(qos: .utility).async { withExtendedLifetime(parsed) {} }
                }
                try transaction.forEachRecord(RecordFilter(withStoredState: false)) { stored in
                    batch.append(stored.record)
                    if batch.count == batchSize {
                        let next = ParsingBatch(batch)
                        batch.removeAll(keepingCapacity: true)
                        try fold(inFlight)
                        inFlight = next
                    }
                    return true
                }
                try fold(inFlight)
                try fold(batch.isEmpty ? nil : ParsingBatch(batch))
                let rows = allRows(of: replay.custody)
                try transaction.replaceAllProjections(rows, builtTo: replay.count)
                return RebuildReport(
                    entries: replay.count, rows: rows.count, skipped: replay.skipped,
                    duration: ContinuousClock.now - start)
            }
        } catch {
            throw LedgerError.from(error)
        }
    }

    /// Every projection row of a replayed state, serialized on all cores.
    private static func allRows(of state: CustodyState) -> [ProjectionRow] {
        nonisolated(unsafe) let state = state  // only read from here on
        var rows: [ProjectionRow] = []
        for table in ProjectionTable.all {
            let keys = state.keys(table)
            guard !keys.isEmpty else {
                rows += state.rows(table)
                continue
            }
            let serialized = SendableBuffer<ProjectionRow?>(repeating: nil, count: keys.count)
            let slices = min(keys.count, max(1, ProcessInfo.processInfo.activeProcessorCount) * 4)
            DispatchQueue.concurrentPerform(iterations: slices) { slice in
                for index in (keys.count * slice / slices)..<(keys.count * (slice + 1) / slices) {
                    serialized[index] = state.row(table, key: keys[index])
                }
            }
            rows += serialized.values.compactMap { $0 }
        }
        return rows
    }

    /// One parsed record: its body, and the whole entry for the key events whose rules the replay needs.
    struct ParsedRecord {
        let body: EntryBody
        let whole: Entry?
    }

    /// A batch of records being parsed on worker threads.
    ///
    /// The fold runs on the calling thread at the same time, so parsing takes one core fewer than the machine has:
    /// the fold, the critical path, keeps a core to itself.
    private final class ParsingBatch: @unchecked Sendable {
        // @unchecked: each slot is written by one worker before `group` leaves, and read only after `wait()`;
        // `failure` is guarded by `lock`.
        private let group = DispatchGroup()
        private let parsed: SendableBuffer<ParsedRecord?>
        private var failure: EntryFormatError?
        private let lock = NSLock()

        init(_ records: [[UInt8]]) {
            let parsed = SendableBuffer<ParsedRecord?>(repeating: nil, count: records.count)
            self.parsed = parsed
            let workers = min(records.count, max(1, ProcessInfo.processInfo.activeProcessorCount - 1))
            for worker in 0..<workers {
                DispatchQueue.global(qos: .userInitiated).async(group: group) {
                    for index in (records.count * worker / workers)..<(records.count * (worker + 1) / workers) {
                        do throws(EntryFormatError) {
                            let body = try EntryBody.parse(record: records[index])
                            let whole =
                                Replay.keyEvents.contains(body.type) ? try Entry.parse(record: records[index]) : nil
                            parsed[index] = ParsedRecord(body: body, whole: whole)
                        } catch {
                            self.lock.lock()
                            self.failure = self.failure ?? error
                            self.lock.unlock()
                        }
                    }
                }
            }
        }

        /// The parsed batch, once the workers are done.
        func wait() throws -> SendableBuffer<ParsedRecord?> {
            group.wait()
            lock.lock()
            defer { lock.unlock() }
            if let failure { throw failure }
            return parsed
        }
    }

    /// The sequential part: key effects and the custody fold.
    struct Replay {
        var keys = ReplayKeys()
        var custody = CustodyState()
        var count: Int64 = 0
        var skipped = 0
        var genesisActor: String?

        /// The events that change keys: the replay runs their type-table rules to learn the keys.
        static let keyEvents: Set<String> = [EventTypes.ledgerCreated, EventTypes.keyRegistered, EventTypes.keyRevoked]

        mutating func apply(_ entries: [ParsedRecord?]) throws {
            for case let record? in entries { try apply(record) }
        }

        mutating func apply(_ record: ParsedRecord) throws {
            if let entry = record.whole {
                let effect: RuleEffect
                do { effect = try EntryRules.check(entry, keys: keys, genesisActor: genesisActor) } catch {
                    throw LedgerError.integrity(
                        "seq \(record.body.seq) breaks the type table (\(error)); run `ledger verify`")
                }
                keys.apply(effect)
                if record.body.seq == 1 { genesisActor = record.body.actor }
            }
            do { try custody.apply(record.body, keys: keys) } catch is CustodyViolation { skipped += 1 }
            count = record.body.seq
        }
    }
}

/// Keys as the log registers them, for a replay that does not check signatures.
struct ReplayKeys: KeyDirectory {
    private var keys: [String: KeyState] = [:]
    private var admins = 0

    func key(_ keyID: String) -> KeyState? { keys[keyID] }
    func activeAdminCount() -> Int { admins }

    mutating func apply(_ effect: RuleEffect) {
        switch effect {
        case .none, .ledgerCreated: break
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
    /// For `tools/bench`: the time of the custody fold alone over every entry of `store` (parsed beforehand),
    /// and of parsing the bodies on one thread, each the best of `rounds`.
    public static func measureFold(store: any LedgerStore, rounds: Int = 3) throws -> (fold: Duration, parse: Duration)
    {
        var records: [[UInt8]] = []
        try store.read { reader in
            try reader.forEachRecord(RecordFilter(withStoredState: false)) {
                records.append($0.record)
                return true
            }
        }
        var parseBest: Duration?
        var parsed: [ParsedRecord] = []
        for _ in 0..<rounds {
            let start = ContinuousClock.now
            parsed = try records.map { record in
                let body = try EntryBody.parse(record: record)
                return ParsedRecord(
                    body: body, whole: Replay.keyEvents.contains(body.type) ? try Entry.parse(record: record) : nil)
            }
            let elapsed = ContinuousClock.now - start
            parseBest = min(parseBest ?? elapsed, elapsed)
        }
        var best: Duration?
        for _ in 0..<rounds {
            var replay = Replay()
            let start = ContinuousClock.now
            try replay.apply(parsed)
            let elapsed = ContinuousClock.now - start
            best = min(best ?? elapsed, elapsed)
        }
        return (best ?? .zero, parseBest ?? .zero)
    }
}
