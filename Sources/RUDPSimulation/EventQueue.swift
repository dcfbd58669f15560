/// The simulator's event queue: a binary min-heap of ``SimulatorEvent``s ordered by (time,
/// sequence), which are unique, so the order of removal is fully determined.
///
/// A plain binary heap that moves a hole rather than swapping: cheaper per operation than the
/// general-purpose min-max heap it replaces, on the queue the simulator touches twice per
/// datagram.
///
/// ```swift
/// var queue = EventQueue()
/// queue.insert(SimulatorEvent(time: .zero, sequence: 0, action: .poll(node: 0)))
/// while let event = queue.popMin() { handle(event) }
/// ```
struct EventQueue {
    private var heap: [SimulatorEvent] = []

    /// The earliest event, if any.
    var min: SimulatorEvent? { heap.first }

    /// Whether the queue is empty.
    var isEmpty: Bool { heap.isEmpty }

    /// The number of events queued.
    var count: Int { heap.count }

    @inline(__always)
    private static func precedes(_ a: SimulatorEvent, _ b: SimulatorEvent) -> Bool {
        a.time.nanoseconds < b.time.nanoseconds || (a.time.nanoseconds == b.time.nanoseconds && a.sequence < b.sequence)
    }

    /// Adds an event.
    mutating func insert(_ event: SimulatorEvent) {
        heap.append(event)
        heap.withUnsafeMutableBufferPointer { heap in
            var hole = heap.count - 1
            while hole > 0 {
                let parent = (hole - 1) / 2
                guard Self.precedes(event, heap[parent]) else { break }
                heap[hole] = heap[parent]
                hole = parent
            }
            heap[hole] = event
        }
    }

    /// Removes and returns the earliest event, or nil if the queue is empty.
    mutating func popMin() -> SimulatorEvent? {
        guard let last = heap.popLast() else { return nil }
        if heap.isEmpty { return last }
        return heap.withUnsafeMutableBufferPointer { heap in
            let first = heap[0]
            let count = heap.count
            var hole = 0
            while true {
                var child = 2 * hole + 1
                if child >= count { break }
                if child + 1 < count, Self.precedes(heap[child + 1], heap[child]) { child += 1 }
                guard Self.precedes(heap[child], last) else { break }
                heap[hole] = heap[child]
                hole = child
            }
            heap[hole] = last
            return first
        }
    }

    /// Removes and returns the earliest event; the queue must not be empty.
    @discardableResult
    mutating func removeMin() -> SimulatorEvent {
        guard let event = popMin() else { preconditionFailure("removeMin on an empty EventQueue") }
        return event
    }
}
