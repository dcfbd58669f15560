import RUDPCore
import RUDPWire
import Testing

/// Chosen drops, duplicates and reorderings, edited directly in the Pair's queues.
@Suite struct LossRecoveryTests {
    /// Connects and waits until both sides are established, so later filters see only data.
    func connectedPair(
        clientConfig: ConnectionConfiguration = ConnectionConfiguration(),
        serverConfig: ConnectionConfiguration = ConnectionConfiguration()
    ) -> (Pair, ConnectionID) {
        let pair = Pair(clientConfig: clientConfig, serverConfig: serverConfig)
        let c = pair.connect()
        _ = pair.drive { pair.serverConnection != nil && pair.client.connection(c)?.state == .established }
        // let the handshake's PING be acknowledged
        _ = pair.drive(for: .milliseconds(100)) { false }
        return (pair, c)
    }

    @Test func singleLossIsRepairedByFastRetransmitNotTimeout() throws {
        let (pair, c) = connectedPair()
        var dropped = false
        pair.filter = { d, toServer in
            if toServer && !dropped && hasMessageFrame(d) { dropped = true; return false }
            return true
        }
        let start = pair.now
        // 1000-byte messages: one per datagram, so later datagrams carry evidence of the loss
        for i in 0..<10 { try pair.client.send(Array(repeating: UInt8(i), count: 1000), on: c) }
        #expect(pair.drive(for: .seconds(5)) { pair.serverMessages.count == 10 })
        let stats = try #require(pair.client.connection(c)?.statistics)
        #expect(dropped)
        #expect(stats.retransmissionTimeouts == 0, "a single loss must not wait for the RTO")
        #expect(stats.fragmentsRetransmitted >= 1)
        // about one round trip (20 ms) plus the time threshold, far below the 250 ms initial RTO
        #expect(pair.now - start < .milliseconds(150))
        #expect(pair.serverMessages.map { $0.bytes[0] } == (0..<10).map { UInt8($0) })
    }

    @Test func tailLossIsRepairedByTheRetransmissionTimer() throws {
        let (pair, c) = connectedPair()
        var dropped = 0
        pair.filter = { d, toServer in
            if toServer && dropped == 0 && hasMessageFrame(d) { dropped += 1; return false }
            return true
        }
        try pair.client.send([9], on: c)
        #expect(pair.drive(for: .seconds(5)) { pair.serverMessages.count == 1 })
        let stats = try #require(pair.client.connection(c)?.statistics)
        #expect(stats.retransmissionTimeouts == 1)
    }

    @Test func duplicatedDatagramsDeliverOnce() throws {
        let (pair, c) = connectedPair()
        pair.filter = nil
        for i in 0..<20 { try pair.client.send([UInt8(i)], on: c, mode: i % 3 == 0 ? .unreliable : .reliableOrdered) }
        pair.collect()
        pair.toServer += pair.toServer  // every datagram twice
        #expect(pair.drive { pair.serverMessages.count == 20 })
        _ = pair.drive(for: .milliseconds(200)) { false }
        #expect(pair.serverMessages.count == 20)
        #expect(Set(pair.serverMessages.map(\.bytes)).count == 20)
        let server = try #require(pair.serverConnection)
        #expect((pair.server.connection(server)?.statistics.duplicatePacketsDropped ?? 0) >= 1)
    }

    @Test func reorderedDatagramsStillDeliverInOrder() throws {
        var config = ConnectionConfiguration()
        config.maxDatagramSize = 300  // one message per datagram
        let (pair, c) = connectedPair(clientConfig: config, serverConfig: config)
        for i in 0..<30 { try pair.client.send(Array(repeating: UInt8(i), count: 200), on: c) }
        pair.collect()
        pair.toServer.reverse()
        #expect(pair.drive { pair.serverMessages.count == 30 })
        #expect(pair.serverMessages.map { $0.bytes[0] } == (0..<30).map { UInt8($0) })
    }

    @Test func lossOnOneChannelDoesNotStallAnother() throws {
        var config = ConnectionConfiguration()
        config.maxDatagramSize = 300
        let (pair, c) = connectedPair(clientConfig: config, serverConfig: config)
        var dropped = false
        pair.filter = { d, toServer in
            if toServer && !dropped && hasMessageFrame(d) { dropped = true; return false }
            return true
        }
        try pair.client.send(Array(repeating: 0, count: 200), on: c, channel: 0)  // lost
        try pair.client.send(Array(repeating: 1, count: 200), on: c, channel: 1)
        try pair.client.send(Array(repeating: 2, count: 200), on: c, channel: 0)  // waits for the lost one
        pair.collect()
        pair.step()  // deliver the surviving datagrams once
        let first = pair.serverMessages
        #expect(first.map(\.channel) == [1], "channel 1 must not wait for channel 0's loss")
        #expect(pair.drive { pair.serverMessages.count == 3 })
        #expect(pair.serverMessages.filter { $0.channel == 0 }.map { $0.bytes[0] } == [0, 2])
    }

