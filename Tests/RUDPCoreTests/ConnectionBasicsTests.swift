import RUDPCore
import RUDPWire
import Testing

@Suite struct ConnectionBasicsTests {
    @Test func handshakeCompletesAndMessagesFlowBothWays() throws {
        let pair = Pair()
        let c = pair.connect()
        try pair.client.send(Array("hello".utf8), on: c)
        #expect(pair.drive { pair.serverMessages.count == 1 })
        #expect(pair.serverMessages.first?.bytes == Array("hello".utf8))
        let s = try #require(pair.serverConnection)
        try pair.server.send(Array("Hello, hello!".utf8), on: s)
        #expect(pair.drive { pair.clientMessages.count == 1 })
        #expect(pair.clientMessages.first?.bytes == Array("Hello, hello!".utf8))
        #expect(pair.clientEvents.contains { if case .connected = $0.1 { return true } else { return false } })
        #expect(pair.drive { pair.client.connection(c)?.isSendBufferEmpty == true })
    }

    @Test func acknowledgedEventReleasesMessage() throws {
        let pair = Pair()
        let c = pair.connect()
        let id = try pair.client.send([1, 2, 3], on: c)
        #expect(pair.drive { pair.clientEvents.contains { $0.1 == .acknowledged(id) } })
        #expect(pair.client.connection(c)?.statistics.sendBufferMessages == 0)
    }

    @Test func largeMessageIsFragmentedAndReassembled() throws {
        let pair = Pair()
        let c = pair.connect()
        var rng = SeededGenerator(seed: 9)
        let big = (0..<(1 << 20)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        try pair.client.send(big, on: c)
        #expect(pair.drive { pair.serverMessages.count == 1 })
        #expect(pair.serverMessages.first?.bytes == big)
    }

    @Test func emptyMessageIsDelivered() throws {
        let pair = Pair()
        let c = pair.connect()
        try pair.client.send([], on: c)
        try pair.client.send([], on: c, mode: .unreliable)
        #expect(pair.drive { pair.serverMessages.count == 2 })
        #expect(pair.serverMessages.allSatisfy { $0.bytes.isEmpty })
    }

    @Test func gracefulCloseDeliversPendingFirst() throws {
        let pair = Pair()
        let c = pair.connect()
        for i in 0..<200 { try pair.client.send(Array(repeating: UInt8(i % 256), count: 1000), on: c) }
        pair.client.close(c, at: pair.now)
        #expect(throws: SendError.connectionClosed) { try pair.client.send([1], on: c) }
        #expect(pair.drive { pair.closeReason(pair.clientEvents) != nil && pair.closeReason(pair.serverEvents) != nil })
        #expect(pair.serverMessages.count == 200)
        #expect(pair.closeReason(pair.clientEvents) == .closedLocally)
        #expect(pair.closeReason(pair.serverEvents) == .peerClosed(.normal, ""))
        #expect(pair.client.connectionCount == 0)
        #expect(pair.server.connectionCount == 0)
    }

    @Test func abortFailsUnacknowledgedAndTellsPeer() throws {
        let pair = Pair()
        let c = pair.connect()
        #expect(pair.drive { pair.serverConnection != nil })
        pair.filter = { d, toServer in !(toServer && hasMessageFrame(d)) }
        let id = try pair.client.send([7], on: c)
        pair.collect()
        pair.filter = nil
        pair.client.abort(c, at: pair.now)
        #expect(pair.drive { pair.closeReason(pair.serverEvents) != nil })
        #expect(pair.clientEvents.contains { $0.1 == .failed(id) })
        #expect(pair.closeReason(pair.clientEvents) == .aborted)
        #expect(pair.closeReason(pair.serverEvents) == .peerClosed(.aborted, ""))
    }

    @Test func connectTimesOutWithoutServer() {
        var config = ConnectionConfiguration()
        config.connectTimeout = .seconds(3)
        let pair = Pair(clientConfig: config)
        pair.connect()
        var connects = 0
        pair.filter = { d, _ in
            if packetType(d) == .connect { connects += 1 }
            return false
        }
        #expect(pair.drive(for: .seconds(10)) { pair.closeReason(pair.clientEvents) != nil })
        #expect(pair.closeReason(pair.clientEvents) == .connectTimedOut)
        #expect(pair.now <= .zero + .seconds(3) + .milliseconds(1))
        #expect(connects >= 3)  // retried with backoff: 0, 250 ms, 750 ms, 1750 ms
    }

    @Test func clientMayStartBeforeServerAnswers() throws {
        let pair = Pair()
        let c = pair.connect()
        var dropped = 0
        pair.filter = { d, toServer in
            if toServer && packetType(d) == .connect && dropped < 3 { dropped += 1; return false }
            return true
        }
        try pair.client.send(Array("early".utf8), on: c)
        #expect(pair.drive { pair.serverMessages.count == 1 })
        #expect(dropped == 3)
    }

    @Test func lostAcceptIsRecovered() throws {
        let pair = Pair()
        let c = pair.connect()
        var dropped = 0
        pair.filter = { d, toServer in
            if !toServer && packetType(d) == .accept && dropped < 2 { dropped += 1; return false }
            return true
        }
        try pair.client.send([42], on: c)
        #expect(pair.drive { pair.serverMessages.count == 1 })
        #expect(pair.server.connectionCount == 1)
    }

    @Test func sendErrorsAreTyped() throws {
        var config = ConnectionConfiguration()
        config.maxMessageSize = 1000
        config.receiveWindow = 4000
        config.sendBufferBytes = 3000
        config.sendBufferMessages = 3
        config.channelCount = 2
        let pair = Pair(clientConfig: config)
        let c = pair.connect()
        #expect(throws: SendError.messageTooLarge(size: 1001, limit: 1000)) {
            try pair.client.send(Array(repeating: 0, count: 1001), on: c)
        }
        #expect(throws: SendError.invalidChannel(2, channelCount: 2)) { try pair.client.send([1], on: c, channel: 2) }
        try pair.client.send([1], on: c)
        try pair.client.send([2], on: c)
        try pair.client.send([3], on: c)
        #expect(throws: SendError.sendBufferFull) { try pair.client.send([4], on: c) }
        #expect(pair.drive { pair.clientEvents.contains { $0.1 == .writable } })
        try pair.client.send([4], on: c)
        #expect(pair.drive { pair.serverMessages.count == 4 })
        #expect(pair.serverMessages.map(\.bytes) == [[1], [2], [3], [4]])
    }

