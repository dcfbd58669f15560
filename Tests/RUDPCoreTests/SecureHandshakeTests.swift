import RUDPCore
import RUDPSecurity
import RUDPWire
import Testing

/// The secure handshake of PROTOCOL.md section 12 over the Pair harness: RETRY, cookie, randoms,
/// ACCEPT authentication, and protected data in both modes.
@Suite struct SecureHandshakeTests {
    @Test(arguments: [SecurityMode.authenticated, .encrypted])
    func handshakeAndEcho(mode: SecurityMode) throws {
        let pair = SecurityTestSupport.pair(mode)
        var seen: [[UInt8]] = []
        pair.filter = { d, _ in
            seen.append(d); return true
        }
        let id = pair.connect()
        let secret = Array("attack at dawn, attack at dawn".utf8)
        try pair.client.send(secret, on: id)
        #expect(pair.drive { pair.serverMessages.count == 1 })
        #expect(pair.serverMessages.first?.bytes == secret)
        let serverID = try #require(pair.serverConnection)
        try pair.server.send(Array("ok".utf8), on: serverID)
        #expect(pair.drive { pair.clientMessages.count == 1 })
        #expect(pair.clientMessages.first?.bytes == Array("ok".utf8))

        #expect(pair.server.statistics.retriesSent == 1)
        #expect(pair.client.connection(id)?.statistics.retriesReceived == 1)
        // Every datagram is protected: flags set, CONNECTs padded to 1,200 bytes.
        let flags: UInt8 = mode == .encrypted ? 0x03 : 0x01
        #expect(seen.allSatisfy { $0[2] == flags })
        #expect(seen.filter { $0[1] == PacketType.connect.rawValue }.allSatisfy { $0.count == 1200 })
        // The message is visible on the wire only in authenticated mode.
        let visible = seen.contains { d in
            d.count >= secret.count && (0...(d.count - secret.count)).contains { Array(d[$0..<($0 + secret.count)]) == secret }
        }
        #expect(visible == (mode == .authenticated))
    }
}

