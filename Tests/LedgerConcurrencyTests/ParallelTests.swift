import LedgerConcurrency
import Testing

struct ParallelTests {
    static let sizes = [(0, 1), (1, 8), (5, 8), (8, 8), (100, 3), (2048, 16), (4097, 2)]

    @Test(arguments: sizes)
    func anEvenPartitionCoversEveryItemOnceInOrder(items: Int, parts: Int) {
        let partition = Partition(items: items, parts: parts)
        #expect(partition.count == min(items, parts))
        let ranges = (0..<partition.count).map { partition[$0] }
        #expect(ranges.flatMap { Array($0) } == Array(0..<items))
        let sizes = ranges.map(\.count)
        #expect(sizes.allSatisfy { $0 > 0 })
        #expect((sizes.max() ?? 0) - (sizes.min() ?? 0) <= 1)
    }

    @Test(arguments: [(0, 256), (1, 256), (256, 256), (257, 256), (1000, 7)])
    func aChunkedPartitionHasFullChunksAndAShorterLast(items: Int, chunkSize: Int) {
        let partition = Partition(items: items, chunkSize: chunkSize)
        #expect(partition.count == (items + chunkSize - 1) / chunkSize)
        let ranges = (0..<partition.count).map { partition[$0] }
        #expect(ranges.flatMap { Array($0) } == Array(0..<items))
        #expect(ranges.dropLast().allSatisfy { $0.count == chunkSize })
        #expect(ranges.last.map { $0.count <= chunkSize && !$0.isEmpty } ?? true)
    }

    @Test(arguments: [0, 1, 255, 256, 257, 10_000])
    func mapKeepsItemOrder(items: Int) {
        let squares = Parallel.map(Partition(items: items, chunkSize: 256)) { $0 * $0 }
        #expect(squares == (0..<items).map { $0 * $0 })
        let names = Parallel.map(Partition(items: items, parts: 8)) { "item \($0)" }
        #expect(names == (0..<items).map { "item \($0)" })
    }

    @Test func forEachReturnsOnlyWhenEveryPartIsDone() {
        let partition = Partition(items: 64, parts: 64)
        let done = SlotBuffer(repeating: false, count: partition.count)
        Parallel.forEach(partition) { part, _ in
            if part % 2 == 0 { busyWork() }
            done[part] = true
        }
        #expect(done.values.allSatisfy { $0 })
    }
}

/// A little work that takes some time, so that parts finish out of order.
func busyWork(_ rounds: Int = 20_000) {
    var value: UInt64 = 1
    for round in 0..<rounds { value = value &* 6_364_136_223_846_793_005 &+ UInt64(round) }
    if value == 0 { print("") }
}
