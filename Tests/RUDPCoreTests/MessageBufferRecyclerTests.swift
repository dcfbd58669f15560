import Testing

@testable import RUDPCore

/// Released messages' buffers carry later messages (``MessageBufferRecycler``); a buffer the
/// application still holds must never change.
@Suite struct MessageBufferRecyclerTests {
    private static func bytes(_ count: Int, seed: UInt8) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31) &+ seed }
    }

    private static func buffer(_ count: Int, seed: UInt8) -> ByteBuffer {
        ByteBuffer(bytes: bytes(count, seed: seed))
    }

    private static func address(_ buffer: ByteBuffer) -> UnsafeRawPointer? {
        buffer.withUnsafeReadableBytes { $0.baseAddress }
    }

    private static func message(_ recycler: inout MessageBufferRecycler, copying payload: [UInt8]) -> ByteBuffer {
        payload.withUnsafeBytes { recycler.message(copying: $0) }
    }

    @Test func aReleasedBufferNobodyHoldsCarriesTheNextMessage() {
        var recycler = MessageBufferRecycler()
        var delivered: ByteBuffer? = Self.buffer(1_024, seed: 1)
        let storage = Self.address(delivered!)
        recycler.recycle(delivered!)
        delivered = nil  // the application dropped it
        let payload = Self.bytes(1_024, seed: 2)
        let next = Self.message(&recycler, copying: payload)
        #expect(Array(next.readableBytesView) == payload)
        #expect(Self.address(next) == storage, "the released buffer's storage was not reused")
        #expect(recycler.count == 0)
    }

    @Test func aBufferTheApplicationStillHoldsIsNeverChanged() {
        var recycler = MessageBufferRecycler()
        let kept = Self.buffer(1_000, seed: 3)
        recycler.recycle(kept)
        let payload = Self.bytes(990, seed: 4)
        let next = Self.message(&recycler, copying: payload)
        #expect(Array(next.readableBytesView) == payload)
        #expect(kept == Self.buffer(1_000, seed: 3))
        #expect(Self.address(next) != Self.address(kept))
    }

    @Test func onlySmallBuffersOfAboutTheRightSizeAreKeptAndUsed() {
        var recycler = MessageBufferRecycler()
        recycler.recycle(ByteBuffer())
        recycler.recycle(Self.buffer(MessageBufferRecycler.capacityLimit + 1, seed: 0))
        #expect(recycler.count == 0)
        for i in 0..<(MessageBufferRecycler.limit + 5) { recycler.recycle(Self.buffer(100, seed: UInt8(truncatingIfNeeded: i))) }
        #expect(recycler.count == MessageBufferRecycler.limit)
        // Too large a kept buffer for a tiny message (more than twice its size): a new buffer.
        let tiny: [UInt8] = [7, 8, 9]
        let small = Self.message(&recycler, copying: tiny)
        #expect(Array(small.readableBytesView) == tiny && small.capacity < 100)
        // Too small a kept buffer for a larger message: a new buffer.
        let large = Self.bytes(500, seed: 9)
        #expect(Array(Self.message(&recycler, copying: large).readableBytesView) == large)
        #expect(recycler.count == MessageBufferRecycler.limit - 2)
        recycler.removeAll()
        #expect(recycler.count == 0)
        #expect(Array(Self.message(&recycler, copying: large).readableBytesView) == large)
    }

    @Test func keptBytesAreBounded() {
        var recycler = MessageBufferRecycler()
        let capacity = Self.buffer(MessageBufferRecycler.capacityLimit, seed: 0).capacity
        #expect(capacity <= MessageBufferRecycler.capacityLimit)
        let fitting = MessageBufferRecycler.byteLimit / capacity
        #expect(fitting < MessageBufferRecycler.limit)
        for i in 0..<(fitting + 5) {
            recycler.recycle(Self.buffer(MessageBufferRecycler.capacityLimit, seed: UInt8(truncatingIfNeeded: i)))
        }
        #expect(recycler.count == fitting)
        // Taking one makes room for one.
        _ = Self.message(&recycler, copying: Self.bytes(MessageBufferRecycler.capacityLimit, seed: 1))
        recycler.recycle(Self.buffer(MessageBufferRecycler.capacityLimit, seed: 2))
        recycler.recycle(Self.buffer(MessageBufferRecycler.capacityLimit, seed: 3))
        #expect(recycler.count == fitting)
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