extension SecureHandshakeTests {
    /// Loss in both directions (including RETRY, both CONNECTs and ACCEPT): the handshake retries
    /// and every message arrives intact, for several seeds.
    @Test(arguments: [SecurityMode.authenticated, .encrypted])
    func handshakeOverLoss(mode: SecurityMode) throws {
        for seed: UInt64 in 1...12 {
            let pair = SecurityTestSupport.pair(mode, seed: seed)
            var rng = SeededGenerator(seed: seed)
            pair.filter = { _, _ in rng.nextUnitDouble() >= 0.3 }
            let id = pair.connect()
            let messages = (0..<20).map { i in (0..<(50 + i * 97)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ i) } }
            for m in messages { try pair.client.send(m, on: id) }
            let done = pair.drive(for: .seconds(120)) { pair.serverMessages.count == messages.count }
            #expect(done, "seed \(seed) (\(mode)): \(pair.serverMessages.count) of \(messages.count) delivered")
            #expect(pair.serverMessages.map(\.bytes) == messages, "seed \(seed) (\(mode))")
        }
    }

    /// A CONNECT from a peer without the key (wrong key, or random bytes shaped like a CONNECT)
    /// creates no state on the server and gets nothing back.
    @Test func keylessConnectCreatesNoStateAndGetsNoAnswer() throws {
        let server = Endpoint(
            configuration: EndpointConfiguration(acceptsConnections: true), randomness: SeededGenerator(seed: 2),
            security: SecurityTestSupport.security(.encrypted, seed: 9))
        let stranger = Endpoint(
            configuration: EndpointConfiguration(), randomness: SeededGenerator(seed: 3),
            security: SecurityTestSupport.security(.encrypted, key: SecurityTestSupport.otherKey, seed: 10))
        _ = stranger.connect(to: 2, at: .zero)
        let connect = try #require(stranger.pollTransmit(at: .zero)).datagram
        #expect(connect.count == 1200)
        server.handle(datagram: connect, from: 1, at: .zero)
        var rng = SeededGenerator(seed: 5)
        var forged = connect
        for i in (Packet.headerSize + TransportParameters.encodedSize)..<forged.count { forged[i] = UInt8(truncatingIfNeeded: rng.next()) }
        server.handle(datagram: forged, from: 1, at: .zero)
        #expect(server.pollTransmit(at: .zero) == nil)
        #expect(server.connectionCount == 0)
        #expect(server.statistics.handshakeAuthenticationFailures == 2)
        #expect(server.statistics.datagramsSent == 0 && server.statistics.retriesSent == 0)
    }

    /// A CONNECT with a valid tag but no cookie gets a RETRY (smaller than the CONNECT) and creates
    /// no state; the CONNECT that echoes the cookie creates the connection.
    @Test func statelessRetryBeforeAnyState() throws {
        let pair = SecurityTestSupport.pair(.encrypted)
        _ = pair.connect()
        let connect = try #require(pair.client.pollTransmit(at: pair.now)).datagram
        pair.server.handle(datagram: connect, from: Pair.clientAddress, at: pair.now)
        let retry = try #require(pair.server.pollTransmit(at: pair.now))
        #expect(retry.datagram[1] == PacketType.retry.rawValue)
        #expect(retry.datagram.count <= connect.count)
        #expect(pair.server.connectionCount == 0)
        #expect(pair.server.pollTransmit(at: pair.now) == nil)
        pair.client.handle(datagram: retry.datagram, from: Pair.serverAddress, at: pair.now)
        let second = try #require(pair.client.pollTransmit(at: pair.now)).datagram
        pair.server.handle(datagram: second, from: Pair.clientAddress, at: pair.now)
        #expect(pair.server.connectionCount == 1)
        let accept = try #require(pair.server.pollTransmit(at: pair.now)).datagram
        #expect(accept[1] == PacketType.accept.rawValue && accept.count <= second.count)
    }

    /// A cookie works only for the address and connection it was issued to, and only within its
    /// lifetime: otherwise the server answers with a new RETRY and creates nothing.
    @Test func cookiesFromAnotherAddressOrExpiredAreRejected() throws {
        let pair = Pair(
            seed: 1, clientSecurity: SecurityTestSupport.security(.authenticated, seed: 1),
            serverSecurity: SecurityTestSupport.security(.authenticated, seed: 2, cookieLifetime: 1_000_000_000))
        _ = pair.connect()
        let first = try #require(pair.client.pollTransmit(at: pair.now)).datagram
        pair.server.handle(datagram: first, from: Pair.clientAddress, at: pair.now)
        let retry = try #require(pair.server.pollTransmit(at: pair.now)).datagram
        pair.client.handle(datagram: retry, from: Pair.serverAddress, at: pair.now)
        let withCookie = try #require(pair.client.pollTransmit(at: pair.now)).datagram

        // Another address: rejected, answered with a fresh RETRY, no state.
        pair.server.handle(datagram: withCookie, from: 99, at: pair.now)
        #expect(pair.server.statistics.invalidCookies == 1)
        #expect(pair.server.connectionCount == 0)
        #expect(pair.server.pollTransmit(at: pair.now)?.datagram[1] == PacketType.retry.rawValue)

        // Expired (lifetime 1 s): rejected.
        pair.server.handle(datagram: withCookie, from: Pair.clientAddress, at: pair.now + .seconds(2))
        #expect(pair.server.statistics.invalidCookies == 2)
        #expect(pair.server.connectionCount == 0)

        // A forged cookie (one bit flipped; the CONNECT's tag recomputed cannot be done without the
        // key, so the flipped CONNECT fails its tag first).
        var flipped = withCookie
        flipped[Packet.headerSize + TransportParameters.encodedSize + 32 + 5] ^= 1
        pair.server.handle(datagram: flipped, from: Pair.clientAddress, at: pair.now)
        #expect(pair.server.statistics.handshakeAuthenticationFailures == 1)
        #expect(pair.server.connectionCount == 0)

        // The genuine one, in time, from the right address: accepted.
        pair.server.handle(datagram: withCookie, from: Pair.clientAddress, at: pair.now + .milliseconds(500))
        #expect(pair.server.connectionCount == 1)
    }

    /// A plain client at a secure server fails fast with "security required"; the server keeps
    /// no state and answers with fewer bytes than it got.
    @Test func plainClientAtSecureServerFailsFast() throws {
        let pair = SecurityTestSupport.pair(client: nil, server: .encrypted)
        var largestRequest = 0, largestAnswer = 0
        pair.filter = { d, toServer in
            if toServer { largestRequest = max(largestRequest, d.count) } else { largestAnswer = max(largestAnswer, d.count) }
            return true
        }
        pair.connect()
        #expect(pair.drive(for: .seconds(1)) { pair.closeReason(pair.clientEvents) != nil })
        guard let code = pair.closeReason(pair.clientEvents)?.peerCode else {
            Issue.record("expected a peer close, got \(String(describing: pair.closeReason(pair.clientEvents)))")
            return
        }
        #expect(code == .securityRequired)
        #expect(pair.server.connectionCount == 0)
        #expect(pair.server.statistics.securityMismatchesAnswered >= 1)
        #expect(largestAnswer > 0 && largestAnswer <= largestRequest)
    }

    /// A secure client at a plain server is told "security not configured" in clear; since that
    /// answer is unauthenticated it does not end the attempt early, but it is the diagnostic when
    /// the connect times out. Same for a server in the other mode.
    @Test(arguments: [(SecurityMode?.none, CloseCode.securityNotConfigured), (.authenticated, .securityModeMismatch)])
    func secureClientKeepsTryingAndReportsTheDiagnostic(server: SecurityMode?, expected: CloseCode) throws {
        var config = ConnectionConfiguration()
        config.connectTimeout = .seconds(3)
        let pair = SecurityTestSupport.pair(client: .encrypted, server: server, clientConfig: config)
        pair.connect()
        #expect(pair.drive(for: .seconds(10)) { pair.closeReason(pair.clientEvents) != nil })
        #expect(pair.now >= Timestamp.zero + .seconds(3), "an unauthenticated answer must not end the attempt early")
        guard let code = pair.closeReason(pair.clientEvents)?.peerCode else {
            Issue.record("expected the diagnostic, got \(String(describing: pair.closeReason(pair.clientEvents)))")
            return
        }
        #expect(code == expected)
        #expect(pair.server.connectionCount == 0)
    }

    /// A wrong key: the server never answers, the client times out.
    @Test func wrongKeyTimesOut() throws {
        var config = ConnectionConfiguration()
        config.connectTimeout = .seconds(2)
        let pair = SecurityTestSupport.pair(.encrypted, clientKey: SecurityTestSupport.otherKey, clientConfig: config)
        pair.connect()
        #expect(pair.drive(for: .seconds(10)) { pair.closeReason(pair.clientEvents) != nil })
        #expect(pair.closeReason(pair.clientEvents) == .connectTimedOut)
        #expect(pair.server.connectionCount == 0)
        #expect(pair.server.statistics.datagramsSent == 0)
        #expect(pair.server.statistics.handshakeAuthenticationFailures >= 2)
    }

    /// The session keys (in the connection's protection) are released when the connection ends.
    @Test func sessionKeysAreReleasedWhenTheConnectionEnds() throws {
        let clientHandshake = RecordingHandshake(SecurityTestSupport.security(.encrypted, seed: 3).handshake)
        let serverHandshake = RecordingHandshake(SecurityTestSupport.security(.encrypted, seed: 4).handshake)
        let pair = Pair(
            clientSecurity: EndpointSecurity(handshake: clientHandshake),
            serverSecurity: EndpointSecurity(handshake: serverHandshake))
        let id = pair.connect()
        try pair.client.send([1, 2, 3], on: id)
        #expect(pair.drive { pair.serverMessages.count == 1 })
        #expect(clientHandshake.made.contains { $0.value != nil } && serverHandshake.made.contains { $0.value != nil })
        pair.client.close(id, at: pair.now)
        #expect(pair.drive { pair.client.connectionCount == 0 && pair.server.connectionCount == 0 })
        #expect(clientHandshake.made.allSatisfy { $0.value == nil }, "client protection still alive")
        #expect(serverHandshake.made.allSatisfy { $0.value == nil }, "server protection still alive")
    }
}

