import Foundation
import LedgerApp
import LedgerCore
import Synchronization

/// Group commit across concurrent requests: statements from every request waiting are sequenced together, as one
/// commit group (one transaction, one durable commit, one checkpoint), by one thread of its own, so that the
/// blocking store never runs on Swift's cooperative pool and one writer at a time holds the ledger.
///
/// A request's statements stay together and in order inside a group; each gets its own outcome, exactly as
/// `ledger submit` reports them. While a group commits, the next one gathers.
final class GroupCommitter: Sendable {
    /// Most statements in one group; a request larger than this is a group of its own.
    static let maxGroupStatements = 4096

    private struct Waiting {
        let statements: [SignedStatement]
        let continuation: CheckedContinuation<GroupResult, any Error>
    }

    /// What one request's statements came to, with the size of the checkpoint its group signed.
    struct GroupResult: Sendable {
        let outcomes: [SubmitOutcome]
        let checkpointSize: Int64?
    }

    private let store: any LedgerStore
    /// The requests waiting for the next group, and whether the committer stops (after draining the queue).
    private let queue = Mutex<(waiting: [Waiting], stopping: Bool)>(([], false))
    private let signal = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)
    /// Statements sequenced and groups committed since start (for metrics and the benchmark).
    let counters = Mutex<(statements: Int, groups: Int)>((0, 0))

    /// Called on the committer's thread after each group that recorded something (the witnesses are told).
    private let onCommit: @Sendable () -> Void

    /// Where each group's outcomes, size and time are counted.
    private let metrics: ServerMetrics?

    init(store: any LedgerStore, metrics: ServerMetrics? = nil, onCommit: @escaping @Sendable () -> Void = {}) {
        self.store = store
        self.metrics = metrics
        self.onCommit = onCommit
        let thread = Thread { [self] in run() }
        thread.name = "ledger-group-commit"
        thread.start()
    }

    /// Sequences `statements` in the next group; returns their outcomes once the group is durable.
    func submit(_ statements: [SignedStatement]) async throws -> GroupResult {
        try await withCheckedThrowingContinuation { continuation in
            let accepted = queue.withLock { state -> Bool in
                guard !state.stopping else { return false }
                state.waiting.append(Waiting(statements: statements, continuation: continuation))
                return true
            }
            if accepted {
                signal.signal()
            } else {
                continuation.resume(
                    throwing: LedgerError(code: .store, "the server is shutting down; send the request again"))
            }
        }
    }

    /// Finishes the groups already queued, then stops the thread.
    func shutdown() {
        queue.withLock { $0.stopping = true }
        signal.signal()
        stopped.wait()
    }

    private func run() {
        while true {
            signal.wait()
            while let group = takeGroup() { commit(group) }
            if queue.withLock({ $0.stopping && $0.waiting.isEmpty }) {
                stopped.signal()
                return
            }
        }
    }

    /// The requests of the next group: at least one, then whole requests while they fit.
    private func takeGroup() -> [Waiting]? {
        queue.withLock { state in
            guard !state.waiting.isEmpty else { return nil }
            var count = 0
            var taken = 0
            for waiting in state.waiting {
                if taken > 0, count + waiting.statements.count > Self.maxGroupStatements { break }
                count += waiting.statements.count
                taken += 1
            }
            let group = Array(state.waiting.prefix(taken))
            state.waiting.removeFirst(taken)
            return group
        }
    }

    private func commit(_ group: [Waiting]) {
        let statements = group.flatMap(\.statements)
        do {
            let began = ContinuousClock.now
            let outcomes = try Sequencer.submit(statements, to: store)
            metrics?.record(group: outcomes, took: ContinuousClock.now - began)
            let size = outcomes.compactMap { outcome -> Int64? in
                if case .recorded(let seq) = outcome.status { return seq }
                return nil
            }.max()
            counters.withLock {
                $0.statements += statements.count
                $0.groups += 1
            }
            if size != nil { onCommit() }
            var start = 0
            for waiting in group {
                let mine = Array(outcomes[start..<start + waiting.statements.count])
                start += waiting.statements.count
                waiting.continuation.resume(returning: GroupResult(outcomes: mine, checkpointSize: size))
            }
        } catch {
            for waiting in group { waiting.continuation.resume(throwing: error) }
        }
    }
}
