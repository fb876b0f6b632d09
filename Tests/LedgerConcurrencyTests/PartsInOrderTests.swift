import Foundation
import LedgerConcurrency
import Testing

struct PartsInOrderTests {
    /// A context that counts how many were made and which parts each did.
    final class Tally: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var contextsMade = 0
        private(set) var timesDone: [Int: Int] = [:]

        func madeContext() -> Int {
            lock.lock()
            defer { lock.unlock() }
            contextsMade += 1
            return contextsMade
        }

        func did(_ part: Int) {
            lock.lock()
            defer { lock.unlock() }
            timesDone[part, default: 0] += 1
        }
    }

    struct Context {
        let id: Int
        var parts: [Int] = []
    }

    @Test(arguments: [1, 3])
    func everyPartIsDoneOnceWithItsValueAndEachThreadKeepsOneContext(workers: Int) {
        let tally = Tally()
        let partition = Partition(items: 1000, chunkSize: 16)
        let parts = PartsInOrder<[Int], Context>(
            partition, workers: workers, context: { Context(id: tally.madeContext()) }
        ) { context, part, range in
            if part % 5 == 0 { busyWork() }
            context.parts.append(part)
            // A thread's context carries over: its parts, in the order it did them, ascend.
            precondition(context.parts == context.parts.sorted(), "a thread's parts are begun in order")
            tally.did(part)
            return range.map { $0 * 2 }
        }
        var values: [Int] = []
        for part in 0..<partition.count { values += parts.value(part) }
        parts.finish()
        #expect(values == (0..<1000).map { $0 * 2 })
        #expect(tally.timesDone.count == partition.count)
        #expect(tally.timesDone.values.allSatisfy { $0 == 1 })
        // One context per worker that did a part, and one for the consumer if it did any: never one per part.
        #expect(tally.contextsMade <= workers + 1)
    }

    @Test(.timeLimit(.minutes(1)))
    func theConsumerDoesThePartItNeedsWhenNoWorkerHasBegunIt() {
        // The one worker takes part 0 (the consumer asks for nothing until it has) and is held there until part 1 is
        // done: the consumer asking for part 1 must do it itself (waiting instead would never end).
        let begun = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        nonisolated(unsafe) let consumer = Thread.current
        let doneBy = SlotBuffer<Bool?>(repeating: nil, count: 2)
        let parts = PartsInOrder<Int, Int>(
            Partition(items: 2, chunkSize: 1), workers: 1, context: { 0 }
        ) { _, part, _ in
            if part == 0, Thread.current != consumer {
                begun.signal()
                release.wait()
            }
            doneBy[part] = Thread.current == consumer
            return part
        }
        guard begun.wait(timeout: .now() + 60) == .success else {
            Issue.record("the worker never began part 0")
            release.signal()
            parts.finish()
            return
        }
        #expect(parts.value(1) == 1)
        #expect(doneBy[1] == true)
        release.signal()
        #expect(parts.value(0) == 0)
        parts.finish()
    }

    @Test func finishStopsThePartsNobodyBegan() {
        let tally = Tally()
        let partition = Partition(items: 10_000, chunkSize: 1)
        let parts = PartsInOrder<Int, Int>(partition, workers: 2, context: { 0 }) { _, part, _ in
            // About 2.5 ms a part (unoptimized): doing them all would take seconds, far longer than the consumer
            // takes from its first part to `finish()` even on a loaded machine.
            busyWork(200_000)
            tally.did(part)
            return part
        }
        #expect(parts.value(0) == 0)
        parts.finish()
        let done = tally.timesDone.count
        // The workers stop after their current part: far fewer than all were done, and none is done later.
        #expect(done < partition.count)
        Thread.sleep(forTimeInterval: 0.05)
        #expect(tally.timesDone.count == done)
    }
}
