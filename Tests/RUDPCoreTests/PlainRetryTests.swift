import RUDPCore
import RUDPWire
import Testing

/// The plain server's retry policy (`Specs/PROTOCOL.md` section 7.2) and the client's answer.
@Suite struct PlainRetryTests {
    static func server(_ policy: RetryPolicy, _ change: (inout EndpointConfiguration) -> Void = { _ in }) -> EndpointConfiguration {
        var configuration = EndpointConfiguration(acceptsConnections: true)
        configuration.retryPolicy = policy
        change(&configuration)
        return configuration
    }

    /// The packet of a datagram the server sent.
    static func packet(_ datagram: [UInt8]) -> Packet? { try? Datagram.open(datagram) }

    @Test("retry always: CONNECT, RETRY, CONNECT with the cookie, ACCEPT; the address is verified")
    func alwaysRetries() throws {
        let pair = Pair(seed: 2, serverEndpoint: Self.server(.always))
        var types: [(toServer: Bool, type: PacketType?, size: Int)] = []
        pair.filter = { datagram, toServer in
            types.append((toServer, packetType(datagram), datagram.count))
            return true
        }
        let c = pair.connect()
        #expect(pair.drive { pair.serverConnection != nil && pair.client.connection(c)?.state == .established })
        let handshake = types.prefix(4).map { "\($0.toServer ? ">" : "<")\($0.type.map { "\($0)" } ?? "?") \($0.size)" }
        #expect(handshake == [">connect 51", "<retry 40", ">connect 67", "<accept 50"])
        #expect(pair.server.statistics.retriesSent == 1)
        #expect(pair.client.connection(c)?.statistics.retriesReceived == 1)
        let s = try #require(pair.serverConnection)
        #expect(pair.server.isAddressVerified(s))
    }

    @Test("the default policy retries only beyond 64 half-open connections")
    func thresholdPolicy() {
        let hub = Hub(server: Self.server(.default), seed: 3)
        for i in 0..<64 { hub.inject(plainConnect(clientID: 0x100 + UInt64(i)), from: 5_000 + i) }
        #expect(hub.server.halfOpenConnectionCount == 64 && hub.server.statistics.retriesSent == 0)
        hub.inject(plainConnect(clientID: 0x200), from: 6_000)  // the 65th is still created ...
        #expect(hub.server.halfOpenConnectionCount == 65)
        hub.inject(plainConnect(clientID: 0x201), from: 6_001)  // ... beyond: RETRY, no state
        #expect(hub.server.halfOpenConnectionCount == 65 && hub.server.statistics.retriesSent == 1)
        // A real client still gets in, through the RETRY.
        let id = hub.connect(from: 7)
        #expect(hub.run(for: .seconds(2)) { hub.isConnected(at: 7, id) && hub.serverConnected == 1 })
        #expect(hub.server.statistics.retriesSent == 2)
    }

    @Test("a cookie for another address, another client ID, or an expired one earns a new RETRY")
    func invalidCookies() throws {
        let hub = Hub(server: Self.server(.always) { $0.cookieLifetime = .seconds(2) }, seed: 4)
        hub.inject(plainConnect(clientID: 0x42), from: 100)
        hub.flush()
        let retry = try #require(hub.serverOutput.last)
        guard case .retry(let cookie)? = Self.packet(retry.datagram)?.body else {
            Issue.record("no RETRY")
            return
        }
        func connect(_ clientID: UInt64, cookie: [UInt8]) -> [UInt8] {
            var bytes = Packet(
                destination: .none, packetNumber: 1,
                body: .connect(TransportParameters(sourceConnectionID: ConnectionID(clientID)), cookie: cookie)
            ).serialized()
            Datagram.seal(&bytes)
            return bytes
        }
        hub.inject(connect(0x42, cookie: cookie), from: 101)  // another address
        hub.inject(connect(0x43, cookie: cookie), from: 100)  // another client ID
        #expect(hub.server.connectionCount == 0)
        #expect(hub.server.statistics.invalidCookies == 2 && hub.server.statistics.retriesSent == 3)
        hub.run(for: .seconds(3))
        hub.inject(connect(0x42, cookie: cookie), from: 100)  // expired
        #expect(hub.server.connectionCount == 0 && hub.server.statistics.invalidCookies == 3)
        hub.flush()
        // A fresh cookie works; every answer so far was smaller than what it answered.
        let fresh = try #require(hub.serverOutput.last)
        guard case .retry(let newCookie)? = Self.packet(fresh.datagram)?.body else {
            Issue.record("no RETRY")
            return
        }
        hub.inject(connect(0x42, cookie: newCookie), from: 100)
        hub.flush()
        #expect(hub.server.connectionCount == 1)
        #expect(hub.server.isAddressVerified(hub.server.connectionIDs[0]))
        for address in [100, 101] { #expect(hub.sentTo[address]!.bytes <= hub.receivedFrom[address]!.bytes) }
    }

    @Test("with a cookie the client gets in even when the CONNECT without one was lost")
    func retryThenLoss() {
        let pair = Pair(seed: 5, serverEndpoint: Self.server(.always))
        var droppedCookieConnects = 0
        pair.filter = { datagram, toServer in
            // Drop the first two CONNECTs that carry the cookie.
            if toServer, datagram.count == 67, droppedCookieConnects < 2 {
                droppedCookieConnects += 1
                return false
            }
            return true
        }
        let c = pair.connect()
        #expect(pair.drive(for: .seconds(5)) { pair.client.connection(c)?.state == .established })
        #expect(droppedCookieConnects == 2)
    }
}
