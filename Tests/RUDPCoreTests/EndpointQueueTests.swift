import Testing
@testable import RUDPCore

/// The endpoint's own structures: the slot queues and the timer heap.
@Suite struct EndpointQueueTests {
    @Test func slotQueuesKeepOrderThroughGrowthAndRetain() {
        var queue = SlotQueue()
        for i in 0..<100 { queue.append(slot: i, generation: UInt32(i % 3)) }
        for i in 0..<40 {
            #expect(queue.popFirst()! == (i, UInt32(i % 3)))
        }
        for i in 100..<150 { queue.append(slot: i, generation: 0) }
        queue.retain { slot, _ in slot % 2 == 0 }
        var rest: [Int] = []
        while let (slot, _) = queue.popFirst() { rest.append(slot) }
        #expect(rest == Array(stride(from: 40, to: 150, by: 2)))
        #expect(queue.isEmpty && queue.first == nil)
    }

    @Test func theTimerHeapYieldsDeadlinesInOrderThenSchedulingOrder() {
        var heap = TimerHeap()
        var generator = SeededGenerator(seed: 3)
        var expected: [(UInt64, UInt64)] = []
        for serial in 1...500 as ClosedRange<UInt64> {
            let deadline = generator.next() % 50
            heap.insert(TimerHeap.Entry(deadline: deadline, serial: serial, slot: Int(serial)))
            expected.append((deadline, serial))
        }
        heap.compact { $0.serial % 5 != 0 }
        expected.removeAll { $0.1 % 5 == 0 }
        expected.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
        var got: [(UInt64, UInt64)] = []
        while let top = heap.min {
            got.append((top.deadline, top.serial))
            heap.removeMin()
        }
        #expect(got.map(\.0) == expected.map(\.0) && got.map(\.1) == expected.map(\.1))
    }
}
