import RUDPCore
import RUDPSecurity
import RUDPWire
import Testing

/// Tampering with a secure connection: flipped bytes, forgeries, replays. Every such datagram is
/// dropped and counted, and changes nothing: the real transfer completes intact.
@Suite struct SecureTamperTests {
    static let modes: [SecurityMode] = [.authenticated, .encrypted]

    static func messages(_ count: Int, salt: Int) -> [[UInt8]] {
        (0..<count).map { i in (0..<(1 + (i * 389) % 3000)).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ i &+ salt) } }
    }

    /// A copy of every datagram (handshake and data, both directions) with one bit flipped, at
    /// positions that walk over the whole datagram, arrives just before the original.
    @Test(arguments: modes)
    func flippedBytesAreDroppedAndCounted(mode: SecurityMode) throws {
        let pair = SecurityTestSupport.pair(mode)
        var flips = 0
        var position = 0
        pair.filter = { [unowned pair] datagram, toServer in
            var copy = datagram
            position += 1
            copy[(position &* 7919) % copy.count] ^= UInt8(1 << (position % 8))
            if toServer { pair.toServer.append(copy) } else { pair.toClient.append(copy) }
            flips += 1
            return true
        }
        let id = pair.connect()
        let up = Self.messages(40, salt: 1), down = Self.messages(40, salt: 2)
        for m in up { try pair.client.send(m, on: id) }
        #expect(pair.drive { pair.serverConnection != nil })
        let serverID = try #require(pair.serverConnection)
        for m in down { try pair.server.send(m, on: serverID) }
        #expect(pair.drive { pair.serverMessages.count == up.count && pair.clientMessages.count == down.count })
        #expect(pair.serverMessages.map(\.bytes) == up)
        #expect(pair.clientMessages.map(\.bytes) == down)
        // Deliver what is still queued (flipped copies included), without flipping more.
        pair.filter = nil
        pair.step()
        #expect(flips > 100)
        let dropped = SecurityTestSupport.drops(pair.client, [id]) + SecurityTestSupport.drops(pair.server, [serverID])
        #expect(dropped == flips, "every flipped datagram must be dropped and counted exactly once")
        let authFailures =
            (pair.client.connection(id)?.statistics.authenticationFailures ?? 0)
            + (pair.server.connection(serverID)?.statistics.authenticationFailures ?? 0)
            + pair.server.statistics.handshakeAuthenticationFailures
        #expect(authFailures > flips / 2)
    }

    /// Datagrams made with another key (valid structure, fresh packet numbers) are dropped as
    /// authentication failures and do not disturb the connection.
    @Test(arguments: modes)
    func forgeriesWithAWrongKeyAreDropped(mode: SecurityMode) throws {
        let pair = SecurityTestSupport.pair(mode)
        let id = pair.connect()
        #expect(pair.drive { pair.serverConnection != nil })
        let serverID = try #require(pair.serverConnection)
        let keys = try KeySchedule.sessionKeys(
            psk: SecurityTestSupport.otherKey, clientRandom: HandshakeRandom(bytes: Array(repeating: 1, count: 32)),
            serverRandom: HandshakeRandom(bytes: Array(repeating: 2, count: 32)),
            clientConnectionID: id, serverConnectionID: serverID)
        let forger = try SessionProtection(mode: mode, keys: keys, isClient: true)
        let flags: PacketFlags = mode == .encrypted ? .authenticatedAndEncrypted : .authenticated
        for k in 0..<50 {
            var bytes = Packet(
                destination: serverID, packetNumber: 100 + UInt64(k),
                body: .data([
                    .message(
                        MessageFrame(
                            channel: 0, mode: .reliableOrdered, sequence: UInt32(k), totalLength: 3, offset: 0, payload: [6, 6, 6]))
                ]),
                flags: flags
            ).serialized()
            #expect(forger.seal(&bytes))
            pair.server.handle(datagram: bytes, from: Pair.clientAddress, at: pair.now)
        }
        #expect(pair.server.connection(serverID)?.statistics.authenticationFailures == 50)
        let real = Self.messages(10, salt: 3)
        for m in real { try pair.client.send(m, on: id) }
        #expect(pair.drive { pair.serverMessages.count == real.count })
        #expect(pair.serverMessages.map(\.bytes) == real)
    }

    /// Exact copies, numbers that fell out of the replay window, and far-future numbers.
    @Test(arguments: modes)
    func replaysAreDropped(mode: SecurityMode) throws {
        let pair = SecurityTestSupport.pair(mode)
        var recorded: [[UInt8]] = []
        pair.filter = { d, toServer in
            if toServer && d[1] == PacketType.data.rawValue { recorded.append(d) }
            return true
        }
        let id = pair.connect()
        let first = Self.messages(20, salt: 4)
        for m in first { try pair.client.send(m, on: id) }
        #expect(pair.drive { pair.serverMessages.count == first.count })
        let serverID = try #require(pair.serverConnection)
        pair.filter = nil

        // Exact copies of everything that already arrived.
        let before = try #require(pair.server.connection(serverID)?.statistics)
        for d in recorded { pair.server.handle(datagram: d, from: Pair.clientAddress, at: pair.now) }
        let afterCopies = try #require(pair.server.connection(serverID)?.statistics)
        #expect(afterCopies.replayedPacketsDropped - before.replayedPacketsDropped == recorded.count)
        #expect(afterCopies.packetsReceived == before.packetsReceived)

        // Far-future packet numbers (header changed, so the tag fails): the window must not move.
        for pn: UInt64 in [1 << 40, (1 << 62) - 1] {
            var future = recorded[recorded.count - 1]
            for i in 0..<8 { future[11 + i] = UInt8(truncatingIfNeeded: pn >> UInt64(56 - 8 * i)) }
            pair.server.handle(datagram: future, from: Pair.clientAddress, at: pair.now)
        }
        #expect(pair.server.connection(serverID)?.statistics.authenticationFailures == 2)

        // More than a window's worth of packets later, the oldest numbers are too old.
        let bulk = (0..<1100).map { i in [UInt8](repeating: UInt8(truncatingIfNeeded: i), count: 1000) }
        var sent = 0
        #expect(
            pair.drive(for: .seconds(600)) {
                while sent < bulk.count, (try? pair.client.send(bulk[sent], on: id)) != nil { sent += 1 }
                return pair.serverMessages.count == first.count + bulk.count
            })
        #expect(pair.serverMessages.map(\.bytes) == first + bulk)
        let beforeOld = try #require(pair.server.connection(serverID)?.statistics)
        #expect(beforeOld.packetsReceived > 1100)
        pair.server.handle(datagram: recorded[0], from: Pair.clientAddress, at: pair.now)
        let afterOld = try #require(pair.server.connection(serverID)?.statistics)
        #expect(afterOld.replayedPacketsDropped == beforeOld.replayedPacketsDropped + 1)
        #expect(afterOld.authenticationFailures == beforeOld.authenticationFailures, "too old: dropped before any cryptography")
    }

    /// A datagram that fails verification changes nothing: not the peer's address, not the idle
    /// timer (the connection still times out on schedule).
    @Test func failedPacketsChangeNoState() throws {
        var config = ConnectionConfiguration()
        config.keepAliveInterval = nil
        config.idleTimeout = .seconds(10)
        let pair = SecurityTestSupport.pair(.encrypted, clientConfig: config, serverConfig: config)
        var recorded: [[UInt8]] = []
        pair.filter = { d, toServer in
            if toServer && d[1] == PacketType.data.rawValue { recorded.append(d) }
            return true
        }
        let id = pair.connect()
        try pair.client.send([1], on: id)
        #expect(pair.drive { pair.serverMessages.count == 1 })
        let serverID = try #require(pair.serverConnection)
        pair.filter = nil
        let deadline = pair.server.nextDeadline()
        let idleSince = pair.now
        var tampered = try #require(recorded.last)
        tampered[Packet.headerSize - 2] ^= 0x10  // a packet number not seen yet: reaches the tag check
        // From another address, at later times, while the connection is otherwise silent.
        for seconds in [2, 5, 9] {
            let at = idleSince + .seconds(seconds)
            pair.server.handle(datagram: tampered, from: 77, at: at)
            pair.server.handle(datagram: recorded[0], from: 78, at: at)  // a replay
            #expect(pair.server.address(of: serverID) == Pair.clientAddress)
            #expect(pair.server.nextDeadline() == deadline)
        }
        let s = try #require(pair.server.connection(serverID)?.statistics)
        #expect(s.authenticationFailures == 3 && s.replayedPacketsDropped == 3)
        // Only the client side: the server must time out at its original idle deadline.
        pair.server.handleTimeout(at: idleSince + .seconds(10) + .milliseconds(100))
        var closed: CloseReason?
        while let (_, event) = pair.server.pollEvent() { if case .closed(let r) = event { closed = r } }
        #expect(closed == .idleTimeout)
    }
}

