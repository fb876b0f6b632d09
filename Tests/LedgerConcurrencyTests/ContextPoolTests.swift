import Foundation
import LedgerConcurrency
import Synchronization
import Testing

struct ContextPoolTests {
    /// A context that records which parts it was used for.
    final class Context {
        var parts: [Int] = []
    }

    @Test func contextsGoOnFromPartToPartAndAreNeverSharedAtOnce() {
        let pool = ContextPool<Context>()
        let made = Mutex(0)
        let inUse = Mutex(Set<ObjectIdentifier>())
        let partition = Partition(items: 400, chunkSize: 1)
        Parallel.forEach(partition) { _, range in
            pool.with(make: {
                made.withLock { $0 += 1 }
                return Context()
            }) { context in
                let id = ObjectIdentifier(context)
                let alone = inUse.withLock { $0.insert(id).inserted }
                precondition(alone, "a context is used by one thread at a time")
                context.parts.append(range.lowerBound)
                if range.lowerBound % 7 == 0 { busyWork(2_000) }
                _ = inUse.withLock { $0.remove(id) }
            }
        }
        // One context per thread that ran parts at once (a few), never one per part; all of them given back.
        let contexts = made.withLock { $0 }
        #expect(contexts >= 1 && contexts <= 2 * ProcessInfo.processInfo.activeProcessorCount + 2)
        #expect(pool.idleCount == contexts)
        // A second job on the same pool makes none.
        Parallel.forEach(partition) { _, _ in
            pool.with(make: {
                made.withLock { $0 += 1 }
                return Context()
            }) { _ in }
        }
        #expect(made.withLock { $0 } == contexts)
    }
}
