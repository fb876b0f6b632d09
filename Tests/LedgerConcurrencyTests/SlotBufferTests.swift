import LedgerConcurrency
import Testing

struct SlotBufferTests {
    @Test func startsWithTheValueInEverySlot() {
        let slots = SlotBuffer(repeating: "x", count: 3)
        #expect(slots.count == 3)
        #expect(slots.values == ["x", "x", "x"])
        #expect(SlotBuffer(repeating: 0, count: 0).values.isEmpty)
    }

    @Test func readsWritesAndModifiesInPlace() {
        let slots = SlotBuffer<[Int]>(repeating: [], count: 3)
        slots[1] = [1, 2]
        slots.modify(1) { $0.append(3) }
        let count = slots.modify(2) { (value: inout [Int]) -> Int in
            value = [9]
            return value.count
        }
        #expect(count == 1)
        #expect(slots.values == [[], [1, 2, 3], [9]])
    }

    @Test func takeMovesTheValueOutAndLeavesTheReplacement() {
        let slots = SlotBuffer<String?>(repeating: nil, count: 2)
        slots[0] = "signed"
        #expect(slots.take(0, leaving: "empty") == "signed")
        #expect(slots[0] == "empty")
        #expect(slots.take(1, leaving: nil) == nil)
    }

    @Test func resetReplacesEveryValue() {
        let slots = SlotBuffer(repeating: 1, count: 4)
        slots[2] = 7
        slots.reset(to: 0)
        #expect(slots.values == [0, 0, 0, 0])
    }

    @Test func modifyPassesTheBodysErrorOn() {
        struct Refused: Error, Equatable {}
        let slots = SlotBuffer(repeating: 5, count: 1)
        #expect(throws: Refused()) {
            try slots.modify(0) { (value: inout Int) throws(Refused) in
                value = 6
                throw Refused()
            }
        }
        #expect(slots[0] == 6)
    }

    @Test(arguments: [1, 7, 128, 10_000])
    func workersWriteEverySlotExactlyOnce(count: Int) {
        let writes = SlotBuffer(repeating: 0, count: count)
        let owners = SlotBuffer(repeating: -1, count: count)
        Parallel.forEach(Partition(items: count, parts: 16)) { part, range in
            for index in range {
                writes.modify(index) { $0 += 1 }
                owners[index] = part
            }
        }
        #expect(writes.values.allSatisfy { $0 == 1 })
        // Parts own ascending, contiguous ranges.
        #expect(owners.values == owners.values.sorted())
    }
}
