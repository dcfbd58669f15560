import RUDPCore
import RUDPWire
import Testing

/// A plain CONNECT datagram from a client whose connection ID is `clientID`.
func plainConnect(clientID: UInt64, packetNumber: UInt64 = 0) -> [UInt8] {
    var bytes = Packet(
        destination: .none, packetNumber: packetNumber,
        body: .connect(TransportParameters(sourceConnectionID: ConnectionID(clientID)), cookie: [])
    ).serialized()
    Datagram.seal(&bytes)
    return bytes
}

/// The server's connection limits: caps that evict half-open connections, and refusals.
@Suite struct AdmissionLimitTests {
    static func serverConfiguration(_ change: (inout EndpointConfiguration) -> Void) -> EndpointConfiguration {
        var configuration = EndpointConfiguration(acceptsConnections: true)
        configuration.retryPolicy = .never
        change(&configuration)
        return configuration
    }

    @Test("one host cannot take the whole table: per-address and per-prefix limits refuse, with CLOSE(refused)")
    func perAddressAndPrefixLimits() {
        let hub = Hub(
            server: Self.serverConfiguration {
                $0.maxConnectionsPerAddress = 4
                $0.maxConnectionsPerPrefix = 6
            }, seed: 3)
        // Host 300 opens 10 connections; 4 get in.
        let fromHost = (0..<10).map { _ in hub.connect(from: 300) }
        hub.run(for: .seconds(2))
        #expect(fromHost.filter { hub.isConnected(at: 300, $0) }.count == 4)
        let refused = fromHost.filter { hub.closeReason(at: 300, $0) == .peerClosed(.refused, "too many connections") }
        #expect(refused.count == 6, "refused clients fail at once with the server's CLOSE(refused)")
        #expect(hub.server.statistics.refusedAddressLimit == 6)
        // Host 301 is in the same prefix (256...511): 2 more get in, then the prefix is full.
        let sameNetwork = (0..<4).map { _ in hub.connect(from: 301) }
        // Host 600 is in another prefix.
        let otherNetwork = (0..<4).map { _ in hub.connect(from: 600) }
        hub.run(for: .seconds(2))
        #expect(sameNetwork.filter { hub.isConnected(at: 301, $0) }.count == 2)
        #expect(hub.server.statistics.refusedPrefixLimit == 2)
        #expect(otherNetwork.allSatisfy { hub.isConnected(at: 600, $0) })
        #expect(hub.server.statistics.connectionsRefused == 8)
        #expect(hub.server.statistics.refusalsAnswered == 8)
        // When connections end, the host may connect again.
        for id in fromHost where hub.isConnected(at: 300, id) { hub.client(300).close(id, at: hub.now) }
        hub.run(for: .seconds(2))
        let again = hub.connect(from: 300)
        hub.run(for: .seconds(1))
        #expect(hub.isConnected(at: 300, again))
    }

    @Test("a table full of established connections refuses; the answer is smaller than the CONNECT")
    func fullTableRefuses() {
        let hub = Hub(server: Self.serverConfiguration { $0.maxConnections = 3 }, seed: 4)
        let first = (0..<3).map { hub.connect(from: 10 + $0) }
        hub.run(for: .seconds(1))
        #expect(first.enumerated().allSatisfy { hub.isConnected(at: 10 + $0.offset, $0.element) })
        let late = hub.connect(from: 20)
        hub.run(for: .seconds(1))
        #expect(hub.closeReason(at: 20, late) == .peerClosed(.refused, "too many connections"))
        #expect(hub.server.statistics.refusedTableFull == 1)
        #expect(hub.sentTo[20]!.bytes <= hub.receivedFrom[20]!.bytes)
        #expect(hub.server.connectionCount == 3)
    }

    @Test("refusals can be silent")
    func silentRefusal() {
        let hub = Hub(
            server: Self.serverConfiguration {
                $0.maxConnectionsPerAddress = 1
                $0.answersRefusedConnects = false
            }, seed: 5)
        var client = ConnectionConfiguration()
        client.connectTimeout = .seconds(2)
        hub.connect(from: 7, configuration: client)
        let second = hub.connect(from: 7, configuration: client)
        hub.run(for: .seconds(3))
        #expect(hub.closeReason(at: 7, second) == .connectTimedOut)
        #expect(hub.server.statistics.refusedAddressLimit >= 1)
        #expect(hub.server.statistics.refusalsAnswered == 0)
    }

    @Test("a flood of half-open connections evicts the oldest; a new client still gets in")
    func halfOpenFloodEvictsOldest() {
        let hub = Hub(server: Self.serverConfiguration { $0.maxHalfOpenConnections = 16 }, seed: 6)
        for i in 0..<500 { hub.inject(plainConnect(clientID: 0x1000 + UInt64(i)), from: 10_000 + i) }
        #expect(hub.server.halfOpenConnectionCount == 16)
        #expect(hub.server.statistics.halfOpenEvicted == 500 - 16)
        let id = hub.connect(from: 5)
        #expect(hub.run(for: .seconds(2)) { hub.isConnected(at: 5, id) && hub.serverConnected == 1 })
        #expect(hub.server.halfOpenConnectionCount == 15, "the legitimate connection evicted one and left the half-open set")
        #expect(hub.serverConnected == 1)
        // An evicted client that retransmits its CONNECT gets a new half-open connection.
        hub.inject(plainConnect(clientID: 0x1000, packetNumber: 1), from: 10_000)
        #expect(hub.server.statistics.replayedHandshakes == 0)
        #expect(hub.server.statistics.connectionsAccepted == 500 + 1 + 1)
    }

