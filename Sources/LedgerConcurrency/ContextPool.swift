import Foundation

/// Contexts costly to make (verifying contexts, one per key) that the threads of one job take for a part of their
/// work and give back afterwards, so that the next part, on whatever thread, goes on with them.
///
/// Each context is used by one thread at a time: the pool's lock hands it from the thread that gave it back to the
/// one that takes it next. So `Context` need not be `Sendable`; the pool holds at most as many as were taken at once.
public final class ContextPool<Context>: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [Context] = []

    /// An empty pool.
    public init() {}

    /// Runs `body` with a context from the pool, or with `make()`'s when none is idle, and gives it back after.
    public func with<Result>(make: () -> Context, _ body: (inout Context) throws -> Result) rethrows -> Result {
        var context = lock.withLock { idle.popLast() } ?? make()
        defer { lock.withLock { idle.append(context) } }
        return try body(&context)
    }

    /// The contexts given back and not taken since.
    public var idleCount: Int { lock.withLock { idle.count } }
}