    @Test func unreliableMessagesAreNeverRetransmitted() throws {
        let (pair, c) = connectedPair()
        var dropped = false
        pair.filter = { d, toServer in
            if toServer && !dropped && hasMessageFrame(d) { dropped = true; return false }
            return true
        }
        try pair.client.send([1], on: c, mode: .unreliable)
        pair.collect()
        try pair.client.send([2], on: c, mode: .unreliable)
        _ = pair.drive(for: .seconds(2)) { false }
        #expect(pair.serverMessages.map(\.bytes) == [[2]])
        #expect(pair.client.connection(c)?.statistics.fragmentsRetransmitted == 0)
        #expect(pair.client.connection(c)?.isSendBufferEmpty == true)
    }

    @Test func reliableUnorderedIsDeliveredWithoutWaiting() throws {
        var config = ConnectionConfiguration()
        config.maxDatagramSize = 300
        let (pair, c) = connectedPair(clientConfig: config, serverConfig: config)
        var dropped = false
        pair.filter = { d, toServer in
            if toServer && !dropped && hasMessageFrame(d) { dropped = true; return false }
            return true
        }
        try pair.client.send(Array(repeating: 0, count: 200), on: c, mode: .reliableUnordered)
        try pair.client.send(Array(repeating: 1, count: 200), on: c, mode: .reliableUnordered)
        pair.collect()
        pair.step()
        #expect(pair.serverMessages.map { $0.bytes[0] } == [1])
        #expect(pair.drive { pair.serverMessages.count == 2 })
    }

    @Test func sequenceNumbersSurviveWraparound() throws {
        var config = ConnectionConfiguration()
        config.initialMessageSequence = UInt32.max - 5
        config.maxDatagramSize = 300
        let (pair, c) = connectedPair(clientConfig: config, serverConfig: config)
        var n = 0
        pair.filter = { d, toServer in
            n += 1
            return !(toServer && hasMessageFrame(d) && n % 4 == 0)  // drop some across the wrap
        }
        for i in 0..<40 { try pair.client.send(Array(repeating: UInt8(i), count: 150), on: c) }
        #expect(pair.drive { pair.serverMessages.count == 40 })
        #expect(pair.serverMessages.map { $0.bytes[0] } == (0..<40).map { UInt8($0) })
    }

    @Test func smallMessagesArePackedIntoFewDatagrams() throws {
        let (pair, c) = connectedPair()
        var dataPackets = 0
        pair.filter = { d, toServer in
            if toServer && hasMessageFrame(d) { dataPackets += 1 }
            return true
        }
        for _ in 0..<50 { try pair.client.send(Array(repeating: 7, count: 10), on: c) }
        #expect(pair.drive { pair.serverMessages.count == 50 })
        #expect(dataPackets <= 2, "50 messages of 10 bytes fit in two 1200-byte datagrams, got \(dataPackets)")
    }

    @Test func acknowledgementIsBoundedByMaxAckDelay() throws {
        let (pair, c) = connectedPair()
        let before = pair.client.connection(c)?.statistics.messagesAcknowledged ?? 0
        try pair.client.send([1], on: c)
        let start = pair.now
        #expect(pair.drive { (pair.client.connection(c)?.statistics.messagesAcknowledged ?? 0) > before })
        // one-way 10 ms there, at most 5 ms ack delay, 10 ms back
        #expect(pair.now - start <= .milliseconds(26))
    }
    @Test func theLastPacketOfAFlightIsAcknowledgedWithoutDelay() throws {
        let (pair, c) = connectedPair()
        let before = pair.client.connection(c)?.statistics.messagesAcknowledged ?? 0
        try pair.client.send([1], on: c)
        let start = pair.now
        #expect(pair.drive { (pair.client.connection(c)?.statistics.messagesAcknowledged ?? 0) > before })
        // one-way 10 ms there and 10 ms back: the tail packet's PING makes the server acknowledge
        // at once instead of after its 5 ms max_ack_delay (virtual time, so this is exact)
        #expect(pair.now - start == .milliseconds(20))
    }

    @Test func timerExpiryProbesWithoutDeclaringLossOrShrinkingTheWindow() throws {
        let (pair, c) = connectedPair()
        let windowBefore = try #require(pair.client.connection(c)?.statistics.congestionWindow)
        var droppedAcks = 0
        // The message arrives, but the acknowledgements of it are lost until the timer fires.
        pair.filter = { _, toServer in
            if !toServer && droppedAcks < 1 { droppedAcks += 1; return false }
            return true
        }
        try pair.client.send(Array(repeating: 5, count: 100), on: c)
        #expect(pair.drive(for: .seconds(5)) { pair.client.connection(c)?.statistics.messagesAcknowledged ?? 0 > 0 })
        let stats = try #require(pair.client.connection(c)?.statistics)
        #expect(droppedAcks == 1)
        #expect(stats.retransmissionTimeouts == 1)
        #expect(stats.fragmentsRetransmitted == 1, "the probe carries the unacknowledged fragment again")
        #expect(stats.packetsLost == 0, "an expiry is not evidence of loss")
        #expect(stats.congestionWindow >= windowBefore, "an expiry is not a congestion event")
        #expect(pair.serverMessages.count == 1)
    }
}