    @Test("a replayed CONNECT after the connection ended creates nothing (plain mode)")
    func replayAfterEndCreatesNothing() {
        let hub = Hub(server: Self.serverConfiguration { _ in }, seed: 7)
        let id = hub.connect(from: 9)
        hub.run(for: .seconds(1))
        #expect(hub.isConnected(at: 9, id))
        let connect = plainConnect(clientID: id.rawValue)  // the client's CONNECT, as an attacker recorded it
        hub.client(9).close(id, at: hub.now)
        hub.run(for: .seconds(2))
        #expect(hub.server.connectionCount == 0)
        let accepted = hub.server.statistics.connectionsAccepted
        for _ in 0..<3 { hub.inject(connect, from: 9) }
        #expect(hub.server.connectionCount == 0)
        #expect(hub.server.statistics.connectionsAccepted == accepted)
        #expect(hub.server.statistics.replayedHandshakes == 3)
        // The same client ID from another address is another handshake.
        hub.inject(connect, from: 11)
        #expect(hub.server.connectionCount == 1)
    }

    @Test("eviction takes unverified half-open connections first: an older one that returned a cookie stays")
    func evictionSparesHalfOpenConnectionsWithAVerifiedAddress() throws {
        var connection = ConnectionConfiguration()
        connection.idleTimeout = .seconds(5)  // the half-open connections of the first phase expire
        let hub = Hub(
            server: Self.serverConfiguration {
                $0.connection = connection
                $0.retryPolicy = .whenHalfOpenExceeds(1)
                $0.maxHalfOpenConnections = 2
                $0.cookieLifetime = .seconds(60)
            }, seed: 9)
        func connect(_ clientID: UInt64, cookie: [UInt8]) -> [UInt8] {
            var bytes = Packet(
                destination: .none, packetNumber: 1,
                body: .connect(TransportParameters(sourceConnectionID: ConnectionID(clientID)), cookie: cookie)
            ).serialized()
            Datagram.seal(&bytes)
            return bytes
        }
        // Two half-open connections, so that CONNECTs without a cookie get a RETRY: cookies for
        // the clients at 501 and 502.
        hub.inject(plainConnect(clientID: 0x10), from: 401)
        hub.inject(plainConnect(clientID: 0x11), from: 402)
        var cookies: [Int: [UInt8]] = [:]
        for (clientID, address) in [(0x51, 501), (0x52, 502)] as [(UInt64, Int)] {
            hub.inject(plainConnect(clientID: clientID), from: address)
            hub.flush()
            guard let answer = hub.serverOutput.last(where: { $0.to == address }),
                case .retry(let cookie)? = (try? Datagram.open(answer.datagram))?.body
            else {
                Issue.record("no RETRY for \(address)")
                return
            }
            cookies[address] = cookie
        }
        hub.run(for: .seconds(6))
        #expect(hub.server.connectionCount == 0, "the first half-open connections expired")
        // The oldest half-open connection has a verified address; a younger one has not.
        hub.inject(connect(0x51, cookie: cookies[501]!), from: 501)
        hub.inject(plainConnect(clientID: 0x60), from: 600)
        #expect(hub.server.halfOpenConnectionCount == 2 && hub.server.statistics.halfOpenEvicted == 0)
        // The half-open slots are full: the next client evicts the younger, unverified one.
        hub.inject(connect(0x52, cookie: cookies[502]!), from: 502)
        #expect(hub.server.statistics.halfOpenEvicted == 1)
        let addresses = Set(hub.server.connectionIDs.compactMap { hub.server.address(of: $0) })
        #expect(addresses == [501, 502])
        #expect(hub.server.connectionIDs.allSatisfy { hub.server.isAddressVerified($0) })
    }

    @Test("a client's first DATA packet verifies its address")
    func firstDataPacketVerifiesTheAddress() throws {
        let hub = Hub(server: Self.serverConfiguration { _ in }, seed: 10)  // retry never: no cookie
        hub.connect(from: 7)
        hub.run(for: .milliseconds(15))  // the CONNECT arrived at 10 ms and was answered; the DATA arrives at 30
        let s = try #require(hub.server.connectionIDs.first)
        #expect(!hub.server.isAddressVerified(s))
        #expect(hub.run(for: .seconds(1)) { hub.serverConnected == 1 })
        #expect(hub.server.isAddressVerified(s))
    }

    @Test("before its first DATA a half-open client gets at most 3× what it sent")
    func halfOpenAntiAmplification() {
        let hub = Hub(server: Self.serverConfiguration { _ in }, seed: 8)
        for pn in 0..<20 as Range<UInt64> {
            hub.inject(plainConnect(clientID: 0xABC, packetNumber: pn), from: 4_000)
            hub.run(for: .milliseconds(100))
        }
        hub.run(for: .seconds(40))  // the half-open connection times out, unanswered
        let sent = hub.sentTo[4_000]!, received = hub.receivedFrom[4_000]!
        #expect(sent.bytes <= 3 * received.bytes)
        #expect(sent.datagrams == 20, "one ACCEPT per CONNECT")
        #expect(!hub.server.isAddressVerified(hub.server.connectionIDs.first ?? .none))
    }
}
