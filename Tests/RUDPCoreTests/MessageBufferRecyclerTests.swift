import Testing

@testable import RUDPCore

/// Released messages' arrays carry later messages (``MessageBufferRecycler``); an array the
/// application still holds must never change.
@Suite struct MessageBufferRecyclerTests {
    private static func bytes(_ count: Int, seed: UInt8) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31) &+ seed }
    }

    private static func address(_ bytes: [UInt8]) -> UnsafeRawPointer? {
        bytes.withUnsafeBytes { $0.baseAddress }
    }

    @Test func aReleasedArrayNobodyHoldsCarriesTheNextMessage() {
        var recycler = MessageBufferRecycler()
        var delivered: [UInt8]? = Self.bytes(1_024, seed: 1)
        let storage = Self.address(delivered!)
        recycler.recycle(delivered!)
        delivered = nil  // the application dropped it
        let payload = Self.bytes(1_024, seed: 2)
        let next = payload.withUnsafeBytes { recycler.message(copying: $0) }
        #expect(next == payload)
        #expect(Self.address(next) == storage, "the released array's storage was not reused")
        #expect(recycler.count == 0)
    }

    @Test func anArrayTheApplicationStillHoldsIsNeverChanged() {
        var recycler = MessageBufferRecycler()
        let kept = Self.bytes(1_000, seed: 3)
        recycler.recycle(kept)
        let payload = Self.bytes(990, seed: 4)
        let next = payload.withUnsafeBytes { recycler.message(copying: $0) }
        #expect(next == payload)
        #expect(kept == Self.bytes(1_000, seed: 3))
        #expect(Self.address(next) != Self.address(kept))
    }

    @Test func onlySmallArraysOfAboutTheRightSizeAreKeptAndUsed() {
        var recycler = MessageBufferRecycler()
        recycler.recycle([])
        recycler.recycle(Self.bytes(MessageBufferRecycler.capacityLimit + 1, seed: 0))
        #expect(recycler.count == 0)
        for i in 0..<(MessageBufferRecycler.limit + 5) { recycler.recycle(Self.bytes(100, seed: UInt8(i))) }
        #expect(recycler.count == MessageBufferRecycler.limit)
        // Too large a kept array for a tiny message (more than twice its size): a new array.
        let tiny: [UInt8] = [7, 8, 9]
        let small = tiny.withUnsafeBytes { recycler.message(copying: $0) }
        #expect(small == tiny && small.capacity < 100)
        // Too small a kept array for a larger message: a new array.
        let large = Self.bytes(500, seed: 9)
        #expect(large.withUnsafeBytes { recycler.message(copying: $0) } == large)
        #expect(recycler.count == MessageBufferRecycler.limit - 2)
        recycler.removeAll()
        #expect(recycler.count == 0)
        #expect(large.withUnsafeBytes { recycler.message(copying: $0) } == large)
    }

    /// Through the endpoints: messages of many sizes, the application keeping every other one's
    /// bytes after releasing its credit; every message arrives intact and none kept changes.
    @Test func deliveredMessagesStayIntactWhetherKeptOrDropped() throws {
        let pair = Pair(seed: 41)
        pair.latency = .milliseconds(1)
        pair.holdServerEvents = true
        let id = pair.connect()
        var sent: [[UInt8]] = []
        for i in 0..<400 {
            let message = Self.bytes([1, 17, 500, 1_000, 1_024, 1_100][i % 6] + i % 3, seed: UInt8(i & 0xFF))
            sent.append(message)
            try pair.client.send(message, on: id)
        }
        var kept: [(index: Int, bytes: [UInt8])] = []
        var received = 0
        let done = pair.drive {
            while let (connection, event) = pair.server.pollEvent() {
                guard case .message(let message) = event else { continue }
                #expect(message.bytes == sent[received], "message \(received)")
                if received % 2 == 0 { kept.append((received, message.bytes)) }
                pair.server.releaseCredit(message, on: connection)
                received += 1
            }
            return received == sent.count
        }
        #expect(done, "delivered \(received) of \(sent.count)")
        for (index, bytes) in kept { #expect(bytes == sent[index], "kept message \(index) changed") }
    }
}
