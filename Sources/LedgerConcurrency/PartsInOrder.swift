import Dispatch
import Foundation

/// Work in parts that one thread consumes in part order while workers on the other cores do the parts ahead of it.
///
/// Parts are begun in ascending order, each by exactly one thread: a worker, or the consuming thread itself when the
/// part it asks for is the next one nobody has begun (so no core idles while parts remain, and the consumer never
/// waits for a part it could do). Each worker, and the consumer, keeps one `Context` for all the parts it does:
/// signing or verifying contexts, made once per thread rather than once per part.
///
/// The consumer must call ``finish()`` before it returns (a process that exits while a worker is inside OpenSSL can
/// crash in its exit handlers); parts nobody has begun are then never done.
public final class PartsInOrder<Value, Context>: @unchecked Sendable {
    private let partition: Partition
    private let makeContext: @Sendable () -> Context
    private let work: @Sendable (inout Context, _ part: Int, _ range: Range<Int>) -> Value
    /// Each part's value, written once by the thread that did the part before it leaves the part's group.
    private let values: SlotBuffer<Value?>
    private let finished: [DispatchGroup]
    private let lock = NSLock()
    /// Under `lock`: the first part nobody has begun, and whether the rest are still wanted.
    private var nextPart = 0
    private var stopped = false
    private var workers: [Background<Void, Never>] = []
    /// The consumer's own context, made the first time it does a part (only the consumer touches it).
    private var consumerContext: Context?

    /// Starts `workers` threads (at least one, at most one per part) on the parts of `partition`.
    ///
    /// - Parameter workers: threads besides the consumer; by default one fewer than the cores, the consumer being busy
    ///   with what it does with each part.
    public init(
        _ partition: Partition, workers: Int = max(1, ProcessInfo.processInfo.activeProcessorCount - 1),
        context makeContext: @escaping @Sendable () -> Context,
        work: @escaping @Sendable (inout Context, _ part: Int, _ range: Range<Int>) -> Value
    ) {
        self.partition = partition
        self.makeContext = makeContext
        self.work = work
        values = SlotBuffer(repeating: nil, count: partition.count)
        finished = (0..<partition.count).map { _ in
            let group = DispatchGroup()
            group.enter()
            return group
        }
        let count = min(max(1, workers), partition.count)
        self.workers = (0..<count).map { _ in
            Background.start { [self] in
                var context: Context?
                while let part = claim() { run(part, in: &context) }
            }
        }
    }

    /// The next part nobody has begun, now the caller's to do.
    private func claim() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard !stopped, nextPart < partition.count else { return nil }
        nextPart += 1
        return nextPart - 1
    }

    /// Does `part` with the thread's context, made on its first part.
    private func run(_ part: Int, in context: inout Context?) {
        var current = context ?? makeContext()
        // Moved out while in use: a context held twice would be copied by its first change.
        context = nil
        values[part] = work(&current, part, partition[part])
        context = current
        finished[part].leave()
    }

    /// The value of `part`, done by this thread if it is the next part nobody has begun; waits otherwise.
    ///
    /// Only the consumer calls this, and not after ``finish()``.
    public func value(_ part: Int) -> Value {
        while finished[part].wait(timeout: .now()) == .timedOut {
            // Parts are claimed in order: ours is begun, or it is the next one.
            guard let next = claim() else {
                finished[part].wait()
                break
            }
            run(next, in: &consumerContext)
        }
        guard let value = values[part] else { preconditionFailure("a finished part has its value") }
        return value
    }

    /// Stops the workers once their current part is done, and waits for them.
    public func finish() {
        lock.lock()
        stopped = true
        lock.unlock()
        for worker in workers { worker.wait() }
    }
}
