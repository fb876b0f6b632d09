import Dispatch

/// A number of items split into contiguous ranges ("parts"), in ascending order.
public struct Partition: Sendable {
    /// The number of items split.
    public let items: Int
    /// The number of parts.
    public let count: Int
    /// The size of every part but the last; 0 when the items are split evenly.
    @usableFromInline let chunkSize: Int

    /// `items` split into `parts` ranges whose sizes differ by at most one.
    ///
    /// There are never more parts than items, so no part is empty; 0 items make 0 parts.
    public init(items: Int, parts: Int) {
        precondition(items >= 0, "a partition needs a count of 0 or more")
        self.items = items
        count = min(items, max(1, parts))
        chunkSize = 0
    }

    /// `items` split into ranges of `chunkSize` items, the last one possibly shorter.
    public init(items: Int, chunkSize: Int) {
        precondition(items >= 0 && chunkSize > 0, "a partition needs a count of 0 or more and a positive chunk size")
        self.items = items
        count = (items + chunkSize - 1) / chunkSize
        self.chunkSize = chunkSize
    }

    /// The items of part `part` (0 ..< `count`).
    @inlinable public subscript(part: Int) -> Range<Int> {
        if chunkSize == 0 { return (items * part / count)..<(items * (part + 1) / count) }
        return (part * chunkSize)..<min(items, (part + 1) * chunkSize)
    }
}

/// Work spread over all cores that the caller waits for.
public enum Parallel {
    /// Calls `body` once for each part of `partition`, on all cores at once, and returns when every call has
    /// returned.
    ///
    /// Runs on `DispatchQueue.concurrentPerform`, which hands the parts out in ascending order, so the first parts
    /// are the first done; the calling thread takes parts too.
    @inlinable public static func forEach(
        _ partition: Partition, _ body: @Sendable (_ part: Int, _ range: Range<Int>) -> Void
    ) {
        DispatchQueue.concurrentPerform(iterations: partition.count) { part in body(part, partition[part]) }
    }

    /// `transform` of every item of `partition`, in item order; the items of one part are transformed in order on
    /// one thread, the parts on all cores at once.
    ///
    /// Each result is written once, straight into the array returned.
    @inlinable public static func map<Value: Sendable>(
        _ partition: Partition, _ transform: @Sendable (_ item: Int) -> Value
    ) -> [Value] {
        Array(unsafeUninitializedCapacity: partition.items) { buffer, initialized in
            // Each item's element is initialized by the one thread that runs its part, before `forEach` returns.
            guard let address = buffer.baseAddress else { return }
            nonisolated(unsafe) let base = address
            forEach(partition) { _, range in
                for item in range { (base + item).initialize(to: transform(item)) }
            }
            initialized = partition.items
        }
    }
}
