import RUDPSecurity
import RUDPWire
import Testing

@testable import RUDPCore

/// Messages as `ByteBuffer` (issue 15, "one copy each way"): a sent buffer is kept by reference
/// until its fragments are written into datagrams; a delivered message is copied once out of
/// the datagram, into a buffer of its own; both directions round-trip plain and encrypted,
/// whole and fragmented, in every delivery mode.
@Suite struct ByteBufferPayloadTests {
    private static func bytes(_ count: Int, seed: UInt8) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7) &+ seed }
    }

    private static func address(_ buffer: ByteBuffer) -> UnsafeRawPointer? {
        buffer.withUnsafeReadableBytes { $0.baseAddress }
    }

    /// A connected pair whose server's events stay in the engine (taken by the test).
    private static func connectedPair(seed: UInt64) -> (Pair, ConnectionID) {
        let pair = Pair(seed: seed)
        let id = pair.connect()
        let connected = pair.drive { pair.serverConnection != nil && pair.clientEvents.contains { $0.1 == .connected } }
        #expect(connected, "seed \(seed): no handshake")
        pair.holdServerEvents = true
        return (pair, id)
    }

    /// Hands the client's datagrams to the server from memory the test owns, recording where
    /// each one lay, and returns the server's message events.
    private static func deliver(_ pair: Pair, datagramRanges: inout [Range<UInt>]) -> [ReceivedMessage] {
        pair.collect()
        let datagrams = pair.toServer
        pair.toServer = []
        pair.now = pair.now + pair.latency
        for datagram in datagrams {
            datagram.withUnsafeBytes { raw in
                let base = UInt(bitPattern: raw.baseAddress!)
                datagramRanges.append(base..<(base + UInt(raw.count)))
                pair.server.handle(datagram: raw, from: Pair.clientAddress, at: pair.now)
            }
        }
        var messages: [ReceivedMessage] = []
        while let (_, event) = pair.server.pollEvent() {
            if case .message(let message) = event { messages.append(message) }
        }
        return messages
    }

    /// Send side: the engine keeps the application's storage, not a copy. Before `send`, the
    /// test's buffer is uniquely referenced (writing to it stays in place); after, the engine
    /// shares its storage (writing to it moves the test's copy to new storage), and the peer
    /// still receives the bytes as they were at `send`: the only copy was the one into the
    /// datagram.
    @Test func aSentBufferIsKeptByReferenceUntilItIsWrittenIntoDatagrams() throws {
        let (pair, id) = Self.connectedPair(seed: 71)
        let payload = Self.bytes(3_000, seed: 5)
        var buffer = ByteBufferAllocator().buffer(capacity: payload.count)
        buffer.writeBytes(payload)
        let storage = Self.address(buffer)
        buffer.setInteger(payload[0], at: 0)
        #expect(Self.address(buffer) == storage, "a uniquely referenced buffer was copied on write")

        try pair.client.send(buffer, on: id)
        buffer.setInteger(0xEE as UInt8, at: 0)
        #expect(Self.address(buffer) != storage, "the engine did not keep the buffer's storage: it copied it")

        var ranges: [Range<UInt>] = []
        var delivered: [ReceivedMessage] = []
        for _ in 0..<10 where delivered.isEmpty {
            delivered += Self.deliver(pair, datagramRanges: &ranges)
        }
        #expect(delivered.count == 1)
        #expect(delivered.first?.buffer == ByteBuffer(bytes: payload), "the peer got the bytes as changed after send")
    }

    /// Receive side: a message that came in one datagram is delivered in a buffer of its own,
    /// sized for it (NIO rounds capacities up to a power of two), outside the datagram's memory (one copy, from the datagram into
    /// the message); once its credit is released and nobody holds it, the next message of about
    /// its size is copied into the same storage (no allocation per message).
    @Test func aSingleDatagramMessageIsCopiedOnceIntoItsOwnBuffer() throws {
        let (pair, id) = Self.connectedPair(seed: 72)
        let first = Self.bytes(1_000, seed: 1)
        try pair.client.send(ByteBuffer(bytes: first), on: id)
        var ranges: [Range<UInt>] = []
        var messages = Self.deliver(pair, datagramRanges: &ranges)
        try #require(messages.count == 1)
        var message: ReceivedMessage? = messages.removeFirst()
        #expect(message!.buffer == ByteBuffer(bytes: first))
        #expect(message!.buffer.capacity == 1_024, "not a buffer sized for the message")
        let storage = Self.address(message!.buffer)
        let start = UInt(bitPattern: storage!)
        #expect(!ranges.contains { $0.contains(start) }, "the message aliases the datagram it came in")

        pair.server.releaseCredit(message!, on: pair.serverConnection!)
        message = nil  // the application is done with it
        let second = Self.bytes(990, seed: 2)
        try pair.client.send(ByteBuffer(bytes: second), on: id)
        let next = Self.deliver(pair, datagramRanges: &ranges).first
        #expect(next?.buffer == ByteBuffer(bytes: second))
        #expect(next.map { Self.address($0.buffer) } == storage, "the released message's storage was not reused")
    }

    /// A buffer whose reader index is not at its start sends its readable bytes only; every
    /// delivery mode, plain and encrypted, a message in one datagram and one in four fragments.
    @Test(
        arguments: [nil, SecurityMode.encrypted], [DeliveryMode.reliableOrdered, .reliableUnordered, .unreliable]
    )
    func roundTripsThroughTheByteBufferAPI(security: SecurityMode?, mode: DeliveryMode) throws {
        let seed: UInt64 = 73
        let pair = SecurityTestSupport.pair(client: security, server: security, seed: seed)
        let id = pair.connect()
        #expect(pair.drive { pair.serverConnection != nil }, "no handshake (\(String(describing: security)), \(mode))")
        var sent: [[UInt8]] = []
        for (index, size) in [0, 1, 700, 4_000].enumerated() {
            let payload = Self.bytes(size, seed: UInt8(index))
            var buffer = ByteBufferAllocator().buffer(capacity: size + 4)
            buffer.writeInteger(UInt32(0xDEAD_BEEF))
            buffer.writeBytes(payload)
            _ = buffer.readInteger(as: UInt32.self)  // a header the application consumed
            try pair.client.send(buffer, on: id, channel: 0, mode: mode)
            sent.append(payload)
        }
        let done = pair.drive { pair.serverMessages.count == sent.count }
        #expect(done, "delivered \(pair.serverMessages.count) of \(sent.count) (\(String(describing: security)), \(mode))")
        let received = pair.serverMessages.map { Array($0.buffer.readableBytesView) }
        #expect(received.sorted { $0.count < $1.count } == sent, "\(String(describing: security)), \(mode), seed \(seed)")
        #expect(pair.serverMessages.allSatisfy { $0.mode == mode && $0.bytes == Array($0.buffer.readableBytesView) })
    }

    /// The `[UInt8]` conveniences still work and agree with the buffers.
    @Test func arrayConveniencesCopyIntoAndOutOfBuffers() {
        var message = ReceivedMessage(bytes: [1, 2, 3], channel: 1, mode: .unreliable)
        #expect(message.buffer == ByteBuffer(bytes: [1, 2, 3]))
        #expect(message == ReceivedMessage(buffer: ByteBuffer(bytes: [1, 2, 3]), channel: 1, mode: .unreliable))
        message.bytes = [4, 5]
        #expect(message.buffer.readableBytes == 2 && message.bytes == [4, 5])
    }
}