/// Forwards to a real handshake security and remembers (weakly) every protection it made.
final class RecordingHandshake: HandshakeSecurity {
    struct Weak { weak var value: AnyObject? }
    let inner: any HandshakeSecurity
    var made: [Weak] = []
    init(_ inner: any HandshakeSecurity) { self.inner = inner }
    var flags: PacketFlags { inner.flags }
    func nextRandom() -> [UInt8] { inner.nextRandom() }
    func appendConnectKeyTag(_ packet: inout [UInt8]) { inner.appendConnectKeyTag(&packet) }
    func verifyConnectKeyTag(_ datagram: [UInt8]) -> Bool { inner.verifyConnectKeyTag(datagram) }
    func issueCookie(address: [UInt8], clientConnectionID: ConnectionID, at now: Timestamp) -> [UInt8] {
        inner.issueCookie(address: address, clientConnectionID: clientConnectionID, at: now)
    }
    func checkCookie(_ cookie: [UInt8], address: [UInt8], clientConnectionID: ConnectionID, at now: Timestamp) -> CookieCheck {
        inner.checkCookie(cookie, address: address, clientConnectionID: clientConnectionID, at: now)
    }
    func sessionProtection(
        clientRandom: [UInt8], serverRandom: [UInt8], clientConnectionID: ConnectionID,
        serverConnectionID: ConnectionID, isClient: Bool
    ) -> (any PacketProtection)? {
        let protection = inner.sessionProtection(
            clientRandom: clientRandom, serverRandom: serverRandom, clientConnectionID: clientConnectionID,
            serverConnectionID: serverConnectionID, isClient: isClient)
        if let protection { made.append(Weak(value: protection)) }
        return protection
    }
}

