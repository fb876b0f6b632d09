import Foundation
import LedgerConcurrency
import Testing

struct BackgroundTests {
    struct Stop: Error, Equatable {
        let item: Int
    }

    @Test func waitReturnsTheResultsInTheOrderTheWorkWasStarted() {
        let started = (0..<32).map { index in
            Background<Int, Never>.start {
                if index % 3 == 0 { busyWork() }
                return index * 10
            }
        }
        #expect(started.map { $0.wait() } == (0..<32).map { $0 * 10 })
        #expect(started[5].wait() == 50)
    }

    @Test func aThreadOfItsOwnGivesItsResult() {
        let lane = Background<[UInt8], Never>.thread {
            busyWork()
            return [1, 2, 3]
        }
        #expect(lane.wait() == [1, 2, 3])
    }

    @Test func anErrorIsThrownByWait() {
        let failing = Background<Int, Stop>.start { () throws(Stop) -> Int in throw Stop(item: 4) }
        #expect(throws: Stop(item: 4)) { try failing.wait() }
        let onThread = Background<Int, Stop>.thread { () throws(Stop) -> Int in throw Stop(item: 5) }
        #expect(throws: Stop(item: 5)) { try onThread.wait() }
    }

    @Test func partsStartedTogetherAreAllDoneAfterWait() {
        let partition = Partition(items: 1000, parts: 4)
        let seen = SlotBuffer(repeating: 0, count: partition.items)
        let parts = Background<Void, Never>.start(partition) { _, range in
            for item in range { seen[item] += 1 }
        }
        parts.wait()
        #expect(seen.values.allSatisfy { $0 == 1 })
    }

    @Test func aFailingPartStopsAtItsErrorAndTheOthersRunToTheirEnd() {
        let partition = Partition(items: 100, parts: 4)
        let seen = SlotBuffer(repeating: false, count: partition.items)
        let parts = Background<Void, Stop>.start(partition) { _, range throws(Stop) in
            for item in range {
                if item == 30 { throw Stop(item: item) }
                seen[item] = true
            }
        }
        #expect(throws: Stop(item: 30)) { try parts.wait() }
        let values = seen.values
        #expect(values[0..<30].allSatisfy { $0 })
        #expect(values[30..<50].allSatisfy { !$0 })
        #expect(values[50..<100].allSatisfy { $0 })
    }

    @Test func theFirstFailingPartInPartOrderIsTheErrorThrown() {
        // Part 1 fails late, part 3 at once: part 1's error is the one reported.
        let parts = Background<Void, Stop>.start(Partition(items: 4, parts: 4)) { part, range throws(Stop) in
            if part == 1 {
                Thread.sleep(forTimeInterval: 0.05)
                throw Stop(item: range.lowerBound)
            }
            if part == 3 { throw Stop(item: range.lowerBound) }
        }
        #expect(throws: Stop(item: 1)) { try parts.wait() }
    }
}
