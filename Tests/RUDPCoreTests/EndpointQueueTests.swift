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

    /// The receive-memory pool and its connections refer to each other; an endpoint dropped while
    /// it still has connections (a client that never closed, a server shut down) must free them.
    /// The fuzz harness's leak check found this; here it is checked without a sanitizer.
    @Test func droppedEndpointsFreeTheirConnections() throws {
        weak var clientConnection: Connection?
        weak var serverConnection: Connection?
        do {
            let client = Endpoint(configuration: EndpointConfiguration(), randomness: SeededGenerator(seed: 31))
            let server = Endpoint(configuration: EndpointConfiguration(acceptsConnections: true), randomness: SeededGenerator(seed: 32))
            let id = client.connect(to: 2, at: .zero)
            let connect = try #require(client.pollTransmit(at: .zero))
            server.handle(datagram: connect.datagram, from: 1, at: .zero)
            clientConnection = client.connection(id)
            serverConnection = server.connectionIDs.first.flatMap { server.connection($0) }
            #expect(clientConnection != nil && serverConnection != nil)
        }
        #expect(clientConnection == nil, "the client endpoint's connection outlived it")
        #expect(serverConnection == nil, "the server endpoint's connection outlived it")
    }
}