extension SecureTamperTests {
    /// Every byte of every handshake datagram and of the first DATA packets, flipped one at a
    /// time: each variant is dropped and counted by its receiver, which sends nothing, creates
    /// nothing and changes nothing; the genuine datagram then still works.
    @Test(arguments: modes)
    func everyByteOfTheHandshakeIsProtected(mode: SecurityMode) throws {
        let pair = SecurityTestSupport.pair(mode)
        let id = pair.connect()
        try pair.client.send([42], on: id)
        func variants(_ d: [UInt8]) -> [[UInt8]] {
            d.indices.map { i in
                var v = d; v[i] ^= UInt8(1 << (i % 8)); return v
            }
        }
        func clientDrops() -> Int { SecurityTestSupport.drops(pair.client, [id]) }

        // CONNECT (no cookie): the server answers none of the variants and keeps no state.
        let connect = try #require(pair.client.pollTransmit(at: pair.now)).datagram
        for v in variants(connect) { pair.server.handle(datagram: v, from: Pair.clientAddress, at: pair.now) }
        #expect(SecurityTestSupport.drops(pair.server, []) == connect.count)
        #expect(pair.server.pollTransmit(at: pair.now) == nil && pair.server.connectionCount == 0)
        pair.server.handle(datagram: connect, from: Pair.clientAddress, at: pair.now)
        let retry = try #require(pair.server.pollTransmit(at: pair.now)).datagram

        // RETRY: no variant gives the client a cookie.
        for v in variants(retry) { pair.client.handle(datagram: v, from: Pair.serverAddress, at: pair.now) }
        #expect(clientDrops() == retry.count)
        #expect(pair.client.connection(id)?.statistics.retriesReceived == 0)
        #expect(pair.client.pollTransmit(at: pair.now) == nil)
        pair.client.handle(datagram: retry, from: Pair.serverAddress, at: pair.now)
        let second = try #require(pair.client.pollTransmit(at: pair.now)).datagram

        // CONNECT with the cookie: no variant creates the connection.
        let serverDropsBefore = SecurityTestSupport.drops(pair.server, [])
        for v in variants(second) { pair.server.handle(datagram: v, from: Pair.clientAddress, at: pair.now) }
        #expect(SecurityTestSupport.drops(pair.server, []) - serverDropsBefore == second.count)
        #expect(pair.server.connectionCount == 0 && pair.server.pollTransmit(at: pair.now) == nil)
        pair.server.handle(datagram: second, from: Pair.clientAddress, at: pair.now)
        #expect(pair.server.connectionCount == 1)
        let accept = try #require(pair.server.pollTransmit(at: pair.now)).datagram

        // ACCEPT: no variant completes the handshake.
        let clientBefore = clientDrops()
        for v in variants(accept) { pair.client.handle(datagram: v, from: Pair.serverAddress, at: pair.now) }
        #expect(clientDrops() - clientBefore == accept.count)
        #expect(pair.client.connection(id)?.state == .connecting)
        pair.client.handle(datagram: accept, from: Pair.serverAddress, at: pair.now)
        #expect(pair.client.connection(id)?.state == .established)

        // The client's first DATA: no variant establishes the server side or delivers anything.
        let data = try #require(pair.client.pollTransmit(at: pair.now)).datagram
        let serverID = try #require(pair.server.connectionIDs.first)
        let before = SecurityTestSupport.drops(pair.server, [serverID])
        for v in variants(data) { pair.server.handle(datagram: v, from: Pair.clientAddress, at: pair.now) }
        #expect(SecurityTestSupport.drops(pair.server, [serverID]) - before == data.count)
        #expect(pair.server.connection(serverID)?.state == .accepting)
        #expect(pair.server.pollEvent() == nil)
        pair.server.handle(datagram: data, from: Pair.clientAddress, at: pair.now)
        var delivered: [[UInt8]] = []
        while let (_, event) = pair.server.pollEventConsuming() { if case .message(let m) = event { delivered.append(m.bytes) } }
        #expect(delivered == [[42]])
    }
}
