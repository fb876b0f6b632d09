import CustodyDomain
import Dispatch
import LedgerConcurrency
import LedgerCore

/// Every row of one projection table of a replayed state, in key order, serialized on all cores ahead of the thread
/// that takes them: what `ledger rebuild` writes and what `ledger verify` compares with the stored rows.
///
/// Serializing a row (the record's canonical JSON) is most of the cost, so only the keys are sorted here, and the
/// rows are made in batches of consecutive keys, the first batches first, while the caller works through the earlier
/// ones. The state must not change until the rows are taken or ``stop()`` has returned.
final class ReplayedRows {
    private let rowsBatch: [ProjectionRow]?
    private let batches: Partition
    private let serialized: SlotBuffer<[ProjectionRow]>
    private let ready: [DispatchSemaphore]
    private let done: Background<Void, Never>?
    private var next = 0

    /// Rows per batch.
    static let batchSize = 1024

    /// Starts serializing the rows of `table` in `state`.
    init(of state: CustodyState, table: ProjectionTable) {
        nonisolated(unsafe) let state = state  // only read, and only until `stop()` or the last batch
        let keys = state.keys(table)
        // A table the state holds no keyed records for (the custody steps): its rows as they are, one batch.
        guard !keys.isEmpty else {
            rowsBatch = state.rows(table)
            batches = Partition(items: 0, parts: 1)
            serialized = SlotBuffer(repeating: [], count: 0)
            ready = []
            done = nil
            return
        }
        rowsBatch = nil
        let batches = Partition(items: keys.count, chunkSize: Self.batchSize)
        let serialized = SlotBuffer<[ProjectionRow]>(repeating: [], count: batches.count)
        let ready = (0..<batches.count).map { _ in DispatchSemaphore(value: 0) }
        (self.batches, self.serialized, self.ready) = (batches, serialized, ready)
        // concurrentPerform hands out the batches in ascending order, so the first ones are ready first.
        done = Background<Void, Never>.start {
            Parallel.forEach(batches) { batch, range in
                serialized[batch] = keys[range].compactMap { state.row(table, key: $0) }
                ready[batch].signal()
            }
        }
    }

    deinit { stop() }

    /// The next batch of rows in key order and how long it was waited for; nil after the last one.
    func nextBatch() -> (rows: [ProjectionRow], waited: Duration)? {
        if let rowsBatch {
            defer { next = 1 }
            return next == 0 ? (rowsBatch, .zero) : nil
        }
        guard next < batches.count else { return nil }
        let start = ContinuousClock.now
        ready[next].wait()
        defer { next += 1 }
        return (serialized.take(next, leaving: []), ContinuousClock.now - start)
    }

    /// Waits until no thread serializes rows any more (the rows not taken are dropped).
    func stop() { done?.wait() }
}

/// Frees a large value on a background thread instead of the caller's.
final class Disposal<Value>: @unchecked Sendable {
    // @unchecked: `value` is set once here and cleared once by the background block.
    private var value: Value?

    private init(_ value: Value) { self.value = value }

    /// Frees `value` on a utility thread; the caller keeps no reference to it.
    static func inBackground(_ value: consuming Value) {
        let disposal = Disposal(value)
        DispatchQueue.global(qos: .utility).async { disposal.value = nil }
    }

    /// Replaces `value` with `empty` and frees the old one on a utility thread.
    static func inBackground(_ value: inout Value, leaving empty: Value) {
        let old = value
        value = empty
        inBackground(old)
    }
}
