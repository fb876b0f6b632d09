import Foundation
import LedgerConcurrency
import Synchronization
import Testing

struct ContextPoolTests {
    /// A context as the verify pipeline's is: a value, changed in place by each part.
    struct Context {
        let id: Int
        var parts = 0
    }

    @Test func contextsGoOnFromPartToPartChangedAndAreNeverSharedAtOnce() {
        let pool = ContextPool<Context>()
        let made = Mutex(0)
        let inUse = Mutex(Set<Int>())
        @Sendable func make() -> Context {
            made.withLock { made in
                made += 1
                return Context(id: made)
            }
        }
        let partition = Partition(items: 400, chunkSize: 1)
        Parallel.forEach(partition) { part, _ in
            pool.with(make: make) { context in
                let alone = inUse.withLock { $0.insert(context.id).inserted }
                precondition(alone, "a context is used by one thread at a time")
                context.parts += 1
                if part % 7 == 0 { busyWork(2_000) }
                _ = inUse.withLock { $0.remove(context.id) }
            }
        }
        // A few contexts (one per thread inside the pool at once), never one per part; all given back, each with
        // the parts it did: the changed values, not the ones taken.
        let contexts = made.withLock { $0 }
        #expect(contexts >= 1 && contexts <= 2 * ProcessInfo.processInfo.activeProcessorCount + 2)
        #expect(pool.idleCount == contexts)
        // All of them taken at once (each `with` inside the one before).
        func takeAll(_ count: Int) -> [Context] {
            count == 0 ? [] : pool.with(make: make) { [$0] + takeAll(count - 1) }
        }
        let given = takeAll(contexts)
        #expect(Set(given.map(\.id)).count == contexts)
        #expect(given.map(\.parts).reduce(0, +) == 400, "\(given.map(\.parts))")
        // Taken one after the other, a context given back is taken again: none is made.
        for _ in 0..<50 { pool.with(make: make) { $0.parts += 1 } }
        #expect(made.withLock { $0 } == contexts)
    }
}