extension SecureHandshakeTests {
    /// When the protection refuses to seal (its key is exhausted: packet number 2^62), the
    /// connection is aborted instead of sending anything unprotected.
    @Test func keyExhaustionAbortsTheConnection() throws {
        let clientHandshake = ExhaustingHandshake(SecurityTestSupport.security(.encrypted, seed: 5).handshake, sealsAllowed: 3)
        let pair = Pair(
            clientSecurity: EndpointSecurity(handshake: clientHandshake),
            serverSecurity: SecurityTestSupport.security(.encrypted, seed: 6))
        var sentAfterRefusal = false
        pair.filter = { d, toServer in
            if toServer && clientHandshake.refused { sentAfterRefusal = true }
            return true
        }
        let id = pair.connect()
        for i in 0..<10 { try pair.client.send([UInt8](repeating: UInt8(i), count: 100), on: id) }
        #expect(pair.drive { pair.closeReason(pair.clientEvents) != nil })
        #expect(clientHandshake.refused)
        #expect(pair.closeReason(pair.clientEvents) == .aborted)
        #expect(!sentAfterRefusal, "nothing may leave once the key refused to seal")
        #expect(pair.server.statistics.malformedDatagrams == 0)
    }

    /// The real protection refuses packet number 2^62 (and any number not above the last sealed).
    @Test func sessionProtectionRefusesExhaustedPacketNumbers() throws {
        let keys = try KeySchedule.sessionKeys(
            psk: SecurityTestSupport.key, clientRandom: HandshakeRandom(bytes: Array(repeating: 1, count: 32)),
            serverRandom: HandshakeRandom(bytes: Array(repeating: 2, count: 32)),
            clientConnectionID: ConnectionID(1), serverConnectionID: ConnectionID(2))
        let protection = try SessionProtection(mode: .encrypted, keys: keys, isClient: true)
        func packet(_ pn: UInt64) -> [UInt8] {
            var bytes: [UInt8] = []
            Packet.writeHeader(type: .data, flags: .authenticatedAndEncrypted, destination: ConnectionID(2), packetNumber: pn, into: &bytes)
            bytes.append(0x01)  // PING
            return bytes
        }
        var last = packet((1 << 62) - 1)
        #expect(protection.seal(&last))
        var again = packet((1 << 62) - 1)
        #expect(!protection.seal(&again))
        var beyond: [UInt8] = packet(0)
        for i in 0..<8 { beyond[11 + i] = UInt8(truncatingIfNeeded: UInt64(1 << 62) >> UInt64(56 - 8 * i)) }
        #expect(!protection.seal(&beyond))
    }
}

