import RUDPCore
import RUDPWire
import Testing

/// Flow control, timers and the end of a connection.
@Suite struct LifecycleTests {
    func connectedPair(
        clientConfig: ConnectionConfiguration = ConnectionConfiguration(),
        serverConfig: ConnectionConfiguration = ConnectionConfiguration()
    ) -> (Pair, ConnectionID) {
        let pair = Pair(clientConfig: clientConfig, serverConfig: serverConfig)
        let c = pair.connect()
        _ = pair.drive { pair.serverConnection != nil && pair.client.connection(c)?.state == .established }
        return (pair, c)
    }

    @Test func flowControlStopsTheSenderAtTheReceiversWindow() throws {
        var server = ConnectionConfiguration()
        server.maxMessageSize = 4096
        server.receiveWindow = 16 * 1024
        let (pair, c) = connectedPair(serverConfig: server)
        pair.holdServerEvents = true  // the application stops reading
        for i in 0..<64 { try pair.client.send(Array(repeating: UInt8(i), count: 1024), on: c) }
        _ = pair.drive(for: .seconds(5)) { false }
        let s = try #require(pair.serverConnection)
        var held = 0
        while let (_, e) = pair.server.pollEventConsuming(), held < 1000 {
            if case .message = e { held += 1; break }
        }
        // Reliable bytes the server holds never exceed its window: at most 16 messages of 1 KiB.
        let clientStats = try #require(pair.client.connection(c)?.statistics)
        #expect(clientStats.messagesAcknowledged <= 16, "sender overran the receiver's window")
        #expect(pair.client.connection(c)?.state == .established)
        _ = s
        // The application reads again: the window opens and everything arrives.
        pair.holdServerEvents = false
        #expect(pair.drive(for: .seconds(30)) { pair.serverMessages.count == 63 })
    }

    @Test func lostWindowUpdateIsRecoveredByZeroWindowProbing() throws {
        var server = ConnectionConfiguration()
        server.maxMessageSize = 2048
        server.receiveWindow = 4096
        let (pair, c) = connectedPair(serverConfig: server)
        pair.holdServerEvents = true
        for i in 0..<12 { try pair.client.send(Array(repeating: UInt8(i), count: 1024), on: c) }
        _ = pair.drive(for: .seconds(1)) { false }
        // Drop the server's next packets (the window update) for a while.
        var dropUntil = pair.now + .milliseconds(300)
        pair.filter = { _, toServer in toServer || pair.now >= dropUntil }
        pair.holdServerEvents = false
        #expect(pair.drive(for: .seconds(20)) { pair.serverMessages.count == 12 })
        dropUntil = .zero
    }

    /// A receiver whose application stopped reading answers every zero-window probe: the probes
    /// still back off (section 14.3), instead of going out one plain RTO apart for as long as the
    /// window stays closed (a loaded test run saw two endpoints exchange 860 datagrams a second).
    @Test func answeredZeroWindowProbesBackOff() throws {
        var server = ConnectionConfiguration()
        server.maxMessageSize = 2048
        server.receiveWindow = 4096
        let (pair, c) = connectedPair(serverConfig: server)
        pair.holdServerEvents = true
        for i in 0..<12 { try pair.client.send(Array(repeating: UInt8(i), count: 1024), on: c) }
        _ = pair.drive(for: .seconds(1)) { false }
        var probes = 0
        pair.filter = { _, toServer in
            if toServer { probes += 1 }
            return true
        }
        _ = pair.drive(for: .seconds(60)) { false }
        // Backing off to the cap (a quarter of the 10 s peer timeout) gives about 30 probes and
        // keep-alives in 60 s; one per RTO (20 ms of path) would be well over a thousand.
        #expect(probes < 100, "\(probes) datagrams from the blocked sender in 60 s")
        #expect(pair.client.connection(c)?.state == .established)
        pair.holdServerEvents = false
        pair.filter = nil
        #expect(pair.drive(for: .seconds(30)) { pair.serverMessages.count == 12 })
    }

    @Test func deadPeerIsDetectedAfterThePeerTimeout() throws {
        var config = ConnectionConfiguration()
        config.peerTimeout = .seconds(3)
        let (pair, c) = connectedPair(clientConfig: config)
        pair.filter = { _, _ in false }  // the peer vanishes
        let start = pair.now
        try pair.client.send([1, 2, 3], on: c)
        #expect(pair.drive(for: .seconds(60)) { pair.closeReason(pair.clientEvents) != nil })
        #expect(pair.closeReason(pair.clientEvents) == .peerUnreachable)
        #expect(pair.now - start >= .seconds(3))
        #expect(pair.now - start <= .seconds(10))
        #expect(pair.clientEvents.contains { if case .failed = $0.1 { return true } else { return false } })
    }

    @Test func keepAliveHoldsAnIdleConnectionOpen() throws {
        var config = ConnectionConfiguration()
        config.keepAliveInterval = .seconds(2)
        config.idleTimeout = .seconds(5)
        let (pair, c) = connectedPair(clientConfig: config, serverConfig: config)
        _ = pair.drive(for: .seconds(30)) { pair.closeReason(pair.clientEvents) != nil }
        #expect(pair.closeReason(pair.clientEvents) == nil)
        #expect(pair.client.connection(c)?.state == .established)
    }