    /// `.writable` means the refused message now fits: a sender that retries only on the signal
    /// is never refused twice for one message, whatever mix of sizes fills the buffer.
    @Test func writableMeansTheRefusedMessageFits() throws {
        var config = ConnectionConfiguration()
        config.maxMessageSize = 1000
        config.sendBufferBytes = 3000
        config.sendBufferMessages = 100
        let pair = Pair(clientConfig: config)
        let c = pair.connect()
        let sizes = [1000, 1000, 500, 900, 100, 1000, 700]
        var refusals = 0
        for index in 0..<70 {
            let message = [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: sizes[index % sizes.count])
            do {
                try pair.client.send(message, on: c)
            } catch {
                // Not `catch SendError.sendBufferFull`: an expression pattern on a typed-throws
                // struct error sends Swift 6.3.1's mandatory SIL passes into an endless loop.
                guard error.code == .sendBufferFull else { throw error }
                refusals += 1
                let seen = pair.clientEvents.filter { $0.1 == .writable }.count
                #expect(pair.drive { pair.clientEvents.filter { $0.1 == .writable }.count > seen }, "message \(index)")
                try pair.client.send(message, on: c)  // must fit now
            }
        }
        #expect(refusals > 0)
        #expect(pair.drive { pair.serverMessages.count == 70 })
        #expect(pair.serverMessages.map(\.bytes.count) == (0..<70).map { sizes[$0 % sizes.count] })
    }

    /// The case that made a retrying sender spin: an acknowledgement frees a small message while
    /// a large one waits. `.writable` comes only once the large one fits.
    @Test func freeingLessThanTheRefusedMessageIsNotWritable() throws {
        var config = ConnectionConfiguration()
        config.maxMessageSize = 1000
        config.sendBufferBytes = 3000
        config.sendBufferMessages = 100
        let pair = Pair(clientConfig: config)
        let c = pair.connect()
        #expect(pair.drive { pair.clientEvents.contains { $0.1 == .connected } })
        // The large messages' first transmissions are lost, so the small one is acknowledged alone.
        var dropped = 0
        pair.filter = { datagram, toServer in
            if toServer && datagram.count > 600 && dropped < 3 { dropped += 1; return false }
            return true
        }
        let small = try pair.client.send([UInt8](repeating: 1, count: 100), on: c)
        pair.collect()  // the small message goes out in a packet of its own
        for size in [1000, 1000, 900] { try pair.client.send([UInt8](repeating: 2, count: size), on: c) }
        #expect(throws: SendError.sendBufferFull) { try pair.client.send([UInt8](repeating: 3, count: 1000), on: c) }
        #expect(pair.drive { pair.clientEvents.contains { $0.1 == .acknowledged(small) } })
        #expect(dropped == 3)
        #expect(pair.drive { pair.clientEvents.contains { $0.1 == .writable } })
        try pair.client.send([UInt8](repeating: 3, count: 1000), on: c)  // fits: writable said so
        #expect(pair.drive { pair.serverMessages.count == 5 })
    }
}