/// A handshake security whose session protections refuse to seal after `sealsAllowed` packets,
/// standing in for a key that reached packet number 2^62.
final class ExhaustingHandshake: HandshakeSecurity {
    final class Protection: PacketProtection {
        let inner: any PacketProtection
        let owner: ExhaustingHandshake
        var sealsLeft: Int
        init(_ inner: any PacketProtection, owner: ExhaustingHandshake, sealsLeft: Int) {
            self.inner = inner
            self.owner = owner
            self.sealsLeft = sealsLeft
        }
        var overhead: Int { inner.overhead }
        func seal(_ packet: inout [UInt8]) -> Bool {
            guard sealsLeft > 0 else {
                owner.refused = true
                return false
            }
            sealsLeft -= 1
            return inner.seal(&packet)
        }
        func open(_ datagram: inout [UInt8]) -> PacketOpenResult { inner.open(&datagram) }
        func authenticateHandshake(_ packet: inout [UInt8]) { inner.authenticateHandshake(&packet) }
        func verifyHandshake(_ datagram: [UInt8]) -> Bool { inner.verifyHandshake(datagram) }
        func discardHandshakeKey() { inner.discardHandshakeKey() }
    }

    let inner: any HandshakeSecurity
    let sealsAllowed: Int
    var refused = false
    init(_ inner: any HandshakeSecurity, sealsAllowed: Int) {
        self.inner = inner
        self.sealsAllowed = sealsAllowed
    }
    var flags: PacketFlags { inner.flags }
    func nextRandom() -> [UInt8] { inner.nextRandom() }
    func appendConnectKeyTag(_ packet: inout [UInt8]) { inner.appendConnectKeyTag(&packet) }
    func verifyConnectKeyTag(_ datagram: [UInt8]) -> Bool { inner.verifyConnectKeyTag(datagram) }
    func issueCookie(address: [UInt8], clientConnectionID: ConnectionID, at now: Timestamp) -> [UInt8] {
        inner.issueCookie(address: address, clientConnectionID: clientConnectionID, at: now)
    }
    func checkCookie(_ cookie: [UInt8], address: [UInt8], clientConnectionID: ConnectionID, at now: Timestamp) -> CookieCheck {
        inner.checkCookie(cookie, address: address, clientConnectionID: clientConnectionID, at: now)
    }
    func sessionProtection(
        clientRandom: [UInt8], serverRandom: [UInt8], clientConnectionID: ConnectionID,
        serverConnectionID: ConnectionID, isClient: Bool
    ) -> (any PacketProtection)? {
        inner.sessionProtection(
            clientRandom: clientRandom, serverRandom: serverRandom, clientConnectionID: clientConnectionID,
            serverConnectionID: serverConnectionID, isClient: isClient
        )
        .map { Protection($0, owner: self, sealsLeft: sealsAllowed) }
    }
}

extension SecureHandshakeTests {
    /// A CONNECT with a still-valid cookie, replayed from the client's own address after its
    /// connection ended, creates no new connection and gets no answer.
    @Test func replayedConnectAfterTheConnectionEndedIsDropped() throws {
        let pair = SecurityTestSupport.pair(.encrypted)
        var connects: [[UInt8]] = []
        pair.filter = { d, toServer in
            if toServer && d[1] == PacketType.connect.rawValue { connects.append(d) }
            return true
        }
        let id = pair.connect()
        try pair.client.send([9], on: id)
        #expect(pair.drive { pair.serverMessages.count == 1 })
        pair.client.close(id, at: pair.now)
        #expect(pair.drive { pair.client.connectionCount == 0 && pair.server.connectionCount == 0 })
        let withCookie = try #require(connects.last)
        #expect(withCookie[Packet.headerSize + TransportParameters.encodedSize + 32] == 24, "the last CONNECT carries the cookie")
        let sent = pair.server.statistics.datagramsSent
        pair.server.handle(datagram: withCookie, from: Pair.clientAddress, at: pair.now)  // well within the cookie's lifetime
        #expect(pair.server.connectionCount == 0)
        #expect(pair.server.statistics.replayedHandshakes == 1)
        #expect(pair.server.pollTransmit(at: pair.now) == nil && pair.server.statistics.datagramsSent == sent)
    }
}