    @Test func idleTimeoutClosesWhenThePeerIsSilent() throws {
        var config = ConnectionConfiguration()
        config.keepAliveInterval = nil
        config.idleTimeout = .seconds(4)
        let (pair, _) = connectedPair(clientConfig: config, serverConfig: config)
        #expect(pair.drive(for: .seconds(30)) { pair.closeReason(pair.clientEvents) != nil && pair.closeReason(pair.serverEvents) != nil })
        #expect(pair.closeReason(pair.clientEvents) == .idleTimeout)
        #expect(pair.closeReason(pair.serverEvents) == .idleTimeout)
    }

    @Test func acknowledgingAPacketNeverSentIsAProtocolViolation() throws {
        let (pair, c) = connectedPair()
        let s = try #require(pair.serverConnection)
        let clientID = try #require(pair.client.connection(c)?.localID)
        _ = s
        // Forge a server packet acknowledging packet 1,000,000.
        let forged = Packet(
            destination: clientID, packetNumber: 500,
            body: .data([.ack(AckFrame(cumulative: 1_000_001))]))
        var bytes = forged.serialized()
        Datagram.seal(&bytes)
        pair.client.handle(datagram: bytes, from: Pair.serverAddress, at: pair.now)
        pair.collect()
        guard pair.closeReason(pair.clientEvents)?.code == .protocolViolation else {
            Issue.record("expected a protocol violation, got \(String(describing: pair.closeReason(pair.clientEvents)))")
            return
        }
        #expect(pair.drive { pair.closeReason(pair.serverEvents) != nil })
        if let code = pair.closeReason(pair.serverEvents)?.peerCode {
            #expect(code == .protocolViolation)
        } else {
            Issue.record("server should learn of the violation")
        }
    }

    @Test func exceedingTheFlowControlWindowIsAViolation() throws {
        var server = ConnectionConfiguration()
        server.maxMessageSize = 1000
        server.receiveWindow = 1000
        let (pair, c) = connectedPair(serverConfig: server)
        let serverID = try #require(pair.client.connection(c)?.peerID)
        // Forge two 800-byte reliable messages from the client: 1600 > 1000 granted.
        for seq in 0..<2 as Range<UInt32> {
            let frame = MessageFrame(
                channel: 0, mode: .reliableUnordered, sequence: seq, totalLength: 800, offset: 0,
                payload: Array(repeating: 1, count: 800))
            var bytes = Packet(destination: serverID, packetNumber: 1000 + UInt64(seq), body: .data([.message(frame)])).serialized()
            Datagram.seal(&bytes)
            pair.server.handle(datagram: bytes, from: Pair.clientAddress, at: pair.now)
        }
        pair.collect()
        #expect(pair.closeReason(pair.serverEvents) == .flowControlViolation)
    }

    @Test func corruptedDatagramsAreDroppedAndCounted() throws {
        let (pair, c) = connectedPair()
        pair.filter = { d, toServer in
            if toServer && hasMessageFrame(d) {
                var bad = d
                bad[bad.count / 2] ^= 0x10
                pair.toServer.append(bad)  // the corrupted copy arrives first
            }
            return true
        }
        try pair.client.send(Array(repeating: 5, count: 100), on: c)
        #expect(pair.drive { pair.serverMessages.count == 1 })
        #expect(pair.serverMessages[0].bytes == Array(repeating: 5, count: 100))
        #expect(pair.server.statistics.malformedDatagrams >= 1)
    }

    @Test func fullServerEvictsTheOldestHalfOpenConnection() throws {
        let server = Endpoint(
            configuration: {
                var e = EndpointConfiguration(acceptsConnections: true)
                e.maxConnections = 3
                return e
            }(), randomness: SeededGenerator(seed: 5))
        for i in 0..<10 {
            let client = Endpoint(configuration: EndpointConfiguration(), randomness: SeededGenerator(seed: UInt64(100 + i)))
            _ = client.connect(to: 0, at: .zero)
            while let (d, _) = client.pollTransmit(at: .zero) { server.handle(datagram: d, from: PeerAddress(node: 100 + i), at: .zero) }
        }
        // Nobody completed the handshake: each new client pushed out the oldest half-open one.
        #expect(server.connectionCount == 3)
        #expect(server.halfOpenConnectionCount == 3)
        #expect(server.statistics.halfOpenEvicted == 7)
        #expect(server.statistics.connectionsRefused == 0)
    }

    @Test func junkIsCountedNotFatal() throws {
        let (pair, c) = connectedPair()
        var rng = SeededGenerator(seed: 3)
        for _ in 0..<500 {
            let n = Int(rng.next() % 1500)
            let junk = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            pair.server.handle(datagram: junk, from: 99, at: pair.now)
        }
        try pair.client.send([1], on: c)
        #expect(pair.drive { pair.serverMessages.count == 1 })
        #expect(pair.server.statistics.malformedDatagrams + pair.server.statistics.unroutableDatagrams >= 500)
    }
}
